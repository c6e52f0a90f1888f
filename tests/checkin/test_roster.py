"""The offline desk's roster: what it holds (and never holds), and ``since`` downloads that
bring every kind of change: a cancelled registration, a revoked ticket, a new delegate, a
check-in or undo at another door, and an offline scan uploaded later with its old time."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets

import pytest
import sqlalchemy as sa

from outreach.checkin import services
from outreach.database import db
from outreach.registration import services as registration

from .conftest import DOORS_OPEN

LATER = DOORS_OPEN + dt.timedelta(minutes=10)
DOOR_A = services.Door(station="Cửa chính")
DOOR_B = services.Door(station="Cửa phụ")


@pytest.fixture
def conference(create_conference, organizer):
    return create_conference(host_id=organizer.organization_id)


@pytest.fixture
def people(conference, register):
    first = register(
        conference, ("Nguyễn Văn Hùng", "Trần Thị Thu Hà"), cooperative="HTX Gốm Phù Lãng"
    )
    second = register(conference, ("Đỗ Thị Hồng Nhung",), cooperative="HTX Nông sản Lục Ngạn")
    return [*first.delegates, *second.delegates]


def _scan(conference, delegate, *, door=DOOR_A, now=DOORS_OPEN):
    answer = services.scan(
        conference,
        services.ScanRequest(nonce=secrets.token_hex(8), code=delegate.ticket_code),
        door=door,
        now=now,
    )
    db.session.commit()
    return answer


def _roster(conference, since=None, now=LATER):
    return services.roster(conference, since=since, now=now)


def _by_name(body):
    return {row["name"]: row for row in body["delegates"]}


def test_the_roster_holds_hashes_names_and_states_but_no_codes_phones_or_emails(conference, people):
    _scan(conference, people[0], door=DOOR_B)
    body = _roster(conference)
    assert body["full"] is True
    rows = _by_name(body)
    assert set(rows) == {"Nguyễn Văn Hùng", "Trần Thị Thu Hà", "Đỗ Thị Hồng Nhung"}
    hung = rows["Nguyễn Văn Hùng"]
    assert hung["hash"] == hashlib.sha256(people[0].ticket_code.encode()).hexdigest()
    assert hung["name_key"] == "nguyen van hung"
    assert hung["cooperative"] == "HTX Gốm Phù Lãng"
    assert hung["cooperative_key"] == "htx gom phu lang"
    assert hung["status"] == "confirmed"
    assert hung["revoked"] is False
    assert hung["checked_in_at"] == DOORS_OPEN.isoformat()
    assert hung["checked_in_time"] == "07:30"
    assert hung["station"] == "Cửa phụ"
    assert rows["Trần Thị Thu Hà"]["checked_in_at"] is None
    assert rows["Trần Thị Thu Hà"]["station"] is None
    text = json.dumps(body, ensure_ascii=False)
    for person in people:
        assert person.ticket_code not in text
        assert person.phone_e164 not in text
        assert person.phone_e164[-9:] not in text
    assert "@" not in text


def test_a_since_download_with_nothing_changed_is_empty(conference, people):
    cursor = _roster(conference, now=DOORS_OPEN)["cursor"]
    body = _roster(conference, since=dt.datetime.fromisoformat(cursor), now=LATER)
    assert body["full"] is False
    assert body["delegates"] == []


def test_a_since_download_brings_every_kind_of_change(conference, people, register):
    hung, ha, nhung = people
    cursor = dt.datetime.fromisoformat(_roster(conference, now=DOORS_OPEN)["cursor"])
    # a check-in at another door
    _scan(conference, hung, door=DOOR_B, now=LATER)
    # a cancelled registration (Nhung's)
    registration.cancel_registration(nhung.registration, now=LATER)
    db.session.commit()
    # a revoked ticket (Hà's, as when a person is replaced)
    db.session.get(type(ha), ha.id).revoked_at = LATER
    db.session.commit()
    # a new delegate
    newcomer = register(conference, ("Phạm Văn Nam",))
    db.session.execute(
        sa.update(type(ha)).where(type(ha).id == newcomer.delegates[0].id).values(created_at=LATER)
    )
    db.session.commit()

    rows = _by_name(_roster(conference, since=cursor, now=LATER + dt.timedelta(minutes=1)))
    assert rows["Nguyễn Văn Hùng"]["checked_in_time"] == "07:40"
    assert rows["Nguyễn Văn Hùng"]["station"] == "Cửa phụ"
    assert rows["Đỗ Thị Hồng Nhung"]["status"] == "cancelled"
    assert rows["Trần Thị Thu Hà"]["revoked"] is True
    assert "Phạm Văn Nam" in rows


def test_an_undo_and_a_late_offline_upload_show_up_in_the_next_download(conference, people):
    hung, ha, _nhung = people
    answer = _scan(conference, hung, now=DOORS_OPEN)
    cursor = LATER
    services.undo(conference, answer.nonce, door=DOOR_A, now=LATER + dt.timedelta(minutes=5))
    # an offline scan made long before the cursor, uploaded after it
    services.sync_scans(
        conference,
        [
            services.OfflineScan(
                nonce=secrets.token_hex(8),
                scanned_at=DOORS_OPEN - dt.timedelta(minutes=20),
                code=ha.ticket_code,
                station="Cửa sau",
                local_result="ok",
            )
        ],
        door=services.Door(),
        now=LATER + dt.timedelta(minutes=5),
    )
    db.session.commit()
    rows = _by_name(_roster(conference, since=cursor, now=LATER + dt.timedelta(minutes=6)))
    assert set(rows) == {"Nguyễn Văn Hùng", "Trần Thị Thu Hà"}
    assert rows["Nguyễn Văn Hùng"]["checked_in_at"] is None
    assert rows["Trần Thị Thu Hà"]["checked_in_time"] == "07:10"
    assert rows["Trần Thị Thu Hà"]["station"] == "Cửa sau"


def test_the_roster_is_one_statement_whatever_its_size(app, conference, register):
    def count_statements(since):
        statements = []
        _ = conference.id, conference.timezone  # loaded, as the view has them

        def before(conn, cursor, statement, *args):
            statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            _roster(conference, since=since)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)
        return len(statements)

    register(conference, ("Nguyễn Văn Hùng",))
    small = count_statements(None)
    for index in range(6):
        register(conference, (f"Người số {index}", f"Người thứ {index}"))
    assert count_statements(None) == small == 1
    assert count_statements(DOORS_OPEN) == 1


# --- the API --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    monkeypatch.setattr("outreach.checkin.views.utcnow", lambda: LATER)


def test_the_api_answers_a_door_link_and_a_staff_session(
    client, auth, conference, people, door_link
):
    _link, token = door_link(conference)
    response = client.get(
        f"/api/checkin/{conference.id}/roster", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.get_json()
    assert len(body["delegates"]) == 3
    assert body["cursor"] == LATER.isoformat()
    assert body["conference"]["id"] == conference.id
    assert body["conference"]["opens_at"] == "2026-12-09T23:00:00+00:00"
    since = client.get(
        f"/api/checkin/{conference.id}/roster",
        query_string={"since": body["cursor"]},
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    assert since["full"] is False
    auth.login()
    assert len(client.get(f"/api/checkin/{conference.id}/roster").get_json()["delegates"]) == 3


def test_the_api_refuses_strangers_and_bad_cursors(
    client, create_conference, conference, people, door_link
):
    assert client.get(f"/api/checkin/{conference.id}/roster").status_code == 401
    other = create_conference()
    _link, token = door_link(other)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"/api/checkin/{conference.id}/roster", headers=headers).status_code == 404
    _link, token = door_link(conference)
    headers = {"Authorization": f"Bearer {token}"}
    response = client.get(
        f"/api/checkin/{conference.id}/roster", query_string={"since": "yesterday"}, headers=headers
    )
    assert response.status_code == 400
    assert response.get_json() == {"error": "invalid_since"}
