"""A small hand-checked data set for the report tests (numbers worked out in test_services)."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.accounts.models import Division
from outreach.database import db

UTC = dt.UTC

# name, kind, tax code, ward, sector, products, delegates (name, phone, gender), needs, created
COOPERATIVES = [
    (
        "HTX Nông sản Dương Hưu",
        "hop_tac_xa",
        "2407196800",
        7672,
        "Nông nghiệp",
        "vải thiều",
        [("Nguyễn Văn Hùng", "0912000001", "male"), ("Trần Thị Lan", "0912000002", "female")],
        {
            "st_projects": {"choices": ["funding", "technology"], "text": "Sấy vải thiều"},
            "branding": {"choices": ["procedures"], "text": "Đăng ký nhãn hiệu"},
        },
        dt.datetime(2026, 11, 1, 3, 0, tzinfo=UTC),
    ),
    (
        "HTX Mây tre Đa Mai",
        "hop_tac_xa",
        "2407196818",
        7228,
        "Thủ công mỹ nghệ",
        "mây tre đan",
        [("Lê Thị Mai", "0912000003", "female")],
        {"innovation": {"choices": ["technology", "funding"], "text": "Máy chẻ tre <tự động>"}},
        dt.datetime(2026, 11, 1, 4, 0, tzinfo=UTC),
    ),
    (
        "Liên hiệp HTX Bắc Lũng",
        "lien_hiep_hop_tac_xa",
        "2407196825",
        7498,
        "Nông nghiệp",
        "gạo",
        [
            ("Phạm Văn Đức", "0912000004", "male"),
            ("Hoàng Văn An", "0912000005", "unspecified"),
            ("Vũ Thị Hoa", "0912000006", "female"),
        ],
        {},
        # 18:00 UTC is 01:00 the next day in Hà Nội
        dt.datetime(2026, 11, 1, 18, 0, tzinfo=UTC),
    ),
    (
        "Tổ hợp tác rau An Lạc",
        "to_hop_tac",
        "",
        7654,
        "",
        "rau an toàn",
        [("Đỗ Văn Bình", "0912000007", "male")],
        {"st_projects": {"choices": ["training"], "text": ""}},
        dt.datetime(2026, 11, 3, 2, 0, tzinfo=UTC),
    ),
    (
        "HTX Đông Phú",
        "hop_tac_xa",
        "2407196832",
        7450,
        "Chăn nuôi",
        "gà đồi",
        [("Ngô Văn Cường", "0912000008", "male")],
        {"branding": {"choices": ["partner", "procedures"], "text": "Tìm nhà phân phối"}},
        dt.datetime(2026, 11, 3, 3, 0, tzinfo=UTC),
    ),
    # the conference is full now (8 seats): the next two wait
    (
        "HTX Bảo Đài",
        "hop_tac_xa",
        "2407196857",
        7462,
        "Nông nghiệp",
        "cam",
        [("Bùi Thị Hằng", "0912000009", "female"), ("Đinh Văn Sơn", "0912000010", "male")],
        {"branding": {"choices": ["partner"], "text": ""}},
        dt.datetime(2026, 11, 3, 4, 0, tzinfo=UTC),
    ),
    (
        "HTX Biên Sơn",
        "hop_tac_xa",
        "2407196864",
        7537,
        "Lâm nghiệp",
        "gỗ",
        [("Lý Văn Tâm", "0912000011", "male")],
        {"innovation": {"choices": ["training"], "text": "hủy sau"}},
        dt.datetime(2026, 11, 4, 4, 0, tzinfo=UTC),
    ),
]
CHECKED_IN = {"0912000001", "0912000003", "0912000007"}


@pytest.fixture
def divisions(app, organizer):
    """The host department's divisions (the dataset's conference is its own)."""
    organization = organizer.organization
    result = {}
    for code, name in (
        ("QLKH", "Phòng Quản lý Khoa học"),
        ("QLCN", "Phòng Quản lý Chuyên ngành"),
        ("QLCNG", "Phòng Quản lý Công nghệ"),
    ):
        division = Division(organization=organization, code=code, name=name)
        db.session.add(division)
        result[code] = division
    db.session.flush()
    return result


@pytest.fixture
def dataset(app, organizer, create_conference, make_input):
    """A conference of 8 seats with five confirmed, one waiting and one cancelled
    registration; three people checked in."""
    from outreach.registration import services
    from outreach.registration.models import Delegate

    conference = create_conference(
        host=organizer.organization,
        capacity=8,
        themes=["st_projects", "branding", "innovation"],
    )
    registrations = []
    for index, (name, kind, tax, ward, sector, products, people, needs, at) in enumerate(
        COOPERATIVES
    ):
        data = make_input(
            cooperative={
                "name": name,
                "kind": kind,
                "tax_code": tax,
                "ward_code": ward,
                "sector": sector,
                "main_products": products,
            },
            delegates=[],
            needs=needs,
        )
        data = services.RegistrationInput(
            **{
                **data.__dict__,
                "delegates": [
                    services.DelegateInput(full_name=n, phone=p, gender=g) for n, p, g in people
                ],
            }
        )
        result = services.register_cooperative(
            conference, data, submission_id=f"dataset-{index}", now=at
        )
        registrations.append(result.registration)
    services.cancel_registration(registrations[-1], now=dt.datetime(2026, 11, 5, tzinfo=UTC))
    for delegate in db.session.scalars(db.select(Delegate)):
        if delegate.phone_e164.replace("+84", "0") in CHECKED_IN:
            delegate.checked_in_at = dt.datetime(2026, 12, 10, 0, 30, tzinfo=UTC)
    db.session.commit()
    return conference, registrations
