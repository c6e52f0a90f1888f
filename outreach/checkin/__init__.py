"""Tickets and the door: ticket codes, QR codes, printable tickets and the check-in desk."""
