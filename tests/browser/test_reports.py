"""Reports in real Chromium: the conference report and the needs inbox on a phone and a laptop."""

from tests.browser.conftest import fits_the_screen


def _login(page, live_server, email, password):
    page.goto(live_server + "/login")
    page.get_by_label("Thư điện tử").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server + "/staff/")


def test_conference_report_on_a_laptop_and_a_phone(live_server, laptop, phone, screenshot):
    for page, name in ((laptop, "laptop"), (phone, "phone")):
        _login(page, live_server, "tochuc@demo.outreach.vn", "demo-tochuc-2026")
        screenshot(page, f"reports-staff-home-{name}")
        page.goto(live_server + "/staff/conferences/1/report")
        assert page.get_by_role("heading", name="Báo cáo hội nghị").is_visible()
        assert page.locator("svg[role=img]").count() >= 5
        assert fits_the_screen(page)
        screenshot(page, f"reports-conference-{name}")


def test_needs_inbox_on_a_phone(live_server, phone, screenshot):
    _login(phone, live_server, "qlcn@demo.outreach.vn", "demo-qlcn-2026")
    phone.goto(live_server + "/staff/needs")
    assert phone.get_by_role("heading", name="Nhu cầu hỗ trợ của hợp tác xã").is_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "reports-needs-phone")


def test_staff_pages_with_wide_tables_fit_a_phone(live_server, phone, screenshot):
    # the tables scroll inside their boxes; the page itself never scrolls sideways
    _login(phone, live_server, "admin@demo.outreach.vn", "demo-admin-2026")
    for path in ("/staff/", "/staff/admin/users", "/staff/conferences/1/budget", "/staff/budgets/"):
        phone.goto(live_server + path)
        assert fits_the_screen(phone), path
    phone.goto(live_server + "/staff/")
    screenshot(phone, "staff-home-phone")
