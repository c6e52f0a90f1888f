"""Every staff page answers with at most 12 SQL statements, whatever the data size: no query per
row. The pages are opened as an admin on the demo data, then again after adding registrations,
conferences with agenda sessions and documents, plan items with progress notes, and budget lines."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from outreach.database import db

MAX_STATEMENTS = 12
# (model module, class, url argument) — the first row of each fills the URL
ARGUMENTS = {
    "conference_id": ("outreach.conferences.models", "Conference"),
    "session_id": ("outreach.conferences.models", "AgendaSession"),
    "registration_id": ("outreach.registration.models", "Registration"),
    "delegate_id": ("outreach.registration.models", "Delegate"),
    "user_id": ("outreach.accounts.models", "User"),
    "org_id": ("outreach.accounts.models", "Organization"),
    "division_id": ("outreach.accounts.models", "Division"),
    "plan_id": ("outreach.plans.models", "Plan"),
    "item_id": ("outreach.plans.models", "PlanItem"),
    "line_id": ("outreach.plans.models", "BudgetLine"),
    "document_id": ("outreach.documents.models", "Document"),
    "version_id": ("outreach.documents.models", "DocumentVersion"),
    "guide_id": ("outreach.documents.models", "ProcedureGuide"),
    "message_id": ("outreach.mail.models", "OutboxMessage"),
}


def _first_id(module: str, name: str, conference_id: int | None) -> int | None:
    import importlib

    model = getattr(importlib.import_module(module), name)
    query = sa.select(model.id).order_by(model.id)
    if conference_id and hasattr(model, "conference_id"):
        query = query.where(model.conference_id == conference_id)
    return db.session.scalar(query.limit(1))


def _staff_urls(app) -> list[str]:
    from outreach.conferences.models import Conference

    conference_id = db.session.scalar(sa.select(Conference.id).order_by(Conference.id))
    urls = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if getattr(view, "access", None) != "staff" or "GET" not in rule.methods:
            continue
        values = {}
        for argument in rule.arguments:
            if argument == "fmt":
                values[argument] = "xlsx" if "documents-pack" not in rule.rule else "zip"
            elif argument == "conference_id":
                values[argument] = conference_id
            else:
                assert argument in ARGUMENTS, f"{rule.rule}: add <{argument}> to ARGUMENTS"
                values[argument] = _first_id(*ARGUMENTS[argument], conference_id)
        if None in values.values():
            continue
        with app.test_request_context():
            from flask import url_for

            urls.append(url_for(rule.endpoint, **values))
    return urls


def _registrations(count: int, conference=None, *, prefix: str = "0916") -> None:
    from outreach.conferences.models import Conference
    from outreach.registration import services

    if conference is None:
        conference = db.session.scalar(sa.select(Conference).order_by(Conference.id))
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    for index in range(count):
        phone = f"{prefix}{index:06d}"
        services.register_cooperative(conference, services.RegistrationInput(
            cooperative=services.CooperativeInput(
                kind="to_hop_tac",
                name=f"Tổ hợp tác đếm {prefix} {index}", tax_code="",
                province_code=24, ward_code=7582 if index % 2 else 7552,
                sector=f"Lĩnh vực {index % 4}"),
            contact_name=f"Người {index}", contact_phone=phone,
            contact_email=f"p{prefix}{index}@example.vn",
            delegates=[services.DelegateInput(full_name=f"Người {index}", phone=phone, email="")],
            needs={"st_projects": {"choices": ["funding"], "text": "cần"}},
            consent_participation=True), submission_id=f"count-{prefix}-{index}", now=now)
    db.session.commit()


def _more_of_everything(app) -> None:
    """Three more published conferences with agenda sessions, documents, registrations and
    budget lines; more sessions, documents and budget lines on the first conference; ten more
    items in the first plan and a second plan, linked to the conferences, with progress notes
    by several authors."""
    import io

    from outreach.accounts import services as account_services
    from outreach.accounts.models import Division
    from outreach.conferences.models import AgendaSession
    from outreach.conferences.models import Conference
    from outreach.documents import pack
    from outreach.documents import services as document_services
    from outreach.plans.models import BudgetLine
    from outreach.plans.models import ConferenceBudget
    from outreach.plans.models import Plan
    from outreach.plans.models import PlanItem
    from outreach.plans.models import ProgressNote

    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    store = document_services.Storage(
        folder=app.config["UPLOAD_FOLDER"], max_bytes=app.config["UPLOAD_MAX_BYTES"]
    )
    first = db.session.scalar(sa.select(Conference).order_by(Conference.id))
    divisions = list(db.session.scalars(sa.select(Division).order_by(Division.id)))
    authors = [
        account_services.create_user(email=f"author{i}@example.vn", name=f"Tác giả {i}",
                                     role="division_staff", division=divisions[i % len(divisions)],
                                     password="correct-horse-1")
        for i in range(4)
    ]
    conferences = []
    for number in range(3):
        starts_at = dt.datetime(2027, 1, 10 + number, 1, 0, tzinfo=dt.UTC)
        conference = Conference(
            title=f"Hội nghị đếm truy vấn {number}", slug=f"hoi-nghi-dem-{number}",
            summary="Hội nghị thêm để đếm truy vấn.", themes=["st_projects"],
            host_id=first.host_id, venue_name="Hội trường", venue_address="Thôn Một",
            province_code=24, ward_code=7582, starts_at=starts_at,
            ends_at=starts_at + dt.timedelta(hours=4), capacity=150,
            delegates_per_cooperative=3, status="published")
        db.session.add(conference)
        conferences.append(conference)
    db.session.flush()
    sessions = []
    for conference in [first, *conferences]:
        for number in range(3):
            session = AgendaSession(
                conference=conference, title=f"Phiên thêm {number}",
                starts_at=conference.starts_at + dt.timedelta(minutes=30 * number),
                ends_at=conference.starts_at + dt.timedelta(minutes=30 * number + 30),
                division=divisions[number % len(divisions)], position=100 + number)
            db.session.add(session)
            sessions.append(session)
    db.session.flush()
    for index, session in enumerate(sessions):
        data = pack.simple_pdf(session.title, ["Tài liệu thêm để đếm truy vấn."])
        document_services.upload_documents(
            [document_services.Upload(f"Tài liệu {index}.pdf", io.BytesIO(data))],
            session=session, state="ready" if index % 2 else "draft",
            visibility=("public", "registrants", "staff")[index % 3],
            actor=authors[index % len(authors)], now=now, store=store)
    for index, conference in enumerate([first, *conferences]):
        data = pack.simple_pdf(conference.title, ["Chương trình hội nghị."])
        document_services.upload_documents(
            [document_services.Upload(f"Chương trình {index}.pdf", io.BytesIO(data))],
            conference=conference, state="ready", actor=authors[0], now=now, store=store)
        for position, (category, rule) in enumerate(
            [("hall", "fixed"), ("tea_break", "per_registered"), ("printing", "per_pack")]
        ):
            db.session.add(BudgetLine(
                conference_id=conference.id, category=category,
                description=f"Khoản đếm {position}", unit_label="lần", unit_cost_vnd=100_000,
                quantity_rule=rule, fixed_quantity=2 if rule == "fixed" else None,
                position=100 + position))
        if index % 2:
            db.session.add(ConferenceBudget(conference_id=conference.id, printed_pack_count=40))
    plan = db.session.scalar(sa.select(Plan).order_by(Plan.id))
    second = Plan(number="99/KH-DEM", title="Kế hoạch đếm truy vấn",
                  issuing_body="Sở Khoa học và Công nghệ", issued_on=dt.date(2026, 2, 1),
                  monitoring_division_id=divisions[-1].id)
    db.session.add(second)
    db.session.flush()
    all_conferences = [first, *conferences]
    items = []
    for index in range(15):
        item = PlanItem(
            plan_id=(plan if index < 10 else second).id, section=f"IX.{index}",
            position=200 + index, title=f"Việc đếm truy vấn {index}",
            division_id=divisions[index % len(divisions)].id if index % 5 else None,
            due_on=dt.date(2026, 11, 1) + dt.timedelta(days=5 * index),
            status=("not_started", "in_progress", "done")[index % 3])
        item.conferences = all_conferences[index % 4: index % 4 + 2]
        db.session.add(item)
        items.append(item)
    db.session.flush()
    first_item = db.session.scalar(sa.select(PlanItem).order_by(PlanItem.id))
    for index, item in enumerate([first_item, *items]):
        for number in range(2 if item is not first_item else 4):
            db.session.add(ProgressNote(
                item_id=item.id, author_id=authors[(index + number) % len(authors)].id,
                at=now - dt.timedelta(days=number), text=f"Ghi chú {number}"))
    db.session.commit()
    for index, conference in enumerate(conferences):
        _registrations(5, conference, prefix=f"09{17 + index}")


@pytest.fixture
def demo_admin(app, runner, client):
    runner.invoke(args=["demo"])
    from outreach.accounts import services

    services.create_user(email="counter@example.vn", name="Đếm", role="admin",
                         password="correct-horse-1")
    db.session.commit()
    client.post("/login", data={"email": "counter@example.vn", "password": "correct-horse-1"})
    return client


def _count(app, client, url: str) -> tuple[int, int]:
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        status = client.get(url).status_code
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return status, len([s for s in statements if not s.startswith(("BEGIN", "PRAGMA"))])


def test_staff_pages_stay_within_the_statement_budget(app, demo_admin):
    urls = _staff_urls(app)
    assert len(urls) > 30
    small = {url: _count(app, demo_admin, url) for url in urls}
    _registrations(40)
    _more_of_everything(app)
    large = {url: _count(app, demo_admin, url) for url in urls}
    over = {url: (small[url][1], large[url][1]) for url in urls
            if max(small[url][1], large[url][1]) > MAX_STATEMENTS}
    grows = {url: (small[url][1], large[url][1]) for url in urls
             if large[url][1] > small[url][1] + 1}
    broken = {url: large[url][0] for url in urls if large[url][0] >= 500}
    assert broken == {}
    assert over == {}, "\n".join(f"{u}: {c}" for u, c in sorted(over.items()))
    assert grows == {}, "\n".join(f"{u}: {c}" for u, c in sorted(grows.items()))
