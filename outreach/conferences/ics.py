"""iCalendar files for conferences, and the "Add to Google Calendar" link (pure, no DB).

UIDs are ``conference-<id>@<host>`` and ``session-<id>@<host>`` (format version
``UID_VERSION``): they never change for an event, so calendar apps replace the event they
imported before rather than adding a second one, provided ``SEQUENCE`` went up. All times
are written in UTC (``...Z``), which every calendar app reads and shows in its own zone, so
no VTIMEZONE is needed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from urllib.parse import urlencode

import icalendar

UID_VERSION = 1
PRODID = "-//outreach//Hoi nghi KH&CN - HTX//VI"
GOOGLE_CALENDAR_URL = "https://calendar.google.com/calendar/render"
#: iTIP methods the mail feature may ask for; None for a plain download or feed
METHODS = (None, "PUBLISH", "REQUEST", "CANCEL")


def conference_uid(conference, host: str) -> str:
    return f"conference-{conference.id}@{host}"


def session_uid(session, host: str) -> str:
    return f"session-{session.id}@{host}"


def _calendar(name: str | None, method: str | None) -> icalendar.Calendar:
    if method not in METHODS:
        raise ValueError(f"unknown iTIP method {method!r}")
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def _utc(value: dt.datetime) -> dt.datetime:
    return value.astimezone(dt.UTC)


def _conference_event(
    conference,
    *,
    host: str,
    now: dt.datetime,
    url: str | None,
    description: str | None,
    organizer_email: str | None,
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", conference_uid(conference, host))
    event.add("dtstamp", _utc(now))
    event.add("created", _utc(conference.created_at))
    event.add("last-modified", _utc(conference.updated_at))
    # DTEND is exclusive in RFC 5545, and so is our ends_at: 11:30 means "over at 11:30".
    event.add("dtstart", _utc(conference.starts_at))
    event.add("dtend", _utc(conference.ends_at))
    event.add("summary", conference.title)
    text = description if description is not None else conference.summary
    if conference.is_cancelled and conference.cancel_reason:
        text = f"{conference.cancel_reason}\n\n{text}".strip()
    if url:
        text = f"{text}\n\n{url}".strip()
    if text:
        event.add("description", text)
    event.add("location", conference.full_address)
    if url:
        event.add("url", url)
    if organizer_email:
        event.add("organizer", f"mailto:{organizer_email}", parameters={"cn": conference.host.name})
    event.add("sequence", conference.ics_sequence)
    event.add("status", "CANCELLED" if conference.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def _session_event(session, conference, *, host: str, now: dt.datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", session_uid(session, host))
    event.add("dtstamp", _utc(now))
    event.add("dtstart", _utc(session.starts_at))
    event.add("dtend", _utc(session.ends_at))
    event.add("summary", session.title)
    lines = [conference.title, session.division.name]
    if session.speaker:
        lines.append(session.speaker)
    if session.description:
        lines.append(session.description)
    event.add("description", "\n".join(lines))
    location = conference.full_address
    if session.room:
        location = f"{session.room}, {location}"
    event.add("location", location)
    event.add("related-to", conference_uid(conference, host))
    # One SEQUENCE for the whole file: an agenda change raises the conference's number.
    event.add("sequence", conference.ics_sequence)
    event.add("status", "CANCELLED" if conference.is_cancelled else "CONFIRMED")
    event.add("transp", "OPAQUE")
    return event


def conference_to_ical(
    conference,
    *,
    host: str,
    now: dt.datetime,
    url: str | None = None,
    method: str | None = None,
    include_sessions: bool = True,
    description: str | None = None,
    organizer_email: str | None = None,
) -> bytes:
    """One conference (and its agenda sessions) as an iCalendar file.

    ``method`` is None for a download, ``"REQUEST"`` for an invitation and ``"CANCEL"`` for a
    cancellation by mail; iTIP wants an organizer for those, so pass ``organizer_email``.
    """
    calendar = _calendar(conference.title, method)
    calendar.add_component(
        _conference_event(
            conference,
            host=host,
            now=now,
            url=url,
            description=description,
            organizer_email=organizer_email,
        )
    )
    if include_sessions:
        for session in conference.sessions:
            calendar.add_component(_session_event(session, conference, host=host, now=now))
    return calendar.to_ical()


def calendar_to_ical(
    conferences: Iterable,
    *,
    host: str,
    now: dt.datetime,
    name: str,
    url_for_conference=None,
) -> bytes:
    """The subscribable feed: one event per conference (agendas stay on the conference's own
    file, so a subscriber's calendar is not flooded)."""
    calendar = _calendar(name, None)
    for conference in conferences:
        url = url_for_conference(conference) if url_for_conference else None
        calendar.add_component(
            _conference_event(
                conference, host=host, now=now, url=url, description=None, organizer_email=None
            )
        )
    return calendar.to_ical()


def _google_time(value: dt.datetime) -> str:
    return _utc(value).strftime("%Y%m%dT%H%M%SZ")


def google_calendar_url(conference, *, details: str = "") -> str:
    """A link that opens Google Calendar's "new event" page filled in with the conference."""
    query = {
        "action": "TEMPLATE",
        "text": conference.title,
        "dates": f"{_google_time(conference.starts_at)}/{_google_time(conference.ends_at)}",
        "location": conference.full_address,
        "details": details or conference.summary,
        "ctz": conference.timezone,
    }
    return f"{GOOGLE_CALENDAR_URL}?{urlencode(query)}"
