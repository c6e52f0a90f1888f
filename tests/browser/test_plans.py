"""The monitoring board in a real browser, on a laptop and on a phone."""

from __future__ import annotations


def _login(page, live_server):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "qlkh@demo.outreach.vn")
    page.fill("input[name=password]", "demo-qlkh-2026")
    page.press("input[name=password]", "Enter")
    page.wait_for_url("**/staff/**")


def _open_board(page, live_server):
    _login(page, live_server)
    page.goto(f"{live_server}/staff/plans/")
    page.click("text=64/KH-KHCN")
    page.wait_for_selector(".plan-attention")


def test_board_on_a_laptop_shows_the_late_item_and_opens_its_history(
    live_server, laptop, screenshot
):
    _open_board(laptop, live_server)
    attention = laptop.inner_text(".plan-attention")
    assert "II.1" in attention
    assert "Liên minh HTX tỉnh đề nghị lùi hội nghị" in attention
    screenshot(laptop, "plans-board-1280")
    laptop.click(".plan-attention a >> nth=0")
    assert "Lịch sử tiến độ" in laptop.inner_text("main")


def test_board_on_a_phone_does_not_scroll_sideways(live_server, phone, screenshot):
    _open_board(phone, live_server)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360 + 1
    screenshot(phone, "plans-board-360")
