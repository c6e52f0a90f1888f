"""Walk-ins at the door (issue 7): POST /api/checkin/<id>/walkins, idempotent by nonce."""

from __future__ import annotations

import datetime as dt
import json
import secrets

import pytest
import sqlalchemy as sa

from outreach.checkin.models import CheckIn
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.registration.models import Cooperative
from outreach.registration.models import Delegate
from outreach.registration.models import Registration

from .conftest import DOORS_OPEN
from .conftest import TOO_EARLY


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    now = {"value": DOORS_OPEN}
    monkeypatch.setattr("outreach.checkin.views.utcnow", lambda: now["value"])
    return now


@pytest.fixture
def conference(create_conference, organizer):
    return create_conference(host_id=organizer.organization_id)


@pytest.fixture
def token(conference, door_link):
    return door_link(conference, "Cửa phụ")[1]


def _body(**extra):
    return {
        "nonce": secrets.token_hex(8),
        "full_name": "Hoàng Thị Lụa",
        "position": "Xã viên",
        "cooperative_name": "Tổ hợp tác Dệt lụa Vạn Phúc",
        "phone": "0987 654 321",
        "scanned_at": "2026-12-10T00:29:00Z",
        **extra,
    }


def _post(client, conference, body, *, token=None, headers=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(
        f"/api/checkin/{conference.id}/walkins",
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_a_walkin_is_registered_ticketed_and_checked_in(client, conference, token):
    response = _post(client, conference, _body(), token=token)
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"] == "ok"
    assert body["delegate"]["name"] == "Hoàng Thị Lụa"
    assert body["delegate"]["cooperative"] == "Tổ hợp tác Dệt lụa Vạn Phúc"
    assert "phone" not in body["delegate"]
    # admitted at the time the desk sent (a minute before the server got it)
    assert (body["station"], body["checked_in_time"]) == ("Cửa phụ", "07:29")
    delegate = db.session.get(Delegate, body["delegate"]["id"])
    assert delegate.ticket_code == body["ticket_code"]
    assert delegate.checked_in_at == DOORS_OPEN - dt.timedelta(minutes=1)
    assert delegate.phone_e164 == "+84987654321"
    registration = delegate.registration
    assert registration.status == "confirmed"
    assert registration.seats_held == 1
    assert registration.consent_notice_version.endswith("/door")
    assert registration.consent_participation_at == DOORS_OPEN - dt.timedelta(minutes=1)
    assert registration.submission_id.startswith("walkin-")
    assert registration.cooperative.kind == "to_hop_tac"
    assert registration.cooperative.province_code == conference.province_code
    row = db.session.scalar(sa.select(CheckIn).where(CheckIn.nonce == body["nonce"]))
    assert (row.method, row.result, row.station, row.delegate_id) == (
        "walkin",
        "ok",
        "Cửa phụ",
        delegate.id,
    )
    assert row.door_link_id is not None
    assert row.scanned_at.isoformat() == "2026-12-10T00:29:00+00:00"
    db.session.expire_all()
    assert db.session.get(Conference, conference.id).seats_taken == 1
    # the ticket now scans as already checked in
    scan = client.post(
        f"/api/checkin/{conference.id}/scans",
        data=json.dumps({"code": body["ticket_code"], "nonce": secrets.token_hex(8)}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    ).get_json()
    assert scan["result"] == "already_checked_in"


@pytest.mark.parametrize(
    ("scanned_at", "admitted_at"),
    [
        # queued by a desk with no signal at 07:31, sent when the network came back at 08:30
        ("2026-12-10T00:31:00Z", dt.datetime(2026, 12, 10, 0, 31, tzinfo=dt.UTC)),
        # a phone clock ahead of the server: never later than the server's time
        ("2026-12-10T05:00:00Z", dt.datetime(2026, 12, 10, 1, 30, tzinfo=dt.UTC)),
        # a phone clock days behind: never before the doors opened (06:00, two hours early)
        ("2026-12-01T00:00:00Z", dt.datetime(2026, 12, 9, 23, 0, tzinfo=dt.UTC)),
        # no time sent: the server's
        (None, dt.datetime(2026, 12, 10, 1, 30, tzinfo=dt.UTC)),
    ],
)
def test_a_walkin_is_admitted_at_the_time_it_happened(
    client, conference, token, clock, scanned_at, admitted_at
):
    clock["value"] = dt.datetime(2026, 12, 10, 1, 30, tzinfo=dt.UTC)
    response = _post(client, conference, _body(scanned_at=scanned_at), token=token)
    assert response.get_json()["result"] == "ok"
    delegate = db.session.scalar(sa.select(Delegate))
    assert delegate.checked_in_at == admitted_at
    row = db.session.scalar(sa.select(CheckIn))
    assert row.at == admitted_at


def test_a_replay_returns_the_first_answer_and_creates_nothing(client, conference, token):
    body = _body()
    first = _post(client, conference, body, token=token).get_json()
    counts = (_count(Delegate), _count(Registration), _count(Cooperative), _count(CheckIn))
    again = _post(client, conference, {**body, "full_name": "Người khác"}, token=token).get_json()
    assert again["replay"] is True
    assert {k: v for k, v in again.items() if k != "replay"} == {
        k: v for k, v in first.items() if k != "replay"
    }
    assert (_count(Delegate), _count(Registration), _count(Cooperative), _count(CheckIn)) == counts
    db.session.expire_all()
    assert db.session.get(Conference, conference.id).seats_taken == 1


def test_a_nonce_of_a_scan_or_another_conference_is_refused(
    client, conference, token, create_conference, door_link
):
    body = _body()
    assert _post(client, conference, body, token=token).status_code == 200
    other = create_conference(slug="khac")
    _, other_token = door_link(other)
    response = _post(client, other, {**body, "phone": "0987 000 111"}, token=other_token)
    assert response.status_code == 409
    assert _count(Delegate) == 1


def test_full_conference_answers_full_and_changes_nothing(client, conference, token):
    conference.capacity = 1
    conference.seats_taken = 1
    db.session.commit()
    response = _post(client, conference, _body(), token=token)
    assert response.get_json()["result"] == "full"
    assert (_count(Delegate), _count(Registration), _count(CheckIn)) == (0, 0, 0)


def test_a_phone_holding_a_seat_is_answered_with_who_holds_it(client, conference, token, register):
    holder = register(conference, ("Nguyễn Văn Hùng",), cooperative="HTX Gốm Phù Lãng")
    phone = holder.delegates[0].phone_e164
    body = _post(client, conference, _body(phone=phone), token=token).get_json()
    assert body["result"] == "phone_taken"
    assert body["delegate"] == {
        "id": holder.delegates[0].id,
        "name": "Nguyễn Văn Hùng",
        "position": "Tổ trưởng",
        "cooperative": "HTX Gốm Phù Lãng",
    }
    assert _count(Delegate) == 1


def test_bad_input_gets_a_message_per_field(client, conference, token):
    response = _post(
        client, conference, _body(full_name=" ", phone="123", cooperative_name=""), token=token
    )
    assert response.status_code == 400
    errors = response.get_json()["errors"]
    assert errors["full_name"] == "Vui lòng điền mục này."
    assert errors["cooperative_name"] == "Vui lòng điền mục này."
    assert errors["phone"].startswith("Số điện thoại chưa đúng")
    assert _post(client, conference, _body(phone=""), token=token).get_json()["errors"] == {
        "phone": "Vui lòng nhập số điện thoại."
    }
    assert _post(client, conference, _body(nonce="short"), token=token).status_code == 400
    assert _post(client, conference, _body(full_name=5), token=token).status_code == 400
    assert _count(Delegate) == 0


def test_a_tax_code_makes_a_hop_tac_xa_and_a_known_one_is_reused(
    client, conference, token, create_conference
):
    body = _post(client, conference, _body(tax_code="0100233488"), token=token).get_json()
    delegate = db.session.get(Delegate, body["delegate"]["id"])
    assert delegate.registration.cooperative.kind == "hop_tac_xa"
    # a second person of the same cooperative joins its confirmed registration
    second = _post(
        client, conference, _body(tax_code="0100233488", phone="0987 111 222"), token=token
    ).get_json()
    assert second["result"] == "ok"
    assert _count(Cooperative) == 1
    assert _count(Registration) == 1
    registration = db.session.get(Delegate, second["delegate"]["id"]).registration
    db.session.refresh(registration)
    assert registration.seats_held == 2


def test_walk_ins_naming_the_same_cooperative_join_one_registration(client, conference, token):
    first = _post(
        client,
        conference,
        _body(cooperative_name="HTX Vãng Lai", phone="0987 111 001"),
        token=token,
    ).get_json()
    # the same name typed without diacritics and with other spacing
    second = _post(
        client,
        conference,
        _body(cooperative_name="htx  vang lai", phone="0987 111 002"),
        token=token,
    ).get_json()
    assert (first["result"], second["result"]) == ("ok", "ok")
    assert _count(Cooperative) == 1
    assert _count(Registration) == 1
    registration = db.session.get(Delegate, second["delegate"]["id"]).registration
    db.session.refresh(registration)
    assert registration.seats_held == 2
    assert second["delegate"]["cooperative"] == "HTX Vãng Lai"
    # another name is another cooperative
    third = _post(
        client, conference, _body(cooperative_name="HTX Khác", phone="0987 111 003"), token=token
    ).get_json()
    assert third["result"] == "ok"
    assert _count(Cooperative) == 2


def test_before_the_doors_open_nothing_is_created(client, conference, token, clock):
    clock["value"] = TOO_EARLY
    assert _post(client, conference, _body(), token=token).get_json()["result"] == "not_open"
    assert _count(Delegate) == 0


def test_guards(
    client, auth, conference, token, create_conference, door_link, create_user, create_division
):
    other = create_conference(slug="khac")
    # a door link of another conference: 404
    assert _post(client, other, _body(), token=token).status_code == 404
    # a revoked link: 401
    link, revoked = door_link(conference, "Cửa sau")
    link.revoked_at = DOORS_OPEN
    db.session.commit()
    assert _post(client, conference, _body(), token=revoked).status_code == 401
    # no credential: 401; division staff: 404
    assert _post(client, conference, _body()).status_code == 401
    create_user(email="phong@example.vn", role="division_staff", division=create_division())
    auth.login("phong@example.vn")
    assert _post(client, conference, _body()).status_code == 404
    auth.logout()
    assert _count(Delegate) == 0
    # an organizer's session works, with the door it names
    auth.login()
    body = _post(client, conference, _body(station="Bàn 2")).get_json()
    assert (body["result"], body["station"]) == ("ok", "Bàn 2")
    row = db.session.scalar(sa.select(CheckIn))
    registration = db.session.get(Delegate, body["delegate"]["id"]).registration
    assert row.user_id == registration.entered_by_id is not None


def test_the_desk_page_has_the_walkin_form(client, token, conference):
    html = client.get(f"/door/{token}").get_data(as_text=True)
    assert 'id="walkin-form"' in html
    assert "js/desk-walkin.js" in html
    assert f"/door/{token}/badges/0.pdf" in html
