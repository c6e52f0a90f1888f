"""Demo data: the department, the Alliance, their divisions, one user per role, and the plan's
three conferences (late 2026) with their agendas.

All of it is fictional and marked as demo data in the UI. Loading is idempotent: rows are
found by a natural key and only created when missing.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from outreach.accounts import services as account_services
from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import OrganizationKind
from outreach.accounts.models import Role
from outreach.conferences import services as conference_services
from outreach.database import db
from outreach.database import utcnow

DEPARTMENT = (
    "Sở Khoa học và Công nghệ tỉnh Bắc Ninh",
    "Sở KH&CN",
    OrganizationKind.HOST_DEPARTMENT,
)
ALLIANCE = (
    "Liên minh Hợp tác xã tỉnh Bắc Ninh",
    "Liên minh HTX",
    OrganizationKind.COOPERATIVE_ALLIANCE,
)

#: (organization, division name, code)
DIVISIONS = [
    (DEPARTMENT, "Phòng Quản lý Khoa học", "QLKH"),
    (DEPARTMENT, "Phòng Quản lý Chuyên ngành", "QLCN"),
    (DEPARTMENT, "Phòng Quản lý Công nghệ", "QLCNG"),
    (DEPARTMENT, "Phòng Kế hoạch - Tài chính", "KHTC"),
    (DEPARTMENT, "Văn phòng Sở", "VP"),
    (ALLIANCE, "Ban Kế hoạch - Hỗ trợ", "LMHTX-HT"),
]

#: (role, e-mail, name, password, division code, organization)
DEMO_USERS = [
    (
        Role.ADMIN,
        "admin@demo.outreach.vn",
        "Quản trị Hệ thống",
        "demo-admin-2026",
        None,
        DEPARTMENT,
    ),
    (
        Role.ORGANIZER,
        "tochuc@demo.outreach.vn",
        "Nguyễn Văn Hùng",
        "demo-tochuc-2026",
        None,
        DEPARTMENT,
    ),
    (
        Role.ORGANIZER,
        "lienminh@demo.outreach.vn",
        "Trần Thị Thu Hà",
        "demo-lienminh-2026",
        None,
        ALLIANCE,
    ),
    (
        Role.DIVISION_STAFF,
        "qlkh@demo.outreach.vn",
        "Lê Minh Đức",
        "demo-qlkh-2026",
        "QLKH",
        DEPARTMENT,
    ),
    (
        Role.DIVISION_STAFF,
        "qlcn@demo.outreach.vn",
        "Đỗ Thị Hồng Nhung",
        "demo-qlcn-2026",
        "QLCN",
        DEPARTMENT,
    ),
    (
        Role.DIVISION_STAFF,
        "qlcng@demo.outreach.vn",
        "Hoàng Văn Toàn",
        "demo-qlcng-2026",
        "QLCNG",
        DEPARTMENT,
    ),
    (
        Role.DIVISION_STAFF,
        "khtc@demo.outreach.vn",
        "Vũ Thị Lan",
        "demo-khtc-2026",
        "KHTC",
        DEPARTMENT,
    ),
    (
        Role.DOOR_STAFF,
        "diemdanh@demo.outreach.vn",
        "Phạm Văn Nam",
        "demo-diemdanh-2026",
        None,
        DEPARTMENT,
    ),
]


#: the demo describes late 2026; rows are created as of this date at the latest, so the
#: conferences still load (as upcoming when they are) if the demo runs after them
DEMO_CLOCK = dt.datetime(2026, 11, 28, 0, 0, tzinfo=dt.UTC)
_HANOI = ZoneInfo("Asia/Ho_Chi_Minh")

#: The three themes of plan 64/KH-KHCN (domain.md §7.2): slug, title, theme code, day,
#: venue, ward code, summary, and the agenda as (start, end, title, speaker, description).
#: Every session is owned by the theme's lead division.
DEMO_CONFERENCES = [
    {
        "slug": "hoi-nghi-de-tai-du-an-khcn-2026",
        "title": (
            "Hội nghị phổ biến quy định về nghiên cứu, ứng dụng KH&CN "
            "và thủ tục tham gia đề tài, dự án KH&CN"
        ),
        "theme": "st_projects",
        "division": "QLKH",
        "day": dt.date(2026, 12, 10),
        "venue_name": "Hội trường UBND xã Lục Ngạn",
        "venue_address": "Trung tâm hành chính xã",
        "ward_code": 7582,
        "summary": (
            "Phổ biến quy định của Nhà nước về nghiên cứu, ứng dụng khoa học và công nghệ; "
            "hướng dẫn thủ tục để hợp tác xã tham gia đề tài, dự án KH&CN các cấp."
        ),
        "agenda": [
            (
                "08:00",
                "09:15",
                "Giới thiệu các quy định pháp luật về khoa học và công nghệ; nhiệm vụ KH&CN "
                "cấp tỉnh và cơ hội cho HTX",
                "Lãnh đạo Phòng Quản lý Khoa học",
            ),
            (
                "09:15",
                "10:30",
                "Hướng dẫn quy trình đề xuất đặt hàng, tuyển chọn, giao trực tiếp và hồ sơ "
                "thuyết minh đề tài, dự án KH&CN",
                "Chuyên viên Phòng Quản lý Khoa học",
            ),
            ("10:30", "11:30", "Trao đổi, giải đáp vướng mắc của các HTX", ""),
        ],
    },
    {
        "slug": "hoi-nghi-thuong-hieu-san-pham-2026",
        "title": (
            "Hội nghị chính sách hỗ trợ xây dựng, quản lý và phát triển thương hiệu sản phẩm "
            "(nhãn hiệu tập thể, nhãn hiệu chứng nhận, chỉ dẫn địa lý, OCOP)"
        ),
        "theme": "branding",
        "division": "QLCN",
        "day": dt.date(2026, 12, 17),
        "venue_name": "Hội trường UBND xã Tân Yên",
        "venue_address": "Trung tâm hành chính xã",
        "ward_code": 7339,
        "summary": (
            "Chính sách của Trung ương và của tỉnh hỗ trợ hợp tác xã xây dựng, quản lý và "
            "phát triển thương hiệu sản phẩm: nhãn hiệu, chỉ dẫn địa lý, mã số mã vạch, "
            "truy xuất nguồn gốc và OCOP."
        ),
        "agenda": [
            (
                "08:00",
                "09:15",
                "Thủ tục đăng ký bảo hộ nhãn hiệu và quản lý, sử dụng chỉ dẫn địa lý",
                "Lãnh đạo Phòng Quản lý Chuyên ngành",
            ),
            (
                "09:15",
                "10:30",
                "Chính sách hỗ trợ của tỉnh về sở hữu trí tuệ, mã số mã vạch, truy xuất nguồn "
                "gốc; tiêu chí OCOP theo QĐ 148/QĐ-TTg",
                "Chuyên viên Phòng Quản lý Chuyên ngành",
            ),
            (
                "10:30",
                "11:30",
                "Chia sẻ kinh nghiệm xây dựng thương hiệu của HTX tiêu biểu",
                "Đại diện HTX Nông sản Lục Ngạn",
            ),
        ],
    },
    {
        "slug": "hoi-nghi-doi-moi-cong-nghe-2026",
        "title": (
            "Hội nghị giới thiệu Chương trình đổi mới công nghệ quốc gia đến năm 2030 "
            "(QĐ 118/QĐ-TTg)"
        ),
        "theme": "innovation",
        "division": "QLCNG",
        "day": dt.date(2026, 12, 24),
        "venue_name": "Nhà văn hóa xã Kiên Lao",
        "venue_address": "Trung tâm xã",
        "ward_code": 7552,
        "summary": (
            "Mục tiêu, nội dung và cách tham gia Chương trình đổi mới công nghệ quốc gia đến "
            "năm 2030; hỗ trợ chuyển giao, đổi mới công nghệ cho hợp tác xã nông thôn, miền núi."
        ),
        "agenda": [
            (
                "08:00",
                "09:15",
                "Mục tiêu, nội dung và đối tượng tham gia Chương trình",
                "Lãnh đạo Phòng Quản lý Công nghệ",
            ),
            (
                "09:15",
                "10:30",
                "Hỗ trợ chuyển giao, đổi mới, hoàn thiện công nghệ cho HTX ở khu vực nông thôn, "
                "miền núi; hồ sơ đăng ký",
                "Chuyên viên Phòng Quản lý Công nghệ",
            ),
            (
                "10:30",
                "11:30",
                "Giới thiệu mô hình ứng dụng công nghệ sơ chế, bảo quản nông sản "
                "(ví dụ: vải thiều)",
                "Đại diện HTX Dịch vụ Nông nghiệp Kiên Lao",
            ),
        ],
    },
]


def _local(day: dt.date, hhmm: str) -> dt.datetime:
    hour, minute = (int(part) for part in hhmm.split(":"))
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=_HANOI)


def _load_conferences(now: dt.datetime) -> None:
    host = _organization(DEPARTMENT)
    alliance = _organization(ALLIANCE)
    for spec in DEMO_CONFERENCES:
        existing, _current = conference_services.find_conference_by_slug(spec["slug"])
        if existing is not None:
            continue
        day = spec["day"]
        conference = conference_services.create_conference(
            conference_services.ConferenceInput(
                slug=spec["slug"],
                title=spec["title"],
                summary=spec["summary"],
                themes=[spec["theme"]],
                host=host,
                cohosts=[alliance],
                venue_name=spec["venue_name"],
                venue_address=spec["venue_address"],
                province_code=24,
                ward_code=spec["ward_code"],
                starts_at=_local(day, "08:00"),
                ends_at=_local(day, "11:30"),
                capacity=150,
                delegates_per_cooperative=3,
                registration_opens_at=_local(dt.date(2026, 11, 20), "08:00"),
                registration_closes_at=_local(day - dt.timedelta(days=2), "17:00"),
            ),
            actor=None,
            now=now,
        )
        division = account_services.find_division_by_code(spec["division"])
        for start, end, title, speaker in spec["agenda"]:
            conference_services.add_session(
                conference,
                conference_services.SessionInput(
                    title=title,
                    starts_at=_local(day, start),
                    ends_at=_local(day, end),
                    division=division,
                    speaker=speaker,
                ),
                actor=None,
                now=now,
            )
        conference_services.publish_conference(conference, actor=None, now=now)


def database_is_empty() -> bool:
    return db.session.scalar(sa.select(sa.func.count(Organization.id))) == 0


def _organization(spec) -> Organization:
    name, short_name, kind = spec
    organization = db.session.scalar(sa.select(Organization).where(Organization.name == name))
    if organization is None:
        organization = Organization(name=name, short_name=short_name, kind=kind, is_demo=True)
        db.session.add(organization)
        db.session.flush()
    return organization


def load_demo() -> list[tuple[str, str, str]]:
    """Create whatever demo rows are missing; return (role, e-mail, password) for printing."""
    for organization_spec, name, code in DIVISIONS:
        if account_services.find_division_by_code(code) is None:
            db.session.add(
                Division(organization=_organization(organization_spec), name=name, code=code)
            )
    db.session.flush()
    logins = []
    for role, email, name, password, division_code, organization_spec in DEMO_USERS:
        if account_services.find_user_by_email(email) is None:
            account_services.create_user(
                email=email,
                name=name,
                role=role,
                password=password,
                division=account_services.find_division_by_code(division_code)
                if division_code
                else None,
                organization=_organization(organization_spec),
            )
        logins.append((role.value, email, password))
    _load_conferences(min(utcnow(), DEMO_CLOCK))
    _load_documents(min(utcnow(), DEMO_CLOCK))
    _load_registrations(min(utcnow(), DEMO_CLOCK))
    _load_plans(min(utcnow(), DEMO_CLOCK))
    return logins


def _load_plans(now: dt.datetime) -> None:
    """Plan 64/KH-KHCN, its progress, budget norms and budgets (outreach/plans/demo.py)."""
    from outreach.plans.demo import load_plan_demo

    load_plan_demo(department=_organization(DEPARTMENT), now=now)


#: Registrations for the first demo conference, so the check-in desk has people to find:
#: (kind, cooperative, commune code, tax code, [(delegate, position)]) from domain.md §7.1.
DEMO_REGISTRATIONS = [
    (
        "hop_tac_xa",
        "HTX Nông sản Lục Ngạn",
        7582,
        "2407196800",
        [("Nguyễn Văn Hùng", "Giám đốc"), ("Trần Thị Thu Hà", "Kế toán")],
    ),
    (
        "hop_tac_xa",
        "HTX Dịch vụ Nông nghiệp Kiên Lao",
        7552,
        "2403432165",
        [("Lê Minh Đức", "Giám đốc")],
    ),
    (
        "hop_tac_xa",
        "HTX Gốm Phù Lãng",
        9292,
        "2408200376",
        [("Đỗ Thị Hồng Nhung", "Giám đốc"), ("Hoàng Văn Toàn", "Thành viên")],
    ),
    ("hop_tac_xa", "HTX Mỳ gạo Nam Dương", 7603, "2407301607", [("Vũ Thị Lan", "Phó giám đốc")]),
    (
        "to_hop_tac",
        "Tổ hợp tác Nuôi ong Tây Yên Tử",
        7616,
        "",
        [("Phạm Văn Nam", "Tổ trưởng"), ("Nguyễn Thị Mai", "Thành viên")],
    ),
]


#: What each demo registration says it needs (choices, text), under the conference's first theme,
#: so the divisions' needs inbox and the reports have something to show.
DEMO_NEEDS = [
    (["technology", "funding"], "Công nghệ sấy vải thiều giữ màu, giảm hao hụt sau thu hoạch."),
    (["procedures"], "Hướng dẫn hồ sơ đề xuất dự án ứng dụng KH&CN cấp tỉnh."),
    (["partner", "training"], "Tìm đơn vị nghiên cứu cùng thử nghiệm men gốm mới."),
    (["funding"], "Kinh phí đổi mới dây chuyền tráng và sấy mỳ."),
    (["training"], "Tập huấn kỹ thuật nuôi ong và truy xuất nguồn gốc mật ong."),
]


def _load_registrations(now: dt.datetime) -> None:
    """A few confirmed registrations for the first demo conference (skipped when it has any).

    Entered as by the demo organizer, so they load whatever the registration window says.
    Phones are 0912 000 001, 0912 000 002, … (fictional).
    """
    from outreach.registration import services as registration_services
    from outreach.registration.models import Registration

    conference, _current = conference_services.find_conference_by_slug(DEMO_CONFERENCES[0]["slug"])
    if conference is None or now >= conference.starts_at:
        return
    has_any = db.session.scalar(
        sa.select(Registration.id).where(Registration.conference_id == conference.id).limit(1)
    )
    if has_any is not None:
        return
    organizer = account_services.find_user_by_email("tochuc@demo.outreach.vn")
    phone = 0
    for index, (kind, name, ward_code, tax_code, people) in enumerate(DEMO_REGISTRATIONS):
        delegates = []
        for full_name, position in people:
            phone += 1
            delegates.append(
                registration_services.DelegateInput(
                    full_name=full_name, phone=f"0912{phone:06d}", position=position
                )
            )
        registration_services.register_cooperative(
            conference,
            registration_services.RegistrationInput(
                cooperative=registration_services.CooperativeInput(
                    kind=kind,
                    name=name,
                    tax_code=tax_code,
                    province_code=24,
                    ward_code=ward_code,
                ),
                contact_name=people[0][0],
                contact_phone=delegates[0].phone,
                contact_email="",
                delegates=delegates,
                needs={
                    theme: {"choices": DEMO_NEEDS[index][0], "text": DEMO_NEEDS[index][1]}
                    for theme in conference.themes[:1]
                },
                consent_participation=True,
            ),
            submission_id=f"demo-registration-{index + 1}",
            now=now,
            entered_by=organizer,
        )


def _load_documents(now: dt.datetime) -> None:
    """Briefing PDFs for the demo sessions and one procedure guide per theme."""
    from flask import current_app

    from outreach.documents import services as document_services

    document_services.load_demo_documents(folder=current_app.config["UPLOAD_FOLDER"], now=now)
