"""Audit entries. They hold ids and counts, never personal data (no names, phones, e-mails)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from outreach.database import db
from outreach.database import intpk
from outreach.database import utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entries"

    id: Mapped[intpk]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    #: the staff user, or None for a cooperative's link, a door link or the system
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    #: how the actor was identified when not a user: "link", "door", "system", "cli"
    actor_kind: Mapped[str] = mapped_column(sa.String(20), default="user")
    #: dotted verb, e.g. ``document.replace``, ``registrations.export``
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40), default="")
    object_id: Mapped[int | None]
    #: rows touched or exported, for exports and bulk actions
    row_count: Mapped[int | None]
    #: small non-personal facts (field names changed, formats, versions)
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
