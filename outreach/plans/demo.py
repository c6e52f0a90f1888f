"""Demo rows for plans: plan 64/KH-KHCN with its items as the document has them (dates moved
into 2026), progress notes, the department's budget norms and one budget per demo conference.

Called from ``outreach.demo.load_demo``; idempotent (found by plan number, section, category).
"""

from __future__ import annotations

import datetime as dt

from outreach.accounts import services as account_services
from outreach.accounts.models import Organization
from outreach.conferences import services as conference_services
from outreach.database import db
from outreach.plans import services
from outreach.plans.models import ItemStatus
from outreach.plans.models import ProgressNote

PLAN_NUMBER = "64/KH-KHCN"
PLAN_TITLE = "Hỗ trợ Hợp tác xã ứng dụng khoa học, kỹ thuật và công nghệ"
ISSUING_BODY = "Sở Khoa học và Công nghệ"
#: 17/7/2018 in the document, moved into the demo year
ISSUED_ON = dt.date(2026, 7, 17)
SIGNER = "Nguyễn Đức Kiên"
MONITORING_DIVISION = "QLKH"

CONFERENCE_SLUGS = {
    "st": "hoi-nghi-de-tai-du-an-khcn-2026",
    "brand": "hoi-nghi-thuong-hieu-san-pham-2026",
    "innovation": "hoi-nghi-doi-moi-cong-nghe-2026",
}

