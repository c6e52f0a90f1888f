"""Conference pages through the client: public pages, calendars, the organizers' pages, guards."""

from __future__ import annotations

import datetime as dt
import re

import icalendar
import pytest
import sqlalchemy as sa
import vobject

from outreach.conferences import views
from outreach.conferences.models import AgendaSession
from outreach.conferences.models import Conference
from outreach.database import db

PASSWORD = "correct-horse-1"


@pytest.fixture
def host(create_organization):
    return create_organization(name="Sở Khoa học và Công nghệ tỉnh Bắc Ninh")


@pytest.fixture
def alliance(create_organization):
    return create_organization(
        name="Liên minh Hợp tác xã tỉnh Bắc Ninh", short_name="LMHTX", kind="cooperative_alliance"
    )


@pytest.fixture
def division(create_division, host):
    return create_division(organization=host, name="Phòng Quản lý Khoa học", code="QLKH")


@pytest.fixture
def conference(create_conference, create_session, host, alliance, division):
    conference = create_conference(
        title="Hội nghị đề tài, dự án KH&CN", slug="hoi-nghi-khcn", host=host, cohosts=[alliance]
    )
    create_session(
        conference,
        title="Giới thiệu các quy định pháp luật về KH&CN",
        division=division,
        speaker="Lê Minh Đức",
    )
    db.session.commit()
    return conference


@pytest.fixture
def login_organizer(create_user, auth, host):
    def _login(organization=None):
        user = create_user(role="organizer", organization=organization or host)
        auth.login(user.email, PASSWORD)
        return user

    return _login


