"""The site frame in real Chromium: phone layout, language switch, staff login."""

from tests.browser.conftest import fits_the_screen


def test_home_page_on_a_phone_is_vietnamese_and_fits(live_server, phone, screenshot):
    phone.goto(live_server + "/")
    assert phone.locator("html").get_attribute("lang") == "vi"
    assert phone.get_by_role("heading", name="Hội nghị sắp tới").is_visible()
    assert phone.get_by_text("Dữ liệu mẫu").is_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "home-phone")


def test_language_switch_is_remembered(live_server, phone):
    phone.goto(live_server + "/")
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", name="Upcoming conferences").is_visible()
    phone.goto(live_server + "/login")
    assert phone.get_by_role("heading", name="Staff login").is_visible()
    phone.get_by_role("button", name="Tiếng Việt").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", name="Cán bộ đăng nhập").is_visible()


def test_organizer_logs_in_on_a_laptop(live_server, laptop, screenshot):
    laptop.goto(live_server + "/staff/")
    assert "/login" in laptop.url
    laptop.get_by_label("Thư điện tử").fill("tochuc@demo.outreach.vn")
    laptop.get_by_label("Mật khẩu").fill("demo-tochuc-2026")
    laptop.get_by_role("button", name="Đăng nhập").click()
    laptop.wait_for_url(live_server + "/staff/")
    assert laptop.get_by_role("heading", name="Khu vực cán bộ").is_visible()
    screenshot(laptop, "staff-home-laptop")


def test_wrong_password_shows_the_message_on_the_field_page(live_server, phone, screenshot):
    phone.goto(live_server + "/login")
    phone.get_by_label("Thư điện tử").fill("tochuc@demo.outreach.vn")
    phone.get_by_label("Mật khẩu").fill("wrong-password")
    phone.get_by_role("button", name="Đăng nhập").click()
    assert phone.get_by_text("Thư điện tử hoặc mật khẩu không đúng.").is_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "login-error-phone")