#: (section, title, description, division code, due_on, status, conference keys, notes)
#: Titles and descriptions are the plan's own words. Its deadline "tháng 10/2018" becomes
#: 31/10/2026; the notes record that II.2 and II.3 were extended to the conferences' month,
#: so that on 28/11/2026 exactly one item (II.1) is overdue. Notes: (day, author e-mail, text,
#: status after or None).
ITEMS = [
    (
        "I",
        "MỤC ĐÍCH, YÊU CẦU",
        "1. Mục đích: Hỗ trợ các Hợp tác xã (HTX) trong hoạt động ứng dụng khoa học, kỹ thuật "
        "và công nghệ, xây dựng thương hiệu để nâng cao năng suất, chất lượng và năng lực cạnh "
        "tranh cho sản phẩm.\n\n"
        "2. Yêu cầu: Việc hỗ trợ cho các HTX đảm bảo hiệu quả và đúng qui định pháp luật.",
        None,
        None,
        ItemStatus.IN_PROGRESS,
        (),
        [],
    ),
    (
        "II.1",
        "Hỗ trợ các Hợp tác xã nghiên cứu, triển khai đề tài, dự án KH&CN",
        "- Phối hợp Liên minh Hợp tác xã tổ chức các hội nghị HTX giới thiệu các qui định của "
        "Nhà nước về nghiên cứu, ứng dụng KH&CN.\n\n"
        "- Hướng dẫn các HTX thủ tục hành chính khi tham gia các đề tài, dự án KH&CN; Nắm bắt "
        "nhu cầu của các HTX trong nghiên cứu khoa học.\n\n"
        "- Tổ chức thực hiện: Giao phòng Quản lý Khoa học tham mưu Giám đốc sở thực hiện xong "
        "trong tháng 10/2018.",
        "QLKH",
        dt.date(2026, 10, 31),
        ItemStatus.IN_PROGRESS,
        ("st",),
        [
            (
                dt.date(2026, 9, 15),
                "qlkh@demo.outreach.vn",
                "Đã soạn hướng dẫn thủ tục tham gia đề tài, dự án KH&CN cho HTX; đang thống nhất "
                "lịch hội nghị với Liên minh HTX tỉnh.",
                ItemStatus.IN_PROGRESS,
            ),
            (
                dt.date(2026, 11, 5),
                "qlkh@demo.outreach.vn",
                "Chưa xong đúng hạn: Liên minh HTX tỉnh đề nghị lùi hội nghị sang ngày "
                "10/12/2026 để ghép với lịch tập huấn HTX. Hướng dẫn thủ tục đã gửi các HTX; "
                "phiếu nhu cầu thu qua mẫu đăng ký hội nghị.",
                None,
            ),
        ],
    ),
    (
        "II.2",
        "Hỗ trợ các HTX xây dựng thương hiệu sản phẩm",
        "- Tổ chức lồng ghép hội nghị với Liên minh Hợp tác xã giới thiệu các chính sách của "
        "Nhà nước, của tỉnh về xây dựng thương hiệu cho các sản phẩm.\n\n"
        "- Tổ chức thực hiện: Giao phòng Quản lý Chuyên ngành tham mưu Giám đốc sở thực hiện "
        "xong trong tháng 10/2018.",
        "QLCN",
        dt.date(2026, 12, 31),
        ItemStatus.IN_PROGRESS,
        ("brand",),
        [
            (
                dt.date(2026, 10, 20),
                "qlcn@demo.outreach.vn",
                "Giám đốc Sở đồng ý gia hạn đến 31/12/2026 để lồng ghép với hội nghị ngày "
                "17/12/2026 (thời hạn ban đầu: tháng 10). Đang soạn tài liệu về nhãn hiệu tập "
                "thể, chỉ dẫn địa lý và OCOP.",
                ItemStatus.IN_PROGRESS,
            ),
        ],
    ),
    (
        "II.3",
        "Hỗ trợ các HTX tham gia chương trình đổi mới công nghệ quốc gia",
        "- Tổ chức lồng ghép tại hội nghị với Liên minh Hợp tác xã giới thiệu các chính sách "
        "của Nhà nước về hỗ trợ đổi mới công nghệ.\n\n"
        "- Tổ chức thực hiện: Giao phòng Quản lý Công nghệ tham mưu Giám đốc sở thực hiện xong "
        "trong tháng 10/2018.",
        "QLCNG",
        dt.date(2026, 12, 31),
        ItemStatus.NOT_STARTED,
        ("innovation",),
        [
            (
                dt.date(2026, 10, 20),
                "qlkh@demo.outreach.vn",
                "Gia hạn đến 31/12/2026 theo lịch hội nghị với Liên minh HTX tỉnh; đề nghị phòng "
                "Quản lý Công nghệ gửi đề cương báo cáo trước ngày 15/12/2026.",
                None,
            ),
        ],
    ),
    (
        "IV.1",
        "Yêu cầu các phòng được giao nhiệm vụ có trách nhiệm xây dựng tập tài liệu và báo cáo "
        "tại các hội nghị.",
        "",
        None,
        dt.date(2026, 12, 3),
        ItemStatus.IN_PROGRESS,
        ("st", "brand", "innovation"),
        [
            (
                dt.date(2026, 11, 20),
                "qlkh@demo.outreach.vn",
                "Tài liệu hội nghị ngày 10/12 đã có bản thảo; hai hội nghị sau đang soạn.",
                ItemStatus.IN_PROGRESS,
            ),
        ],
    ),
    (
        "IV.2",
        "Phòng Kế hoạch tài chính tham mưu Giám đốc sở về kinh phí tổ chức thực hiện kế hoạch.",
        "",
        "KHTC",
        dt.date(2026, 12, 4),
        ItemStatus.IN_PROGRESS,
        ("st", "brand", "innovation"),
        [
            (
                dt.date(2026, 11, 25),
                "khtc@demo.outreach.vn",
                "Đã lập dự toán cho ba hội nghị theo định mức của Sở; chờ số đăng ký để trình "
                "Giám đốc Sở duyệt.",
                ItemStatus.IN_PROGRESS,
            ),
        ],
    ),
    (
        "IV.3",
        "Giao phòng Quản lý Khoa học đôn đốc, theo dõi thực hiện kế hoạch này.",
        "",
        "QLKH",
        dt.date(2026, 12, 31),
        ItemStatus.IN_PROGRESS,
        (),
        [
            (
                dt.date(2026, 11, 26),
                "qlkh@demo.outreach.vn",
                "Theo dõi hằng tuần; đã nhắc phòng Quản lý Khoa học hoàn thành mục II.1.",
                ItemStatus.IN_PROGRESS,
            ),
        ],
    ),
]

