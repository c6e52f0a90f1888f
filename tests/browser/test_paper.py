"""The paper page and the desk's walk-in form in Chromium, at phone and laptop widths."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import expect

from tests.browser.conftest import fits_the_screen


def _login(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "tochuc@demo.outreach.vn")
    page.fill("input[name=password]", "demo-tochuc-2026")
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/staff/**")


def _conference_with_delegates(page, live_server) -> int:
    for conference_id in range(1, 30):
        response = page.goto(f"{live_server}/staff/conferences/{conference_id}/checkin/paper")
        if response.status == 200 and page.locator("input[name=ids]").count() > 0:
            return conference_id
    raise AssertionError("no demo conference with confirmed delegates")


def test_paper_page_on_a_phone_and_a_laptop(phone, laptop, live_server, screenshot):
    for page, name in ((phone, "paper-phone"), (laptop, "paper-laptop")):
        _login(page, live_server)
        _conference_with_delegates(page, live_server)
        assert page.get_by_role("button", name="Ghi nhận có mặt").is_visible()
        assert fits_the_screen(page)
        screenshot(page, name)


def test_a_walkin_added_at_the_desk(phone, live_server, screenshot):
    _login(phone, live_server)
    conference_id = _conference_with_delegates(phone, live_server)
    errors = []
    phone.on("pageerror", lambda error: errors.append(str(error)))
    phone.goto(f"{live_server}/staff/conferences/{conference_id}/desk")
    phone.locator("#desk-walkin summary").click()
    phone.fill("#walkin-name", "Hoàng Thị Lụa")
    phone.fill("#walkin-phone", f"0987{secrets.randbelow(10**6):06d}")
    phone.fill("#walkin-coop", "Tổ hợp tác Dệt lụa Vạn Phúc")
    phone.get_by_role("button", name="Thêm và điểm danh").click()
    result = phone.locator("#walkin-result")
    result.wait_for(state="visible")
    phone.wait_for_function("document.getElementById('walkin-result').textContent.length > 0")
    text = result.inner_text()
    # the demo conference may not be open yet, or may be full: each is a clear answer
    assert any(
        expected in text
        for expected in ("Đã thêm và điểm danh Hoàng Thị Lụa", "Cần người này đồng ý")
    ), text
    screenshot(phone, "desk-walkin-consent")
    phone.check("#walkin-consent")
    phone.get_by_role("button", name="Thêm và điểm danh").click()
    # the demo conference may not be open yet, or may be full: each is a clear answer
    expect(result).to_contain_text(
        re.compile("Đã thêm và điểm danh Hoàng Thị Lụa|Chưa đến giờ điểm danh|hết chỗ")
    )
    assert fits_the_screen(phone)
    screenshot(phone, "desk-walkin")
    assert errors == []
