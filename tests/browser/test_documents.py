"""Issue 8 in real Chromium: division staff upload two files to their session (with the
progress script), and a visitor downloads the public one from the conference page."""

from __future__ import annotations

import re

from fpdf import FPDF

from outreach.checkin.pdf import find_font
from tests.browser.conftest import fits_the_screen

SLUG = "hoi-nghi-de-tai-du-an-khcn-2026"


def _pdf(text: str) -> bytes:
    pdf = FPDF()
    pdf.add_font("body", "", str(find_font()))
    pdf.set_font("body", size=14)
    pdf.add_page()
    pdf.cell(0, 10, text)
    return bytes(pdf.output())


def test_division_uploads_two_files_and_visitor_downloads_the_public_one(
    live_server, browser, phone, laptop, screenshot, tmp_path
):
    public_file = tmp_path / "Hướng dẫn đề xuất đề tài.pdf"
    public_file.write_bytes(_pdf("Hướng dẫn đề xuất đề tài KH&CN"))
    second_file = tmp_path / "Mẫu phiếu đề xuất.pdf"
    second_file.write_bytes(_pdf("Mẫu phiếu đề xuất"))

    laptop.goto(live_server + "/login")
    laptop.locator('[name="email"]').fill("qlkh@demo.outreach.vn")
    laptop.locator('[name="password"]').fill("demo-qlkh-2026")
    laptop.locator('button[type="submit"]').last.click()
    laptop.wait_for_load_state()
    laptop.goto(live_server + "/staff/my-briefings")
    laptop.locator(".briefing-item a").first.click()
    laptop.wait_for_load_state()
    assert "/staff/sessions/" in laptop.url
    session_url = laptop.url

    laptop.locator('input[type="file"][name="files"]').set_input_files(
        [str(public_file), str(second_file)]
    )
    laptop.locator('[name="state"]').select_option("ready")
    laptop.locator('[name="visibility"]').select_option("public")
    script_posts = []
    laptop.on(
        "request",
        lambda request: (
            script_posts.append(request.url)
            if request.method == "POST" and request.headers.get("accept") == "application/json"
            else None
        ),
    )
    laptop.locator("form[data-upload] button[type=submit]").click()
    # the script sends each file with a progress row, then reloads the page with both listed
    # (waiting for the rows themselves would race with that reload)
    laptop.locator(".documents-table tbody tr").nth(2).wait_for()
    assert laptop.url == session_url
    assert len(script_posts) == 2  # upload.js sent one request per file
    table = laptop.locator(".documents-table").inner_text()
    assert "Hướng dẫn đề xuất đề tài.pdf" in table
    assert "Mẫu phiếu đề xuất.pdf" in table
    screenshot(laptop, "documents-session-laptop")

    phone.goto(f"{live_server}/conferences/{SLUG}")
    link = phone.locator("a", has_text="Hướng dẫn đề xuất đề tài").first
    assert link.is_visible()
    assert fits_the_screen(phone)
    screenshot(phone, "documents-conference-phone")
    with phone.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == "Hướng dẫn đề xuất đề tài.pdf"
    path = download.path()
    with open(path, "rb") as handle:
        assert handle.read(5) == b"%PDF-"
    assert re.search(r"/conferences/[^/]+/documents/\d+$", download.url)


def test_session_upload_page_on_a_phone(live_server, phone, screenshot):
    phone.goto(live_server + "/login")
    phone.locator('[name="email"]').fill("qlkh@demo.outreach.vn")
    phone.locator('[name="password"]').fill("demo-qlkh-2026")
    phone.locator('button[type="submit"]').last.click()
    phone.wait_for_load_state()
    phone.goto(live_server + "/staff/my-briefings")
    screenshot(phone, "documents-my-briefings-phone")
    assert fits_the_screen(phone)
    phone.locator(".briefing-item a").first.click()
    phone.wait_for_load_state()
    assert fits_the_screen(phone)
    screenshot(phone, "documents-session-phone")
