"""The audit trail: who changed what, and who exported or downloaded personal data."""
