"""The check-in log and the door links that open a conference's desk without an account.

A delegate's admission is ``Delegate.checked_in_at`` (one conditional update, DESIGN.md §4.2);
everything else about it (which door, who, how, refusals, undos) lives in ``CheckIn`` rows.
"""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from outreach.database import db
from outreach.database import intpk
from outreach.database import utcnow
from outreach.registration.models import Delegate

#: the longest door name ("Cửa chính", "Cửa phụ – bàn 2")
STATION_MAX_LENGTH = 60


class Method(enum.StrEnum):
    QR = "qr"
    SEARCH = "search"
    PAPER = "paper"
    #: a person added at the door (issue 7): registered, given a ticket and admitted at once
    WALKIN = "walkin"


class Result(enum.StrEnum):
    """The answers of the desk; the API returns exactly these codes."""

    OK = "ok"
    ALREADY_CHECKED_IN = "already_checked_in"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    CANCELLED = "cancelled"
    WAITLISTED = "waitlisted"
    WRONG_CONFERENCE = "wrong_conference"
    NOT_OPEN = "not_open"
    #: too many unknown codes from one door in the last minute (HTTP 429)
    THROTTLED = "throttled"


class DoorLink(db.Model):
    """A bearer link to one conference's desk for one door, stored as the token's hash."""

    __tablename__ = "door_links"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    station: Mapped[str] = mapped_column(sa.String(STATION_MAX_LENGTH))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the end of the conference when the link was made
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))

    def is_valid(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


class CheckIn(db.Model):
    """One answer of the desk: an admission, a refusal, or a throttled attempt.

    Append-only, except that undoing an admission stamps ``undone_at``/``undone_by_*`` on its
    row. ``nonce`` is the client's id for the attempt: a retry with the same nonce finds this row
    and gets the same answer (``prior_at``/``prior_station`` keep what an
    ``already_checked_in`` answer said).
    """

    __tablename__ = "checkins"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id", ondelete="CASCADE"))
    #: None for codes that matched no ticket
    delegate_id: Mapped[int | None] = mapped_column(sa.ForeignKey("delegates.id"), index=True)
    #: server time of the answer
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    #: the time the client says it scanned (offline queues send it later)
    scanned_at: Mapped[dt.datetime | None]
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    door_link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("door_links.id"))
    station: Mapped[str] = mapped_column(sa.String(STATION_MAX_LENGTH), default="")
    method: Mapped[str] = mapped_column(sa.String(10))
    result: Mapped[str] = mapped_column(sa.String(30))
    nonce: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: for ``already_checked_in``: when and where the person had been admitted
    prior_at: Mapped[dt.datetime | None]
    prior_station: Mapped[str | None] = mapped_column(sa.String(STATION_MAX_LENGTH))
    #: the organizer overrode ``not_open`` for this attempt
    overridden: Mapped[bool] = mapped_column(default=False)
    #: an offline scan uploaded later (issue 7): the server time it arrived. For these rows
    #: ``at`` is the time of the scan at the door (so the log reads in door order), not this.
    synced_at: Mapped[dt.datetime | None]
    #: an offline desk let the person in, but the server refuses the ticket (revoked,
    #: cancelled, …): the organizer must look at it (shown on the log page)
    flagged: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    undone_at: Mapped[dt.datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    undone_by_door_link_id: Mapped[int | None] = mapped_column(sa.ForeignKey("door_links.id"))

    delegate: Mapped[Delegate | None] = relationship()
    door_link: Mapped[DoorLink | None] = relationship(foreign_keys=[door_link_id])

    __table_args__ = (
        sa.CheckConstraint("method IN ('qr', 'search', 'paper', 'walkin')", name="method"),
        sa.CheckConstraint(
            "result IN ('ok', 'already_checked_in', 'unknown', 'revoked', 'cancelled', "
            "'waitlisted', 'wrong_conference', 'not_open', 'throttled')",
            name="result",
        ),
        # the log page and the stats read by conference and time; the throttle counts by time
        sa.Index("ix_checkins_conference_at", "conference_id", "at"),
        sa.Index("ix_checkins_conference_result_at", "conference_id", "result", "at"),
    )
