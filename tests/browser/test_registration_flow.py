"""Issues 3 and 4 in real Chromium on a phone: a conference page with its agenda and calendar
links, and registering a cooperative with two delegates, then dropping one."""

import re

from tests.browser.conftest import fits_the_screen


def test_conference_page_on_a_phone_shows_agenda_and_calendar_links(live_server, phone, screenshot):
    phone.goto(live_server + "/")
    first = phone.locator(".conference-card .conference-title a").first
    title = first.inner_text().strip()
    first.click()
    phone.wait_for_load_state()
    assert re.search(r"/conferences/[^/]+/?$", phone.url), phone.url
    assert phone.get_by_role("heading", name=title).first.is_visible()

    rows = phone.locator(".timetable .timetable-row")
    assert rows.count() >= 1
    assert rows.first.locator(".timetable-title").inner_text().strip()

    ics_hrefs = list(phone.locator("a[href]").evaluate_all(
            "links => links.map(a => a.getAttribute('href'))"
        ))
    assert any(
        h.split("?")[0].endswith(".ics") and not h.startswith("webcal://") for h in ics_hrefs
    ), ics_hrefs
    assert any(h.startswith("webcal://") for h in ics_hrefs), ics_hrefs
    assert any("calendar.google.com" in h for h in ics_hrefs), ics_hrefs
    google = phone.locator('a[href*="calendar.google.com"]').first
    assert google.is_visible()

    assert fits_the_screen(phone)
    screenshot(phone, "conference-phone")


def test_register_two_delegates_then_drop_one(live_server, phone, screenshot):
    phone.goto(live_server + "/")
    phone.locator(".conference-card .conference-title a").first.click()
    phone.wait_for_load_state()
    register = phone.locator('a[href$="/register"]').first
    assert re.fullmatch(r"/conferences/[^/]+/register", register.get_attribute("href"))
    register.click()
    phone.wait_for_load_state()
    assert phone.get_by_role("heading", name="Đăng ký tham dự").is_visible()

    # The cooperative kind is a radio group with "Hợp tác xã" chosen by default.
    kind = phone.locator('[name="cooperative-kind"]')
    assert kind.count() >= 2
    assert phone.locator('[name="cooperative-kind"]:checked').count() == 1
    assert (
        "Hợp tác xã"
        in phone.locator('label.choice:has([name="cooperative-kind"]:checked)').inner_text()
    )

    phone.locator('[name="cooperative-name"]').fill("HTX Thử nghiệm Trình duyệt")
    phone.locator('[name="cooperative-tax_code"]').fill("2405846700")
    province = phone.locator('[name="cooperative-province_code"]')
    assert "Bắc Ninh" in province.locator("option:checked").inner_text()
    phone.locator('select[name="cooperative-ward_code"]').select_option(value="7582")
    phone.locator('[name="contact_name"]').fill("Nguyễn Văn Thử")
    phone.locator('[name="contact_phone"]').fill("0912 555 001")
    phone.locator('[name="contact_email"]').fill("thu.trinhduyet@example.vn")
    phone.locator('[name="delegates-0-full_name"]').fill("Nguyễn Văn Thử")
    phone.locator('[name="delegates-0-phone"]').fill("0912 555 001")
    phone.get_by_text("Thêm người thứ 2").click()  # further delegates start folded
    phone.locator('[name="delegates-1-full_name"]').fill("Trần Thị Kiểm")
    phone.locator('[name="delegates-1-phone"]').fill("0912 555 002")
    phone.locator('[name="consent_participation"]').check()
    assert fits_the_screen(phone)
    phone.get_by_role("button", name="Gửi đăng ký").click()
    phone.wait_for_url(re.compile(r".*/r/[^/?]+\?new=1$"))

    assert phone.get_by_text("Đã xác nhận").first.is_visible()
    tickets = phone.locator(".ticket")
    assert tickets.count() == 2
    for i in range(2):
        assert tickets.nth(i).locator("svg").count() >= 1
    names = tickets.locator(".ticket-name").all_inner_texts()
    assert sorted(n.strip() for n in names) == ["Nguyễn Văn Thử", "Trần Thị Kiểm"]
    assert fits_the_screen(phone)
    screenshot(phone, "tickets-phone")
    manage_url = phone.url.split("?")[0]

    phone.get_by_role("link", name="Đổi, thêm hoặc bớt người tham dự").click()
    phone.wait_for_load_state()
    fields = phone.locator("form.stack [name^='delegates-']").evaluate_all(
        "els => els.map(e => e.name)"
    )
    assert len(fields) == len(set(fields)), f"duplicate field names: {fields}"
    assert phone.locator('[name="delegates-0-full_name"]').input_value() == "Nguyễn Văn Thử"
    assert phone.locator('[name="delegates-1-full_name"]').input_value() == "Trần Thị Kiểm"
    phone.locator('[name="delegates-1-full_name"]').fill("")
    phone.locator('[name="delegates-1-phone"]').fill("")
    phone.get_by_role("button", name="Lưu thay đổi").click()
    phone.wait_for_url(re.compile(re.escape(manage_url) + r"(\?.*)?$"))

    tickets = phone.locator(".ticket")
    assert tickets.count() == 1
    assert tickets.first.locator("svg").count() >= 1
    assert "Trần Thị Kiểm" not in tickets.first.inner_text()
    assert "Nguyễn Văn Thử" in tickets.first.inner_text()
    assert "Trần Thị Kiểm" not in phone.locator(".ticket-list").inner_text()


