"""Offline scans uploaded later: original times, idempotency by nonce, and every conflict
rule (earliest scan wins across doors, a refused ticket admitted offline is flagged)."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets

import pytest
import sqlalchemy as sa

from outreach.checkin import services
from outreach.checkin.models import CheckIn
from outreach.database import db
from outreach.registration import services as registration
from outreach.registration.models import Delegate

from .conftest import DOORS_OPEN
from .conftest import TOO_EARLY

NOW = DOORS_OPEN + dt.timedelta(hours=1)  # 08:30: the door is back online
AT_0735 = DOORS_OPEN + dt.timedelta(minutes=5)
AT_0740 = DOORS_OPEN + dt.timedelta(minutes=10)
AT_0750 = DOORS_OPEN + dt.timedelta(minutes=20)
DOOR_A = services.Door(station="Cửa chính")
DOOR_B = services.Door(station="Cửa phụ")


@pytest.fixture
def conference(create_conference, organizer):
    return create_conference(host_id=organizer.organization_id)


@pytest.fixture
def people(conference, register):
    return register(
        conference, ("Nguyễn Văn Hùng", "Trần Thị Thu Hà"), cooperative="HTX Gốm Phù Lãng"
    ).delegates


def _offline(delegate=None, at=AT_0740, *, code=None, nonce=None, local="ok", **kw):
    return services.OfflineScan(
        nonce=nonce or secrets.token_hex(8),
        scanned_at=at,
        code=code if code is not None else (delegate.ticket_code if delegate else None),
        local_result=local,
        **kw,
    )


def _sync(conference, scans, *, door=DOOR_A, now=NOW):
    results = services.sync_scans(conference, scans, door=door, now=now)
    db.session.commit()
    return results


def _checked_in_at(delegate):
    return db.session.scalar(sa.select(Delegate.checked_in_at).where(Delegate.id == delegate.id))


def _log(delegate):
    return list(
        db.session.scalars(
            sa.select(CheckIn).where(CheckIn.delegate_id == delegate.id).order_by(CheckIn.at)
        )
    )


def _assert_counts_agree(conference):
    stats = services.stats(conference)
    assert sum(row["checked_in"] for row in stats["stations"]) == stats["checked_in"]
    return stats


def test_an_offline_scan_keeps_its_original_time(conference, people):
    hung = people[0]
    [result] = _sync(conference, [_offline(hung, AT_0740)])
    assert result.answer.result == "ok"
    assert result.answer.checked_in_at == AT_0740
    assert result.to_json("Asia/Ho_Chi_Minh")["checked_in_time"] == "07:40"
    assert _checked_in_at(hung) == AT_0740
    [row] = _log(hung)
    assert (row.at, row.synced_at, row.scanned_at) == (AT_0740, NOW, AT_0740)
    assert row.station == "Cửa chính"
    assert not row.flagged
    assert _assert_counts_agree(conference)["checked_in"] == 1


def test_a_batch_sent_twice_changes_nothing_the_second_time(conference, people):
    scans = [_offline(people[0], AT_0740), _offline(people[1], AT_0750)]
    first = _sync(conference, scans)
    again = _sync(conference, scans, now=NOW + dt.timedelta(minutes=5))
    assert [r.answer.result for r in again] == ["ok", "ok"]
    assert all(r.answer.replay for r in again)
    assert [r.answer.checked_in_at for r in again] == [r.answer.checked_in_at for r in first]
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 2
    assert _checked_in_at(people[0]) == AT_0740


def test_two_doors_offline_count_once_and_the_earliest_scan_wins(conference, people):
    hung = people[0]
    # door B uploads first, with the later scan
    [later] = _sync(conference, [_offline(hung, AT_0750)], door=DOOR_B)
    assert later.answer.result == "ok"
    # door A comes back with the earlier one: it becomes the admission
    [earlier] = _sync(conference, [_offline(hung, AT_0740)], door=DOOR_A)
    assert earlier.answer.result == "ok"
    assert earlier.superseded is True
    assert _checked_in_at(hung) == AT_0740
    first, second = _log(hung)
    assert (first.result, first.station) == ("ok", "Cửa chính")
    assert (second.result, second.station) == ("already_checked_in", "Cửa phụ")
    assert (second.prior_at, second.prior_station) == (AT_0740, "Cửa chính")
    stats = _assert_counts_agree(conference)
    assert stats["checked_in"] == 1
    assert stats["stations"] == [{"station": "Cửa chính", "checked_in": 1}]


def test_an_earlier_offline_scan_replaces_a_later_online_admission(conference, people):
    hung = people[0]
    online = services.scan(
        conference,
        services.ScanRequest(nonce=secrets.token_hex(8), code=hung.ticket_code),
        door=DOOR_B,
        now=AT_0750,
    )
    db.session.commit()
    assert online.result == "ok"
    [result] = _sync(conference, [_offline(hung, AT_0735)])
    assert (result.answer.result, result.superseded) == ("ok", True)
    assert _checked_in_at(hung) == AT_0735
    assert [row.result for row in _log(hung)] == ["ok", "already_checked_in"]
    assert _assert_counts_agree(conference)["checked_in"] == 1
    # and the online door's retry of its nonce now reads as the duplicate it is
    replay = services.scan(
        conference,
        services.ScanRequest(nonce=online.nonce, code=hung.ticket_code),
        door=DOOR_B,
        now=NOW,
    )
    assert replay.result == "already_checked_in"
    assert replay.station == "Cửa chính"


def test_a_later_offline_scan_is_a_duplicate_of_an_earlier_admission(conference, people):
    hung = people[0]
    services.scan(
        conference,
        services.ScanRequest(nonce=secrets.token_hex(8), code=hung.ticket_code),
        door=DOOR_B,
        now=AT_0735,
    )
    db.session.commit()
    [result] = _sync(conference, [_offline(hung, AT_0750)])
    assert result.answer.result == "already_checked_in"
    assert (result.answer.checked_in_at, result.answer.station) == (AT_0735, "Cửa phụ")
    assert not result.flagged
    assert _checked_in_at(hung) == AT_0735


def test_the_same_person_twice_in_one_batch_is_admitted_once(conference, people):
    hung = people[0]
    results = _sync(conference, [_offline(hung, AT_0750), _offline(hung, AT_0740)])
    assert [r.answer.result for r in results] == ["already_checked_in", "ok"]
    assert results[0].answer.checked_in_at == AT_0740
    assert not results[1].superseded
    assert _assert_counts_agree(conference)["checked_in"] == 1


def test_a_ticket_revoked_while_the_door_was_offline_is_flagged(conference, people):
    hung = people[0]
    db.session.get(Delegate, hung.id).revoked_at = DOORS_OPEN
    db.session.commit()
    [result] = _sync(conference, [_offline(hung, AT_0740)])
    assert result.answer.result == "revoked"
    assert result.flagged is True
    assert _checked_in_at(hung) is None
    [row] = _log(hung)
    assert (row.result, row.flagged) == ("revoked", True)
    assert _assert_counts_agree(conference)["checked_in"] == 0
    flagged = services.log_summary(conference)["flagged"]
    assert [(f["name"], f["result"]) for f in flagged] == [(hung.full_name, "revoked")]


def test_the_organizer_page_lists_what_to_review(client, auth, conference, people):
    hung = people[0]
    db.session.get(Delegate, hung.id).revoked_at = DOORS_OPEN
    db.session.commit()
    _sync(conference, [_offline(hung, AT_0740)])
    db.session.commit()
    auth.login()
    page = client.get(f"/staff/conferences/{conference.id}/checkin").get_data(as_text=True)
    assert "Cần xem lại: 1 lượt" in page
    assert hung.full_name in page


def test_a_registration_cancelled_while_offline_is_flagged(conference, people):
    registration.cancel_registration(people[0].registration, now=DOORS_OPEN)
    db.session.commit()
    results = _sync(conference, [_offline(people[0]), _offline(people[1], local="cancelled")])
    assert [(r.answer.result, r.flagged) for r in results] == [
        ("cancelled", True),
        ("cancelled", False),  # the offline desk refused too: nothing to look at
    ]


def test_an_offline_scan_is_decided_at_its_own_time(conference, people):
    [early, future] = _sync(
        conference,
        [
            _offline(people[0], TOO_EARLY, local="not_open"),
            _offline(people[1], NOW + dt.timedelta(hours=3)),
        ],
    )
    assert early.answer.result == "not_open"
    assert not early.flagged
    # a phone clock running ahead is held to the server's time
    assert (future.answer.result, future.answer.checked_in_at) == ("ok", NOW)


def test_unknown_codes_search_picks_and_bad_items(conference, people, create_conference, register):
    other = register(create_conference(), ("Lê Minh Đức",)).delegates[0]
    reused = secrets.token_hex(8)
    _sync(create_conference(), [_offline(other, nonce=reused)])
    results = _sync(
        conference,
        [
            _offline(code="NOT A TICKET"),
            services.OfflineScan(
                nonce=secrets.token_hex(8), scanned_at=AT_0740, delegate_id=people[1].id
            ),
            services.OfflineScan(
                nonce=secrets.token_hex(8), scanned_at=AT_0740, delegate_id=other.id
            ),
            _offline(people[0], nonce="short"),
            _offline(people[0], nonce=reused),
        ],
    )
    assert [r.answer.result if r.answer else r.error for r in results] == [
        "unknown",
        "ok",
        "unknown",
        "invalid",
        "nonce_used_elsewhere",
    ]
    assert results[0].flagged  # the desk said ok to a code the server does not know
    assert _checked_in_at(people[1]) == AT_0740
    assert _checked_in_at(people[0]) is None


def test_an_offline_admission_can_be_undone(conference, people):
    [result] = _sync(conference, [_offline(people[0], AT_0740)])
    services.undo(conference, result.nonce, door=DOOR_A, now=NOW)
    db.session.commit()
    assert _checked_in_at(people[0]) is None


def test_more_than_the_limit_is_refused(conference, people):
    with pytest.raises(services.InvalidScan):
        services.sync_scans(
            conference,
            [_offline(people[0]) for _ in range(services.SYNC_BATCH_LIMIT + 1)],
            door=DOOR_A,
            now=NOW,
        )


# --- the API --------------------------------------------------------------------------------


@pytest.fixture
def clock(monkeypatch):
    monkeypatch.setattr("outreach.checkin.views.utcnow", lambda: NOW)


def _post(client, conference, body, **headers):
    return client.post(
        f"/api/checkin/{conference.id}/scans:batch",
        data=body if isinstance(body, str) else json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def _item(delegate, at="2026-12-10T00:40:00Z", **extra):
    return {"nonce": secrets.token_hex(8), "code": delegate.ticket_code, "scanned_at": at, **extra}


def test_the_batch_api_with_a_door_link(client, clock, conference, people, door_link):
    _link, token = door_link(conference, "Cửa chính")
    body = {
        "scans": [
            _item(people[0], station="ignored: the link names the door", local_result="ok"),
            _item(people[0], at="2026-12-10T00:45:00Z", local_result="already_checked_in"),
        ]
    }
    response = _post(client, conference, body, Authorization=f"Bearer {token}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    results = response.get_json()["results"]
    assert [r["result"] for r in results] == ["ok", "already_checked_in"]
    assert results[0]["station"] == "Cửa chính"
    assert results[0]["checked_in_time"] == "07:40"
    assert results[0]["delegate"]["name"] == "Nguyễn Văn Hùng"
    assert results[1]["flagged"] is False
    again = _post(client, conference, body, Authorization=f"Bearer {token}").get_json()
    assert [r["replay"] for r in again["results"]] == [True, True]


class TestWithCsrf:
    @pytest.fixture
    def app_config(self, app_config):
        return {**app_config, "WTF_CSRF_ENABLED": True}

    @staticmethod
    def _csrf(client, path="/login") -> str:
        html = client.get(path).get_data(as_text=True)
        return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)

    def test_a_staff_session_needs_the_csrf_header(self, client, clock, conference, people):
        csrf = self._csrf(client)
        response = client.post(
            "/login",
            data={
                "email": "organizer@example.vn",
                "password": "correct-horse-1",
                "csrf_token": csrf,
            },
        )
        assert response.status_code == 302
        body = {"scans": [_item(people[0], station="Cửa 2")]}
        assert _post(client, conference, body).status_code == 400
        assert _checked_in_at(people[0]) is None
        csrf = self._csrf(client, f"/staff/conferences/{conference.id}/desk")
        response = _post(client, conference, body, **{"X-CSRFToken": csrf})
        assert response.status_code == 200
        assert response.get_json()["results"][0]["station"] == "Cửa 2"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ("not json", "invalid_json"),
        ({"scans": "x"}, "invalid_json"),
        ({"scans": [1]}, "invalid_scan"),
        ({"scans": [{"nonce": "abcdefgh", "code": "X"}]}, "invalid_scan"),
        (
            {"scans": [{"nonce": "abcdefgh", "code": 5, "scanned_at": "2026-12-10T00:40:00Z"}]},
            "invalid_scan",
        ),
        (
            {
                "scans": [{"nonce": "abcdefgh", "code": "X", "scanned_at": "2026-12-10T00:40:00Z"}]
                * 501
            },
            "too_many_scans",
        ),
    ],
)
def test_the_batch_api_refuses_bad_bodies(client, clock, conference, door_link, body, error):
    _link, token = door_link(conference)
    response = _post(client, conference, body, Authorization=f"Bearer {token}")
    assert response.status_code == 400
    assert response.get_json() == {"error": error}
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 0


def test_the_batch_api_refuses_strangers(client, clock, conference, people):
    assert _post(client, conference, {"scans": [_item(people[0])]}).status_code == 401
    assert _checked_in_at(people[0]) is None
