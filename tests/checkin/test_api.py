"""The desk API: every answer, bad input, and every way in (door links, staff sessions, CSRF)."""

from __future__ import annotations

import datetime as dt
import re
import secrets

import pytest

from outreach.checkin import services
from outreach.checkin.tickets import new_ticket_code
from outreach.database import db

from .conftest import DOORS_OPEN
from .conftest import TOO_EARLY


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The API's clock reads 07:30 on the day of the conference unless a test moves it."""
    now = {"value": DOORS_OPEN}
    monkeypatch.setattr("outreach.checkin.views.utcnow", lambda: now["value"])
    return now


@pytest.fixture
def conference(create_conference, organizer):
    return create_conference(host_id=organizer.organization_id)


@pytest.fixture
def people(conference, register):
    group = register(
        conference, ("Nguyễn Văn Hùng", "Trần Thị Thu Hà"), cooperative="HTX Gốm Phù Lãng"
    )
    return group.delegates


@pytest.fixture
def token(conference, door_link):
    return door_link(conference)[1]


def _post(client, conference, body, *, token=None, headers=None, raw=None):
    headers = dict(headers or {})
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(
        f"/api/checkin/{conference.id}/scans",
        data=raw if raw is not None else __import__("json").dumps(body),
        content_type="application/json",
        headers=headers,
    )


def _scan(client, conference, code, *, token, **extra):
    body = {"code": code, "nonce": secrets.token_hex(8), "station": "ignored for links", **extra}
    return _post(client, conference, body, token=token)


# --- answers ---------------------------------------------------------------------------------


def test_ok_then_already_checked_in_with_time_and_door(client, conference, people, token):
    response = _scan(client, conference, people[0].ticket_code, token=token)
    assert response.status_code == 200
    body = response.get_json()
    assert body["result"] == "ok"
    assert body["delegate"] == {
        "id": people[0].id,
        "name": "Nguyễn Văn Hùng",
        "position": "Tổ trưởng",
        "cooperative": "HTX Gốm Phù Lãng",
    }
    assert body["station"] == "Cửa chính"  # the link's door, not what the client sent
    assert body["checked_in_time"] == "07:30"
    assert response.headers["Cache-Control"] == "no-store"
    again = _scan(client, conference, people[0].ticket_code, token=token).get_json()
    assert again["result"] == "already_checked_in"
    assert (again["checked_in_time"], again["station"]) == ("07:30", "Cửa chính")


def test_the_same_nonce_twice_gives_the_same_answer(client, conference, people, token):
    body = {"code": people[0].ticket_code, "nonce": "retry-nonce-0001"}
    first = _post(client, conference, body, token=token).get_json()
    second = _post(client, conference, body, token=token).get_json()
    assert second.pop("replay") is True
    assert first.pop("replay") is False
    assert first == second


@pytest.mark.parametrize(
    ("code", "result"),
    [("", "unknown"), ("A" * 10_240, "unknown"), ("ẢBC", "unknown"), (None, None)],
    ids=["empty", "10KB", "non-ascii", "fresh"],
)
def test_bad_codes_are_unknown(client, conference, token, code, result):
    code = new_ticket_code() if code is None else code
    response = _scan(client, conference, code, token=token)
    assert response.status_code == 200
    assert response.get_json()["result"] == "unknown"
    assert response.get_json()["delegate"] is None


