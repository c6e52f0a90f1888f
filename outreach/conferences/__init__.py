"""Conferences, their agenda sessions, the public pages and the calendar feeds."""
