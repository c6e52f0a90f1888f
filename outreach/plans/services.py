"""Rules for plans and budgets: who sees which item, overdue and due-soon, the monitoring
board, progress, reminders through the outbox, and exact integer VND budget arithmetic."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.attributes import set_committed_value

from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import Role
from outreach.accounts.models import User
from outreach.audit import services as audit
from outreach.conferences import services as conference_services
from outreach.conferences.models import Conference
from outreach.conferences.models import ConferenceStatus
from outreach.database import db
from outreach.errors import OutreachError
from outreach.mail import services as mail_services
from outreach.mail.models import OutboxMessage
from outreach.plans.models import CLOSED_STATUSES
from outreach.plans.models import BudgetCategory
from outreach.plans.models import BudgetLine
from outreach.plans.models import BudgetNorm
from outreach.plans.models import ConferenceBudget
from outreach.plans.models import ItemStatus
from outreach.plans.models import Plan
from outreach.plans.models import PlanItem
from outreach.plans.models import ProgressNote
from outreach.plans.models import QuantityRule
from outreach.registration.models import Delegate
from outreach.registration.models import Registration
from outreach.registration.models import RegistrationStatus

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"
#: the board puts items due within this many days first, after the overdue ones
DUE_SOON_DAYS = 14
#: the largest amount any budget field accepts: 10 billion đồng
MAX_AMOUNT_VND = 10_000_000_000
MAX_QUANTITY = 100_000
MAX_TIMES = 100
MAX_NOTE_LENGTH = 5000


class PlanError(OutreachError):
    code = "plan_error"


class InvalidItem(PlanError):
    code = "invalid_item"


class InvalidBudgetLine(PlanError):
    code = "invalid_budget_line"


# --- clock ---------------------------------------------------------------------------------


def local_today(now: dt.datetime, timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    """The calendar day ``now`` falls on in the department's zone."""
    return now.astimezone(ZoneInfo(timezone)).date()


def is_overdue(item: PlanItem, today: dt.date) -> bool:
    """Past its due day and neither done nor cancelled."""
    return item.due_on is not None and item.status not in CLOSED_STATUSES and item.due_on < today


def is_due_soon(item: PlanItem, today: dt.date, days: int = DUE_SOON_DAYS) -> bool:
    """Open and due today or within ``days`` days."""
    return (
        item.due_on is not None
        and item.status not in CLOSED_STATUSES
        and today <= item.due_on <= today + dt.timedelta(days=days)
    )


# --- who sees what -------------------------------------------------------------------------


