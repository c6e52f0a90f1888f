"""Staff accounts: organizations, divisions, users, roles and login."""
