"""Plan and budget pages: each role's access, progress, bad input, the PDF and the XLSX."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook
from pypdf import PdfReader

from outreach.database import db
from outreach.plans import services
from outreach.plans.models import BudgetLine
from outreach.plans.models import PlanItem
from outreach.plans.models import ProgressNote

from .conftest import NOW


@pytest.fixture
def world(make_plan, make_item, create_division, create_user, create_organization):
    department = create_organization(name="Sở Khoa học và Công nghệ tỉnh Bắc Ninh")
    qlkh = create_division(code="QLKH", name="Phòng Quản lý Khoa học", organization=department)
    qlcn = create_division(code="QLCN", name="Phòng Quản lý Chuyên ngành", organization=department)
    khtc = create_division(code="KHTC", name="Phòng Kế hoạch - Tài chính", organization=department)
    plan = make_plan(monitoring_division=qlkh)
    late = make_item(
        plan,
        "II.1",
        division=qlkh,
        due_on=dt.date(2026, 10, 31),
        status="in_progress",
        title="Hỗ trợ các Hợp tác xã nghiên cứu, triển khai đề tài, dự án KH&CN",
    )
    branding = make_item(
        plan,
        "II.2",
        division=qlcn,
        due_on=dt.date(2030, 12, 31),
        title="Hỗ trợ các HTX xây dựng thương hiệu sản phẩm",
    )
    services.add_progress(late, status=None, text="Lùi hội nghị sang tháng 12", actor=None, now=NOW)
    users = {
        "monitor": create_user(email="qlkh@example.vn", role="division_staff", division=qlkh),
        "branding": create_user(email="qlcn@example.vn", role="division_staff", division=qlcn),
        "finance": create_user(email="khtc@example.vn", role="division_staff", division=khtc),
        "organizer": create_user(email="org@example.vn", role="organizer", organization=department),
        "door": create_user(email="door@example.vn", role="door_staff"),
        "admin": create_user(email="admin@example.vn", role="admin"),
    }
    db.session.commit()
    return {"plan": plan, "late": late, "branding": branding, "department": department, **users}


def test_pages_require_login(client, world):
    for path in ("/staff/plans/", f"/staff/plans/{world['plan'].id}", "/staff/budgets/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_monitor_sees_every_item_and_the_late_one_with_its_reason(client, auth, world):
    auth.login("qlkh@example.vn")
    page = client.get(f"/staff/plans/{world['plan'].id}").get_data(as_text=True)
    assert "Hỗ trợ các HTX xây dựng thương hiệu sản phẩm" in page
    assert "Cần chú ý" in page
    assert "Lùi hội nghị sang tháng 12" in page
    assert "Quá hạn 28 ngày" in page or "Quá hạn" in page


def test_division_staff_see_only_their_items(client, auth, world):
    auth.login("qlcn@example.vn")
    page = client.get(f"/staff/plans/{world['plan'].id}").get_data(as_text=True)
    assert "Hỗ trợ các HTX xây dựng thương hiệu sản phẩm" in page
    assert "triển khai đề tài, dự án KH&amp;CN" not in page
    other = f"/staff/plans/{world['plan'].id}/items/{world['late'].id}"
    assert client.get(other).status_code == 404
    response = client.post(other, data={"status": "done", "text": "Xong"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(PlanItem, world["late"].id).status == "in_progress"


def test_division_staff_update_their_item(client, auth, world):
    auth.login("qlcn@example.vn")
    path = f"/staff/plans/{world['plan'].id}/items/{world['branding'].id}"
    response = client.post(path, data={"status": "in_progress", "text": "Đã soạn tài liệu OCOP"})
    assert response.status_code == 302
    page = client.get(path).get_data(as_text=True)
    assert "Đã soạn tài liệu OCOP" in page
    db.session.expire_all()
    assert db.session.get(PlanItem, world["branding"].id).status == "in_progress"


def test_empty_progress_is_refused_on_the_field(client, auth, world):
    auth.login("qlcn@example.vn")
    path = f"/staff/plans/{world['plan'].id}/items/{world['branding'].id}"
    page = client.post(path, data={"status": "done", "text": ""}).get_data(as_text=True)
    assert "Mục này bắt buộc." in page
    assert (
        db.session.scalar(
            sa.select(sa.func.count(ProgressNote.id)).where(
                ProgressNote.item_id == world["branding"].id
            )
        )
        == 0
    )


def test_door_staff_cannot_open_plans(client, auth, world):
    auth.login("door@example.vn")
    assert client.get("/staff/plans/").status_code == 403


def test_due_date_that_is_not_a_date_is_refused(client, auth, world):
    auth.login("org@example.vn")
    path = f"/staff/plans/{world['plan'].id}/items/{world['branding'].id}/edit"
    page = client.post(
        path,
        data={"section": "II.2", "title": "Sửa", "division_id": "0", "due_on": "31/13/2026"},
    ).get_data(as_text=True)
    assert "Nhập ngày theo dạng ngày/tháng/năm." in page
    db.session.expire_all()
    item = db.session.get(PlanItem, world["branding"].id)
    assert item.due_on == dt.date(2030, 12, 31)
    assert item.title == "Hỗ trợ các HTX xây dựng thương hiệu sản phẩm"


def test_only_admins_set_the_monitoring_division(client, auth, world, create_division):
    plan_id = world["plan"].id
    qlcn_id = world["branding"].division_id
    auth.login("org@example.vn")
    assert (
        client.post(f"/staff/plans/{plan_id}/monitoring", data={"division_id": qlcn_id}).status_code
        == 403
    )
    auth.logout()
    auth.login("admin@example.vn")
    assert "Phòng theo dõi kế hoạch" in client.get(f"/staff/plans/{plan_id}").get_data(as_text=True)
    client.post(f"/staff/plans/{plan_id}/monitoring", data={"division_id": qlcn_id})
    db.session.expire_all()
    assert world["plan"].monitoring_division_id == qlcn_id


def test_progress_report_pdf_reads_back(client, auth, world):
    auth.login("qlkh@example.vn")
    response = client.get(f"/staff/plans/{world['plan'].id}/report.pdf")
    assert response.mimetype == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages)
    flat = " ".join(text.split())
    assert "64/KH-KHCN" in flat
    assert "II.1" in flat
    assert "II.2" in flat
    assert "Phòng Quản lý Khoa học" in flat
    assert "31/10/2026" in flat
    assert "Đang thực hiện" in flat
    assert "Lùi hội nghị sang tháng 12" in flat


# --- budgets -------------------------------------------------------------------------------


@pytest.fixture
def budget_conference(world, create_conference, add_delegates):
    conference = create_conference(host=world["department"])
    add_delegates(conference, 80, checked_in=70)
    for values in (
        ("hall", "Thuê hội trường", "fixed", 1, 5_000_000, 1),
        ("meal_support", "Hỗ trợ tiền ăn", "per_checked_in", None, 150_000, 1),
        ("tea_break", "Nước uống", "per_registered", None, 20_000, 2),
    ):
        category, description, rule, fixed, cost, times = values
        services.add_budget_line(
            conference,
            services.BudgetLineInput(
                category=category,
                description=description,
                unit_label="",
                unit_cost_vnd=cost,
                quantity_rule=rule,
                fixed_quantity=fixed,
                times=times,
            ),
            actor=None,
            now=NOW,
        )
    db.session.commit()
    return conference


@pytest.mark.parametrize(
    ("email", "status"),
    [
        ("khtc@example.vn", 200),
        ("org@example.vn", 200),
        ("admin@example.vn", 200),
        ("qlcn@example.vn", 404),
        ("qlkh@example.vn", 404),
    ],
)
def test_budget_access_by_role(client, auth, budget_conference, email, status):
    auth.login(email)
    assert client.get(f"/staff/conferences/{budget_conference.id}/budget").status_code == status


def test_budget_page_shows_money_totals(client, auth, budget_conference):
    auth.login("khtc@example.vn")
    page = client.get(f"/staff/conferences/{budget_conference.id}/budget").get_data(as_text=True)
    # estimate: 5.000.000 + 80 × 150.000 + 160 × 20.000 = 20.200.000
    assert "20.200.000 ₫" in page
    # actual: 5.000.000 + 70 × 150.000 + 160 × 20.000 = 18.700.000
    assert "18.700.000 ₫" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"unit_cost_vnd": ""}, "Mục này bắt buộc."),
        ({"unit_cost_vnd": "-5"}, "Số tiền không được âm."),
        ({"unit_cost_vnd": "20.000.000.000"}, "vượt quá 10 tỷ đồng"),
        ({"unit_cost_vnd": "abc"}, "Nhập một số nguyên."),
        # a decimal part is refused, never read as ten times the amount
        ({"unit_cost_vnd": "150000.5"}, "không có phần lẻ"),
        ({"unit_cost_vnd": "1500000,5"}, "không có phần lẻ"),
        ({"unit_cost_vnd": "1.5"}, "không có phần lẻ"),
        ({"quantity_rule": "fixed", "fixed_quantity": ""}, "Nhập số lượng cho khoản chi cố định."),
    ],
)
def test_bad_budget_line_is_refused_and_nothing_saved(
    client, auth, budget_conference, data, message
):
    auth.login("khtc@example.vn")
    form = {
        "category": "banner",
        "description": "Khẩu hiệu",
        "unit_cost_vnd": "300.000",
        "quantity_rule": "fixed",
        "fixed_quantity": "1",
        "times": "1",
        **data,
    }
    response = client.post(f"/staff/conferences/{budget_conference.id}/budget/lines", data=form)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(BudgetLine.id))) == 3


def test_budget_line_accepts_dotted_amounts(client, auth, budget_conference):
    auth.login("khtc@example.vn")
    form = {
        "category": "banner",
        "description": "Khẩu hiệu",
        "unit_cost_vnd": "300.000 ₫",
        "quantity_rule": "fixed",
        "fixed_quantity": "1",
        "times": "1",
    }
    assert (
        client.post(
            f"/staff/conferences/{budget_conference.id}/budget/lines", data=form
        ).status_code
        == 302
    )
    line = db.session.scalar(sa.select(BudgetLine).where(BudgetLine.category == "banner"))
    assert line.unit_cost_vnd == 300_000


def test_budget_xlsx_reads_back(client, auth, budget_conference):
    auth.login("khtc@example.vn")
    response = client.get(f"/staff/conferences/{budget_conference.id}/budget.xlsx")
    assert response.headers["Content-Disposition"].startswith("attachment")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [tuple(cell.value for cell in row) for row in sheet.iter_rows()]
    header_index = next(i for i, r in enumerate(rows) if r[0] == "STT")
    assert rows[header_index] == (
        "STT",
        "Nội dung",
        "Đơn vị tính",
        "Số lượng",
        "Đơn giá",
        "Thành tiền (dự toán)",
        "Thực chi",
    )
    body = rows[header_index + 1 : header_index + 4]
    assert [r[1] for r in body] == ["Thuê hội trường", "Hỗ trợ tiền ăn", "Nước uống"]
    assert [r[5] for r in body] == [5_000_000, 12_000_000, 3_200_000]
    assert [r[6] for r in body] == [5_000_000, 10_500_000, 3_200_000]
    total = rows[header_index + 4]
    assert total[1] == "Tổng cộng"
    assert total[5] == 20_200_000
    assert total[6] == 18_700_000
    assert all(isinstance(v, int) for v in (total[5], total[6]))


def test_norms_page_saves_a_norm_for_the_users_organization(client, auth, world):
    auth.login("khtc@example.vn")
    form = {
        "category": "meal_support",
        "description": "Hỗ trợ tiền ăn",
        "unit_cost_vnd": "150000",
        "quantity_rule": "per_checked_in",
        "times": "1",
    }
    assert client.post("/staff/budgets/norms", data=form).status_code == 302
    norms = services.list_norms(world["department"])
    assert [(n.category, n.unit_cost_vnd) for n in norms] == [("meal_support", 150_000)]


def test_staff_home_tiles_follow_roles(client, auth, world):
    auth.login("khtc@example.vn")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Kế hoạch" in page
    assert "Dự toán kinh phí" in page
    auth.logout()
    auth.login("qlcn@example.vn")
    page = client.get("/staff/").get_data(as_text=True)
    assert "Kế hoạch" in page
    assert "Dự toán kinh phí" not in page


def test_remind_plans_command_queues_once(runner, world):
    from outreach.mail.models import OutboxMessage

    result = runner.invoke(args=["remind-plans"])
    assert result.exit_code == 0, result.output
    first = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    runner.invoke(args=["remind-plans"])
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == first
