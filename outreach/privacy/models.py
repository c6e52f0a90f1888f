"""Data-subject requests: who asked (as a salted hash), for what, and by when it is due."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from outreach.database import db
from outreach.database import intpk
from outreach.database import utcnow


class RequestKind(enum.StrEnum):
    ACCESS = "access"
    ERASURE = "erasure"
    WITHDRAW = "withdraw"


class DataRequest(db.Model):
    """One request by a person about their data. It holds no personal data in the clear:
    the phone or e-mail is kept as an HMAC (to find the person's earlier requests) and a masked
    form for the list (``09xx xxx 678``)."""

    __tablename__ = "data_requests"

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(sa.String(10))
    #: HMAC-SHA256 of the normalised phone (E.164) or e-mail, keyed with the app's secret
    subject_hash: Mapped[str] = mapped_column(sa.String(64), index=True)
    #: e.g. ``09xx xxx 678`` or ``h***@example.vn``
    subject_display: Mapped[str] = mapped_column(sa.String(60))
    #: the day the request reached the department (Hà Nội date)
    received_on: Mapped[dt.date]
    #: acknowledge by (working days after ``received_on``)
    acknowledge_by: Mapped[dt.date]
    #: answer by (``DSR_RESPONSE_DAYS`` after ``received_on``)
    due_on: Mapped[dt.date]
    acknowledged_at: Mapped[dt.datetime | None]
    completed_at: Mapped[dt.datetime | None]
    #: what was done, without personal data: counts and the action
    outcome: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    handled_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("kind IN ('access', 'erasure', 'withdraw')", name="kind"),
        sa.CheckConstraint("due_on >= received_on", name="due_after_received"),
    )

    @property
    def is_open(self) -> bool:
        return self.completed_at is None
