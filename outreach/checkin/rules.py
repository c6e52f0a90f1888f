"""The desk's decision, as a pure function of a ticket's state: no database, no clock, no Flask.

The server (:mod:`outreach.checkin.services`) decides every scan with :func:`decide`, then makes
an ``ok`` real with one conditional update. ``static/js/desk-rules.js`` is a line-by-line copy
of :func:`decide` over the same fields, so an offline desk deciding against a downloaded roster
(issue 7) answers exactly as the server would; ``tests/checkin/test_services.py`` holds the
table both must follow.

The order of the checks matters and is part of the contract:

1. no ticket with this code → ``unknown``
2. the ticket belongs to another conference → ``wrong_conference``
3. its registration was cancelled → ``cancelled`` (cancelling also revokes, so this comes first)
4. the ticket was revoked (person replaced) → ``revoked``
5. the registration is on the waiting list → ``waitlisted``
6. already admitted → ``already_checked_in`` (with when and where)
7. before the doors open (or the conference is a draft or cancelled) → ``not_open``, unless an
   organizer overrides the opening time
8. otherwise → ``ok``
"""

from __future__ import annotations

import dataclasses
import datetime as dt

OK = "ok"
ALREADY_CHECKED_IN = "already_checked_in"
UNKNOWN = "unknown"
REVOKED = "revoked"
CANCELLED = "cancelled"
WAITLISTED = "waitlisted"
WRONG_CONFERENCE = "wrong_conference"
NOT_OPEN = "not_open"
THROTTLED = "throttled"

#: the answers that admit nobody and change nothing
REFUSALS = (UNKNOWN, REVOKED, CANCELLED, WAITLISTED, WRONG_CONFERENCE, NOT_OPEN, THROTTLED)
#: conference statuses in which nobody is admitted, whatever the time
CLOSED_CONFERENCE_STATUSES = ("draft", "cancelled")


@dataclasses.dataclass(frozen=True)
class TicketState:
    """What the decision needs to know about one ticket (one roster entry in issue 7)."""

    conference_id: int
    #: the registration's status: confirmed, waitlisted or cancelled
    registration_status: str
    revoked: bool
    checked_in_at: dt.datetime | None


@dataclasses.dataclass(frozen=True)
class DeskClock:
    """What the decision needs to know about the conference and the moment."""

    conference_id: int
    conference_status: str
    now: dt.datetime
    #: ``starts_at`` minus the configured lead (CHECKIN_OPENS_BEFORE_MINUTES)
    opens_at: dt.datetime
    #: an organizer chose to admit before the opening time
    override: bool = False


def opens_at(starts_at: dt.datetime, opens_before_minutes: int) -> dt.datetime:
    return starts_at - dt.timedelta(minutes=opens_before_minutes)


def decide(ticket: TicketState | None, clock: DeskClock) -> str:
    """Return the answer for scanning ``ticket`` now (``None``: no ticket has this code)."""
    if ticket is None:
        return UNKNOWN
    if ticket.conference_id != clock.conference_id:
        return WRONG_CONFERENCE
    if ticket.registration_status == "cancelled":
        return CANCELLED
    if ticket.revoked:
        return REVOKED
    if ticket.registration_status == "waitlisted":
        return WAITLISTED
    if ticket.checked_in_at is not None:
        return ALREADY_CHECKED_IN
    if clock.conference_status in CLOSED_CONFERENCE_STATUSES:
        return NOT_OPEN
    if clock.now < clock.opens_at and not clock.override:
        return NOT_OPEN
    return OK
