"""Outgoing mail: the outbox, message rendering and delivery."""
