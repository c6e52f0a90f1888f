"""The admin's privacy and audit pages in real Chromium, at phone and laptop sizes."""

from tests.browser.conftest import fits_the_screen


def _login_admin(page, live_server):
    page.goto(live_server + "/login")
    page.get_by_label("Thư điện tử").fill("admin@demo.outreach.vn")
    page.get_by_label("Mật khẩu").fill("demo-admin-2026")
    page.get_by_label("Mật khẩu").press("Enter")
    page.wait_for_url(live_server + "/staff/")


def test_an_admin_finds_a_person_on_a_phone(live_server, phone, screenshot):
    _login_admin(phone, live_server)
    phone.goto(live_server + "/staff/admin/privacy/")
    assert phone.get_by_role("heading", name="Dữ liệu cá nhân", exact=True).is_visible()
    phone.get_by_label("Số điện thoại hoặc thư điện tử", exact=True).fill("0912 000 001")
    phone.get_by_role("button", name="Tìm", exact=True).click()
    phone.wait_for_load_state()
    assert phone.get_by_text("09xx xxx 001").first.is_visible()
    assert phone.get_by_role("button", name="Xuất JSON").is_visible()
    assert phone.get_by_role("button", name="Xóa dữ liệu của người này").is_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "privacy-find-phone")


def test_the_audit_trail_on_a_laptop(live_server, laptop, screenshot):
    _login_admin(laptop, live_server)
    laptop.goto(live_server + "/staff/admin/audit")
    assert laptop.get_by_role("heading", name="Nhật ký thao tác").is_visible()
    assert laptop.get_by_role("link", name="Dữ liệu cá nhân").is_visible()
    screenshot(laptop, "audit-laptop")
    laptop.goto(live_server + "/staff/admin/privacy/")
    assert fits_the_screen(laptop)
    screenshot(laptop, "privacy-laptop")