def test_refusals_revoked_cancelled_waitlisted_wrong_conference_not_open(
    client, conference, people, token, create_conference, register, clock
):
    from outreach.registration import services as registration

    people[1].revoked_at = DOORS_OPEN - dt.timedelta(days=1)
    db.session.commit()
    assert _scan(client, conference, people[1].ticket_code, token=token).get_json()["result"] == (
        "revoked"
    )
    cancelled = register(conference, ("Lê Minh Đức",))
    registration.cancel_registration(cancelled, now=DOORS_OPEN - dt.timedelta(days=1))
    db.session.commit()
    code = cancelled.delegates[0].ticket_code
    assert _scan(client, conference, code, token=token).get_json()["result"] == "cancelled"

    small = create_conference(capacity=1, host_id=conference.host_id, slug="nho")
    register(small, ("Vũ Thị Lan",))
    waiting = register(small, ("Hoàng Văn Toàn",)).delegates[0]
    _link, small_token = services.create_door_link(small, "Cửa", created_by=None, now=DOORS_OPEN)
    db.session.commit()
    assert _scan(client, small, waiting.ticket_code, token=small_token).get_json()["result"] == (
        "waitlisted"
    )
    wrong = _scan(client, small, people[0].ticket_code, token=small_token).get_json()
    assert (wrong["result"], wrong["delegate"]) == ("wrong_conference", None)

    clock["value"] = TOO_EARLY
    early = _scan(client, conference, people[0].ticket_code, token=token).get_json()
    assert early["result"] == "not_open"
    # a door link cannot override the opening time
    early = _scan(client, conference, people[0].ticket_code, token=token, override=True)
    assert early.get_json()["result"] == "not_open"


@pytest.mark.parametrize(
    "raw",
    [
        "not json",
        "[1, 2]",
        '"a string"',
        "{",
        '{"code": 5, "nonce": "abcdefgh1"}',
        '{"nonce": "abcdefgh1"}',
        '{"code": "X", "nonce": "no"}',
        '{"code": "X", "delegate_id": 1, "nonce": "abcdefgh1"}',
        '{"delegate_id": true, "nonce": "abcdefgh1"}',
    ],
)
def test_malformed_requests_are_400(client, conference, token, raw):
    response = _post(client, conference, None, token=token, raw=raw)
    assert response.status_code == 400
    assert "error" in response.get_json()


def test_throttled_after_too_many_unknown_codes(app, client, conference, people, token):
    app.config["CHECKIN_UNKNOWN_PER_MINUTE"] = 3
    for _ in range(3):
        assert _scan(client, conference, new_ticket_code(), token=token).status_code == 200
    response = _scan(client, conference, new_ticket_code(), token=token)
    assert response.status_code == 429
    assert response.get_json()["result"] == "throttled"
    assert _scan(client, conference, people[0].ticket_code, token=token).status_code == 200


# --- undo, stats, search ---------------------------------------------------------------------


def test_undo_stats_and_search(client, conference, people, token):
    auth = {"Authorization": f"Bearer {token}"}
    ok = _scan(client, conference, people[0].ticket_code, token=token).get_json()
    stats = client.get(f"/api/checkin/{conference.id}/stats", headers=auth).get_json()
    assert stats == {
        "checked_in": 1,
        "expected": 2,
        "stations": [{"station": "Cửa chính", "checked_in": 1}],
    }
    undo = client.post(f"/api/checkin/{conference.id}/scans/{ok['nonce']}/undo", headers=auth)
    assert undo.status_code == 200
    assert undo.get_json()["result"] == "undone"
    stats = client.get(f"/api/checkin/{conference.id}/stats", headers=auth).get_json()
    assert stats["checked_in"] == 0
    missing = client.post(f"/api/checkin/{conference.id}/scans/nonexistent1/undo", headers=auth)
    assert missing.status_code == 404
    refused = _scan(client, conference, "nope", token=token).get_json()
    response = client.post(
        f"/api/checkin/{conference.id}/scans/{refused['nonce']}/undo", headers=auth
    )
    assert response.status_code == 409

    found = client.get(f"/api/checkin/{conference.id}/search?q=thu ha", headers=auth).get_json()
    [group] = found["groups"]
    assert group["cooperative"] == "HTX Gốm Phù Lãng"
    assert [d["name"] for d in group["delegates"]] == ["Nguyễn Văn Hùng", "Trần Thị Thu Hà"]
    raw = client.get(f"/api/checkin/{conference.id}/search?q=Gốm", headers=auth).get_data(True)
    assert "+84" not in raw
    assert "@" not in raw
    assert people[0].phone_e164[3:] not in raw
    by_phone = client.get(
        f"/api/checkin/{conference.id}/search?q={people[1].phone_e164[-4:]}", headers=auth
    ).get_json()
    assert by_phone["groups"][0]["delegates"][1]["matched"] is True


