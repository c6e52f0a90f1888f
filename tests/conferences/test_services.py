"""Conference and agenda rules, called directly: one rule per test."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from outreach.conferences import services
from outreach.conferences.models import AgendaSession
from outreach.conferences.models import Conference
from outreach.conferences.models import ConferenceChange
from outreach.database import db

NOW = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def host(create_organization):
    return create_organization(name="Sở Khoa học và Công nghệ tỉnh Bắc Ninh")


@pytest.fixture
def alliance(create_organization):
    return create_organization(
        name="Liên minh Hợp tác xã tỉnh Bắc Ninh", kind="cooperative_alliance"
    )


@pytest.fixture
def make_input(host):
    def _make(**overrides):
        values = {
            "title": "Hội nghị giới thiệu Chương trình đổi mới công nghệ quốc gia",
            "host": host,
            "venue_name": "Nhà văn hóa xã Kiên Lao",
            "province_code": 24,
            "ward_code": 7552,
            # naive: wall-clock time in Asia/Ho_Chi_Minh
            "starts_at": dt.datetime(2026, 12, 24, 8, 0),
            "ends_at": dt.datetime(2026, 12, 24, 11, 30),
            "capacity": 150,
            "delegates_per_cooperative": 3,
        }
        values.update(overrides)
        return services.ConferenceInput(**values)

    return _make


@pytest.fixture
def division(create_division, host):
    return create_division(organization=host, name="Phòng Quản lý Công nghệ", code="QLCNG")


def _session_input(owner, **overrides):
    values = {
        "title": "Mục tiêu, nội dung và đối tượng tham gia Chương trình",
        "starts_at": dt.datetime(2026, 12, 24, 8, 0),
        "ends_at": dt.datetime(2026, 12, 24, 9, 15),
        "division": owner,
    }
    values.update(overrides)
    return services.SessionInput(**values)


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


# --- creating -------------------------------------------------------------------------------


def test_create_conference_stores_local_times_as_utc_and_starts_as_draft(make_input, alliance):
    conference = services.create_conference(make_input(cohosts=[alliance]), actor=None, now=NOW)
    assert conference.status == "draft"
    assert conference.starts_at == dt.datetime(2026, 12, 24, 1, 0, tzinfo=dt.UTC)
    assert conference.ends_at == dt.datetime(2026, 12, 24, 4, 30, tzinfo=dt.UTC)
    assert conference.timezone == "Asia/Ho_Chi_Minh"
    assert conference.cohosts == [alliance]
    assert conference.seats_taken == 0
    assert conference.has_waitlist is True
    assert conference.ics_sequence == 0


def test_create_conference_makes_a_slug_from_the_vietnamese_title(make_input):
    conference = services.create_conference(
        make_input(title="Hội nghị Đổi mới công nghệ"), actor=None, now=NOW
    )
    assert conference.slug == "hoi-nghi-doi-moi-cong-nghe"
    second = services.create_conference(
        make_input(title="Hội nghị Đổi mới công nghệ"), actor=None, now=NOW
    )
    assert second.slug == "hoi-nghi-doi-moi-cong-nghe-2"


def test_create_conference_keeps_known_themes_and_the_other_theme(make_input):
    conference = services.create_conference(
        make_input(themes=["innovation", "branding"], other_theme="Chuyển đổi số"),
        actor=None,
        now=NOW,
    )
    assert conference.themes == ["innovation", "branding"]
    assert conference.other_theme == "Chuyển đổi số"


def test_create_conference_drops_the_host_from_its_cohosts(make_input, host, alliance):
    conference = services.create_conference(
        make_input(cohosts=[host, alliance]), actor=None, now=NOW
    )
    assert conference.cohosts == [alliance]


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": "  "}, "title_required", "title"),
        ({"slug": "Hội Nghị"}, "invalid_slug", "slug"),
        ({"slug": "ab"}, "invalid_slug", "slug"),
        ({"slug": "bad--slug"}, "invalid_slug", "slug"),
        ({"themes": ["astrology"]}, "unknown_theme", "themes"),
        ({"host": None}, "actor_not_organizer", "host_id"),
        ({"venue_name": ""}, "venue_required", "venue_name"),
        ({"province_code": 99}, "unknown_province", "province_code"),
        ({"province_code": None}, "unknown_province", "province_code"),
        ({"ward_code": 1}, "unknown_ward", "ward_code"),
        ({"ward_code": None}, "unknown_ward", "ward_code"),
        # Phường Ba Đình is in Hà Nội (01), not Bắc Ninh (24)
        ({"ward_code": 4}, "ward_not_in_province", "ward_code"),
        ({"timezone": "Asia/Hanoi-ish"}, "unknown_timezone", "timezone"),
        ({"ends_at": dt.datetime(2026, 12, 24, 8, 0)}, "end_before_start", "ends_at"),
        ({"ends_at": dt.datetime(2026, 12, 24, 7, 0)}, "end_before_start", "ends_at"),
        ({"ends_at": dt.datetime(2027, 1, 24, 11, 0)}, "conference_too_long", "ends_at"),
        (
            {
                "starts_at": dt.datetime(2026, 11, 27, 8, 0),
                "ends_at": dt.datetime(2026, 11, 27, 11, 0),
            },
            "starts_in_past",
            "starts_at",
        ),
        (
            {"registration_closes_at": dt.datetime(2026, 12, 24, 9, 0)},
            "registration_closes_after_start",
            "registration_closes_at",
        ),
        (
            {
                "registration_opens_at": dt.datetime(2026, 12, 20, 9, 0),
                "registration_closes_at": dt.datetime(2026, 12, 20, 8, 0),
            },
            "registration_opens_after_close",
            "registration_opens_at",
        ),
        (
            {"registration_opens_at": dt.datetime(2026, 12, 24, 8, 0)},
            "registration_opens_after_close",
            "registration_opens_at",
        ),
        ({"capacity": 0}, "invalid_capacity", "capacity"),
        ({"capacity": -5}, "invalid_capacity", "capacity"),
        ({"capacity": 100_001}, "invalid_capacity", "capacity"),
        ({"capacity": None}, "invalid_capacity", "capacity"),
        ({"delegates_per_cooperative": 0}, "invalid_delegate_limit", "delegates_per_cooperative"),
        (
            {"capacity": 2, "delegates_per_cooperative": 3},
            "invalid_delegate_limit",
            "delegates_per_cooperative",
        ),
        (
            {"capacity": 500, "delegates_per_cooperative": 51},
            "invalid_delegate_limit",
            "delegates_per_cooperative",
        ),
    ],
)
def test_create_conference_refuses_bad_input_on_its_field(make_input, overrides, code, field):
    with pytest.raises(services.ConferenceError) as excinfo:
        services.create_conference(make_input(**overrides), actor=None, now=NOW)
    assert excinfo.value.code == code
    assert excinfo.value.field == field
    assert excinfo.value.message
    assert _count(Conference) == 0


def test_create_conference_refuses_a_slug_another_conference_uses(make_input, create_conference):
    create_conference(slug="hoi-nghi-thuong-hieu")
    with pytest.raises(services.SlugTaken) as excinfo:
        services.create_conference(make_input(slug="hoi-nghi-thuong-hieu"), actor=None, now=NOW)
    assert excinfo.value.code == "slug_taken"
    assert excinfo.value.field == "slug"


def test_create_conference_refuses_a_slug_another_conference_used_before(
    make_input, create_conference
):
    other = create_conference(slug="ten-moi")
    services.update_conference(
        other,
        make_input(slug="ten-moi-hon", title=other.title, host=other.host),
        actor=None,
        now=NOW,
    )
    with pytest.raises(services.SlugTaken):
        services.create_conference(make_input(slug="ten-moi"), actor=None, now=NOW)


def test_an_organizer_must_belong_to_the_host_or_a_cohost(
    make_input, create_user, create_organization, alliance
):
    outsider = create_user(role="organizer", organization=create_organization())
    with pytest.raises(services.ActorNotOrganizer) as excinfo:
        services.create_conference(make_input(cohosts=[alliance]), actor=outsider, now=NOW)
    assert excinfo.value.field == "host_id"
    alliance_organizer = create_user(role="organizer", organization=alliance)
    conference = services.create_conference(
        make_input(cohosts=[alliance]), actor=alliance_organizer, now=NOW
    )
    assert conference.id is not None


# --- updating -------------------------------------------------------------------------------


def test_update_conference_refuses_capacity_below_seats_taken(make_input, create_conference):
    conference = create_conference(seats_taken=40, capacity=150)
    db.session.commit()
    with pytest.raises(services.CapacityBelowSeatsTaken) as excinfo:
        services.update_conference(
            conference, make_input(capacity=39, host=conference.host), actor=None, now=NOW
        )
    assert excinfo.value.code == "capacity_below_seats_taken"
    assert excinfo.value.field == "capacity"
    db.session.rollback()
    assert db.session.get(Conference, conference.id).capacity == 150


def test_update_conference_may_keep_its_own_slug(make_input, create_conference):
    conference = create_conference(slug="hoi-nghi-rieng")
    services.update_conference(
        conference, make_input(slug="hoi-nghi-rieng", host=conference.host), actor=None, now=NOW
    )
    assert conference.slug == "hoi-nghi-rieng"
    assert conference.old_slugs == []


def test_renaming_a_public_conference_keeps_the_old_slug(make_input, create_conference):
    conference = create_conference(slug="ten-cu")
    services.update_conference(
        conference, make_input(slug="ten-moi", host=conference.host), actor=None, now=NOW
    )
    assert conference.slug == "ten-moi"
    found, is_current = services.find_conference_by_slug("ten-cu")
    assert (found, is_current) == (conference, False)
    # renaming back reclaims the old slug
    services.update_conference(
        conference, make_input(slug="ten-cu", host=conference.host), actor=None, now=NOW
    )
    assert services.find_conference_by_slug("ten-cu") == (conference, True)
    assert [s.slug for s in conference.old_slugs] == ["ten-moi"]


def test_moving_a_public_conference_records_the_change_and_raises_the_sequence(
    make_input, create_conference, create_session, create_user
):
    organizer = create_user(role="admin", email="admin@example.vn")
    conference = create_conference()
    session = create_session(conference)
    changes = services.update_conference(
        conference,
        make_input(
            host=conference.host,
            starts_at=dt.datetime(2026, 12, 11, 13, 30),
            ends_at=dt.datetime(2026, 12, 11, 17, 0),
            ward_code=conference.ward_code,
            venue_name=conference.venue_name,
            venue_address=conference.venue_address,
        ),
        actor=organizer,
        now=NOW,
    )
    assert [c.kind for c in changes] == ["time"]
    assert conference.ics_sequence == 1
    change = changes[0]
    assert change.by == organizer
    assert change.sequence == 1
    assert change.old_period == (
        dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC),
        dt.datetime(2026, 12, 10, 4, 30, tzinfo=dt.UTC),
    )
    assert change.new_period[0] == dt.datetime(2026, 12, 11, 6, 30, tzinfo=dt.UTC)
    # the session moved with the conference
    assert session.starts_at == dt.datetime(2026, 12, 11, 6, 30, tzinfo=dt.UTC)


def test_changing_the_venue_of_a_public_conference_is_recorded(make_input, create_conference):
    conference = create_conference()
    changes = services.update_conference(
        conference,
        make_input(
            host=conference.host,
            starts_at=dt.datetime(2026, 12, 10, 8, 0),
            ends_at=dt.datetime(2026, 12, 10, 11, 30),
            venue_name="Hội trường UBND xã Tân Yên",
            ward_code=7339,
        ),
        actor=None,
        now=NOW,
    )
    assert [c.kind for c in changes] == ["venue"]
    assert "Xã Lục Ngạn" in changes[0].old_value
    assert "Xã Tân Yên" in changes[0].new_value
    assert conference.ics_sequence == 1


def test_editing_only_the_text_changes_no_sequence(make_input, create_conference):
    conference = create_conference()
    changes = services.update_conference(
        conference,
        make_input(
            host=conference.host,
            title="Tên mới của hội nghị",
            starts_at=dt.datetime(2026, 12, 10, 8, 0),
            ends_at=dt.datetime(2026, 12, 10, 11, 30),
            venue_name=conference.venue_name,
            venue_address=conference.venue_address,
            ward_code=conference.ward_code,
        ),
        actor=None,
        now=NOW,
    )
    assert changes == []
    assert conference.ics_sequence == 0


def test_changes_to_a_draft_are_not_recorded(make_input, create_conference):
    conference = create_conference(status="draft")
    changes = services.update_conference(
        conference,
        make_input(host=conference.host, ward_code=7339, venue_name="Nơi khác"),
        actor=None,
        now=NOW,
    )
    assert changes == []
    assert conference.ics_sequence == 0


def test_update_conference_refuses_times_that_leave_a_session_outside(
    make_input, create_conference, create_session
):
    conference = create_conference()
    create_session(
        conference,
        starts_at=dt.datetime(2026, 12, 10, 3, 30, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 10, 4, 30, tzinfo=dt.UTC),
    )
    with pytest.raises(services.SessionOutsideConference) as excinfo:
        services.update_conference(
            conference,
            make_input(
                host=conference.host,
                starts_at=dt.datetime(2026, 12, 10, 8, 0),
                ends_at=dt.datetime(2026, 12, 10, 10, 0),
            ),
            actor=None,
            now=NOW,
        )
    assert excinfo.value.code == "session_outside_conference"
    assert conference.ends_at == dt.datetime(2026, 12, 10, 4, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("status", ["finished", "cancelled"])
def test_finished_or_cancelled_conferences_are_locked(make_input, create_conference, status):
    conference = create_conference(status=status)
    with pytest.raises(services.ConferenceLocked) as excinfo:
        services.update_conference(
            conference, make_input(host=conference.host), actor=None, now=NOW
        )
    assert excinfo.value.code == "conference_locked"


# --- status ---------------------------------------------------------------------------------


def test_publish_makes_a_draft_public_without_a_change_record(create_conference):
    conference = create_conference(status="draft")
    services.publish_conference(conference, actor=None, now=NOW)
    assert conference.status == "published"
    assert conference.changes == []
    assert conference.ics_sequence == 0


def test_publish_refuses_a_conference_that_already_started(create_conference):
    conference = create_conference(status="draft")
    with pytest.raises(services.StartsInPast) as excinfo:
        services.publish_conference(
            conference, actor=None, now=dt.datetime(2026, 12, 10, 2, 0, tzinfo=dt.UTC)
        )
    assert excinfo.value.code == "starts_in_past"


def test_publish_twice_is_an_invalid_transition(create_conference):
    conference = create_conference(status="published")
    with pytest.raises(services.InvalidTransition) as excinfo:
        services.publish_conference(conference, actor=None, now=NOW)
    assert excinfo.value.code == "invalid_transition"


def test_close_and_reopen_registration_are_recorded(create_conference):
    conference = create_conference()
    services.close_registration(conference, actor=None, now=NOW)
    assert conference.status == "closed"
    services.reopen_registration(conference, actor=None, now=NOW)
    assert conference.status == "published"
    assert conference.ics_sequence == 2
    assert [(c.kind, c.old_value, c.new_value) for c in reversed(conference.changes)] == [
        ("status", "published", "closed"),
        ("status", "closed", "published"),
    ]


def test_close_registration_of_a_draft_is_refused(create_conference):
    with pytest.raises(services.InvalidTransition):
        services.close_registration(create_conference(status="draft"), actor=None, now=NOW)


def test_finish_before_the_conference_is_refused(create_conference):
    conference = create_conference()
    with pytest.raises(services.InvalidTransition):
        services.finish_conference(conference, actor=None, now=NOW)
    services.finish_conference(
        conference, actor=None, now=dt.datetime(2026, 12, 10, 5, 0, tzinfo=dt.UTC)
    )
    assert conference.status == "finished"


def test_cancel_needs_a_reason(create_conference):
    conference = create_conference()
    with pytest.raises(services.ReasonRequired) as excinfo:
        services.cancel_conference(conference, reason="  ", actor=None, now=NOW)
    assert excinfo.value.code == "reason_required"
    assert excinfo.value.field == "reason"
    assert conference.status == "published"


def test_cancel_keeps_the_reason_raises_the_sequence_and_records_it(create_conference):
    conference = create_conference(ics_sequence=2)
    services.cancel_conference(conference, reason="Mưa bão lớn", actor=None, now=NOW)
    assert conference.status == "cancelled"
    assert conference.cancel_reason == "Mưa bão lớn"
    assert conference.ics_sequence == 3
    assert [(c.kind, c.old_value, c.new_value) for c in conference.changes] == [
        ("cancelled", "published", "Mưa bão lớn")
    ]


def test_cancel_a_draft_is_refused_and_delete_is_offered(create_conference):
    conference = create_conference(status="draft")
    with pytest.raises(services.InvalidTransition):
        services.cancel_conference(conference, reason="Không tổ chức", actor=None, now=NOW)
    services.delete_conference(conference)
    assert _count(Conference) == 0


def test_delete_a_public_conference_is_refused(create_conference):
    with pytest.raises(services.InvalidTransition):
        services.delete_conference(create_conference())


def test_cancel_twice_is_refused(create_conference):
    conference = create_conference(status="cancelled")
    with pytest.raises(services.InvalidTransition):
        services.cancel_conference(conference, reason="Lần nữa", actor=None, now=NOW)


# --- sessions -------------------------------------------------------------------------------


def test_add_session_uses_the_conference_zone_and_orders_by_time(create_conference, division):
    conference = create_conference(status="draft")
    later = services.add_session(
        conference,
        _session_input(
            division,
            title="Phiên sau",
            starts_at=dt.datetime(2026, 12, 10, 9, 15),
            ends_at=dt.datetime(2026, 12, 10, 10, 30),
        ),
        actor=None,
        now=NOW,
    )
    earlier = services.add_session(
        conference,
        _session_input(
            division,
            title="Phiên đầu",
            starts_at=dt.datetime(2026, 12, 10, 8, 0),
            ends_at=dt.datetime(2026, 12, 10, 9, 15),
        ),
        actor=None,
        now=NOW,
    )
    assert earlier.starts_at == dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)
    db.session.expire(conference)
    assert [s.title for s in conference.sessions] == ["Phiên đầu", "Phiên sau"]
    assert later.division == division
    # a draft's agenda changes no calendar
    assert conference.ics_sequence == 0


@pytest.mark.parametrize(
    ("overrides", "code", "field"),
    [
        ({"title": ""}, "title_required", "title"),
        ({"division": None}, "division_required", "division_id"),
        ({"ends_at": dt.datetime(2026, 12, 10, 8, 0)}, "end_before_start", "ends_at"),
        (
            {"starts_at": dt.datetime(2026, 12, 10, 7, 30)},
            "session_outside_conference",
            "starts_at",
        ),
        (
            {"ends_at": dt.datetime(2026, 12, 10, 11, 45)},
            "session_outside_conference",
            "ends_at",
        ),
        (
            {
                "starts_at": dt.datetime(2026, 12, 11, 8, 0),
                "ends_at": dt.datetime(2026, 12, 11, 9, 0),
            },
            "session_outside_conference",
            "ends_at",
        ),
    ],
)
def test_add_session_refuses_bad_input(create_conference, division, overrides, code, field):
    conference = create_conference()
    values = {
        "starts_at": dt.datetime(2026, 12, 10, 8, 0),
        "ends_at": dt.datetime(2026, 12, 10, 9, 0),
    }
    values.update(overrides)
    with pytest.raises(services.ConferenceError) as excinfo:
        services.add_session(conference, _session_input(division, **values), actor=None, now=NOW)
    assert excinfo.value.code == code
    assert excinfo.value.field == field
    assert _count(AgendaSession) == 0


def test_session_changes_of_a_public_conference_raise_the_sequence(
    create_conference, create_session, division
):
    conference = create_conference()
    session = create_session(conference)
    services.update_session(
        session,
        _session_input(
            division,
            starts_at=dt.datetime(2026, 12, 10, 9, 0),
            ends_at=dt.datetime(2026, 12, 10, 10, 0),
            room="Phòng họp số 2",
        ),
        actor=None,
        now=NOW,
    )
    assert session.room == "Phòng họp số 2"
    assert session.division == division
    assert conference.ics_sequence == 1
    services.delete_session(session, actor=None, now=NOW)
    assert conference.ics_sequence == 2
    assert _count(AgendaSession) == 0


def test_sessions_of_a_cancelled_conference_are_locked(create_conference, division):
    conference = create_conference(status="cancelled")
    with pytest.raises(services.ConferenceLocked):
        services.add_session(
            conference,
            _session_input(
                division,
                starts_at=dt.datetime(2026, 12, 10, 8, 0),
                ends_at=dt.datetime(2026, 12, 10, 9, 0),
            ),
            actor=None,
            now=NOW,
        )


def test_agenda_by_day_groups_sessions_by_local_day(create_conference, create_session):
    conference = create_conference(
        starts_at=dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 11, 10, 0, tzinfo=dt.UTC),
    )
    # 23:30 UTC on the 10th is 06:30 on the 11th in Hà Nội
    create_session(conference, starts_at=dt.datetime(2026, 12, 10, 23, 30, tzinfo=dt.UTC))
    create_session(conference, starts_at=dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC))
    days = services.agenda_by_day(conference)
    assert [day for day, _ in days] == [dt.date(2026, 12, 10), dt.date(2026, 12, 11)]
    assert [len(sessions) for _, sessions in days] == [1, 1]


# --- who may manage -------------------------------------------------------------------------


def test_can_manage_conference(create_conference, create_user, create_organization, alliance):
    conference = create_conference(cohosts=[alliance])
    host_organizer = create_user(role="organizer", organization=conference.host)
    alliance_organizer = create_user(role="organizer", organization=alliance)
    stranger = create_user(role="organizer", organization=create_organization())
    admin = create_user(role="admin")
    door = create_user(role="door_staff", organization=conference.host)
    assert services.can_manage_conference(host_organizer, conference)
    assert services.can_manage_conference(alliance_organizer, conference)
    assert services.can_manage_conference(admin, conference)
    assert not services.can_manage_conference(stranger, conference)
    assert not services.can_manage_conference(door, conference)
    assert not services.can_manage_conference(None, conference)
    assert services.list_managed_conferences(alliance_organizer) == [conference]
    assert services.list_managed_conferences(stranger) == []
    assert services.list_managed_conferences(admin) == [conference]


def test_list_my_sessions_shows_only_the_division_s_sessions(
    create_conference, create_session, create_division, create_user
):
    mine = create_division(code="QLKH")
    other = create_division(code="QLCN")
    first = create_conference()
    second = create_conference(
        starts_at=dt.datetime(2026, 12, 17, 1, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 17, 4, 30, tzinfo=dt.UTC),
    )
    later = create_session(second, division=mine, title="Phiên B")
    earlier = create_session(first, division=mine, title="Phiên A")
    create_session(first, division=other, title="Phiên khác")
    staff = create_user(role="division_staff", division=mine)
    assert services.list_my_sessions(staff) == [earlier, later]


# --- public listing and registration state --------------------------------------------------


def test_public_listing_hides_drafts_and_splits_upcoming_from_past(create_conference):
    upcoming = create_conference(title="Sắp tới")
    cancelled = create_conference(
        title="Đã hủy",
        status="cancelled",
        starts_at=dt.datetime(2026, 12, 12, 1, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 12, 4, 0, tzinfo=dt.UTC),
    )
    create_conference(title="Nháp", status="draft")
    past = create_conference(
        title="Đã qua",
        status="finished",
        starts_at=dt.datetime(2026, 10, 1, 1, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 10, 1, 4, 0, tzinfo=dt.UTC),
    )
    coming, gone = services.list_public_conferences(now=NOW)
    assert coming == [upcoming, cancelled]
    assert gone == [past]
    assert services.list_calendar_conferences() == [past, upcoming, cancelled]


@pytest.mark.parametrize(
    ("overrides", "now", "code", "words"),
    [
        ({"seats_taken": 108}, NOW, "open", "Còn 42 chỗ"),
        ({"seats_taken": 150}, NOW, "waitlist", "Hết chỗ – đăng ký danh sách chờ"),
        ({"seats_taken": 150, "has_waitlist": False}, NOW, "full", "Hết chỗ"),
        ({"status": "closed"}, NOW, "closed", "Đã đóng đăng ký"),
        (
            {"registration_closes_at": dt.datetime(2026, 11, 27, tzinfo=dt.UTC)},
            NOW,
            "closed",
            "Đã đóng đăng ký",
        ),
        ({}, dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC), "closed", "Đã đóng đăng ký"),
        (
            {"registration_opens_at": dt.datetime(2026, 12, 1, tzinfo=dt.UTC)},
            NOW,
            "not_open",
            "Chưa mở đăng ký",
        ),
        ({"status": "cancelled"}, NOW, "cancelled", "Đã hủy"),
        ({"status": "finished"}, NOW, "finished", "Hội nghị đã kết thúc"),
    ],
)
def test_registration_state_in_words(create_conference, overrides, now, code, words):
    state = services.registration_state(create_conference(**overrides), now=now)
    assert (state.code, state.words) == (code, words)
    assert state.is_open == (code in ("open", "waitlist"))


def test_seats_taken_cannot_pass_capacity_in_the_database(create_conference):
    conference = create_conference(capacity=10)
    conference.seats_taken = 11
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_conference_changes_are_kept_with_the_conference(create_conference):
    conference = create_conference()
    services.cancel_conference(conference, reason="Lý do", actor=None, now=NOW)
    db.session.commit()
    assert _count(ConferenceChange) == 1
