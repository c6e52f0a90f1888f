"""Report aggregates against hand-computed numbers, needs routing and follow-up."""

from __future__ import annotations

import datetime as dt

import pytest

from outreach.database import db
from outreach.reports import services
from outreach.reports.models import NeedFollowUp

ROUTING = {"st_projects": "QLKH", "branding": "QLCN", "innovation": "QLCNG"}
NOW = dt.datetime(2026, 11, 20, tzinfo=dt.UTC)


def _rows(figure):
    return [(row.label, row.values) for row in figure.rows]


def test_conference_report_totals_match_hand_count(dataset):
    conference, registrations = dataset
    assert [r.status for r in registrations] == ["confirmed"] * 5 + ["waitlisted", "cancelled"]
    report = services.conference_report(conference, routing=ROUTING)
    totals = report.totals
    assert totals.cooperatives_registered == 5
    assert totals.delegates_registered == 8
    assert totals.cooperatives_waitlisted == 1
    assert totals.delegates_waitlisted == 2
    assert totals.checked_in == 3
    assert totals.no_shows == 5
    assert totals.registrations_cancelled == 1


def test_communes_in_vietnamese_alphabetical_order(dataset):
    conference, _ = dataset
    report = services.conference_report(conference, routing=ROUTING)
    # a < ă, d < đ, and "Đa" before "Đông"; the unit word (Xã, Phường) does not count
    assert _rows(report.figure("communes")) == [
        ("Xã An Lạc", (1, 1, 1)),
        ("Xã Bắc Lũng", (1, 3, 0)),
        ("Xã Dương Hưu", (1, 2, 1)),
        ("Phường Đa Mai", (1, 1, 1)),
        ("Xã Đông Phú", (1, 1, 0)),
    ]
    assert _rows(report.figure("provinces")) == [("Bắc Ninh", (5, 8, 3))]


def test_place_sort_key_orders_vietnamese_letters():
    names = ["Xã Đông Phú", "Xã Dương Hưu", "Xã Bắc Lũng", "Xã Bảo Đài", "Phường Đa Mai", "Xã An"]
    assert sorted(names, key=services.place_sort_key) == [
        "Xã An",
        "Xã Bảo Đài",
        "Xã Bắc Lũng",
        "Xã Dương Hưu",
        "Phường Đa Mai",
        "Xã Đông Phú",
    ]


def test_kinds_sectors_and_genders(dataset):
    conference, _ = dataset
    report = services.conference_report(conference, routing=ROUTING)
    assert _rows(report.figure("kinds")) == [
        ("Hợp tác xã", (3, 4)),
        ("Liên hiệp hợp tác xã", (1, 3)),
        ("Tổ hợp tác", (1, 1)),
    ]
    assert _rows(report.figure("sectors")) == [
        ("Nông nghiệp", (2,)),
        ("Chăn nuôi", (1,)),
        ("Không nêu", (1,)),
        ("Thủ công mỹ nghệ", (1,)),
    ]
    assert _rows(report.figure("genders")) == [
        ("Nữ", (3, 1)),
        ("Nam", (4, 2)),
        ("Không nêu", (1, 0)),
    ]


def test_needs_by_theme_and_type_leave_out_cancelled(dataset):
    conference, _ = dataset
    report = services.conference_report(conference, routing=ROUTING)
    assert [row.values[0] for row in report.figure("needs_themes").rows] == [2, 3, 1]
    assert dict(_rows(report.figure("needs_types"))) == {
        "Công nghệ": (2,),
        "Đối tác": (2,),
        "Kinh phí hỗ trợ": (2,),
        "Hướng dẫn thủ tục": (2,),
        "Đào tạo, tập huấn": (1,),
    }


def test_arrivals_are_counted_per_local_day(dataset):
    conference, _ = dataset
    report = services.conference_report(conference, routing=ROUTING)
    assert _rows(report.figure("arrivals")) == [
        ("01/11", (2,)),
        ("02/11", (1,)),
        ("03/11", (3,)),
        ("04/11", (1,)),
    ]


def test_each_need_goes_to_its_division(dataset, divisions, create_user):
    expected = {
        "QLKH": {
            ("HTX Nông sản Dương Hưu", "st_projects"),
            ("Tổ hợp tác rau An Lạc", "st_projects"),
        },
        "QLCN": {
            ("HTX Nông sản Dương Hưu", "branding"),
            ("HTX Đông Phú", "branding"),
            ("HTX Bảo Đài", "branding"),
        },
        "QLCNG": {("HTX Mây tre Đa Mai", "innovation")},
    }
    for code, needs in expected.items():
        user = create_user(role="division_staff", division=divisions[code])
        rows = services.list_needs(user, services.NeedFilters(), routing=ROUTING)
        assert {(row.cooperative.name, row.theme) for row in rows} == needs
        assert {row.division_code for row in rows} == {code}


