"""Plan rules: status, overdue and due-soon, who sees what, the board, reminders, budgets."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from outreach.database import db
from outreach.mail.models import OutboxMessage
from outreach.plans import services
from outreach.plans.models import ProgressNote

from .conftest import NOW

TODAY = dt.date(2026, 11, 28)


def _item(section="II.1", due_on=None, status="not_started"):
    from outreach.plans.models import PlanItem

    return PlanItem(section=section, title="x", due_on=due_on, status=status)


# --- overdue and due soon ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("due_on", "status", "overdue"),
    [
        (dt.date(2026, 11, 27), "in_progress", True),
        (dt.date(2026, 11, 27), "not_started", True),
        (dt.date(2026, 11, 27), "done", False),
        (dt.date(2026, 11, 27), "cancelled", False),
        (dt.date(2026, 11, 28), "in_progress", False),  # due today is not late yet
        (None, "in_progress", False),
    ],
)
def test_is_overdue_derives_from_due_date_and_status(due_on, status, overdue):
    assert services.is_overdue(_item(due_on=due_on, status=status), TODAY) is overdue


def test_is_due_soon_covers_today_to_fourteen_days():
    assert services.is_due_soon(_item(due_on=TODAY), TODAY)
    assert services.is_due_soon(_item(due_on=TODAY + dt.timedelta(days=14)), TODAY)
    assert not services.is_due_soon(_item(due_on=TODAY + dt.timedelta(days=15)), TODAY)
    assert not services.is_due_soon(_item(due_on=TODAY - dt.timedelta(days=1)), TODAY)
    assert not services.is_due_soon(_item(due_on=TODAY, status="done"), TODAY)


def test_local_today_uses_hanoi_time():
    # 18:00 UTC on the 27th is already the 28th in Hà Nội
    assert services.local_today(dt.datetime(2026, 11, 27, 18, 0, tzinfo=dt.UTC)) == TODAY


# --- items and progress --------------------------------------------------------------------


def test_add_progress_changes_status_and_logs_note(make_plan, make_item, create_user):
    author = create_user(role="organizer")
    item = make_item(make_plan(), "II.1")
    note = services.add_progress(item, status="in_progress", text="Đã soạn", actor=author, now=NOW)
    db.session.flush()
    assert item.status == "in_progress"
    assert note.status_after == "in_progress"
    assert item.notes[0].text == "Đã soạn"
    same = services.add_progress(item, status="in_progress", text="Tiếp tục", actor=author, now=NOW)
    assert same.status_after is None


def test_add_progress_without_text_saves_nothing(make_plan, make_item):
    item = make_item(make_plan(), "II.1")
    with pytest.raises(services.InvalidItem) as excinfo:
        services.add_progress(item, status="done", text="  ", actor=None, now=NOW)
    assert excinfo.value.field == "text"
    assert item.status == "not_started"
    assert db.session.scalar(sa.select(sa.func.count(ProgressNote.id))) == 0


def test_add_progress_with_unknown_status_is_refused(make_plan, make_item):
    item = make_item(make_plan(), "II.1")
    with pytest.raises(services.InvalidItem) as excinfo:
        services.add_progress(item, status="finished", text="x", actor=None, now=NOW)
    assert excinfo.value.field == "status"


def test_add_item_refuses_duplicate_section_and_non_date(make_plan, make_item):
    plan = make_plan()
    make_item(plan, "II.1")
    with pytest.raises(services.InvalidItem) as excinfo:
        services.add_item(plan, services.ItemInput(section="II.1", title="y"), actor=None, now=NOW)
    assert excinfo.value.field == "section"
    with pytest.raises(services.InvalidItem) as excinfo:
        services.add_item(
            plan,
            services.ItemInput(section="II.2", title="y", due_on="31/10/2026"),
            actor=None,
            now=NOW,
        )
    assert excinfo.value.field == "due_on"
    assert [i.section for i in plan.items] == ["II.1"]


# --- who sees what -------------------------------------------------------------------------


def test_division_staff_see_only_their_items_monitors_and_organizers_see_all(
    make_plan, make_item, create_division, create_user
):
    qlkh, qlcn = create_division(code="QLKH"), create_division(code="QLCN")
    plan = make_plan(monitoring_division=qlkh)
    own = make_item(plan, "II.2", division=qlcn)
    other = make_item(plan, "II.1", division=qlkh)
    general = make_item(plan, "IV.1")
    staff = create_user(role="division_staff", division=qlcn)
    monitor = create_user(role="division_staff", division=qlkh)
    organizer = create_user(role="organizer")
    assert services.can_view_item(staff, own)
    assert not services.can_view_item(staff, other)
    assert not services.can_view_item(staff, general)
    assert [i.section for i in services.visible_items(staff, plan)] == ["II.2"]
    assert len(services.visible_items(monitor, plan)) == 3
    assert len(services.visible_items(organizer, plan)) == 3
    assert not services.can_configure_plan(organizer)


def test_finance_is_the_configured_division_or_a_managing_organizer(
    create_division, create_user, create_conference, create_organization
):
    host = create_organization()
    finance = create_user(
        role="division_staff", division=create_division(code="KHTC", organization=host)
    )
    other = create_user(
        role="division_staff", division=create_division(code="QLCN", organization=host)
    )
    organizer = create_user(role="organizer", organization=host)
    stranger = create_user(role="organizer", organization=create_organization())
    conference = create_conference(host=host)
    assert services.can_manage_budget(finance, conference, finance_division_code="KHTC")
    assert not services.can_manage_budget(other, conference, finance_division_code="KHTC")
    assert services.can_manage_budget(other, conference, finance_division_code="QLCN")
    assert services.can_manage_budget(organizer, conference, finance_division_code="KHTC")
    assert not services.can_manage_budget(stranger, conference, finance_division_code="KHTC")
    # a conference the Alliance holds alone is none of the Department's finance division's
    alliance = create_organization(name="Liên minh HTX", kind="cooperative_alliance")
    own = create_conference(host=alliance)
    assert not services.can_manage_budget(finance, own, finance_division_code="KHTC")
    assert services.list_budget_conferences(finance, finance_division_code="KHTC") == [conference]
    # once the Department co-hosts it, it is
    own.cohosts.append(host)
    assert services.can_manage_budget(finance, own, finance_division_code="KHTC")


# --- board ---------------------------------------------------------------------------------


def test_board_puts_overdue_then_due_soon_first_and_counts_registrations(
    make_plan, make_item, create_division, create_user, create_conference, add_delegates
):
    qlkh = create_division(code="QLKH", name="Phòng Quản lý Khoa học")
    plan = make_plan(monitoring_division=qlkh)
    conference = create_conference()
    add_delegates(conference, 2)
    add_delegates(conference, 1)
    add_delegates(conference, 3, status="cancelled")
    later = make_item(plan, "IV.3", division=qlkh, due_on=dt.date(2026, 12, 31))
    soon = make_item(plan, "IV.1", division=qlkh, due_on=dt.date(2026, 12, 3))
    late = make_item(
        plan,
        "II.1",
        division=qlkh,
        due_on=dt.date(2026, 10, 31),
        status="in_progress",
        conferences=[conference],
    )
    done = make_item(plan, "II.2", division=qlkh, due_on=dt.date(2026, 10, 1), status="done")
    services.add_progress(late, status=None, text="Lùi hội nghị sang 10/12", actor=None, now=NOW)
    viewer = create_user(role="organizer")
    board = services.build_board(plan, viewer, now=NOW)
    rows = board.groups[0].rows
    assert [r.item for r in rows] == [late, soon, later, done]
    assert board.counts["overdue"] == 1
    assert board.counts["due_soon"] == 1
    assert [r.item for r in board.attention] == [late, soon]
    assert board.attention[0].days == 28
    assert board.attention[0].latest_note.text == "Lùi hội nghị sang 10/12"
    state = rows[0].conferences[0]
    assert state.registration_count == 2  # confirmed registrations, not delegates
    assert state.is_held is False


def test_count_confirmed_registrations_is_one_grouped_query(app, create_conference, add_delegates):
    first, second = create_conference(), create_conference()
    add_delegates(first, 1)
    add_delegates(second, 1)
    add_delegates(second, 1)
    add_delegates(second, 1, status="waitlisted")
    statements = []

    def _count(*args, **kwargs):
        statements.append(args[2] if len(args) > 2 else "")

    engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", _count)
    try:
        counts = services.count_confirmed_registrations([first.id, second.id])
    finally:
        sa.event.remove(engine, "before_cursor_execute", _count)
    assert counts == {first.id: 1, second.id: 2}
    assert len(statements) == 1


# --- reminders -----------------------------------------------------------------------------


def _outbox():
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_reminders_once_a_day_for_due_and_overdue_items(
    make_plan, make_item, create_division, create_user
):
    division = create_division(code="QLCN")
    create_user(role="division_staff", division=division, email="a@example.vn")
    create_user(role="division_staff", division=division, email="b@example.vn")
    create_user(role="division_staff", division=division, email="off@example.vn").is_active = False
    plan = make_plan()
    make_item(plan, "II.1", division=division, due_on=dt.date(2026, 11, 20), status="in_progress")
    make_item(plan, "II.2", division=division, due_on=dt.date(2026, 12, 5))  # within 7 days
    make_item(plan, "II.3", division=division, due_on=dt.date(2026, 12, 6))  # 8 days: not yet
    make_item(plan, "IV.1", division=division, due_on=dt.date(2026, 11, 1), status="done")
    make_item(plan, "IV.2", due_on=dt.date(2026, 11, 1))  # no division: nobody to remind

    assert services.queue_plan_reminders(now=NOW, reminder_days=7) == 2
    messages = _outbox()
    assert len(messages) == 2
    assert messages[0].to_address == "a@example.vn, b@example.vn"
    assert "Quá hạn" in messages[0].subject
    assert "II.1" in messages[0].subject
    assert "Sắp đến hạn" in messages[1].subject
    assert "II.2" in messages[1].subject
    assert "2026-11-28" in messages[0].dedupe_key

    # the same day, hours later: nothing new
    assert services.queue_plan_reminders(now=NOW + dt.timedelta(hours=10), reminder_days=7) == 0
    assert len(_outbox()) == 2
    # the next local day (Hà Nội): once more
    next_day = dt.datetime(2026, 11, 28, 17, 30, tzinfo=dt.UTC)  # 00:30 on the 29th locally
    assert services.queue_plan_reminders(now=next_day, reminder_days=7) == 3
    assert len(_outbox()) == 5


def test_reminder_days_is_configurable(make_plan, make_item, create_division, create_user):
    division = create_division()
    create_user(role="division_staff", division=division)
    make_item(make_plan(), "II.3", division=division, due_on=dt.date(2026, 12, 10))
    assert services.queue_plan_reminders(now=NOW, reminder_days=7) == 0
    assert services.queue_plan_reminders(now=NOW, reminder_days=14) == 1


# --- budget --------------------------------------------------------------------------------


def _line(**overrides):
    values = {
        "category": "meal_support",
        "description": "Hỗ trợ tiền ăn",
        "unit_label": "người/ngày",
        "unit_cost_vnd": 150_000,
        "quantity_rule": "per_checked_in",
        "fixed_quantity": None,
        "times": 1,
        "actual_vnd": None,
    }
    values.update(overrides)
    return services.BudgetLineInput(**values)


def test_budget_rules_with_exact_integer_vnd(create_conference, add_delegates):
    conference = create_conference()
    add_delegates(conference, 60, checked_in=50)
    add_delegates(conference, 40, checked_in=30, revoked=0)
    add_delegates(conference, 5, status="cancelled")
    add_delegates(conference, 3, revoked=1)  # 2 live
    add = lambda **kw: services.add_budget_line(conference, _line(**kw), actor=None, now=NOW)  # noqa: E731
    add(category="hall", quantity_rule="fixed", fixed_quantity=1, unit_cost_vnd=5_000_000)
    add(category="printing", quantity_rule="per_pack", unit_cost_vnd=20_000)
    add(category="tea_break", quantity_rule="per_registered", unit_cost_vnd=20_000, times=2)
    add(category="meal_support", quantity_rule="per_checked_in", unit_cost_vnd=150_000)
    add(category="banner", quantity_rule="fixed", fixed_quantity=1, unit_cost_vnd=300_000)
    add(category="speaker_fee", quantity_rule="fixed", fixed_quantity=6, unit_cost_vnd=300_000)
    summary = services.compute_budget(conference)
    assert summary.counts.registered == 102
    assert summary.counts.checked_in == 80
    assert summary.counts.packs == 102
    assert summary.counts.packs_is_default
    estimates = [r.estimate_vnd for r in summary.rows]
    assert estimates == [5_000_000, 2_040_000, 4_080_000, 15_300_000, 300_000, 1_800_000]
    actuals = [r.actual_vnd for r in summary.rows]
    assert actuals == [5_000_000, 2_040_000, 4_080_000, 12_000_000, 300_000, 1_800_000]
    assert summary.estimate_total == 28_520_000
    assert summary.actual_total == 25_220_000
    assert all(type(v) is int for v in [*estimates, *actuals, summary.estimate_total])


def test_domain_worked_example_totals_25_100_000(create_conference, add_delegates):
    """domain.md §5.2: 100 delegates, 80 HTX reps → 25.100.000 ₫."""
    from outreach.i18n import format_money

    conference = create_conference()
    add_delegates(conference, 80, checked_in=80)
    add = lambda **kw: services.add_budget_line(conference, _line(**kw), actor=None, now=NOW)  # noqa: E731
    add(category="meal_support", quantity_rule="per_checked_in", unit_cost_vnd=150_000)
    add(category="printing", quantity_rule="per_pack", unit_cost_vnd=20_000)
    add(category="tea_break", quantity_rule="per_pack", unit_cost_vnd=20_000, times=2)
    add(category="hall", quantity_rule="fixed", fixed_quantity=1, unit_cost_vnd=5_000_000)
    add(category="banner", quantity_rule="fixed", fixed_quantity=1, unit_cost_vnd=300_000)
    add(category="speaker_fee", quantity_rule="fixed", fixed_quantity=6, unit_cost_vnd=300_000)
    services.set_printed_packs(conference, 100, actor=None, now=NOW)
    summary = services.compute_budget(conference)
    assert summary.counts.packs == 100
    assert not summary.counts.packs_is_default
    assert summary.actual_total == 25_100_000
    assert format_money(summary.actual_total) == "25.100.000 ₫"


def test_entered_actual_amount_replaces_the_computed_one(create_conference, add_delegates):
    conference = create_conference()
    add_delegates(conference, 10, checked_in=4)
    line = services.add_budget_line(conference, _line(), actor=None, now=NOW)
    assert services.compute_budget(conference).actual_total == 600_000
    services.update_budget_line(line, _line(actual_vnd=555_000), actor=None, now=NOW)
    summary = services.compute_budget(conference)
    assert summary.rows[0].actual_is_entered
    assert summary.actual_total == 555_000
    assert summary.estimate_total == 1_500_000


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"unit_cost_vnd": None}, "unit_cost_vnd"),
        ({"unit_cost_vnd": -1}, "unit_cost_vnd"),
        ({"unit_cost_vnd": 10_000_000_001}, "unit_cost_vnd"),
        ({"unit_cost_vnd": 1.5}, "unit_cost_vnd"),
        ({"actual_vnd": -5}, "actual_vnd"),
        ({"actual_vnd": 20_000_000_000}, "actual_vnd"),
        ({"quantity_rule": "fixed", "fixed_quantity": None}, "fixed_quantity"),
        ({"quantity_rule": "per_seat"}, "quantity_rule"),
        ({"category": "travel"}, "category"),
        ({"description": " "}, "description"),
        ({"times": 0}, "times"),
    ],
)
def test_bad_budget_lines_are_refused_on_their_field(create_conference, overrides, field):
    from outreach.plans.models import BudgetLine

    conference = create_conference()
    with pytest.raises(services.InvalidBudgetLine) as excinfo:
        services.add_budget_line(conference, _line(**overrides), actor=None, now=NOW)
    assert excinfo.value.field == field
    assert db.session.scalar(sa.select(sa.func.count(BudgetLine.id))) == 0


def test_update_with_bad_amount_changes_nothing(create_conference):
    conference = create_conference()
    line = services.add_budget_line(conference, _line(), actor=None, now=NOW)
    with pytest.raises(services.InvalidBudgetLine):
        services.update_budget_line(line, _line(unit_cost_vnd=-100), actor=None, now=NOW)
    assert line.unit_cost_vnd == 150_000


def test_norms_are_per_organization_and_applied_once(create_conference, create_organization):
    host, other = create_organization(), create_organization()
    services.save_norm(host, _line(unit_cost_vnd=150_000), actor=None, now=NOW)
    services.save_norm(other, _line(unit_cost_vnd=200_000), actor=None, now=NOW)
    services.save_norm(host, _line(unit_cost_vnd=120_000), actor=None, now=NOW)  # replaces
    assert [n.unit_cost_vnd for n in services.list_norms(host)] == [120_000]
    conference = create_conference(host=host)
    assert services.apply_norms(conference, actor=None, now=NOW) == 1
    assert services.apply_norms(conference, actor=None, now=NOW) == 0
    lines = services.list_budget_lines(conference)
    assert [(line.category, line.unit_cost_vnd) for line in lines] == [("meal_support", 120_000)]
