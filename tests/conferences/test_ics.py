"""Calendar files, read back by icalendar and by an independent parser (vobject)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import icalendar
import pytest
import vobject

from outreach.conferences import ics
from outreach.conferences import services

NOW = dt.datetime(2026, 11, 28, 3, 0, tzinfo=dt.UTC)
HOST = "hoinghi.example.vn"
LONG_TITLE = (
    "Hội nghị phổ biến quy định của Nhà nước về nghiên cứu, ứng dụng khoa học và công nghệ "
    "và thủ tục tham gia đề tài, dự án khoa học và công nghệ cho hợp tác xã tỉnh Bắc Ninh"
)


@pytest.fixture
def conference(create_conference, create_session, create_division):
    conference = create_conference(title=LONG_TITLE, slug="hoi-nghi-khcn")
    division = create_division(name="Phòng Quản lý Khoa học", code="QLKH")
    create_session(
        conference,
        title="Hướng dẫn quy trình đề xuất đặt hàng, tuyển chọn đề tài",
        division=division,
        speaker="Lê Minh Đức",
        room="Phòng họp số 2",
    )
    return conference


def _events(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_eight_in_hanoi_is_one_utc(conference):
    body = ics.conference_to_ical(conference, host=HOST, now=NOW)
    assert b"DTSTART:20261210T010000Z" in body
    first = _events(body)[0]
    assert first.decoded("dtstart") == dt.datetime(2026, 12, 10, 1, 0, tzinfo=dt.UTC)
    parsed = vobject.readOne(body.decode("utf-8"))
    start = parsed.vevent.dtstart.value
    assert start.utcoffset() == dt.timedelta(0)
    assert (start.hour, start.minute) == (1, 0)
    assert parsed.vevent.dtend.value.astimezone(dt.UTC).hour == 4


def test_uids_are_stable_and_name_the_host(conference):
    first = _events(ics.conference_to_ical(conference, host=HOST, now=NOW))
    again = _events(ics.conference_to_ical(conference, host=HOST, now=NOW + dt.timedelta(days=1)))
    uids = [str(e["uid"]) for e in first]
    assert uids == [str(e["uid"]) for e in again]
    assert uids == [
        f"conference-{conference.id}@{HOST}",
        f"session-{conference.sessions[0].id}@{HOST}",
    ]
    assert str(first[1]["related-to"]) == uids[0]


def test_vietnamese_names_survive_line_folding(conference):
    body = ics.conference_to_ical(conference, host=HOST, now=NOW)
    # the raw file is folded at 75 octets, never inside a UTF-8 sequence
    for line in body.split(b"\r\n"):
        assert len(line) <= 75
        line.decode("utf-8")
    assert str(_events(body)[0]["summary"]) == LONG_TITLE
    parsed = vobject.readOne(body.decode("utf-8"))
    assert parsed.vevent.summary.value == LONG_TITLE
    assert "Xã Lục Ngạn, Bắc Ninh" in parsed.vevent.location.value
    session = parsed.vevent_list[1]
    assert session.summary.value == "Hướng dẫn quy trình đề xuất đặt hàng, tuyển chọn đề tài"
    assert "Phòng họp số 2" in session.location.value
    assert "Lê Minh Đức" in session.description.value


def test_commas_and_semicolons_are_escaped(create_conference):
    conference = create_conference(title="Thương hiệu; nhãn hiệu, chỉ dẫn địa lý")
    body = ics.conference_to_ical(conference, host=HOST, now=NOW)
    assert "Thương hiệu\\; nhãn hiệu\\, chỉ dẫn địa lý".encode() in body
    assert vobject.readOne(body.decode()).vevent.summary.value == conference.title


def test_a_cancelled_conference_says_so_with_a_higher_sequence(conference):
    before = ics.conference_to_ical(conference, host=HOST, now=NOW)
    services.cancel_conference(conference, reason="Mưa bão lớn", actor=None, now=NOW)
    after = ics.conference_to_ical(conference, host=HOST, now=NOW)
    old_event, new_event = _events(before)[0], _events(after)[0]
    assert str(old_event["status"]) == "CONFIRMED"
    assert str(new_event["status"]) == "CANCELLED"
    assert int(new_event["sequence"]) > int(old_event["sequence"])
    parsed = vobject.readOne(after.decode("utf-8"))
    assert [e.status.value for e in parsed.vevent_list] == ["CANCELLED", "CANCELLED"]
    assert int(parsed.vevent.sequence.value) == conference.ics_sequence
    assert "Mưa bão lớn" in parsed.vevent.description.value


def test_a_moved_conference_raises_the_sequence_in_the_file(conference, create_organization):
    services.update_conference(
        conference,
        services.ConferenceInput(
            title=conference.title,
            slug=conference.slug,
            host=conference.host,
            venue_name=conference.venue_name,
            province_code=24,
            ward_code=7582,
            starts_at=dt.datetime(2026, 12, 11, 8, 0),
            ends_at=dt.datetime(2026, 12, 11, 11, 30),
            capacity=150,
            delegates_per_cooperative=3,
        ),
        actor=None,
        now=NOW,
    )
    event = _events(ics.conference_to_ical(conference, host=HOST, now=NOW))[0]
    assert int(event["sequence"]) == 1
    assert event.decoded("dtstart") == dt.datetime(2026, 12, 11, 1, 0, tzinfo=dt.UTC)


def test_methods_for_the_mail_feature(conference):
    body = ics.conference_to_ical(
        conference,
        host=HOST,
        now=NOW,
        method="REQUEST",
        organizer_email="hoinghi@example.vn",
        include_sessions=False,
    )
    calendar = icalendar.Calendar.from_ical(body)
    assert str(calendar["method"]) == "REQUEST"
    assert len(list(calendar.walk("VEVENT"))) == 1
    assert "mailto:hoinghi@example.vn" in str(calendar.walk("VEVENT")[0]["organizer"])
    with pytest.raises(ValueError, match="iTIP"):
        ics.conference_to_ical(conference, host=HOST, now=NOW, method="BOGUS")


def test_the_feed_holds_one_event_per_conference(create_conference):
    first = create_conference(title="Hội nghị một")
    second = create_conference(title="Hội nghị hai", status="cancelled")
    body = ics.calendar_to_ical(
        [first, second],
        host=HOST,
        now=NOW,
        name="Hội nghị KH&CN – HTX",
        url_for_conference=lambda c: f"https://{HOST}/conferences/{c.slug}",
    )
    parsed = vobject.readOne(body.decode("utf-8"))
    assert [e.summary.value for e in parsed.vevent_list] == ["Hội nghị một", "Hội nghị hai"]
    assert [e.status.value for e in parsed.vevent_list] == ["CONFIRMED", "CANCELLED"]
    assert parsed.vevent.url.value == f"https://{HOST}/conferences/{first.slug}"
    assert icalendar.Calendar.from_ical(body)["x-wr-calname"] == "Hội nghị KH&CN – HTX"


def test_google_calendar_link(create_conference):
    conference = create_conference(title="Hội nghị thương hiệu")
    url = ics.google_calendar_url(conference, details="Chi tiết")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "https://calendar.google.com/calendar/render"
    )
    query = parse_qs(parts.query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Hội nghị thương hiệu"]
    assert query["dates"] == ["20261210T010000Z/20261210T043000Z"]
    assert "Xã Lục Ngạn" in query["location"][0]
    assert query["details"] == ["Chi tiết"]
