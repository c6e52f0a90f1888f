"""The report pages, exports and the needs inbox through the Flask client."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from outreach.audit.models import AuditEntry
from outreach.database import db
from outreach.reports.models import NeedFollowUp

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def division_user(create_user, divisions):
    def _create(code):
        return create_user(
            email=f"{code.lower()}@example.vn", role="division_staff", division=divisions[code]
        )

    return _create


def _figure_section(html: str, key: str) -> tuple[str, str]:
    start = html.index(f'id="figure-{key}"')
    section = html[start : html.index("</section>", start)]
    svg = section[section.index("<svg") : section.index("</svg>") + 6]
    table = section[section.index("<table") : section.index("</table>") + 8]
    return svg, table


def test_conference_report_charts_carry_the_table_numbers(client, auth, dataset):
    conference, _ = dataset
    auth.login()
    response = client.get(f"/staff/conferences/{conference.id}/report")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for key in ("communes", "kinds", "genders", "needs_themes", "needs_types", "arrivals"):
        svg, table = _figure_section(html, key)
        root = ET.fromstring(svg)
        assert root.get("role") == "img"
        chart_numbers = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"]
        table_root = ET.fromstring(table)
        assert table_root.find("caption").text
        first_column = [row.findall("td")[0].text for row in table_root.find("tbody").findall("tr")]
        assert chart_numbers == first_column, key
    svg, _ = _figure_section(html, "communes")
    assert "Xã An Lạc" in svg
    assert html.index("Xã Bắc Lũng") < html.index("Phường Đa Mai") < html.index("Xã Đông Phú")


def test_report_of_another_hosts_conference_is_404(
    client, auth, dataset, create_user, create_organization
):
    conference, _ = dataset
    create_user(email="other@example.vn", role="organizer", organization=create_organization())
    auth.login("other@example.vn")
    for path in ("report", "report.xlsx", "report.pdf"):
        assert client.get(f"/staff/conferences/{conference.id}/{path}").status_code == 404


def test_division_staff_cannot_open_conference_report(client, auth, dataset, division_user):
    conference, _ = dataset
    division_user("QLKH")
    auth.login("qlkh@example.vn")
    assert client.get(f"/staff/conferences/{conference.id}/report").status_code == 403


def test_xlsx_reads_back_with_vietnamese_text(client, auth, dataset):
    conference, _ = dataset
    auth.login()
    response = client.get(f"/staff/conferences/{conference.id}/report.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    summary = workbook.worksheets[0]
    values = {row[0]: row[1] for row in summary.iter_rows(min_row=3, values_only=True)}
    assert values["Người đăng ký tham dự"] == 8
    assert values["Đã điểm danh"] == 3
    communes = workbook["Theo xã, phường"]
    rows = list(communes.iter_rows(min_row=3, values_only=True))
    assert rows[0] == ("Xã An Lạc", 1, 1, 1)
    needs = workbook["Nhu cầu hỗ trợ"]
    texts = [row[6] for row in needs.iter_rows(min_row=2, values_only=True)]
    assert "Máy chẻ tre <tự động>" in texts
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "report.export"))
    assert entry.row_count == 6
    assert entry.detail == {"format": "xlsx"}


def test_pdf_reads_back_with_vietnamese_text(client, auth, dataset):
    conference, _ = dataset
    auth.login()
    response = client.get(f"/staff/conferences/{conference.id}/report.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert "Báo cáo kết quả hội nghị" in text
    assert "Xã Dương Hưu" in text
    assert "Sấy vải thiều" in text
    assert "Đông Phú" in text
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "report.export"))
    assert entry.detail == {"format": "pdf"}


def test_needs_inbox_shows_only_the_divisions_needs(client, auth, dataset, division_user):
    division_user("QLCNG")
    auth.login("qlcng@example.vn")
    html = client.get("/staff/needs").get_data(as_text=True)
    assert "HTX Mây tre Đa Mai" in html
    assert "Máy chẻ tre &lt;tự động&gt;" in html
    assert "mây tre đan" in html
    assert "HTX Đông Phú" not in html
    assert "Sấy vải thiều" not in html


def test_division_cannot_change_another_divisions_need(client, auth, dataset, division_user):
    _, registrations = dataset
    division_user("QLKH")
    auth.login("qlkh@example.vn")
    response = client.post(
        f"/staff/needs/{registrations[0].id}/branding", data={"status": "contacted", "note": "x"}
    )
    assert response.status_code == 404
    assert db.session.scalars(sa.select(NeedFollowUp)).all() == []
    response = client.post(
        f"/staff/needs/{registrations[0].id}/st_projects",
        data={"status": "contacted", "note": "Đã gọi điện", "next": "/staff/needs?status=new"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/needs?status=new#need-")
    row = db.session.scalars(sa.select(NeedFollowUp)).one()
    assert (row.theme, row.status, row.note) == ("st_projects", "contacted", "Đã gọi điện")
    html = client.get("/staff/needs?status=contacted").get_data(as_text=True)
    assert "Đã gọi điện" in html
    assert "Tổ hợp tác rau An Lạc" not in html


def test_bad_status_is_refused_with_a_message(client, auth, dataset, organizer):
    _, registrations = dataset
    auth.login()
    response = client.post(
        f"/staff/needs/{registrations[0].id}/branding", data={"status": "done", "note": ""}
    )
    assert response.status_code == 400
    assert "error-text" in response.get_data(as_text=True)
    assert db.session.scalars(sa.select(NeedFollowUp)).all() == []


def test_needs_inbox_filters_by_commune(client, auth, dataset):
    auth.login()
    html = client.get("/staff/needs?ward=7450").get_data(as_text=True)
    assert "HTX Đông Phú" in html
    assert "HTX Bảo Đài" not in html
    html = client.get("/staff/needs?ward=abc&status=zzz").get_data(as_text=True)
    assert "HTX Bảo Đài" in html


def test_period_report_and_bad_dates(client, auth, dataset):
    auth.login()
    response = client.get("/staff/reports?from=01/12/2026&to=31/12/2026")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Hội nghị phổ biến chính sách KH&amp;CN cho hợp tác xã" in html
    assert 'id="figure-communes"' in html
    response = client.get("/staff/reports?from=32/12/2026&to=31/12/2026")
    assert response.status_code == 400
    assert "ngày/tháng/năm" in response.get_data(as_text=True)
    response = client.get("/staff/reports.xlsx?from=01/12/2026&to=31/12/2026")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.data))
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert any(row[0] == "Hội nghị phổ biến chính sách KH&CN cho hợp tác xã" for row in rows)


def test_manage_page_links_to_the_report(client, auth, dataset):
    conference, _ = dataset
    auth.login()
    html = client.get(f"/staff/conferences/{conference.id}").get_data(as_text=True)
    assert f"/staff/conferences/{conference.id}/report" in html