def _active(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def is_monitor(user: User | None, plan: Plan) -> bool:
    """A member of the division that monitors ``plan``."""
    return (
        _active(user)
        and plan.monitoring_division_id is not None
        and user.division_id == plan.monitoring_division_id
    )


def can_see_all_items(user: User | None, plan: Plan) -> bool:
    """Admins, organizers and the monitoring division see (and may update) every item."""
    if not _active(user):
        return False
    return user.has_role(Role.ORGANIZER) or is_monitor(user, plan)


def can_open_plans(user: User | None) -> bool:
    return _active(user) and (user.has_role(Role.ORGANIZER) or user.division_id is not None)


def can_view_item(user: User | None, item: PlanItem) -> bool:
    """Everyone who sees all items, and the staff of the item's own division."""
    if can_see_all_items(user, item.plan):
        return True
    return (
        _active(user)
        and item.division_id is not None
        and user.division_id is not None
        and user.division_id == item.division_id
    )


def can_update_item(user: User | None, item: PlanItem) -> bool:
    """Progress may be written by whoever may see the item."""
    return can_view_item(user, item)


def can_edit_plan(user: User | None, plan: Plan) -> bool:
    """Change items' titles, owners, due dates and links: organizers and the monitors."""
    return can_see_all_items(user, plan)


def can_configure_plan(user: User | None) -> bool:
    """Only admins choose the monitoring division."""
    return _active(user) and user.is_admin


def is_finance(user: User | None, *, finance_division_code: str) -> bool:
    return (
        _active(user) and user.division is not None and user.division.code == finance_division_code
    )


def can_manage_budget(
    user: User | None, conference: Conference, *, finance_division_code: str
) -> bool:
    """Finance staff of an organization that hosts or co-hosts the conference, and organizers
    (and admins) who can manage it."""
    finance = (
        is_finance(user, finance_division_code=finance_division_code)
        and user.organization_id in conference.organization_ids
    )
    return finance or conference_services.can_manage_conference(user, conference)


def can_open_budgets(user: User | None, *, finance_division_code: str) -> bool:
    return _active(user) and (
        user.has_role(Role.ORGANIZER)
        or is_finance(user, finance_division_code=finance_division_code)
    )


# --- plans and items -----------------------------------------------------------------------


def list_plans() -> list[Plan]:
    return list(db.session.scalars(sa.select(Plan).order_by(Plan.issued_on.desc(), Plan.id)))


def find_plan_by_number(number: str) -> Plan | None:
    return db.session.scalar(sa.select(Plan).where(Plan.number == number))


def visible_items(user: User, plan: Plan) -> list[PlanItem]:
    """The items of ``plan`` that ``user`` may see, in document order."""
    return [item for item in plan.items if can_view_item(user, item)]


def find_item(item_id: int) -> PlanItem | None:
    """An item with what its page shows: division, conferences, notes and their authors."""
    return db.session.scalar(
        sa.select(PlanItem)
        .options(
            joinedload(PlanItem.division),
            selectinload(PlanItem.conferences),
            selectinload(PlanItem.notes).joinedload(ProgressNote.author),
        )
        .where(PlanItem.id == item_id)
    )


def load_items(plans: Sequence[Plan]) -> None:
    """Load the items of these plans with what a board shows of them (division, conferences,
    progress notes) in a fixed number of queries, whatever the number of plans and items.
    Plans whose items are already loaded are left as they are."""
    unloaded = [plan for plan in plans if "items" in sa.inspect(plan).unloaded]
    if not unloaded:
        return
    by_plan: dict[int, list[PlanItem]] = {plan.id: [] for plan in unloaded}
    for item in db.session.scalars(
        sa.select(PlanItem)
        .options(
            joinedload(PlanItem.division),
            selectinload(PlanItem.conferences),
            selectinload(PlanItem.notes),
        )
        .where(PlanItem.plan_id.in_(by_plan))
        .order_by(PlanItem.position, PlanItem.id)
    ):
        by_plan[item.plan_id].append(item)
    for plan in unloaded:
        set_committed_value(plan, "items", by_plan[plan.id])


def list_divisions() -> list[Division]:
    return list(
        db.session.scalars(
            sa.select(Division).where(Division.is_active.is_(True)).order_by(Division.name)
        )
    )


@dataclasses.dataclass
class PlanInput:
    number: str
    title: str
    issuing_body: str
    issued_on: dt.date | None
    signer: str = ""


@dataclasses.dataclass
class ItemInput:
    section: str
    title: str
    description: str = ""
    division: Division | None = None
    due_on: dt.date | None = None
    conferences: Sequence[Conference] = ()
    position: int | None = None


def create_plan(data: PlanInput, *, actor: User | None, now: dt.datetime) -> Plan:
    """Record a plan document.

    :raises InvalidItem: when the number, title or date is missing, or the number is taken.
    """
    number = " ".join(data.number.split())
    if not number:
        raise InvalidItem(_("Nhập số, ký hiệu của kế hoạch."), field="number")
    if find_plan_by_number(number) is not None:
        raise InvalidItem(_("Đã có kế hoạch mang số này."), field="number")
    if not data.title.strip():
        raise InvalidItem(_("Nhập tên kế hoạch."), field="title")
    if not isinstance(data.issued_on, dt.date):
        raise InvalidItem(_("Nhập ngày ban hành theo dạng ngày/tháng/năm."), field="issued_on")
    plan = Plan(
        number=number,
        title=data.title.strip(),
        issuing_body=data.issuing_body.strip(),
        issued_on=data.issued_on,
        signer=data.signer.strip(),
        created_at=now,
    )
    db.session.add(plan)
    db.session.flush()
    audit.record("plan.create", actor=actor, object_type="plan", object_id=plan.id, now=now)
    return plan


def _check_item(plan: Plan, data: ItemInput, *, item: PlanItem | None) -> str:
    section = data.section.strip()
    if not section:
        raise InvalidItem(_("Nhập mục của kế hoạch, ví dụ II.1."), field="section")
    for other in plan.items:
        if other is not item and other.section == section:
            raise InvalidItem(
                _("Kế hoạch đã có mục %(section)s.", section=section), field="section"
            )
    if not data.title.strip():
        raise InvalidItem(_("Nhập nội dung công việc."), field="title")
    if data.due_on is not None and not isinstance(data.due_on, dt.date):
        raise InvalidItem(_("Nhập thời hạn theo dạng ngày/tháng/năm."), field="due_on")
    if data.due_on is not None and abs(data.due_on.year - plan.issued_on.year) > 10:
        raise InvalidItem(_("Thời hạn quá xa ngày ban hành kế hoạch."), field="due_on")
    return section


def add_item(plan: Plan, data: ItemInput, *, actor: User | None, now: dt.datetime) -> PlanItem:
    """Add an item to ``plan``.

    :raises InvalidItem: on a missing or duplicate section, a missing title or a bad due date.
    """
    section = _check_item(plan, data, item=None)
    position = data.position
    if position is None:
        position = max((i.position for i in plan.items), default=0) + 1
    item = PlanItem(
        plan=plan,
        section=section,
        position=position,
        title=data.title.strip(),
        description=data.description.strip(),
        division=data.division,
        due_on=data.due_on,
        status=ItemStatus.NOT_STARTED,
        updated_at=now,
    )
    item.conferences = list(data.conferences)
    db.session.add(item)
    db.session.flush()
    audit.record(
        "plan_item.create", actor=actor, object_type="plan_item", object_id=item.id, now=now
    )
    return item


def update_item(item: PlanItem, data: ItemInput, *, actor: User | None, now: dt.datetime) -> None:
    """Change an item's section, text, owner, due date and linked conferences.

    :raises InvalidItem: as :func:`add_item`.
    """
    section = _check_item(item.plan, data, item=item)
    item.section = section
    item.title = data.title.strip()
    item.description = data.description.strip()
    item.division = data.division
    item.due_on = data.due_on
    item.conferences = list(data.conferences)
    if data.position is not None:
        item.position = data.position
    item.updated_at = now
    db.session.flush()
    audit.record("plan_item.edit", actor=actor, object_type="plan_item", object_id=item.id, now=now)


def set_monitoring_division(
    plan: Plan, division: Division | None, *, actor: User | None, now: dt.datetime
) -> None:
    """Choose the division that monitors ``plan`` (None: nobody but organizers)."""
    plan.monitoring_division = division
    db.session.flush()
    audit.record(
        "plan.monitoring_division",
        actor=actor,
        object_type="plan",
        object_id=plan.id,
        detail={"division": division.code if division else None},
        now=now,
    )


def add_progress(
    item: PlanItem, *, status: str | None, text: str, actor: User | None, now: dt.datetime
) -> ProgressNote:
    """Log progress on ``item`` and optionally change its status.

    :raises InvalidItem: when the note is empty or too long, or the status is unknown.
    """
    text = text.strip()
    if not text:
        raise InvalidItem(_("Ghi nội dung tiến độ."), field="text")
    if len(text) > MAX_NOTE_LENGTH:
        raise InvalidItem(_("Tối đa %(max)d ký tự.", max=MAX_NOTE_LENGTH), field="text")
    if status and status not in {s.value for s in ItemStatus}:
        raise InvalidItem(_("Trạng thái không hợp lệ."), field="status")
    changed = bool(status) and status != item.status
    note = ProgressNote(
        item=item, author=actor, at=now, text=text, status_after=status if changed else None
    )
    if changed:
        item.status = status
    item.updated_at = now
    db.session.add(note)
    db.session.flush()
    audit.record(
        "plan_item.progress",
        actor=actor,
        object_type="plan_item",
        object_id=item.id,
        detail={"status": item.status},
        now=now,
    )
    return note


# --- the monitoring board ------------------------------------------------------------------


@dataclasses.dataclass
class ConferenceState:
    conference: Conference
    registration_count: int
    is_held: bool
    #: e.g. "3/3" from the documents feature; None while that feature is not installed
    briefings: str | None


@dataclasses.dataclass
class ItemRow:
    item: PlanItem
    is_overdue: bool
    is_due_soon: bool
    #: days late (overdue) or days left (due soon); None otherwise
    days: int | None
    latest_note: ProgressNote | None
    conferences: list[ConferenceState]


@dataclasses.dataclass
class DivisionGroup:
    division: Division | None
    rows: list[ItemRow]


@dataclasses.dataclass
class Board:
    plan: Plan
    today: dt.date
    attention: list[ItemRow]
    groups: list[DivisionGroup]
    counts: dict[str, int]
    sees_all: bool


def count_confirmed_registrations(conference_ids: Sequence[int]) -> dict[int, int]:
    """Confirmed registrations per conference, in one grouped query."""
    if not conference_ids:
        return {}
    rows = db.session.execute(
        sa.select(Registration.conference_id, sa.func.count(Registration.id))
        .where(
            Registration.conference_id.in_(list(conference_ids)),
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(Registration.conference_id)
    )
    return {conference_id: count for conference_id, count in rows.all()}  # noqa: C416 (dict() cannot take Rows)


def find_briefing_readiness(
    conferences: Sequence[Conference], *, now: dt.datetime
) -> dict[int, str]:
    """Hook into the documents feature: "ready/total" briefed agenda sessions per conference.

    Imported lazily so plans work without that feature. Uses
    ``outreach.documents.services.readiness_boards(conferences, now=)`` (a board per
    conference id, with its ``rows`` and ``ready_count``; a fixed number of queries) when
    present; returns an empty dict otherwise, and the board shows "—".
    """
    try:
        documents = importlib.import_module("outreach.documents.services")
    except ImportError:
        return {}
    readiness_boards = getattr(documents, "readiness_boards", None)
    if readiness_boards is None:
        return {}
    return {
        conference_id: f"{board.ready_count}/{len(board.rows)}"
        for conference_id, board in readiness_boards(conferences, now=now).items()
        if board.rows
    }


def _is_held(conference: Conference, now: dt.datetime) -> bool:
    if conference.status == ConferenceStatus.CANCELLED:
        return False
    return conference.status == ConferenceStatus.FINISHED or conference.ends_at <= now


_STATUS_ORDER = {
    ItemStatus.IN_PROGRESS: 0,
    ItemStatus.NOT_STARTED: 1,
    ItemStatus.DONE: 2,
    ItemStatus.CANCELLED: 3,
}


def _row_key(row: ItemRow):
    urgency = 0 if row.is_overdue else 1 if row.is_due_soon else 2
    return (
        urgency,
        _STATUS_ORDER.get(row.item.status, 9),
        row.item.due_on or dt.date.max,
        row.item.position,
    )


def build_board(
    plan: Plan, user: User, *, now: dt.datetime, timezone: str = DEFAULT_TIMEZONE
) -> Board:
    """Items ``user`` may see, grouped by division; in each group overdue items first, then
    those due within 14 days, then by status. ``attention`` lists the overdue and due-soon
    items across divisions with their latest note (the "why")."""
    return build_boards([plan], user, now=now, timezone=timezone)[plan.id]


def build_boards(
    plans: Sequence[Plan], user: User, *, now: dt.datetime, timezone: str = DEFAULT_TIMEZONE
) -> dict[int, Board]:
    """``build_board`` of each plan (by id), in a fixed number of queries whatever the number
    of plans, items and conferences."""
    today = local_today(now, timezone)
    load_items(plans)
    items = {plan.id: visible_items(user, plan) for plan in plans}
    conferences = {c.id: c for group in items.values() for item in group for c in item.conferences}
    registrations = count_confirmed_registrations(sorted(conferences))
    briefings = find_briefing_readiness(list(conferences.values()), now=now)
    return {
        plan.id: _board(plan, user, items[plan.id], registrations, briefings, today=today, now=now)
        for plan in plans
    }


def _board(
    plan: Plan,
    user: User,
    items: list[PlanItem],
    registrations: dict[int, int],
    briefings: dict[int, str],
    *,
    today: dt.date,
    now: dt.datetime,
) -> Board:
    rows = []
    for item in items:
        overdue = is_overdue(item, today)
        soon = not overdue and is_due_soon(item, today)
        days = None
        if overdue:
            days = (today - item.due_on).days
        elif soon:
            days = (item.due_on - today).days
        rows.append(
            ItemRow(
                item=item,
                is_overdue=overdue,
                is_due_soon=soon,
                days=days,
                latest_note=item.notes[0] if item.notes else None,
                conferences=[
                    ConferenceState(
                        conference=c,
                        registration_count=registrations.get(c.id, 0),
                        is_held=_is_held(c, now),
                        briefings=briefings.get(c.id),
                    )
                    for c in item.conferences
                ],
            )
        )
    by_division: dict[int | None, list[ItemRow]] = {}
    for row in rows:
        by_division.setdefault(row.item.division_id, []).append(row)
    groups = [
        DivisionGroup(division=group[0].item.division, rows=sorted(group, key=_row_key))
        for group in by_division.values()
    ]
    groups.sort(
        key=lambda g: (
            min(_row_key(r)[0] for r in g.rows),
            g.division is None,
            g.division.name if g.division else "",
        )
    )
    counts = {
        "total": len(rows),
        "overdue": sum(r.is_overdue for r in rows),
        "due_soon": sum(r.is_due_soon for r in rows),
        "done": sum(r.item.status == ItemStatus.DONE for r in rows),
        "in_progress": sum(r.item.status == ItemStatus.IN_PROGRESS for r in rows),
    }
    attention = sorted((r for r in rows if r.is_overdue or r.is_due_soon), key=_row_key)
    return Board(
        plan=plan,
        today=today,
        attention=attention,
        groups=groups,
        counts=counts,
        sees_all=can_see_all_items(user, plan),
    )


# --- reminders -----------------------------------------------------------------------------


def _division_emails(division_id: int) -> list[str]:
    return list(
        db.session.scalars(
            sa.select(User.email)
            .where(User.division_id == division_id, User.is_active.is_(True))
            .order_by(User.email)
        )
    )


def queue_plan_reminders(
    *, now: dt.datetime, reminder_days: int, timezone: str = DEFAULT_TIMEZONE
) -> int:
    """Queue one reminder per open item that is overdue or due within ``reminder_days`` days,
    to the active staff of its division. Each item gets at most one message per local day:
    the dedupe key holds the item and the day. Returns the number of messages newly queued."""
    today = local_today(now, timezone)
    horizon = today + dt.timedelta(days=reminder_days)
    items = db.session.scalars(
        sa.select(PlanItem)
        .where(
            PlanItem.division_id.is_not(None),
            PlanItem.due_on.is_not(None),
            PlanItem.due_on <= horizon,
            PlanItem.status.not_in([s.value for s in CLOSED_STATUSES]),
        )
        .order_by(PlanItem.due_on, PlanItem.id)
    )
    queued = 0
    for item in items:
        emails = _division_emails(item.division_id)
        if not emails:
            continue
        dedupe_key = f"plan-reminder:{item.id}:{today.isoformat()}"
        if db.session.scalar(
            sa.select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)
        ):
            continue
        due = item.due_on.strftime("%d/%m/%Y")
        if item.due_on < today:
            subject = _(
                "Quá hạn: mục %(section)s kế hoạch %(number)s",
                section=item.section,
                number=item.plan.number,
            )
            lead = _(
                "Mục %(section)s đã quá hạn %(days)d ngày (hạn %(due)s).",
                section=item.section,
                days=(today - item.due_on).days,
                due=due,
            )
        else:
            subject = _(
                "Sắp đến hạn: mục %(section)s kế hoạch %(number)s",
                section=item.section,
                number=item.plan.number,
            )
            lead = _(
                "Mục %(section)s đến hạn ngày %(due)s, còn %(days)d ngày.",
                section=item.section,
                due=due,
                days=(item.due_on - today).days,
            )
        text = "\n\n".join(
            [
                lead,
                f"{item.plan.number} – {item.plan.title}",
                f"{item.section}. {item.title}",
                _("Vui lòng cập nhật tiến độ trong mục Kế hoạch của khu vực cán bộ."),
            ]
        )
        mail_services.queue_message(
            to=", ".join(emails), subject=subject, text=text, dedupe_key=dedupe_key, now=now
        )
        queued += 1
    return queued


# --- budget --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BudgetCounts:
    #: live delegates of confirmed registrations
    registered: int
    checked_in: int
    #: printed packs: the stored number, or ``registered`` when none is stored
    packs: int
    packs_is_default: bool


@dataclasses.dataclass(frozen=True)
class BudgetRow:
    line: BudgetLine
    estimate_quantity: int
    estimate_vnd: int
    actual_quantity: int
    #: the entered actual amount when there is one, else unit cost × actual quantity
    actual_vnd: int
    actual_is_entered: bool


@dataclasses.dataclass(frozen=True)
class BudgetSummary:
    conference: Conference
    counts: BudgetCounts
    rows: list[BudgetRow]
    estimate_total: int
    actual_total: int


@dataclasses.dataclass
class BudgetLineInput:
    category: str
    description: str
    unit_label: str
    unit_cost_vnd: int | None
    quantity_rule: str
    fixed_quantity: int | None = None
    times: int | None = 1
    actual_vnd: int | None = None


def find_conference_budget(conference: Conference) -> ConferenceBudget | None:
    return db.session.scalar(
        sa.select(ConferenceBudget).where(ConferenceBudget.conference_id == conference.id)
    )


def budget_counts(conference: Conference) -> BudgetCounts:
    """Registered and checked-in delegates and printed packs, counted in the database."""
    return budgets_counts([conference])[conference.id]


def _pairs(query) -> dict:
    """A two-column query as a dict of first column to second."""
    return {key: value for key, value in db.session.execute(query).all()}  # noqa: C416 (Rows)


def budgets_counts(conferences: Sequence[Conference]) -> dict[int, BudgetCounts]:
    """``budget_counts`` of each conference (by id), in two queries whatever their number."""
    ids = {conference.id for conference in conferences}
    if not ids:
        return {}
    live = sa.and_(
        Delegate.revoked_at.is_(None), Registration.status == RegistrationStatus.CONFIRMED
    )
    registered: dict[int, int] = {}
    checked_in: dict[int, int] = {}
    for conference_id, live_count, arrived in db.session.execute(
        sa.select(
            Delegate.conference_id,
            sa.func.sum(sa.case((live, 1), else_=0)),
            sa.func.sum(sa.case((Delegate.checked_in_at.is_not(None), 1), else_=0)),
        )
        .join(Registration, Registration.id == Delegate.registration_id)
        .where(Delegate.conference_id.in_(ids))
        .group_by(Delegate.conference_id)
    ):
        registered[conference_id] = int(live_count or 0)
        checked_in[conference_id] = int(arrived or 0)
    stored = _pairs(
        sa.select(ConferenceBudget.conference_id, ConferenceBudget.printed_pack_count).where(
            ConferenceBudget.conference_id.in_(ids)
        )
    )
    result = {}
    for conference_id in ids:
        count = registered.get(conference_id, 0)
        packs = stored.get(conference_id)
        result[conference_id] = BudgetCounts(
            registered=count,
            checked_in=checked_in.get(conference_id, 0),
            packs=count if packs is None else packs,
            packs_is_default=packs is None,
        )
    return result


def line_quantities(line: BudgetLine, counts: BudgetCounts) -> tuple[int, int]:
    """(estimate quantity, actual quantity) of one line.

    The estimate counts registered delegates for both per-person rules (nobody has checked in
    yet); the actual counts check-ins for ``per_checked_in``. Packs and fixed quantities are the
    same on both sides.
    """
    times = line.times or 1
    if line.quantity_rule == QuantityRule.FIXED:
        quantity = line.fixed_quantity or 0
        return quantity, quantity
    if line.quantity_rule == QuantityRule.PER_REGISTERED:
        return counts.registered * times, counts.registered * times
    if line.quantity_rule == QuantityRule.PER_CHECKED_IN:
        return counts.registered * times, counts.checked_in * times
    if line.quantity_rule == QuantityRule.PER_PACK:
        return counts.packs * times, counts.packs * times
    raise InvalidBudgetLine(_("Cách tính số lượng không hợp lệ."), field="quantity_rule")


def list_budget_lines(conference: Conference) -> list[BudgetLine]:
    return list(
        db.session.scalars(
            sa.select(BudgetLine)
            .where(BudgetLine.conference_id == conference.id)
            .order_by(BudgetLine.position, BudgetLine.id)
        )
    )


def compute_budget(conference: Conference) -> BudgetSummary:
    """The estimate (from registrations) and the actual (from check-ins and entered amounts),
    in whole đồng: integers only."""
    return compute_budgets([conference])[0]


def compute_budgets(conferences: Sequence[Conference]) -> list[BudgetSummary]:
    """``compute_budget`` of each conference, in order, in a fixed number of queries whatever
    the number of conferences and lines."""
    counts = budgets_counts(conferences)
    lines: dict[int, list[BudgetLine]] = {conference.id: [] for conference in conferences}
    if lines:
        for line in db.session.scalars(
            sa.select(BudgetLine)
            .where(BudgetLine.conference_id.in_(lines))
            .order_by(BudgetLine.position, BudgetLine.id)
        ):
            lines[line.conference_id].append(line)
    return [_summary(c, counts[c.id], lines[c.id]) for c in conferences]


def _summary(
    conference: Conference, counts: BudgetCounts, lines: list[BudgetLine]
) -> BudgetSummary:
    rows = []
    for line in lines:
        estimate_quantity, actual_quantity = line_quantities(line, counts)
        entered = line.actual_vnd is not None
        rows.append(
            BudgetRow(
                line=line,
                estimate_quantity=estimate_quantity,
                estimate_vnd=line.unit_cost_vnd * estimate_quantity,
                actual_quantity=actual_quantity,
                actual_vnd=line.actual_vnd if entered else line.unit_cost_vnd * actual_quantity,
                actual_is_entered=entered,
            )
        )
    return BudgetSummary(
        conference=conference,
        counts=counts,
        rows=rows,
        estimate_total=sum(r.estimate_vnd for r in rows),
        actual_total=sum(r.actual_vnd for r in rows),
    )


def _check_amount(value, field: str, *, required: bool) -> int | None:
    if value is None:
        if required:
            raise InvalidBudgetLine(_("Nhập đơn giá (đồng)."), field=field)
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidBudgetLine(_("Nhập số tiền là số nguyên đồng."), field=field)
    if value < 0:
        raise InvalidBudgetLine(_("Số tiền không được âm."), field=field)
    if value > MAX_AMOUNT_VND:
        raise InvalidBudgetLine(_("Số tiền vượt quá 10 tỷ đồng: kiểm tra lại."), field=field)
    return value


def _check_line(data: BudgetLineInput) -> BudgetLineInput:
    if data.category not in {c.value for c in BudgetCategory}:
        raise InvalidBudgetLine(_("Chọn một khoản chi."), field="category")
    if data.quantity_rule not in {r.value for r in QuantityRule}:
        raise InvalidBudgetLine(_("Chọn cách tính số lượng."), field="quantity_rule")
    description = " ".join((data.description or "").split())
    if not description:
        raise InvalidBudgetLine(_("Nhập nội dung chi."), field="description")
    unit_cost = _check_amount(data.unit_cost_vnd, "unit_cost_vnd", required=True)
    actual = _check_amount(data.actual_vnd, "actual_vnd", required=False)
    fixed_quantity = data.fixed_quantity
    if data.quantity_rule == QuantityRule.FIXED:
        if fixed_quantity is None:
            raise InvalidBudgetLine(
                _("Nhập số lượng cho khoản chi cố định."), field="fixed_quantity"
            )
        if not 0 <= fixed_quantity <= MAX_QUANTITY:
            raise InvalidBudgetLine(
                _("Số lượng từ 0 đến %(max)d.", max=MAX_QUANTITY), field="fixed_quantity"
            )
    else:
        fixed_quantity = None
    times = data.times if data.times is not None else 1
    if not 1 <= times <= MAX_TIMES:
        raise InvalidBudgetLine(_("Số lần từ 1 đến %(max)d.", max=MAX_TIMES), field="times")
    if data.quantity_rule == QuantityRule.FIXED:
        times = 1
    return BudgetLineInput(
        category=data.category,
        description=description[:300],
        unit_label=" ".join((data.unit_label or "").split())[:50],
        unit_cost_vnd=unit_cost,
        quantity_rule=data.quantity_rule,
        fixed_quantity=fixed_quantity,
        times=times,
        actual_vnd=actual,
    )


def add_budget_line(
    conference: Conference, data: BudgetLineInput, *, actor: User | None, now: dt.datetime
) -> BudgetLine:
    """Add a line to the conference's budget.

    :raises InvalidBudgetLine: on a missing unit cost, a negative or absurd amount (over
        10 billion đồng), a fixed line without its quantity, or an unknown category or rule.
    """
    clean = _check_line(data)
    position = (
        db.session.scalar(
            sa.select(sa.func.max(BudgetLine.position)).where(
                BudgetLine.conference_id == conference.id
            )
        )
        or 0
    ) + 1
    line = BudgetLine(conference=conference, position=position, created_at=now)
    _apply_line(line, clean)
    db.session.add(line)
    db.session.flush()
    audit.record(
        "budget_line.create", actor=actor, object_type="budget_line", object_id=line.id, now=now
    )
    return line


def _apply_line(line: BudgetLine, clean: BudgetLineInput) -> None:
    line.category = clean.category
    line.description = clean.description
    line.unit_label = clean.unit_label
    line.unit_cost_vnd = clean.unit_cost_vnd
    line.quantity_rule = clean.quantity_rule
    line.fixed_quantity = clean.fixed_quantity
    line.times = clean.times
    line.actual_vnd = clean.actual_vnd


def update_budget_line(
    line: BudgetLine, data: BudgetLineInput, *, actor: User | None, now: dt.datetime
) -> None:
    """Change a line, including its actual amount.

    :raises InvalidBudgetLine: as :func:`add_budget_line`; nothing is changed then.
    """
    clean = _check_line(data)
    _apply_line(line, clean)
    db.session.flush()
    audit.record(
        "budget_line.edit", actor=actor, object_type="budget_line", object_id=line.id, now=now
    )


def delete_budget_line(line: BudgetLine, *, actor: User | None, now: dt.datetime) -> None:
    line_id = line.id
    db.session.delete(line)
    db.session.flush()
    audit.record(
        "budget_line.delete", actor=actor, object_type="budget_line", object_id=line_id, now=now
    )


def set_printed_packs(
    conference: Conference, count: int | None, *, actor: User | None, now: dt.datetime
) -> ConferenceBudget:
    """Store how many document packs were printed (None: one per registered delegate).

    :raises InvalidBudgetLine: when the number is negative or absurd.
    """
    if count is not None and not 0 <= count <= MAX_QUANTITY:
        raise InvalidBudgetLine(
            _("Số bộ tài liệu từ 0 đến %(max)d.", max=MAX_QUANTITY), field="printed_pack_count"
        )
    budget = find_conference_budget(conference)
    if budget is None:
        budget = ConferenceBudget(conference_id=conference.id)
        db.session.add(budget)
    budget.printed_pack_count = count
    budget.updated_at = now
    db.session.flush()
    audit.record(
        "conference_budget.packs",
        actor=actor,
        object_type="conference",
        object_id=conference.id,
        now=now,
    )
    return budget


def list_norms(organization: Organization) -> list[BudgetNorm]:
    return list(
        db.session.scalars(
            sa.select(BudgetNorm)
            .where(BudgetNorm.organization_id == organization.id)
            .order_by(BudgetNorm.id)
        )
    )


def save_norm(
    organization: Organization, data: BudgetLineInput, *, actor: User | None, now: dt.datetime
) -> BudgetNorm:
    """Create or replace the organization's norm for ``data.category``.

    :raises InvalidBudgetLine: as :func:`add_budget_line`.
    """
    clean = _check_line(dataclasses.replace(data, actual_vnd=None))
    norm = db.session.scalar(
        sa.select(BudgetNorm).where(
            BudgetNorm.organization_id == organization.id, BudgetNorm.category == clean.category
        )
    )
    if norm is None:
        norm = BudgetNorm(organization_id=organization.id, category=clean.category)
        db.session.add(norm)
    norm.description = clean.description
    norm.unit_label = clean.unit_label
    norm.unit_cost_vnd = clean.unit_cost_vnd
    norm.quantity_rule = clean.quantity_rule
    norm.fixed_quantity = clean.fixed_quantity
    norm.times = clean.times
    norm.updated_at = now
    db.session.flush()
    audit.record(
        "budget_norm.save", actor=actor, object_type="budget_norm", object_id=norm.id, now=now
    )
    return norm


def apply_norms(conference: Conference, *, actor: User | None, now: dt.datetime) -> int:
    """Add a line for every norm of the host organization whose category the budget lacks.
    Returns the number of lines added."""
    present = {line.category for line in list_budget_lines(conference)}
    added = 0
    for norm in list_norms(conference.host):
        if norm.category in present:
            continue
        add_budget_line(
            conference,
            BudgetLineInput(
                category=norm.category,
                description=norm.description,
                unit_label=norm.unit_label,
                unit_cost_vnd=norm.unit_cost_vnd,
                quantity_rule=norm.quantity_rule,
                fixed_quantity=norm.fixed_quantity,
                times=norm.times,
            ),
            actor=actor,
            now=now,
        )
        added += 1
    return added


def list_budget_conferences(user: User, *, finance_division_code: str) -> list[Conference]:
    """Conferences whose budget ``user`` may manage, latest first."""
    if is_finance(user, finance_division_code=finance_division_code) and not user.is_admin:
        if user.organization_id is None:
            return []
        return conference_services.list_organization_conferences(user.organization_id)
    return conference_services.list_managed_conferences(user)
