"""The check-in desk in Chromium: (a) a camera scan from a fake camera showing a ticket's QR code,
(b) a handheld scanner typing the code and Enter, (c) a search without diacritics and a tap.

The desk runs on its own live server (same set-up as conftest's, demo data included) whose
check-in opens a year before the start, so the demo conference (December 2026) admits people.
"""

from __future__ import annotations

import io
import threading

import pytest
import sqlalchemy as sa
from PIL import Image
from werkzeug.serving import make_server

from outreach import create_app
from outreach.checkin import services as checkin
from outreach.checkin.qr import make_qr_png
from outreach.database import db
from outreach.database import utcnow
from outreach.registration.models import Delegate

from .conftest import PHONE

BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def desk_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("desk")
    app = create_app(
        {
            "SECRET_KEY": "browser-tests-secret-key",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'desk.sqlite3'}",
            "RATELIMIT_ENABLED": False,
            "UPLOAD_FOLDER": str(folder / "uploads"),
            "MAIL_FOLDER": str(folder / "mail"),
            "CHECKIN_OPENS_BEFORE_MINUTES": 60 * 24 * 400,
        }
    )
    with app.app_context():
        db.create_all()
        from outreach import demo

        demo.load_demo()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)


def _delegate(app, name: str) -> tuple[int, str]:
    """(conference id, ticket code) of a demo delegate."""
    with app.app_context():
        delegate = db.session.scalar(sa.select(Delegate).where(Delegate.full_name == name))
        result = delegate.conference_id, delegate.ticket_code
        db.session.remove()
    return result


def _door_url(app, base: str, conference_id: int, station: str) -> str:
    with app.app_context():
        from outreach.conferences.models import Conference

        conference = db.session.get(Conference, conference_id)
        _link, token = checkin.create_door_link(conference, station, created_by=None, now=utcnow())
        db.session.commit()
        db.session.remove()
    return f"{base}/door/{token}"


def _is_checked_in(app, name: str) -> bool:
    with app.app_context():
        at = db.session.scalar(sa.select(Delegate.checked_in_at).where(Delegate.full_name == name))
        db.session.remove()
    return at is not None