def test_search_check_in_by_delegate_id(client, conference, people, token):
    body = {"delegate_id": people[1].id, "nonce": secrets.token_hex(8)}
    answer = _post(client, conference, body, token=token).get_json()
    assert answer["result"] == "ok"
    assert answer["delegate"]["name"] == "Trần Thị Thu Hà"


# --- door links ------------------------------------------------------------------------------


def test_revoked_expired_and_foreign_door_links(
    client, conference, people, door_link, create_conference, clock
):
    link, token = door_link(conference, "Cửa phụ")
    assert _scan(client, conference, people[0].ticket_code, token="forged").status_code == 401
    response = client.get(
        f"/api/checkin/{conference.id}/stats", headers={"Authorization": "Basic x"}
    )
    assert response.status_code == 401
    other = create_conference(slug="khac")
    response = client.get(
        f"/api/checkin/{other.id}/stats", headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 404
    clock["value"] = conference.ends_at + dt.timedelta(minutes=1)
    assert _scan(client, conference, people[0].ticket_code, token=token).status_code == 401
    clock["value"] = DOORS_OPEN
    services.revoke_door_link(link, by=None, now=DOORS_OPEN)
    db.session.commit()
    assert _scan(client, conference, people[0].ticket_code, token=token).status_code == 401


def test_the_door_page_opens_with_a_valid_link_only(client, conference, door_link):
    link, token = door_link(conference)
    page = client.get(f"/door/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="desk-code"' in html
    assert "Cửa chính" in html
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert client.get("/door/not-a-token").status_code == 401
    services.revoke_door_link(link, by=None, now=DOORS_OPEN)
    db.session.commit()
    assert client.get(f"/door/{token}").status_code == 401


def test_anonymous_api_calls_are_401_not_a_redirect(client, conference):
    assert client.get(f"/api/checkin/{conference.id}/stats").status_code == 401
    response = client.post(f"/api/checkin/{conference.id}/scans", json={})
    assert response.status_code == 401


# --- staff sessions --------------------------------------------------------------------------


def test_a_door_link_scan_from_a_browser_logged_in_as_staff(
    client, auth, conference, people, token
):
    """The staff login cookie is checked against revoked sessions before the view (a read in
    the session's transaction); the door link's scan then runs on a connection of its own,
    which on SQLite must not wait for that transaction's lock."""
    auth.login()
    answer = _scan(client, conference, people[0].ticket_code, token=token)
    assert answer.status_code == 200
    assert (answer.get_json()["result"], answer.get_json()["station"]) == ("ok", "Cửa chính")
    db.session.refresh(people[0])
    assert people[0].checked_in_at == DOORS_OPEN


def test_organizer_session_checks_in_and_may_override(client, auth, conference, people, clock):
    auth.login()
    clock["value"] = TOO_EARLY
    body = {"code": people[0].ticket_code, "nonce": secrets.token_hex(8), "station": "Bàn 1"}
    assert _post(client, conference, body).get_json()["result"] == "not_open"
    body = {**body, "nonce": secrets.token_hex(8), "override": True}
    answer = _post(client, conference, body).get_json()
    assert (answer["result"], answer["station"]) == ("ok", "Bàn 1")


def test_door_staff_may_open_desks_of_their_organization_only(
    client, auth, conference, people, create_user, create_organization, create_conference
):
    create_user(email="door@example.vn", role="door_staff", organization=conference.host)
    auth.login("door@example.vn")
    assert client.get(f"/staff/conferences/{conference.id}/desk").status_code == 200
    body = {"code": people[0].ticket_code, "nonce": secrets.token_hex(8), "override": True}
    assert _post(client, conference, body).get_json()["result"] == "ok"
    foreign = create_conference(slug="ngoai", host=create_organization())
    assert client.get(f"/staff/conferences/{foreign.id}/desk").status_code == 404
    assert client.get(f"/api/checkin/{foreign.id}/stats").status_code == 404
    # the organizer page is for organizers
    assert client.get(f"/staff/conferences/{conference.id}/checkin").status_code == 403
    home = client.get("/staff/").get_data(as_text=True)
    assert f"/staff/conferences/{conference.id}/desk" in home


def test_division_staff_cannot_open_the_desk(
    client, auth, conference, create_user, create_division
):
    create_user(email="phong@example.vn", role="division_staff", division=create_division())
    auth.login("phong@example.vn")
    assert client.get(f"/staff/conferences/{conference.id}/desk").status_code == 403
    assert client.get(f"/api/checkin/{conference.id}/stats").status_code == 404


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    @staticmethod
    def _csrf(client, path="/login") -> str:
        html = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    def test_a_session_call_needs_the_csrf_header_a_door_link_does_not(
        self, client, conference, people, organizer, token
    ):
        csrf = self._csrf(client)
        response = client.post(
            "/login",
            data={"email": organizer.email, "password": "correct-horse-1", "csrf_token": csrf},
        )
        assert response.status_code == 302
        body = {"code": people[0].ticket_code, "nonce": secrets.token_hex(8)}
        assert _post(client, conference, body).status_code == 400
        csrf = self._csrf(client, f"/staff/conferences/{conference.id}/desk")
        answer = _post(client, conference, body, headers={"X-CSRFToken": csrf})
        assert answer.get_json()["result"] == "ok"
        # a door link carries its token, not a cookie: no CSRF token needed
        other = {"code": people[1].ticket_code, "nonce": secrets.token_hex(8)}
        with client.session_transaction() as session:
            session.clear()
        assert _post(client, conference, other, token=token).get_json()["result"] == "ok"


# --- the organizer's page --------------------------------------------------------------------


def test_organizer_page_creates_and_revokes_door_links_and_shows_the_log(
    client, auth, conference, people, token
):
    _scan(client, conference, people[0].ticket_code, token=token)
    _scan(client, conference, "bad", token=token)
    auth.login()
    response = client.post(
        f"/staff/conferences/{conference.id}/checkin/links", data={"station": "Cửa sau"}
    )
    assert response.status_code == 302
    page = client.get(f"/staff/conferences/{conference.id}/checkin").get_data(as_text=True)
    assert "Cửa sau" in page
    assert "/door/" in page
    assert "<svg" in page
    assert "Nguyễn Văn Hùng" in page
    assert 'data-result="unknown"' in page
    # the token is shown once
    again = client.get(f"/staff/conferences/{conference.id}/checkin").get_data(as_text=True)
    assert "/door/" not in again
    filtered = client.get(f"/staff/conferences/{conference.id}/checkin?result=unknown")
    assert 'data-result="ok"' not in filtered.get_data(as_text=True)
    links = services.list_door_links(conference)
    newest = links[0]
    response = client.post(f"/staff/conferences/{conference.id}/checkin/links/{newest.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert services.list_door_links(conference)[0].revoked_at is not None
    manage = client.get(f"/staff/conferences/{conference.id}").get_data(as_text=True)
    assert f"/staff/conferences/{conference.id}/checkin" in manage


def test_other_organizers_get_404(client, auth, conference, create_user, create_organization):
    create_user(email="khac@example.vn", role="organizer", organization=create_organization())
    auth.login("khac@example.vn")
    assert client.get(f"/staff/conferences/{conference.id}/checkin").status_code == 404
    assert client.get(f"/staff/conferences/{conference.id}/desk").status_code == 404
    assert client.get(f"/api/checkin/{conference.id}/stats").status_code == 404