def _page(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def make_form(host):
    """The conference form's fields as posted, hosted by ``host``."""

    def _make(**overrides) -> dict:
        return _form(**{"host_id": str(host.id), **overrides})

    return _make


def _form(**overrides) -> dict:
    data = {
        "title": "Hội nghị thương hiệu sản phẩm",
        "slug": "",
        "summary": "Chính sách hỗ trợ thương hiệu.",
        "themes": ["branding"],
        "other_theme": "",
        "venue_name": "Hội trường UBND xã Tân Yên",
        "venue_address": "Trung tâm xã",
        "province_code": "24",
        "ward_code": "7339",
        "starts_at": "2026-12-17T08:00",
        "ends_at": "2026-12-17T11:30",
        "timezone": "Asia/Ho_Chi_Minh",
        "capacity": "150",
        "delegates_per_cooperative": "3",
        "has_waitlist": "y",
        "registration_opens_at": "",
        "registration_closes_at": "2026-12-15T17:00",
    }
    data.update(overrides)
    return data


# --- public pages ---------------------------------------------------------------------------


def test_home_and_list_show_public_conferences_but_never_drafts(client, create_conference):
    create_conference(
        title="Hội nghị công bố",
        starts_at=dt.datetime(2030, 1, 1, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 1, 1, 4, tzinfo=dt.UTC),
    )
    create_conference(
        title="Hội nghị nháp bí mật",
        status="draft",
        starts_at=dt.datetime(2030, 1, 2, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2030, 1, 2, 4, tzinfo=dt.UTC),
    )
    create_conference(
        title="Hội nghị năm ngoái",
        status="finished",
        starts_at=dt.datetime(2025, 1, 2, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2025, 1, 2, 4, tzinfo=dt.UTC),
    )
    home = _page(client.get("/"))
    assert "Hội nghị công bố" in home
    assert "Còn 150 chỗ" in home
    assert "Hội nghị nháp bí mật" not in home
    assert "Hội nghị năm ngoái" not in home
    listing = _page(client.get("/conferences/"))
    assert "Hội nghị công bố" in listing
    assert "Hội nghị năm ngoái" in listing
    assert "Hội nghị đã diễn ra" in listing
    assert "Hội nghị nháp bí mật" not in listing


def test_detail_shows_agenda_venue_seats_and_calendar_links(client, conference):
    page = _page(client.get("/conferences/hoi-nghi-khcn"))
    assert "Hội nghị đề tài, dự án KH&amp;CN" in page
    assert "08:00–11:30" in page
    assert "Thứ Năm, 10/12/2026" in page
    assert "Giới thiệu các quy định pháp luật về KH&amp;CN" in page
    assert "Phòng Quản lý Khoa học" in page
    assert "Lê Minh Đức" in page
    assert "Xã Lục Ngạn, Bắc Ninh" in page
    assert "https://www.openstreetmap.org/search?query=H%E1%BB%99i" in page
    assert "Liên minh Hợp tác xã tỉnh Bắc Ninh" in page
    assert "Còn 150 chỗ" in page
    assert "150/150 chỗ còn trống" in page
    assert "https://calendar.google.com/calendar/render?action=TEMPLATE" in page
    assert "dates=20261210T010000Z%2F20261210T043000Z" in page
    assert 'href="webcal://localhost/calendar.ics"' in page
    assert 'href="/conferences/hoi-nghi-khcn.ics"' in page
    assert "<script>" not in page
    assert "style=" not in page


def test_register_button_is_disabled_until_registration_exists(client, conference, monkeypatch):
    monkeypatch.setattr(views, "REGISTER_PATH", "/conferences/{slug}/not-served-yet")
    page = _page(client.get("/conferences/hoi-nghi-khcn"))
    assert "disabled>Đăng ký</button>" in page
    assert "/not-served-yet" not in page


def test_register_button_links_to_the_registration_page_once_served(app, client, conference):
    if not any(r.rule == "/conferences/<slug>/register" for r in app.url_map.iter_rules()):
        app.add_url_rule(
            "/conferences/<slug>/register", "fake_register", lambda slug: "registration"
        )
    page = _page(client.get("/conferences/hoi-nghi-khcn"))
    assert 'href="/conferences/hoi-nghi-khcn/register"' in page


def test_register_button_is_absent_when_registration_is_closed(client, create_conference):
    create_conference(slug="da-dong", status="closed")
    page = _page(client.get("/conferences/da-dong"))
    assert "Đã đóng đăng ký" in page
    assert "/conferences/da-dong/register" not in page


@pytest.mark.parametrize("suffix", ["", ".ics"])
def test_drafts_and_unknown_slugs_are_404(client, create_conference, suffix):
    create_conference(slug="ban-nhap", status="draft")
    assert client.get(f"/conferences/ban-nhap{suffix}").status_code == 404
    assert client.get(f"/conferences/khong-co{suffix}").status_code == 404


@pytest.mark.parametrize("suffix", ["", ".ics"])
def test_old_slugs_redirect_permanently(make_form, client, conference, login_organizer, suffix):
    login_organizer()
    client.post(
        f"/staff/conferences/{conference.id}/edit",
        data=make_form(
            title=conference.title,
            slug="hoi-nghi-khcn-2026",
            ward_code="7582",
            starts_at="2026-12-10T08:00",
            ends_at="2026-12-10T11:30",
            registration_closes_at="",
        ),
    )
    response = client.get(f"/conferences/hoi-nghi-khcn{suffix}")
    assert response.status_code == 301
    assert response.headers["Location"] == f"/conferences/hoi-nghi-khcn-2026{suffix}"


def test_cancelled_conference_page_shows_the_reason_and_history(client, conference):
    from outreach.conferences import services

    services.cancel_conference(
        conference, reason="Mưa bão lớn", actor=None, now=dt.datetime(2026, 11, 28, tzinfo=dt.UTC)
    )
    db.session.commit()
    page = _page(client.get("/conferences/hoi-nghi-khcn"))
    assert "Hội nghị đã bị hủy." in page
    assert "Mưa bão lớn" in page
    assert "Các thay đổi" in page
    assert "Hủy hội nghị" in page
    assert "disabled>Đăng ký" not in page


def test_conference_ics_download(client, conference):
    response = client.get("/conferences/hoi-nghi-khcn.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.data)
    events = list(calendar.walk("VEVENT"))
    assert [str(e["uid"]) for e in events] == [
        f"conference-{conference.id}@localhost",
        f"session-{conference.sessions[0].id}@localhost",
    ]
    assert str(events[0]["url"]) == "http://localhost/conferences/hoi-nghi-khcn"
    parsed = vobject.readOne(response.get_data(as_text=True))
    assert parsed.vevent.summary.value == "Hội nghị đề tài, dự án KH&CN"


def test_uid_host_can_be_configured(app, client, conference):
    app.config["ICS_UID_HOST"] = "hoinghi.sokhcn.example.vn"
    body = client.get("/conferences/hoi-nghi-khcn.ics").data
    assert f"UID:conference-{conference.id}@hoinghi.sokhcn.example.vn".encode() in body


def test_calendar_feed_lists_public_conferences_only(client, conference, create_conference):
    create_conference(title="Hội nghị nháp", status="draft")
    create_conference(title="Hội nghị bị hủy", status="cancelled")
    response = client.get("/calendar.ics")
    assert response.headers["Content-Type"].startswith("text/calendar")
    parsed = vobject.readOne(response.get_data(as_text=True))
    summaries = {e.summary.value: e.status.value for e in parsed.vevent_list}
    assert summaries == {
        "Hội nghị đề tài, dự án KH&CN": "CONFIRMED",
        "Hội nghị bị hủy": "CANCELLED",
    }


# --- staff: guards --------------------------------------------------------------------------


def _staff_paths(conference):
    session_id = conference.sessions[0].id
    return [
        f"/staff/conferences/{conference.id}",
        f"/staff/conferences/{conference.id}/edit",
        f"/staff/conferences/{conference.id}/cancel",
        f"/staff/conferences/{conference.id}/sessions/new",
        f"/staff/conferences/{conference.id}/sessions/{session_id}/edit",
    ]


def test_organizer_of_another_organization_gets_404(
    client, conference, login_organizer, create_organization
):
    login_organizer(create_organization(name="Sở Nông nghiệp"))
    for path in _staff_paths(conference):
        assert client.get(path).status_code == 404, path
    for path in [
        f"/staff/conferences/{conference.id}/publish",
        f"/staff/conferences/{conference.id}/close",
        f"/staff/conferences/{conference.id}/delete",
        f"/staff/conferences/{conference.id}/cancel",
        f"/staff/conferences/{conference.id}/sessions/{conference.sessions[0].id}/delete",
    ]:
        assert client.post(path, data={"reason": "x"}).status_code == 404, path
    assert client.get("/staff/conferences/9999").status_code == 404
    assert "Hội nghị đề tài" not in _page(client.get("/staff/conferences/"))
    db.session.expire_all()
    assert db.session.get(Conference, conference.id).status == "published"
    assert len(db.session.get(Conference, conference.id).sessions) == 1


def test_cohost_organizer_can_manage(client, conference, login_organizer, alliance):
    login_organizer(alliance)
    for path in _staff_paths(conference):
        assert client.get(path).status_code == 200, path
    assert "Hội nghị đề tài" in _page(client.get("/staff/conferences/"))


def test_division_staff_see_their_sessions_but_not_the_organizer_pages(
    client, conference, create_user, auth, division
):
    staff = create_user(role="division_staff", division=division)
    auth.login(staff.email, PASSWORD)
    page = _page(client.get("/staff/my-sessions"))
    assert "Giới thiệu các quy định pháp luật về KH&amp;CN" in page
    assert "Hội nghị đề tài, dự án KH&amp;CN" in page
    assert 'href="/conferences/hoi-nghi-khcn"' in page
    assert "Phiên của phòng tôi" in _page(client.get("/staff/"))
    assert client.get(f"/staff/conferences/{conference.id}").status_code == 404
    assert client.get("/staff/conferences/").status_code == 403


def test_organizers_cannot_open_my_sessions(client, login_organizer):
    login_organizer()
    assert client.get("/staff/my-sessions").status_code == 403


# --- staff: conferences ---------------------------------------------------------------------


def test_create_conference_as_draft(make_form, client, login_organizer, host, alliance):
    login_organizer()
    form = _page(client.get("/staff/conferences/new"))
    assert "Xã Lục Ngạn" in form  # Bắc Ninh's communes are offered by default
    response = client.post("/staff/conferences/new", data=make_form())
    assert response.status_code == 302
    conference = db.session.scalar(sa.select(Conference))
    assert response.headers["Location"] == f"/staff/conferences/{conference.id}"
    assert conference.status == "draft"
    assert conference.slug == "hoi-nghi-thuong-hieu-san-pham"
    assert conference.starts_at == dt.datetime(2026, 12, 17, 1, 0, tzinfo=dt.UTC)
    assert conference.host == host
    assert conference.themes == ["branding"]
    assert client.get(f"/conferences/{conference.slug}").status_code == 404
    manage = _page(client.get(f"/staff/conferences/{conference.id}"))
    assert "Nháp" in manage
    assert "Công bố" in manage


def test_create_form_preselects_the_alliance_as_cohost(client, login_organizer, host, alliance):
    login_organizer()
    page = _page(client.get("/staff/conferences/new"))
    checked = re.findall(
        r'<input checked id="cohost_ids-\d+" name="cohost_ids" [^>]*value="(\d+)"', page
    )
    assert checked == [str(alliance.id)]
    assert re.search(rf'<option selected value="{host.id}">', page)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"ends_at": "2026-12-17T07:00"}, "ends_at", "Giờ kết thúc phải sau giờ bắt đầu."),
        ({"capacity": "0"}, "capacity", "Số chỗ phải từ 1 đến 100.000."),
        ({"capacity": "-3"}, "capacity", "Số chỗ phải từ 1 đến 100.000."),
        ({"capacity": "nhiều"}, "capacity", "Nhập một số nguyên."),
        (
            {"registration_closes_at": "2026-12-17T09:00"},
            "registration_closes_at",
            "Hạn đăng ký phải trước khi hội nghị bắt đầu.",
        ),
        ({"ward_code": "4"}, "ward_code", "Xã, phường này không thuộc Bắc Ninh."),
        ({"ward_code": "0"}, "ward_code", "Xã, phường không có trong danh mục."),
        ({"province_code": "99"}, "province_code", "Lựa chọn không hợp lệ."),
        ({"slug": "Có Dấu"}, "slug", "Đường dẫn chỉ gồm chữ thường không dấu"),
        ({"slug": "hoi-nghi-khcn"}, "slug", "Đường dẫn này đã được hội nghị khác sử dụng."),
        ({"title": ""}, "title", "Mục này bắt buộc."),
        ({"starts_at": ""}, "starts_at", "Mục này bắt buộc."),
    ],
)
def test_create_conference_refuses_bad_input_on_its_field(
    make_form, client, login_organizer, conference, overrides, field, message
):
    login_organizer()
    response = client.post("/staff/conferences/new", data=make_form(**overrides))
    assert response.status_code == 200
    page = _page(response)
    assert f'id="{field}-error"' in page
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count(Conference.id))) == 1