def test_organizer_sees_all_needs_and_filters(dataset, organizer):
    rows = services.list_needs(organizer, services.NeedFilters(), routing=ROUTING)
    assert len(rows) == 6
    rows = services.list_needs(organizer, services.NeedFilters(ward_code=7672), routing=ROUTING)
    assert {row.theme for row in rows} == {"st_projects", "branding"}
    rows = services.list_needs(organizer, services.NeedFilters(kind="to_hop_tac"), routing=ROUTING)
    assert [row.cooperative.name for row in rows] == ["Tổ hợp tác rau An Lạc"]


def test_staff_of_another_organization_see_and_touch_none_of_its_needs(
    dataset, create_user, create_organization, create_division
):
    elsewhere = create_organization(name="Liên minh HTX", kind="cooperative_alliance")
    organizer = create_user(role="organizer", organization=elsewhere)
    division_staff = create_user(
        role="division_staff", division=create_division(code="LMQL", organization=elsewhere)
    )
    _conference, registrations = dataset
    for user in (organizer, division_staff):
        assert services.list_needs(user, services.NeedFilters(), routing=ROUTING) == []
        assert services.need_filter_options(user) == ([], [])
    with pytest.raises(services.NeedNotFound):
        services.find_need(organizer, registrations[0].id, "st_projects", routing=ROUTING)


def test_door_staff_see_no_needs(dataset, create_user):
    user = create_user(role="door_staff")
    assert services.list_needs(user, services.NeedFilters(), routing=ROUTING) == []


def test_set_follow_up_creates_one_row_then_updates_it(dataset, organizer):
    _, registrations = dataset
    need = services.find_need(organizer, registrations[0].id, "branding", routing=ROUTING)
    assert need.status == "new"
    services.set_follow_up(need, status="contacted", note="Đã gọi", actor=organizer, now=NOW)
    need = services.find_need(organizer, registrations[0].id, "branding", routing=ROUTING)
    services.set_follow_up(need, status="supporting", note="Hẹn gặp", actor=organizer, now=NOW)
    rows = db.session.scalars(db.select(NeedFollowUp)).all()
    assert [(r.theme, r.status, r.note) for r in rows] == [("branding", "supporting", "Hẹn gặp")]
    filtered = services.list_needs(
        organizer, services.NeedFilters(status="supporting"), routing=ROUTING
    )
    assert [(r.cooperative.name, r.theme) for r in filtered] == [
        ("HTX Nông sản Dương Hưu", "branding")
    ]
    report = services.conference_report(registrations[0].conference, routing=ROUTING)
    branding = report.figure("follow_ups").rows[1]
    assert branding.values == (2, 0, 1, 0)


def test_set_follow_up_rejects_bad_input(dataset, organizer):
    _, registrations = dataset
    need = services.find_need(organizer, registrations[0].id, "branding", routing=ROUTING)
    with pytest.raises(services.InvalidFollowUp) as error:
        services.set_follow_up(need, status="done", note="", actor=organizer, now=NOW)
    assert error.value.field == "status"
    with pytest.raises(services.InvalidFollowUp) as error:
        services.set_follow_up(need, status="contacted", note="x" * 2001, actor=organizer, now=NOW)
    assert error.value.field == "note"
    assert db.session.scalars(db.select(NeedFollowUp)).all() == []


def test_find_need_of_another_division_is_not_found(dataset, divisions, create_user):
    _, registrations = dataset
    user = create_user(role="division_staff", division=divisions["QLKH"])
    with pytest.raises(services.NeedNotFound):
        services.find_need(user, registrations[0].id, "branding", routing=ROUTING)
    with pytest.raises(services.NeedNotFound):
        # the cancelled registration's need is gone
        services.find_need(user, registrations[-1].id, "innovation", routing=ROUTING)
    assert services.find_need(user, registrations[0].id, "st_projects", routing=ROUTING)


def test_parse_period():
    assert services.parse_period("01/11/2026", "31/12/2026") == (
        dt.date(2026, 11, 1),
        dt.date(2026, 12, 31),
    )
    with pytest.raises(services.InvalidPeriod) as error:
        services.parse_period("31/02/2026", "01/03/2026")
    assert error.value.field == "from"
    with pytest.raises(services.InvalidPeriod) as error:
        services.parse_period("02/03/2026", "01/03/2026")
    assert error.value.field == "to"


def test_period_report_adds_up_conferences(dataset, organizer, create_conference):
    conference, _ = dataset
    other = create_conference(
        host=organizer.organization,
        starts_at=dt.datetime(2027, 3, 1, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 3, 1, 4, tzinfo=dt.UTC),
    )
    create_conference(
        starts_at=dt.datetime(2026, 12, 11, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 11, 4, tzinfo=dt.UTC),
    )  # not this organizer's
    db.session.commit()
    conferences = services.period_conferences(
        organizer, dt.date(2026, 12, 1), dt.date(2026, 12, 31)
    )
    assert conferences == [conference]
    conferences = services.period_conferences(organizer, dt.date(2026, 12, 1), dt.date(2027, 3, 1))
    assert conferences == [conference, other]
    report = services.build_report(conferences, routing=ROUTING)
    assert report.totals.delegates_registered == 8
    assert [line.totals.delegates_registered for line in report.conferences] == [8, 0]
