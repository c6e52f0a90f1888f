"""How a division follows up a need a cooperative stated at registration."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from outreach.database import db
from outreach.database import intpk


class FollowUpStatus(enum.StrEnum):
    NEW = "new"
    CONTACTED = "contacted"
    SUPPORTING = "supporting"
    NOT_APPLICABLE = "not_applicable"


class NeedFollowUp(db.Model):
    """One row per (registration, theme), created the first time staff set a status; a need
    without a row is new."""

    __tablename__ = "need_follow_ups"

    id: Mapped[intpk]
    registration_id: Mapped[int] = mapped_column(
        sa.ForeignKey("registrations.id", ondelete="CASCADE"), index=True
    )
    #: a ``conferences.models.Theme`` code: the key of the need in ``Registration.needs``
    theme: Mapped[str] = mapped_column(sa.String(30))
    status: Mapped[str] = mapped_column(sa.String(20), default=FollowUpStatus.NEW)
    #: what the division did or will do; for staff only
    note: Mapped[str] = mapped_column(sa.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    updated_at: Mapped[dt.datetime | None]

    __table_args__ = (
        sa.UniqueConstraint("registration_id", "theme", name="uq_need_follow_ups_need"),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'supporting', 'not_applicable')", name="status"
        ),
    )