def test_a_mistake_is_shown_on_its_field_and_what_was_typed_stays(live_server, phone, screenshot):
    phone.goto(live_server + "/")
    phone.locator(".conference-card .conference-title a").first.click()
    phone.wait_for_load_state()
    phone.locator('a[href$="/register"]').first.click()
    phone.wait_for_load_state()
    phone.locator('[name="cooperative-kind"][value="to_hop_tac"]').check()
    phone.locator('[name="cooperative-name"]').fill("Tổ hợp tác Chè Thử Lỗi")
    phone.locator('[name="cooperative-member_count"]').fill("12")
    # the ward is left unchosen
    phone.locator('[name="contact_name"]').fill("Lê Thị Lỗi")
    phone.locator('[name="contact_phone"]').fill("0912 555 101")
    phone.locator('[name="delegates-0-full_name"]').fill("Lê Thị Lỗi")
    phone.locator('[name="delegates-0-phone"]').fill("12345")
    phone.locator('[name="consent_participation"]').check()
    phone.get_by_role("button", name="Gửi đăng ký").click()
    phone.wait_for_load_state()

    assert phone.locator("#delegates-0-phone-error").inner_text().startswith(
        "Số điện thoại chưa đúng"
    )
    assert phone.locator("#cooperative-ward_code-error").inner_text() == (
        "Vui lòng chọn xã, phường thuộc tỉnh đã chọn."
    )
    wrong = phone.locator('[name="delegates-0-phone"]')
    assert wrong.get_attribute("aria-invalid") == "true"
    assert "delegates-0-phone-error" in wrong.get_attribute("aria-describedby")
    right = phone.locator('[name="contact_phone"]')
    assert right.get_attribute("aria-invalid") is None
    assert right.get_attribute("aria-describedby") is None
    assert phone.locator('[name="cooperative-name"]').input_value() == "Tổ hợp tác Chè Thử Lỗi"
    assert phone.locator('[name="cooperative-kind"]:checked').get_attribute("value") == "to_hop_tac"
    assert phone.locator('[name="delegates-0-full_name"]').input_value() == "Lê Thị Lỗi"
    assert phone.locator('[name="consent_participation"]').is_checked()
    assert fits_the_screen(phone)
    screenshot(phone, "registration-mistake-phone")

    assert phone.locator('[name="cooperative-member_count"]').input_value() == "12"
    phone.locator('select[name="cooperative-ward_code"]').select_option(value="7582")
    phone.locator('[name="delegates-0-phone"]').fill("0912 555 101")
    phone.get_by_role("button", name="Gửi đăng ký").click()
    phone.wait_for_url(re.compile(r".*/r/[^/?]+\?new=1$"))
    assert phone.locator(".ticket").count() == 1
