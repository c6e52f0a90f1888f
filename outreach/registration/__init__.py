"""Cooperative registration: sign-up, delegates, needs, capacity and the waiting list."""
