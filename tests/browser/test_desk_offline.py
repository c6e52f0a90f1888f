"""The offline desk in Chromium: load the roster, lose the network, check three people in (one
twice), reload the page with no network, come back online, and find the server's counts and
log in agreement, with the duplicate reported once."""

from __future__ import annotations

import sqlalchemy as sa

from outreach.checkin import services as checkin
from outreach.checkin.models import CheckIn
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.registration.models import Delegate

from .test_desk import _delegate
from .test_desk import _door_url
from .test_desk import desk_server  # noqa: F401 (the fixture: check-in open, demo data)

PEOPLE = ("Nguyễn Văn Hùng", "Lê Minh Đức", "Vũ Thị Lan")


def _scan(page, code, expected):
    page.locator("#desk-code").fill(code)
    page.keyboard.press("Enter")
    page.locator(f"#desk-result[data-result={expected}]").wait_for(timeout=10_000)


def test_a_door_checks_people_in_offline_and_syncs(laptop, desk_server, screenshot):  # noqa: F811
    app, base = desk_server
    codes = {name: _delegate(app, name)[1] for name in PEOPLE}
    conference_id = _delegate(app, PEOPLE[0])[0]
    page = laptop
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(_door_url(app, base, conference_id, "Cửa sau"))
    page.wait_for_timeout(2000)
    assert errors == [], errors
    page.locator("#desk[data-roster-ready='1'][data-offline-ready='1']").wait_for(timeout=15_000)

    page.context.set_offline(True)
    _scan(page, codes[PEOPLE[0]], "ok")
    assert page.locator("#desk-result-name").inner_text() == PEOPLE[0]
    assert page.locator("#desk-offline").inner_text() == "Ngoại tuyến – 1 lượt chờ đồng bộ"
    _scan(page, codes[PEOPLE[1]], "ok")
    # the same person again: this phone admitted them a moment ago
    _scan(page, codes[PEOPLE[0]], "already_checked_in")
    assert "tại Cửa sau" in page.locator("#desk-result-title").inner_text()
    _scan(page, codes[PEOPLE[2]], "ok")
    _scan(page, "NOT A TICKET", "unknown")
    assert page.locator("#desk-offline").inner_text() == "Ngoại tuyến – 5 lượt chờ đồng bộ"
    with app.app_context():
        admitted = db.session.scalar(
            sa.select(sa.func.count(Delegate.id)).where(Delegate.checked_in_at.is_not(None))
        )
        db.session.remove()
    assert admitted == 0  # nothing reached the server

    # reload with no network: the service worker serves the page, IndexedDB the roster and queue
    page.reload()
    page.locator("#desk-offline").filter(has_text="5 lượt chờ").wait_for(timeout=10_000)
    page.locator("#desk-q").fill("vu thi lan")
    page.locator(".desk-person").filter(has_text="Vũ Thị Lan").locator(".badge-ok").wait_for(
        timeout=10_000
    )
    _scan(page, codes[PEOPLE[1]], "already_checked_in")
    screenshot(page, "desk-offline")

    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.locator("#desk-offline.notice-ok").wait_for(timeout=20_000)
    assert "0 cần ban tổ chức xem lại" in page.locator("#desk-offline").inner_text()
    with app.app_context():
        conference = db.session.get(Conference, conference_id)
        rows = db.session.execute(
            sa.select(Delegate.full_name, CheckIn.result, CheckIn.station)
            .join(Delegate, Delegate.id == CheckIn.delegate_id)
            .where(CheckIn.station == "Cửa sau")
        ).all()
        stats = checkin.stats(conference)
        checked = set(
            db.session.scalars(
                sa.select(Delegate.full_name).where(Delegate.checked_in_at.is_not(None))
            )
        )
        unknown = db.session.scalar(
            sa.select(sa.func.count(CheckIn.id)).where(
                CheckIn.result == "unknown", CheckIn.station == "Cửa sau"
            )
        )
        db.session.remove()
    assert checked == set(PEOPLE)
    assert sorted(r for _n, r, _s in rows).count("ok") == 3
    duplicates = [n for n, r, _s in rows if r == "already_checked_in"]
    assert sorted(duplicates) == sorted([PEOPLE[0], PEOPLE[1]])
    assert unknown == 1
    assert stats["checked_in"] == 3
    assert {"station": "Cửa sau", "checked_in": 3} in stats["stations"]
    page.locator("#desk-count").filter(has_text="3/").wait_for(timeout=10_000)
    assert errors == []
