"""Conferences, their old slugs, agenda sessions and the history of changes that matter."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import User
from outreach.conferences import places
from outreach.database import db
from outreach.database import intpk
from outreach.database import str_200
from outreach.database import utcnow

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


class ConferenceStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    #: registration closed; the conference still takes place
    CLOSED = "closed"
    FINISHED = "finished"
    CANCELLED = "cancelled"


#: statuses the public (and the calendar feeds) may see
PUBLIC_STATUSES = (
    ConferenceStatus.PUBLISHED,
    ConferenceStatus.CLOSED,
    ConferenceStatus.FINISHED,
    ConferenceStatus.CANCELLED,
)


class Theme(enum.StrEnum):
    """The three themes of plan 64/KH-KHCN; anything else goes in ``other_theme``."""

    ST_PROJECTS = "st_projects"
    BRANDING = "branding"
    INNOVATION = "innovation"


class ChangeKind(enum.StrEnum):
    TIME = "time"
    VENUE = "venue"
    STATUS = "status"
    CANCELLED = "cancelled"


conference_cohosts = sa.Table(
    "conference_cohosts",
    db.metadata,
    sa.Column(
        "conference_id",
        sa.ForeignKey("conferences.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("organization_id", sa.ForeignKey("organizations.id"), primary_key=True),
)


class Conference(db.Model):
    __tablename__ = "conferences"

    id: Mapped[intpk]
    #: the public URL part; earlier slugs live on in ``ConferenceSlug`` and redirect here
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    #: codes from ``Theme``, in display order
    themes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    #: a free-text theme beside (or instead of) the plan's three
    other_theme: Mapped[str] = mapped_column(sa.String(200), default="")
    host_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    venue_name: Mapped[str_200]
    #: street, hamlet, building: what comes before the commune and province
    venue_address: Mapped[str] = mapped_column(sa.String(300), default="")
    #: NSO codes from ``vietnam-provinces`` (post-2025 units: province, then commune)
    province_code: Mapped[int]
    ward_code: Mapped[int]
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    #: IANA zone the conference's times are shown in
    timezone: Mapped[str] = mapped_column(sa.String(64), default=DEFAULT_TIMEZONE)
    capacity: Mapped[int]
    #: seats held by confirmed delegates; only ever changed by one conditional UPDATE
    #: (DESIGN.md §4.1), never by count-then-write
    seats_taken: Mapped[int] = mapped_column(default=0)
    #: the most delegates one cooperative may send
    delegates_per_cooperative: Mapped[int] = mapped_column(default=3)
    has_waitlist: Mapped[bool] = mapped_column(default=True)
    #: None: open as soon as published
    registration_opens_at: Mapped[dt.datetime | None]
    #: None: open until the conference starts
    registration_closes_at: Mapped[dt.datetime | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=ConferenceStatus.DRAFT)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    #: the iCalendar SEQUENCE; raised whenever time, place or status changes after publishing
    ics_sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    host: Mapped[Organization] = relationship()
    cohosts: Mapped[list[Organization]] = relationship(
        secondary=conference_cohosts, order_by=Organization.name
    )
    sessions: Mapped[list[AgendaSession]] = relationship(
        back_populates="conference",
        order_by="(AgendaSession.starts_at, AgendaSession.position, AgendaSession.id)",
        cascade="all, delete-orphan",
    )
    changes: Mapped[list[ConferenceChange]] = relationship(
        back_populates="conference",
        order_by="(ConferenceChange.at.desc(), ConferenceChange.id.desc())",
        cascade="all, delete-orphan",
    )
    old_slugs: Mapped[list[ConferenceSlug]] = relationship(
        back_populates="conference", cascade="all, delete-orphan"
    )

    __table_args__ = (
        sa.CheckConstraint("capacity >= 1", name="capacity_positive"),
        sa.CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        sa.CheckConstraint("seats_taken <= capacity", name="seats_taken_within_capacity"),
        sa.CheckConstraint("delegates_per_cooperative >= 1", name="delegates_positive"),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint(
            "status IN ('draft', 'published', 'closed', 'finished', 'cancelled')", name="status"
        ),
    )

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_taken >= self.capacity

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC_STATUSES

    @property
    def is_cancelled(self) -> bool:
        return self.status == ConferenceStatus.CANCELLED

    @property
    def place_name(self) -> str:
        """``Xã Lục Ngạn, Bắc Ninh``."""
        return places.format_place(self.ward_code, self.province_code)

    @property
    def full_address(self) -> str:
        """Venue, street and commune in one line: for calendars and map searches."""
        parts = (self.venue_name, self.venue_address, self.place_name)
        return ", ".join(part for part in parts if part)

    @property
    def organization_ids(self) -> set[int]:
        return {self.host_id, *(o.id for o in self.cohosts)}


class ConferenceSlug(db.Model):
    """A slug a conference used to have; its public URL redirects (301) to the current one."""

    __tablename__ = "conference_slugs"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    retired_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    conference: Mapped[Conference] = relationship(back_populates="old_slugs")


class AgendaSession(db.Model):
    __tablename__ = "agenda_sessions"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[dt.datetime]
    ends_at: Mapped[dt.datetime]
    room: Mapped[str] = mapped_column(sa.String(100), default="")
    speaker: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the division that prepares and presents this session (and uploads its documents)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("divisions.id"), index=True)
    #: order among sessions that start at the same time
    position: Mapped[int] = mapped_column(default=0)

    conference: Mapped[Conference] = relationship(back_populates="sessions")
    division: Mapped[Division] = relationship()

    __table_args__ = (sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),)


class ConferenceChange(db.Model):
    """A change people who registered must hear about: time, venue, status, cancellation.

    ``old_value`` and ``new_value`` are language-neutral: for ``time`` two ISO 8601 UTC
    instants joined by ``/``; for ``venue`` the full address; for ``status`` the status codes;
    for ``cancelled`` the previous status and the reason.
    """

    __tablename__ = "conference_changes"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    #: the ``ics_sequence`` the change produced (the updated invitation carries it)
    sequence: Mapped[int] = mapped_column(default=0)
    #: set by the mail feature once the registrants were sent the updated invitation
    notified_at: Mapped[dt.datetime | None]

    conference: Mapped[Conference] = relationship(back_populates="changes")
    by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint("kind IN ('time', 'venue', 'status', 'cancelled')", name="kind"),
    )

    @property
    def old_period(self) -> tuple[dt.datetime, dt.datetime] | None:
        return _parse_period(self.old_value) if self.kind == ChangeKind.TIME else None

    @property
    def new_period(self) -> tuple[dt.datetime, dt.datetime] | None:
        return _parse_period(self.new_value) if self.kind == ChangeKind.TIME else None


def format_period(starts_at: dt.datetime, ends_at: dt.datetime) -> str:
    return f"{starts_at.astimezone(dt.UTC).isoformat()}/{ends_at.astimezone(dt.UTC).isoformat()}"


def _parse_period(value: str) -> tuple[dt.datetime, dt.datetime] | None:
    try:
        start, end = value.split("/")
        return dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end)
    except ValueError:
        return None