def test_organizer_must_be_host_or_cohost(make_form, client, login_organizer, create_organization):
    login_organizer()
    other = create_organization(name="Sở Công Thương")
    response = client.post("/staff/conferences/new", data=make_form(host_id=str(other.id)))
    assert "Cơ quan của bạn phải là đơn vị chủ trì hoặc phối hợp tổ chức." in _page(response)
    assert db.session.scalar(sa.select(sa.func.count(Conference.id))) == 0


def test_moving_a_published_conference_shows_in_its_history(
    make_form, client, conference, login_organizer
):
    login_organizer()
    response = client.post(
        f"/staff/conferences/{conference.id}/edit",
        data=make_form(
            title=conference.title,
            slug=conference.slug,
            ward_code="7582",
            starts_at="2026-12-11T13:30",
            ends_at="2026-12-11T17:00",
            registration_closes_at="",
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Conference, conference.id).ics_sequence >= 1
    page = _page(client.get("/conferences/hoi-nghi-khcn"))
    assert "Các thay đổi" in page
    assert "Đổi thời gian" in page
    assert "<del>08:00–11:30 10/12/2026</del>" in page
    assert "<ins>13:30–17:00 11/12/2026</ins>" in page
    # the session moved along
    assert "13:30" in page


def test_edit_form_shows_local_times(client, conference, login_organizer):
    login_organizer()
    page = _page(client.get(f"/staff/conferences/{conference.id}/edit"))
    assert 'value="2026-12-10T08:00"' in page
    assert 'value="2026-12-10T11:30"' in page


def test_publish_close_reopen_and_cancel(client, create_conference, login_organizer, host):
    draft = create_conference(status="draft", host=host, slug="sap-cong-bo")
    db.session.commit()
    login_organizer()
    base = f"/staff/conferences/{draft.id}"
    assert client.post(f"{base}/publish").status_code == 302
    assert client.get("/conferences/sap-cong-bo").status_code == 200
    client.post(f"{base}/close")
    assert "Đã đóng đăng ký" in _page(client.get("/conferences/sap-cong-bo"))
    client.post(f"{base}/reopen")
    response = client.post(f"{base}/cancel", data={"reason": ""})
    assert response.status_code == 200
    assert 'id="reason-error"' in _page(response)
    response = client.post(f"{base}/cancel", data={"reason": "Trùng lịch họp của tỉnh"})
    assert response.status_code == 302
    db.session.expire_all()
    conference = db.session.get(Conference, draft.id)
    assert conference.status == "cancelled"
    assert conference.ics_sequence == 3
    page = _page(client.get("/conferences/sap-cong-bo"))
    assert "Trùng lịch họp của tỉnh" in page
    # nothing more to do with a cancelled conference
    assert client.post(f"{base}/publish").status_code == 302
    assert db.session.get(Conference, draft.id).status == "cancelled"


def test_delete_a_draft(client, create_conference, login_organizer, host):
    draft = create_conference(status="draft", host=host)
    db.session.commit()
    login_organizer()
    assert client.post(f"/staff/conferences/{draft.id}/delete").status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Conference.id))) == 0


