"""The demo plan matches the document: sections, wording, owners; one overdue item."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import sqlalchemy as sa

from outreach.database import db
from outreach.demo import load_demo
from outreach.plans import services
from outreach.plans.models import BudgetLine
from outreach.plans.models import PlanItem

PLAN_TEXT = Path("/work/shared/reference/plan-64-KH-KHCN.txt")
DEMO_DAY = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_demo_plan_matches_the_document_and_is_idempotent(app):
    load_demo()
    db.session.commit()
    load_demo()
    db.session.commit()
    plan = services.find_plan_by_number("64/KH-KHCN")
    assert plan.monitoring_division.code == "QLKH"
    assert [i.section for i in plan.items] == ["I", "II.1", "II.2", "II.3", "IV.1", "IV.2", "IV.3"]
    assert db.session.scalar(sa.select(sa.func.count(PlanItem.id))) == 7
    owners = {i.section: i.division.code if i.division else None for i in plan.items}
    assert owners == {
        "I": None,
        "II.1": "QLKH",
        "II.2": "QLCN",
        "II.3": "QLCNG",
        "IV.1": None,
        "IV.2": "KHTC",
        "IV.3": "QLKH",
    }
    if PLAN_TEXT.exists():
        document = _flat(PLAN_TEXT.read_text(encoding="utf-8"))
        for item in plan.items:
            assert _flat(item.title) in document
            for paragraph in item.description.split("\n\n"):
                assert _flat(paragraph) in document
    today = services.local_today(DEMO_DAY)
    overdue = [i.section for i in plan.items if services.is_overdue(i, today)]
    assert overdue == ["II.1"]
    assert all(i.due_on is None or i.due_on.year == 2026 for i in plan.items)
    late = next(i for i in plan.items if i.section == "II.1")
    assert late.notes
    assert late.conferences


def test_demo_budgets_one_per_conference(app):
    load_demo()
    db.session.commit()
    load_demo()
    db.session.commit()
    conference_ids = set(db.session.scalars(sa.select(BudgetLine.conference_id)))
    assert len(conference_ids) == 3
    meal = db.session.scalars(
        sa.select(BudgetLine).where(BudgetLine.category == "meal_support")
    ).all()
    assert len(meal) == 3
    assert all(line.unit_cost_vnd == 150_000 for line in meal)
