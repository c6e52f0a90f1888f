"""The conference report costs a fixed number of SQL statements, whatever the size."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import sqlalchemy as sa

from outreach.conferences.models import Conference
from outreach.database import db
from outreach.registration.models import Cooperative
from outreach.registration.models import Delegate
from outreach.registration.models import Registration
from outreach.reports import services

ROUTING = {"st_projects": "QLKH", "branding": "QLCN", "innovation": "QLCNG"}
WARDS = [7210, 7228, 7450, 7498, 7654, 7672]
THEMES = ["st_projects", "branding", "innovation"]
CHOICES = ["technology", "partner", "funding", "procedures", "training"]
#: statements the report may issue (one per figure, plus the conference totals)
STATEMENT_BOUND = 12


def _fill(conference, count: int) -> None:
    """Bulk-insert ``count`` registrations with two delegates each."""
    rng = random.Random(count)
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    db.session.execute(
        sa.insert(Cooperative),
        [
            {
                "id": 100_000 + i,
                "kind": rng.choice(["hop_tac_xa", "to_hop_tac", "lien_hiep_hop_tac_xa"]),
                "name": f"HTX {i}",
                "name_key": f"htx {i}",
                "province_code": 24,
                "ward_code": rng.choice(WARDS),
                "sector": rng.choice(["Nông nghiệp", "Chăn nuôi", ""]),
                "main_products": "",
            }
            for i in range(count)
        ],
    )
    registrations = []
    for i in range(count):
        themes = rng.sample(THEMES, rng.randint(0, 3))
        registrations.append(
            {
                "id": 100_000 + i,
                "conference_id": conference.id,
                "cooperative_id": 100_000 + i,
                "status": "confirmed" if i % 10 else "waitlisted",
                "manage_token_hash": f"{i:064d}",
                "submission_id": f"bulk-{i}",
                "contact_name": "Người liên hệ",
                "contact_phone": "+84912000000",
                "needs": {t: {"choices": rng.sample(CHOICES, 2), "text": ""} for t in themes},
                "consent_participation_at": start,
                "consent_notice_version": "1",
                "seats_held": 2,
                "created_at": start + dt.timedelta(minutes=17 * i),
            }
        )
    db.session.execute(sa.insert(Registration), registrations)
    db.session.execute(
        sa.insert(Delegate),
        [
            {
                "registration_id": 100_000 + i,
                "conference_id": conference.id,
                "full_name": f"Người {i}-{k}",
                "name_key": f"nguoi {i}-{k}",
                "gender": "female" if k else "male",
                "phone_e164": f"+8491{i:05d}{k}",
                "ticket_code": f"T{i:07d}{k}",
                "checked_in_at": start if (i + k) % 3 == 0 else None,
            }
            for i in range(count)
            for k in range(2)
        ],
    )
    db.session.commit()


def _count_statements(action) -> tuple[int, object]:
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        result = action()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)
    return len(statements), result


@pytest.mark.parametrize("count", [50, 5000])
def test_conference_report_issues_a_bounded_number_of_statements(
    app, organizer, create_conference, count
):
    conference = create_conference(host=organizer.organization, capacity=100_000, themes=THEMES)
    db.session.commit()
    _fill(conference, count)
    db.session.expire_all()
    conference = db.session.get(Conference, conference.id)
    statements, report = _count_statements(
        lambda: services.conference_report(conference, routing=ROUTING)
    )
    assert statements <= STATEMENT_BOUND
    assert report.totals.cooperatives_registered + report.totals.cooperatives_waitlisted == count
    assert report.totals.delegates_registered == 2 * (count - count // 10)
    assert sum(row.values[0] for row in report.figure("communes").rows) == count - count // 10