# --- staff: agenda --------------------------------------------------------------------------


def _session_form(division, **overrides):
    data = {
        "title": "Hướng dẫn hồ sơ thuyết minh đề tài",
        "starts_at": "2026-12-10T09:15",
        "ends_at": "2026-12-10T10:30",
        "division_id": str(division.id),
        "speaker": "Chuyên viên Phòng Quản lý Khoa học",
        "room": "Hội trường",
        "description": "",
    }
    data.update(overrides)
    return data


def test_add_edit_and_delete_a_session(client, conference, login_organizer, division):
    login_organizer()
    base = f"/staff/conferences/{conference.id}/sessions"
    assert client.post(f"{base}/new", data=_session_form(division)).status_code == 302
    session = db.session.scalar(
        sa.select(AgendaSession).where(AgendaSession.title == "Hướng dẫn hồ sơ thuyết minh đề tài")
    )
    assert session.starts_at == dt.datetime(2026, 12, 10, 2, 15, tzinfo=dt.UTC)
    response = client.post(
        f"{base}/{session.id}/edit", data=_session_form(division, title="Tên phiên đã sửa")
    )
    assert response.status_code == 302
    assert "Tên phiên đã sửa" in _page(client.get("/conferences/hoi-nghi-khcn"))
    assert client.post(f"{base}/{session.id}/delete").status_code == 302
    assert "Tên phiên đã sửa" not in _page(client.get("/conferences/hoi-nghi-khcn"))


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        (
            {"starts_at": "2026-12-10T07:00"},
            "starts_at",
            "Phiên phải nằm trong thời gian của hội nghị.",
        ),
        (
            {"ends_at": "2026-12-10T12:00"},
            "ends_at",
            "Phiên phải nằm trong thời gian của hội nghị.",
        ),
        ({"ends_at": "2026-12-10T09:00"}, "ends_at", "Giờ kết thúc phải sau giờ bắt đầu."),
        ({"division_id": "0"}, "division_id", "Chọn phòng phụ trách phiên."),
    ],
)
def test_add_session_refuses_bad_input(
    client, conference, login_organizer, division, overrides, field, message
):
    login_organizer()
    response = client.post(
        f"/staff/conferences/{conference.id}/sessions/new",
        data=_session_form(division, **overrides),
    )
    assert response.status_code == 200
    page = _page(response)
    assert f'id="{field}-error"' in page
    assert message in page
    assert db.session.scalar(sa.select(sa.func.count(AgendaSession.id))) == 1


def test_session_of_another_conference_is_404(
    client, conference, create_conference, create_session, login_organizer, host
):
    other = create_conference(host=host)
    foreign = create_session(other)
    db.session.commit()
    login_organizer()
    path = f"/staff/conferences/{conference.id}/sessions/{foreign.id}/edit"
    assert client.get(path).status_code == 404
