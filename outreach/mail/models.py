"""The outbox: every message is a row written in the transaction of the event that causes it."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from outreach.database import db
from outreach.database import intpk
from outreach.database import utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    #: claimed by one sender; ``claimed_at`` tells when, so a crashed sender's row is retried
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(db.Model):
    __tablename__ = "outbox_messages"

    id: Mapped[intpk]
    #: one event yields one message: e.g. ``confirmation:<registration id>``
    dedupe_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    #: what the message is about (confirmation, waitlist, promotion, change, ...)
    kind: Mapped[str] = mapped_column(sa.String(30), default="notice")
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str | None] = mapped_column(sa.Text)
    #: parts built when sending, so a failure to draw a QR or a PDF never loses the message:
    #: [{"type": "qr", "code": ..., "cid": ...}, {"type": "tickets_pdf", "registration_id": ...},
    #:  {"type": "calendar", "conference_id": ..., "method": "REQUEST", "attendees": [...]}]
    parts: Mapped[list] = mapped_column(sa.JSON, default=list)
    #: extra headers, e.g. List-Unsubscribe for the optional news purpose
    headers: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    registration_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="SET NULL"), index=True
    )
    conference_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(10), default=OutboxStatus.PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[dt.datetime | None]
    sent_at: Mapped[dt.datetime | None]

    __table_args__ = (
        sa.CheckConstraint("status IN ('pending', 'sending', 'sent', 'failed')", name="status"),
    )
