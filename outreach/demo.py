"""Demo data: the department, the Alliance, their divisions and one user per role.

All of it is fictional and marked as demo data in the UI. Loading is idempotent: rows are
found by a natural key and only created when missing.
"""

from __future__ import annotations

import sqlalchemy as sa

from outreach.accounts import services as account_services
from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import OrganizationKind
from outreach.accounts.models import Role
from outreach.database import db

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
    return logins
