"""Cooperatives, their registrations for a conference, and the delegates they send."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import intpk
from outreach.database import str_200
from outreach.database import utcnow


class CooperativeKind(enum.StrEnum):
    HOP_TAC_XA = "hop_tac_xa"
    LIEN_HIEP_HOP_TAC_XA = "lien_hiep_hop_tac_xa"
    TO_HOP_TAC = "to_hop_tac"


class RegistrationStatus(enum.StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class Gender(enum.StrEnum):
    MALE = "male"
    FEMALE = "female"
    UNSPECIFIED = "unspecified"


#: what a cooperative may say it needs under each theme
NEED_CHOICES = ("technology", "partner", "funding", "procedures", "training")


class Cooperative(db.Model):
    __tablename__ = "cooperatives"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(sa.String(30))
    name: Mapped[str_200]
    #: the name folded for search (lower case, no diacritics, đ → d)
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    #: mã số HTX / MST, canonical ``XXXXXXXXXX`` or ``XXXXXXXXXX-XXX``; none for most tổ hợp tác
    tax_code: Mapped[str | None] = mapped_column(sa.String(14), unique=True)
    province_code: Mapped[int]
    ward_code: Mapped[int]
    sector: Mapped[str] = mapped_column(sa.String(200), default="")
    main_products: Mapped[str] = mapped_column(sa.String(300), default="")
    member_count: Mapped[int | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('hop_tac_xa', 'lien_hiep_hop_tac_xa', 'to_hop_tac')", name="kind"
        ),
        sa.CheckConstraint("member_count IS NULL OR member_count >= 0", name="member_count"),
    )


class Registration(db.Model):
    __tablename__ = "registrations"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    cooperative_id: Mapped[int] = mapped_column(sa.ForeignKey("cooperatives.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    #: sha256 of the self-service token; the token itself is never stored
    manage_token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: the form's one-time id: a second submission of the same form finds this row
    submission_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: language the registrant used, for their messages (vi / en)
    language: Mapped[str] = mapped_column(sa.String(5), default="vi")
    contact_name: Mapped[str_200]
    contact_phone: Mapped[str] = mapped_column(sa.String(20), index=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    #: {theme code: {"choices": [...NEED_CHOICES], "text": "..."}}
    needs: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    #: consent to processing for taking part (required) — when, and which notice text
    consent_participation_at: Mapped[dt.datetime]
    #: optional consent to future news; None when not given or withdrawn
    consent_news_at: Mapped[dt.datetime | None]
    consent_news_withdrawn_at: Mapped[dt.datetime | None]
    consent_notice_version: Mapped[str] = mapped_column(sa.String(20))
    #: seats this registration holds now: its delegates while confirmed, else 0
    seats_held: Mapped[int] = mapped_column(default=0)
    #: registered by staff on the cooperative's behalf (a phone call)
    entered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    promoted_at: Mapped[dt.datetime | None]
    cancelled_at: Mapped[dt.datetime | None]

    conference: Mapped[Conference] = relationship()
    cooperative: Mapped[Cooperative] = relationship()
    delegates: Mapped[list[Delegate]] = relationship(
        back_populates="registration", order_by="Delegate.id"
    )

    __table_args__ = (
        sa.CheckConstraint("status IN ('confirmed', 'waitlisted', 'cancelled')", name="status"),
        sa.CheckConstraint("seats_held >= 0", name="seats_held"),
        # one active registration per cooperative per conference
        sa.Index(
            "uq_registrations_active_cooperative",
            "conference_id",
            "cooperative_id",
            unique=True,
            sqlite_where=sa.text("status != 'cancelled'"),
            postgresql_where=sa.text("status != 'cancelled'"),
        ),
    )

    @property
    def active_delegates(self) -> list[Delegate]:
        return [d for d in self.delegates if d.revoked_at is None]

    @property
    def is_active(self) -> bool:
        return self.status != RegistrationStatus.CANCELLED


class Delegate(db.Model):
    __tablename__ = "delegates"

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(sa.ForeignKey("registrations.id"), index=True)
    #: copied from the registration so that the database can keep one phone per conference
    conference_id: Mapped[int] = mapped_column(sa.ForeignKey("conferences.id"), index=True)
    full_name: Mapped[str_200]
    #: the name folded for search (no diacritics, đ → d)
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    position: Mapped[str] = mapped_column(sa.String(100), default="")
    gender: Mapped[str] = mapped_column(sa.String(12), default=Gender.UNSPECIFIED)
    #: E.164, e.g. ``+84912345678``
    phone_e164: Mapped[str] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    #: the whole QR payload: 128 random bits, uppercase base32 (see checkin/tickets.py)
    ticket_code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    revoked_at: Mapped[dt.datetime | None]
    checked_in_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    registration: Mapped[Registration] = relationship(back_populates="delegates")

    __table_args__ = (
        sa.CheckConstraint("gender IN ('male', 'female', 'unspecified')", name="gender"),
        # one phone holds at most one live ticket per conference
        sa.Index(
            "uq_delegates_live_phone",
            "conference_id",
            "phone_e164",
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        ),
    )

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None
