"""The desk's decision table: checkin/rules.py and static/js/desk-rules.js must both follow it.

Plain data, no fixtures, so the browser test can load it by path.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from outreach.checkin import rules

DOORS_OPEN = dt.datetime(2026, 12, 10, 0, 30, tzinfo=dt.UTC)
TOO_EARLY = dt.datetime(2026, 12, 9, 22, 0, tzinfo=dt.UTC)

CLOCK = rules.DeskClock(
    conference_id=1,
    conference_status="published",
    now=DOORS_OPEN,
    opens_at=DOORS_OPEN - dt.timedelta(minutes=30),
)
TICKET = rules.TicketState(
    conference_id=1, registration_status="confirmed", revoked=False, checked_in_at=None
)
DECISIONS = [
    (None, CLOCK, "unknown"),
    (TICKET, CLOCK, "ok"),
    (dataclasses.replace(TICKET, conference_id=2), CLOCK, "wrong_conference"),
    (
        dataclasses.replace(TICKET, registration_status="cancelled", revoked=True),
        CLOCK,
        "cancelled",
    ),
    (dataclasses.replace(TICKET, revoked=True), CLOCK, "revoked"),
    (dataclasses.replace(TICKET, registration_status="waitlisted"), CLOCK, "waitlisted"),
    (dataclasses.replace(TICKET, checked_in_at=DOORS_OPEN), CLOCK, "already_checked_in"),
    (TICKET, dataclasses.replace(CLOCK, now=TOO_EARLY), "not_open"),
    (TICKET, dataclasses.replace(CLOCK, now=TOO_EARLY, override=True), "ok"),
    (TICKET, dataclasses.replace(CLOCK, conference_status="draft", override=True), "not_open"),
    (
        dataclasses.replace(TICKET, checked_in_at=DOORS_OPEN),
        dataclasses.replace(CLOCK, now=TOO_EARLY),
        "already_checked_in",
    ),
]