#: the department's norms (domain.md §5.2; illustrative): (category, description, unit,
#: unit cost in đồng, rule, fixed quantity, times)
NORMS = [
    ("hall", "Thuê hội trường", "ngày", 5_000_000, "fixed", 1, 1),
    ("sound", "Thuê âm thanh, máy chiếu", "ngày", 1_500_000, "fixed", 1, 1),
    ("printing", "In ấn, photo tài liệu hội nghị", "bộ", 20_000, "per_pack", None, 1),
    ("tea_break", "Nước uống, giải khát giữa giờ", "người/buổi", 20_000, "per_checked_in", None, 2),
    (
        "meal_support",
        "Hỗ trợ tiền ăn đại biểu không hưởng lương ngân sách nhà nước (TT 40/2017/TT-BTC)",
        "người/ngày",
        150_000,
        "per_checked_in",
        None,
        1,
    ),
    ("speaker_fee", "Thù lao báo cáo viên", "buổi", 300_000, "fixed", 3, 1),
    ("banner", "Trang trí, khẩu hiệu, maket", "hội nghị", 300_000, "fixed", 1, 1),
]
#: document packs planned per demo conference
DEMO_PACKS = 100


def _at(day: dt.date) -> dt.datetime:
    # 09:00 in Hà Nội
    return dt.datetime(day.year, day.month, day.day, 2, 0, tzinfo=dt.UTC)


def load_plan_demo(*, department: Organization, now: dt.datetime) -> None:
    """Create the demo plan, its items and notes, the norms and the budgets when missing."""
    conferences = {}
    for key, slug in CONFERENCE_SLUGS.items():
        conference, _current = conference_services.find_conference_by_slug(slug)
        if conference is not None:
            conferences[key] = conference
    plan = services.find_plan_by_number(PLAN_NUMBER)
    if plan is None:
        plan = services.create_plan(
            services.PlanInput(
                number=PLAN_NUMBER,
                title=PLAN_TITLE,
                issuing_body=ISSUING_BODY,
                issued_on=ISSUED_ON,
                signer=SIGNER,
            ),
            actor=None,
            now=now,
        )
        plan.monitoring_division = account_services.find_division_by_code(MONITORING_DIVISION)
    present = {item.section for item in plan.items}
    for position, spec in enumerate(ITEMS, start=1):
        section, title, description, division_code, due_on, status, keys, notes = spec
        if section in present:
            continue
        item = services.add_item(
            plan,
            services.ItemInput(
                section=section,
                title=title,
                description=description,
                division=account_services.find_division_by_code(division_code)
                if division_code
                else None,
                due_on=due_on,
                conferences=[conferences[k] for k in keys if k in conferences],
                position=position,
            ),
            actor=None,
            now=now,
        )
        for day, email, text, status_after in notes:
            db.session.add(
                ProgressNote(
                    item=item,
                    author=account_services.find_user_by_email(email),
                    at=min(_at(day), now),
                    text=text,
                    status_after=status_after,
                )
            )
        item.status = status
    db.session.flush()
    if not services.list_norms(department):
        for category, description, unit, cost, rule, fixed, times in NORMS:
            services.save_norm(
                department,
                services.BudgetLineInput(
                    category=category,
                    description=description,
                    unit_label=unit,
                    unit_cost_vnd=cost,
                    quantity_rule=rule,
                    fixed_quantity=fixed,
                    times=times,
                ),
                actor=None,
                now=now,
            )
    for conference in conferences.values():
        if services.list_budget_lines(conference):
            continue
        if conference.host_id == department.id:
            services.apply_norms(conference, actor=None, now=now)
        if services.find_conference_budget(conference) is None:
            services.set_printed_packs(conference, DEMO_PACKS, actor=None, now=now)
