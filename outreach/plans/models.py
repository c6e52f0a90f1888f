"""Plans, their items and progress notes; per-conference budgets and per-organization norms.

Whether an item is overdue is derived from its due date, its status and today's date; it is
never stored.
"""

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
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import intpk
from outreach.database import utcnow


class ItemStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


#: statuses that end an item: it can no longer be late
CLOSED_STATUSES = (ItemStatus.DONE, ItemStatus.CANCELLED)


class BudgetCategory(enum.StrEnum):
    HALL = "hall"
    SOUND = "sound"
    PRINTING = "printing"
    TEA_BREAK = "tea_break"
    MEAL_SUPPORT = "meal_support"
    SPEAKER_FEE = "speaker_fee"
    BANNER = "banner"
    OTHER = "other"


class QuantityRule(enum.StrEnum):
    FIXED = "fixed"
    PER_REGISTERED = "per_registered"
    PER_CHECKED_IN = "per_checked_in"
    PER_PACK = "per_pack"


def _in(values) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


plan_item_conferences = sa.Table(
    "plan_item_conferences",
    db.metadata,
    sa.Column("plan_item_id", sa.ForeignKey("plan_items.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "conference_id", sa.ForeignKey("conferences.id", ondelete="CASCADE"), primary_key=True
    ),
)


class Plan(db.Model):
    __tablename__ = "plans"

    id: Mapped[intpk]
    #: the document's number and code as printed, e.g. ``64/KH-KHCN``
    number: Mapped[str] = mapped_column(sa.String(50), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    #: e.g. "Sở Khoa học và Công nghệ"
    issuing_body: Mapped[str] = mapped_column(sa.String(200))
    issued_on: Mapped[dt.date]
    signer: Mapped[str] = mapped_column(sa.String(200), default="")
    #: the division that follows the whole plan and sees every item (plan item IV.3)
    monitoring_division_id: Mapped[int | None] = mapped_column(sa.ForeignKey("divisions.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    monitoring_division: Mapped[Division | None] = relationship()
    items: Mapped[list[PlanItem]] = relationship(
        back_populates="plan",
        order_by="(PlanItem.position, PlanItem.id)",
        cascade="all, delete-orphan",
    )


class PlanItem(db.Model):
    __tablename__ = "plan_items"

    id: Mapped[intpk]
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    #: the label the document gives the item: ``I``, ``II.1``, ``IV.3``
    section: Mapped[str] = mapped_column(sa.String(20))
    #: order within the plan, as in the document
    position: Mapped[int] = mapped_column(default=0)
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    #: the division that carries the item out; None for items addressed to no single division
    division_id: Mapped[int | None] = mapped_column(sa.ForeignKey("divisions.id"), index=True)
    #: the deadline (a calendar day in the department's time zone); None when the plan sets none
    due_on: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(20), default=ItemStatus.NOT_STARTED)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="items")
    division: Mapped[Division | None] = relationship()
    conferences: Mapped[list[Conference]] = relationship(
        secondary=plan_item_conferences, order_by=Conference.starts_at
    )
    notes: Mapped[list[ProgressNote]] = relationship(
        back_populates="item",
        order_by="(ProgressNote.at.desc(), ProgressNote.id.desc())",
        cascade="all, delete-orphan",
    )

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "section"),
        sa.CheckConstraint(f"status IN ({_in(ItemStatus)})", name="status"),
    )

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES


class ProgressNote(db.Model):
    """One entry of an item's running log; append-only."""

    __tablename__ = "plan_progress_notes"

    id: Mapped[intpk]
    item_id: Mapped[int] = mapped_column(
        sa.ForeignKey("plan_items.id", ondelete="CASCADE"), index=True
    )
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    text: Mapped[str] = mapped_column(sa.Text)
    #: the item's status after this note, when the note changed it
    status_after: Mapped[str | None] = mapped_column(sa.String(20))

    item: Mapped[PlanItem] = relationship(back_populates="notes")
    author: Mapped[User | None] = relationship()


class ConferenceBudget(db.Model):
    """Per-conference budget facts that are not lines: the number of printed packs."""

    __tablename__ = "conference_budgets"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), unique=True
    )
    #: document packs printed; None means "one per registered delegate"
    printed_pack_count: Mapped[int | None]
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint(
            "printed_pack_count IS NULL OR printed_pack_count >= 0", name="packs_not_negative"
        ),
    )


class BudgetLine(db.Model):
    __tablename__ = "budget_lines"

    id: Mapped[intpk]
    conference_id: Mapped[int] = mapped_column(
        sa.ForeignKey("conferences.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.String(300))
    #: the unit as finance writes it: "người/ngày", "buổi", "gói"
    unit_label: Mapped[str] = mapped_column(sa.String(50), default="")
    #: whole đồng; VND has no minor unit
    unit_cost_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    quantity_rule: Mapped[str] = mapped_column(sa.String(20))
    #: the quantity of a ``fixed`` line
    fixed_quantity: Mapped[int | None]
    #: times per person or pack, e.g. 2 tea breaks per delegate; 1 for most lines
    times: Mapped[int] = mapped_column(default=1)
    #: what was actually spent, entered by finance after the conference; None: not yet entered
    actual_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    position: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    conference: Mapped[Conference] = relationship()

    __table_args__ = (
        sa.CheckConstraint(f"category IN ({_in(BudgetCategory)})", name="category"),
        sa.CheckConstraint(f"quantity_rule IN ({_in(QuantityRule)})", name="quantity_rule"),
        sa.CheckConstraint("unit_cost_vnd >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("actual_vnd IS NULL OR actual_vnd >= 0", name="actual_not_negative"),
        sa.CheckConstraint("times >= 1", name="times_positive"),
        sa.CheckConstraint(
            "quantity_rule != 'fixed' OR fixed_quantity IS NOT NULL", name="fixed_has_quantity"
        ),
    )


class BudgetNorm(db.Model):
    """An organization's default unit cost and quantity rule for one category (domain.md §5.2:
    norms differ by province, so none is written into the code)."""

    __tablename__ = "budget_norms"

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    category: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.String(300))
    unit_label: Mapped[str] = mapped_column(sa.String(50), default="")
    unit_cost_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    quantity_rule: Mapped[str] = mapped_column(sa.String(20))
    fixed_quantity: Mapped[int | None]
    times: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("organization_id", "category"),
        sa.CheckConstraint(f"category IN ({_in(BudgetCategory)})", name="category"),
        sa.CheckConstraint(f"quantity_rule IN ({_in(QuantityRule)})", name="quantity_rule"),
        sa.CheckConstraint("unit_cost_vnd >= 0", name="unit_cost_not_negative"),
        sa.CheckConstraint("times >= 1", name="times_positive"),
    )