def _write_y4m(path, code: str, *, width=640, height=480, frames=10) -> None:
    """A short 4:2:0 video of the ticket's QR code, scaled up nearest-neighbour."""
    qr = Image.open(io.BytesIO(make_qr_png(code, box_size=1))).convert("L")
    scale = min(width, height) * 8 // 10 // qr.width
    qr = qr.resize((qr.width * scale, qr.height * scale), Image.Resampling.NEAREST)
    frame = Image.new("L", (width, height), 255)
    frame.paste(qr, ((width - qr.width) // 2, (height - qr.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            fh.write(b"FRAME\n")
            fh.write(luma)
            fh.write(chroma)
            fh.write(chroma)


def _expect_admitted(page, name: str) -> None:
    result = page.locator("#desk-result")
    result.locator("xpath=self::*[@data-result]").wait_for(timeout=15_000)
    assert result.get_attribute("data-result") == "ok", page.locator(
        "#desk-result-title"
    ).inner_text()
    assert "desk-ok" in result.get_attribute("class")
    assert page.locator("#desk-result-title").inner_text() == "Mời vào"
    assert page.locator("#desk-result-name").inner_text() == name


def test_a_camera_scan_turns_the_desk_green(
    browser, chromium_path, desk_server, tmp_path, screenshot
):
    app, base = desk_server
    conference_id, code = _delegate(app, "Nguyễn Văn Hùng")
    video = tmp_path / "ticket.y4m"
    _write_y4m(video, code)
    url = _door_url(app, base, conference_id, "Cửa chính")
    camera_browser = browser.browser_type.launch(
        executable_path=chromium_path,
        args=[
            *BROWSER_ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
            "--use-fake-ui-for-media-stream",
        ],
    )
    try:
        context = camera_browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True, locale="vi-VN"
        )
        context.grant_permissions(["camera"], origin=base)
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(url)
        page.locator("#desk-camera").click()
        page.locator("#desk-result.desk-ok").wait_for(timeout=20_000)
        _expect_admitted(page, "Nguyễn Văn Hùng")
        assert "HTX Nông sản Lục Ngạn" in page.locator("#desk-result-detail").inner_text()
        screenshot(page, "desk-camera-scan")
        assert errors == []
        context.close()
    finally:
        camera_browser.close()
    assert _is_checked_in(app, "Nguyễn Văn Hùng")


def test_a_handheld_scanner_types_the_code_and_enter(phone, desk_server, screenshot):
    app, base = desk_server
    conference_id, code = _delegate(app, "Lê Minh Đức")
    phone.goto(_door_url(app, base, conference_id, "Cửa phụ"))
    # the scanner field has the focus from the start: no click before "typing"
    assert phone.evaluate("document.activeElement.id") == "desk-code"
    assert not phone.locator("#desk-torch").is_visible()  # no camera open, no torch
    phone.keyboard.type(code)
    phone.keyboard.press("Enter")
    phone.locator("#desk-result.desk-ok").wait_for(timeout=10_000)
    _expect_admitted(phone, "Lê Minh Đức")
    assert phone.evaluate("document.activeElement.id") == "desk-code"
    assert phone.locator("#desk-code").input_value() == ""
    # the same ticket again: amber, with the time and the door
    phone.keyboard.type(code)
    phone.keyboard.press("Enter")
    phone.locator("#desk-result.desk-warn").wait_for(timeout=10_000)
    assert "tại Cửa phụ" in phone.locator("#desk-result-title").inner_text()
    # an unknown code: red
    phone.keyboard.type("NOT A TICKET")
    phone.keyboard.press("Enter")
    phone.locator("#desk-result.desk-bad").wait_for(timeout=10_000)
    assert phone.locator("#desk-result").get_attribute("data-result") == "unknown"
    # the counts follow without a reload
    phone.locator("#desk-count").filter(has_text="/").wait_for(timeout=10_000)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    screenshot(phone, "desk-handheld-360")


def test_a_search_without_diacritics_and_a_tap(laptop, desk_server, screenshot):
    app, base = desk_server
    conference_id, _code = _delegate(app, "Đỗ Thị Hồng Nhung")
    laptop.goto(_door_url(app, base, conference_id, "Bàn tìm tên"))
    laptop.locator("#desk-q").fill("hong nhung")
    group = laptop.locator(".desk-group").filter(has_text="HTX Gốm Phù Lãng")
    group.wait_for(timeout=10_000)
    # the rest of the cooperative is shown alongside, and no phone number anywhere
    assert "Hoàng Văn Toàn" in group.inner_text()
    assert "0912" not in laptop.content()
    assert "+84" not in laptop.content()
    laptop.get_by_role("button", name="Điểm danh: Đỗ Thị Hồng Nhung").click()
    laptop.locator("#desk-result.desk-ok").wait_for(timeout=10_000)
    _expect_admitted(laptop, "Đỗ Thị Hồng Nhung")
    # the list refreshes: the person now shows as checked in
    group.locator(".badge-ok").wait_for(timeout=10_000)
    # undo the last check-in
    laptop.locator("#desk-undo").click()
    laptop.locator("#desk-result.desk-info").wait_for(timeout=10_000)
    assert not _is_checked_in(app, "Đỗ Thị Hồng Nhung")
    screenshot(laptop, "desk-search")


def test_the_offline_rules_in_javascript_decide_like_the_server(laptop, desk_server):
    """desk-rules.js (for issue 7's offline desk) follows checkin/rules.py's decision table."""
    import dataclasses
    import importlib.util
    from pathlib import Path

    from outreach.checkin import rules

    path = Path(__file__).resolve().parent.parent / "checkin" / "decisions.py"
    spec = importlib.util.spec_from_file_location("checkin_decisions", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    DECISIONS = module.DECISIONS

    app, base = desk_server
    conference_id, _code = _delegate(app, "Vũ Thị Lan")
    laptop.goto(_door_url(app, base, conference_id, "Cửa kiểm tra"))
    laptop.wait_for_function("window.outreachDeskRules !== undefined")

    def js_time(value):
        return value.timestamp() * 1000 if value else None

    for ticket, clock, expected in DECISIONS:
        ticket_js = None
        if ticket is not None:
            ticket_js = {
                **dataclasses.asdict(ticket),
                "checked_in_at": js_time(ticket.checked_in_at),
            }
        clock_js = {
            **dataclasses.asdict(clock),
            "now": js_time(clock.now),
            "opens_at": js_time(clock.opens_at),
        }
        answer = laptop.evaluate(
            "([t, c]) => window.outreachDeskRules.decide(t, c)", [ticket_js, clock_js]
        )
        assert answer == expected == rules.decide(ticket, clock)
    normalise = "(raw) => window.outreachDeskRules.normaliseCode(raw)"
    assert laptop.evaluate(normalise, " abcd efgh ijkl mnop qrst uvwx yz\r\n") == (
        "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    )
    assert laptop.evaluate(normalise, "A" * 100) is None
