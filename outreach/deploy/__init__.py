"""Deployment files: the gunicorn configuration and examples for nginx and systemd."""
