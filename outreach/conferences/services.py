"""Rules for conferences and agendas: validation, status changes, who may manage, listings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Sequence
from zoneinfo import ZoneInfo
from zoneinfo import available_timezones

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm.attributes import set_committed_value

from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import Role
from outreach.accounts.models import User
from outreach.conferences import places
from outreach.conferences.models import DEFAULT_TIMEZONE
from outreach.conferences.models import PUBLIC_STATUSES
from outreach.conferences.models import AgendaSession
from outreach.conferences.models import ChangeKind
from outreach.conferences.models import Conference
from outreach.conferences.models import ConferenceChange
from outreach.conferences.models import ConferenceSlug
from outreach.conferences.models import ConferenceStatus
from outreach.conferences.models import Theme
from outreach.conferences.models import format_period
from outreach.database import db
from outreach.errors import OutreachError

MAX_CAPACITY = 100_000
MAX_CONFERENCE_DAYS = 14
#: the most people one cooperative may send: the sign-up form shows a row for each
DELEGATES_PER_COOPERATIVE_MAX = 50
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SLUG_MIN_LENGTH = 3
SLUG_MAX_LENGTH = 80


class ConferenceError(OutreachError):
    code = "conference_error"


class InvalidSlug(ConferenceError):
    code = "invalid_slug"


class SlugTaken(ConferenceError):
    code = "slug_taken"


class TitleRequired(ConferenceError):
    code = "title_required"


class VenueRequired(ConferenceError):
    code = "venue_required"


class EndBeforeStart(ConferenceError):
    code = "end_before_start"


class ConferenceTooLong(ConferenceError):
    code = "conference_too_long"


class StartsInPast(ConferenceError):
    code = "starts_in_past"


class RegistrationClosesAfterStart(ConferenceError):
    code = "registration_closes_after_start"


class RegistrationOpensAfterClose(ConferenceError):
    code = "registration_opens_after_close"


class InvalidCapacity(ConferenceError):
    code = "invalid_capacity"


class CapacityBelowSeatsTaken(ConferenceError):
    code = "capacity_below_seats_taken"


class InvalidDelegateLimit(ConferenceError):
    code = "invalid_delegate_limit"


class UnknownProvince(ConferenceError):
    code = "unknown_province"


class UnknownWard(ConferenceError):
    code = "unknown_ward"


class WardNotInProvince(ConferenceError):
    code = "ward_not_in_province"


class UnknownTimezone(ConferenceError):
    code = "unknown_timezone"


class UnknownTheme(ConferenceError):
    code = "unknown_theme"


class ActorNotOrganizer(ConferenceError):
    code = "actor_not_organizer"


class InvalidTransition(ConferenceError):
    code = "invalid_transition"


class ReasonRequired(ConferenceError):
    code = "reason_required"


class ConferenceLocked(ConferenceError):
    code = "conference_locked"


class SessionOutsideConference(ConferenceError):
    code = "session_outside_conference"


class DivisionRequired(ConferenceError):
    code = "division_required"


@dataclasses.dataclass(kw_only=True)
class ConferenceInput:
    """What an organizer fills in. Naive datetimes are wall-clock times in ``timezone``;
    aware ones are taken as they are."""

    title: str
    host: Organization | None
    venue_name: str
    province_code: int | None
    ward_code: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    delegates_per_cooperative: int
    summary: str = ""
    themes: Sequence[str] = ()
    other_theme: str = ""
    cohosts: Sequence[Organization] = ()
    venue_address: str = ""
    timezone: str = DEFAULT_TIMEZONE
    has_waitlist: bool = True
    registration_opens_at: dt.datetime | None = None
    registration_closes_at: dt.datetime | None = None
    #: empty: made from the title
    slug: str = ""


@dataclasses.dataclass(kw_only=True)
class SessionInput:
    """One agenda item. Naive datetimes are wall-clock times in the conference's zone."""

    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    division: Division | None
    description: str = ""
    room: str = ""
    speaker: str = ""


@dataclasses.dataclass(frozen=True)
class RegistrationState:
    """Where registration stands, in a code (for logic) and words (for people)."""

    #: open / waitlist / full / not_open / closed / finished / cancelled / draft
    code: str
    words: str
    seats_left: int

    @property
    def is_open(self) -> bool:
        return self.code in ("open", "waitlist")


@dataclasses.dataclass(frozen=True)
class ConferenceCard:
    conference: Conference
    state: RegistrationState


# --- small helpers --------------------------------------------------------------------------


def slugify(text: str) -> str:
    """``Hội nghị Đổi mới`` → ``hoi-nghi-doi-moi``: no diacritics, ASCII, hyphens."""
    text = text.replace("đ", "d").replace("Đ", "D")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX_LENGTH].rstrip("-")


def _check_timezone(name: str) -> ZoneInfo:
    if not name or name not in available_timezones():
        raise UnknownTimezone(_("Múi giờ không hợp lệ."), field="timezone")
    return ZoneInfo(name)


def _to_utc(value: dt.datetime | None, zone: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(dt.UTC)


def to_local(value: dt.datetime, timezone: str) -> dt.datetime:
    """A stored UTC time as a naive wall-clock time in ``timezone`` (for form inputs)."""
    return value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)


def is_slug_taken(slug: str, *, conference: Conference | None = None) -> bool:
    """Whether ``slug`` is the current or an old slug of a conference other than ``conference``."""
    own_id = conference.id if conference is not None else None
    current = db.session.scalar(sa.select(Conference.id).where(Conference.slug == slug))
    if current is not None and current != own_id:
        return True
    old = db.session.scalar(
        sa.select(ConferenceSlug.conference_id).where(ConferenceSlug.slug == slug)
    )
    return old is not None and old != own_id


def _unique_slug(base: str) -> str:
    base = base or "hoi-nghi"
    if len(base) < SLUG_MIN_LENGTH:
        base = f"hoi-nghi-{base}"
    candidate, number = base, 2
    while is_slug_taken(candidate):
        suffix = f"-{number}"
        candidate = base[: SLUG_MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        number += 1
    return candidate


@dataclasses.dataclass
class _Clean:
    """Validated values, ready to be written."""

    slug: str
    title: str
    summary: str
    themes: list[str]
    other_theme: str
    host: Organization
    cohosts: list[Organization]
    venue_name: str
    venue_address: str
    province_code: int
    ward_code: int
    timezone: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    delegates_per_cooperative: int
    has_waitlist: bool
    registration_opens_at: dt.datetime | None
    registration_closes_at: dt.datetime | None


def _validate(
    data: ConferenceInput,
    *,
    conference: Conference | None,
    actor: User | None,
    now: dt.datetime,
) -> _Clean:
    title = (data.title or "").strip()
    if not title:
        raise TitleRequired(_("Nhập tên hội nghị."), field="title")

    slug = (data.slug or "").strip().lower()
    if slug:
        if not SLUG_PATTERN.match(slug) or not SLUG_MIN_LENGTH <= len(slug) <= SLUG_MAX_LENGTH:
            raise InvalidSlug(
                _(
                    "Đường dẫn chỉ gồm chữ thường không dấu, chữ số và dấu gạch ngang "
                    "(3–80 ký tự), ví dụ hoi-nghi-thuong-hieu."
                ),
                field="slug",
            )
        if is_slug_taken(slug, conference=conference):
            raise SlugTaken(_("Đường dẫn này đã được hội nghị khác sử dụng."), field="slug")
    elif conference is not None:
        slug = conference.slug
    else:
        slug = _unique_slug(slugify(title))

    themes = list(dict.fromkeys(data.themes))
    known = {t.value for t in Theme}
    if any(theme not in known for theme in themes):
        raise UnknownTheme(_("Chủ đề không hợp lệ."), field="themes")

    if data.host is None:
        raise ActorNotOrganizer(_("Chọn cơ quan chủ trì."), field="host_id")
    cohosts = [o for o in dict.fromkeys(data.cohosts) if o.id != data.host.id]
    if actor is not None and not actor.is_admin:
        allowed = {data.host.id, *(o.id for o in cohosts)}
        if actor.organization_id not in allowed:
            raise ActorNotOrganizer(
                _("Cơ quan của bạn phải là đơn vị chủ trì hoặc phối hợp tổ chức."),
                field="host_id",
            )

    venue_name = (data.venue_name or "").strip()
    if not venue_name:
        raise VenueRequired(_("Nhập tên địa điểm tổ chức."), field="venue_name")
    province = places.find_province(data.province_code)
    if province is None:
        raise UnknownProvince(_("Tỉnh, thành phố không có trong danh mục."), field="province_code")
    ward = places.find_ward(data.ward_code)
    if ward is None:
        raise UnknownWard(_("Xã, phường không có trong danh mục."), field="ward_code")
    if ward.province_code != province.code:
        raise WardNotInProvince(
            _(
                "Xã, phường này không thuộc %(province)s. Vui lòng chọn lại.",
                province=province.name,
            ),
            field="ward_code",
        )

    zone = _check_timezone((data.timezone or "").strip())
    starts_at = _to_utc(data.starts_at, zone)
    ends_at = _to_utc(data.ends_at, zone)
    if ends_at <= starts_at:
        raise EndBeforeStart(_("Giờ kết thúc phải sau giờ bắt đầu."), field="ends_at")
    if ends_at - starts_at > dt.timedelta(days=MAX_CONFERENCE_DAYS):
        raise ConferenceTooLong(
            _("Hội nghị không kéo dài quá %(days)d ngày.", days=MAX_CONFERENCE_DAYS),
            field="ends_at",
        )
    time_changed = conference is None or (starts_at, ends_at) != (
        conference.starts_at,
        conference.ends_at,
    )
    if time_changed and starts_at <= now:
        raise StartsInPast(_("Thời gian bắt đầu phải ở tương lai."), field="starts_at")

    opens_at = _to_utc(data.registration_opens_at, zone)
    closes_at = _to_utc(data.registration_closes_at, zone)
    if closes_at is not None and closes_at > starts_at:
        raise RegistrationClosesAfterStart(
            _("Hạn đăng ký phải trước khi hội nghị bắt đầu."), field="registration_closes_at"
        )
    if opens_at is not None and opens_at >= (closes_at or starts_at):
        raise RegistrationOpensAfterClose(
            _("Thời điểm mở đăng ký phải trước hạn đóng đăng ký."),
            field="registration_opens_at",
        )

    capacity = data.capacity
    if capacity is None or not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidCapacity(
            _("Số chỗ phải từ 1 đến %(max)s.", max=f"{MAX_CAPACITY:,}".replace(",", ".")),
            field="capacity",
        )
    seats_taken = conference.seats_taken if conference is not None else 0
    if capacity < seats_taken:
        raise CapacityBelowSeatsTaken(
            _("Đã có %(n)d chỗ được đăng ký; số chỗ không thể thấp hơn.", n=seats_taken),
            field="capacity",
        )
    delegates = data.delegates_per_cooperative
    if delegates is None or not 1 <= delegates <= min(capacity, DELEGATES_PER_COOPERATIVE_MAX):
        raise InvalidDelegateLimit(
            _(
                "Số đại biểu mỗi hợp tác xã phải từ 1 đến số chỗ của hội nghị, và không quá %(n)d.",
                n=DELEGATES_PER_COOPERATIVE_MAX,
            ),
            field="delegates_per_cooperative",
        )

    return _Clean(
        slug=slug,
        title=title,
        summary=(data.summary or "").strip(),
        themes=themes,
        other_theme=(data.other_theme or "").strip(),
        host=data.host,
        cohosts=cohosts,
        venue_name=venue_name,
        venue_address=(data.venue_address or "").strip(),
        province_code=int(province.code),
        ward_code=int(ward.code),
        timezone=zone.key,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        delegates_per_cooperative=delegates,
        has_waitlist=bool(data.has_waitlist),
        registration_opens_at=opens_at,
        registration_closes_at=closes_at,
    )


def _apply(conference: Conference, clean: _Clean) -> None:
    for field in dataclasses.fields(clean):
        setattr(conference, field.name, getattr(clean, field.name))


def _record_change(
    conference: Conference,
    kind: str,
    old: str,
    new: str,
    *,
    actor: User | None,
    now: dt.datetime,
) -> ConferenceChange:
    change = ConferenceChange(
        kind=kind,
        old_value=old,
        new_value=new,
        at=now,
        by=actor,
        sequence=conference.ics_sequence,
    )
    conference.changes.insert(0, change)  # the relationship's order: newest first
    return change


# --- conferences ----------------------------------------------------------------------------


def create_conference(data: ConferenceInput, *, actor: User | None, now: dt.datetime) -> Conference:
    """Add a draft conference.

    :raises ConferenceError: (a subclass, with ``field`` set) for any input that breaks a rule:
        ``TitleRequired``, ``InvalidSlug``, ``SlugTaken``, ``UnknownTheme``,
        ``ActorNotOrganizer``, ``VenueRequired``, ``UnknownProvince``, ``UnknownWard``,
        ``WardNotInProvince``, ``UnknownTimezone``, ``EndBeforeStart``, ``ConferenceTooLong``,
        ``StartsInPast``, ``RegistrationClosesAfterStart``, ``RegistrationOpensAfterClose``,
        ``InvalidCapacity``, ``InvalidDelegateLimit``.
    """
    clean = _validate(data, conference=None, actor=actor, now=now)
    conference = Conference(status=ConferenceStatus.DRAFT, created_at=now, updated_at=now)
    _apply(conference, clean)
    db.session.add(conference)
    db.session.flush()
    return conference


def update_conference(
    conference: Conference, data: ConferenceInput, *, actor: User | None, now: dt.datetime
) -> list[ConferenceChange]:
    """Change a conference; return the changes recorded for people who registered.

    Moving the start moves every session by the same amount. Once the conference is public,
    a new time or venue raises ``ics_sequence`` and is recorded (the mail feature sends the
    updated invitation), and an old slug keeps redirecting.

    :raises ConferenceLocked: for a finished or cancelled conference.
    :raises SessionOutsideConference: when sessions would no longer fit the new times.
    :raises ConferenceError: for bad input, as ``create_conference``; also
        ``CapacityBelowSeatsTaken``.
    """
    if conference.status in (ConferenceStatus.FINISHED, ConferenceStatus.CANCELLED):
        raise ConferenceLocked(_("Hội nghị đã kết thúc hoặc đã hủy; không thể sửa."))
    clean = _validate(data, conference=conference, actor=actor, now=now)

    shift = clean.starts_at - conference.starts_at
    for session in conference.sessions:
        if not (
            clean.starts_at <= session.starts_at + shift
            and session.ends_at + shift <= clean.ends_at
        ):
            raise SessionOutsideConference(
                _(
                    "Phiên “%(title)s” sẽ nằm ngoài thời gian mới của hội nghị. "
                    "Hãy sửa hoặc xóa phiên đó trước.",
                    title=session.title,
                ),
                field="ends_at",
            )

    old_period = format_period(conference.starts_at, conference.ends_at)
    old_place = conference.full_address
    old_place_key = (
        conference.venue_name,
        conference.venue_address,
        conference.ward_code,
        conference.province_code,
    )
    if clean.slug != conference.slug:
        _retire_slug(conference, clean.slug, now=now)
    for session in conference.sessions:
        session.starts_at += shift
        session.ends_at += shift
    _apply(conference, clean)
    conference.updated_at = now

    changes = []
    if conference.status != ConferenceStatus.DRAFT:
        new_period = format_period(conference.starts_at, conference.ends_at)
        new_place_key = (
            conference.venue_name,
            conference.venue_address,
            conference.ward_code,
            conference.province_code,
        )
        time_changed = new_period != old_period
        place_changed = new_place_key != old_place_key
        if time_changed or place_changed:
            conference.ics_sequence += 1
        if time_changed:
            changes.append(
                _record_change(
                    conference, ChangeKind.TIME, old_period, new_period, actor=actor, now=now
                )
            )
        if place_changed:
            changes.append(
                _record_change(
                    conference,
                    ChangeKind.VENUE,
                    old_place,
                    conference.full_address,
                    actor=actor,
                    now=now,
                )
            )
    db.session.flush()
    return changes


def _retire_slug(conference: Conference, new_slug: str, *, now: dt.datetime) -> None:
    """Keep the old slug (once the public may have seen it) and reclaim ``new_slug`` if it
    was one of this conference's own old slugs."""
    for old in list(conference.old_slugs):
        if old.slug == new_slug:
            conference.old_slugs.remove(old)
    # The delete must reach the database before the new slug is written (unique index).
    db.session.flush()
    if conference.status != ConferenceStatus.DRAFT:
        conference.old_slugs.append(ConferenceSlug(slug=conference.slug, retired_at=now))


def delete_conference(conference: Conference) -> None:
    """Remove a draft conference with its agenda.

    :raises InvalidTransition: when the conference was already published.
    """
    if conference.status != ConferenceStatus.DRAFT:
        raise InvalidTransition(_("Chỉ xóa được hội nghị nháp. Hội nghị đã công bố thì hãy hủy."))
    db.session.delete(conference)
    db.session.flush()


#: status → the statuses it may move to
TRANSITIONS = {
    ConferenceStatus.DRAFT: {ConferenceStatus.PUBLISHED},
    ConferenceStatus.PUBLISHED: {
        ConferenceStatus.CLOSED,
        ConferenceStatus.FINISHED,
        ConferenceStatus.CANCELLED,
    },
    ConferenceStatus.CLOSED: {
        ConferenceStatus.PUBLISHED,
        ConferenceStatus.FINISHED,
        ConferenceStatus.CANCELLED,
    },
    ConferenceStatus.FINISHED: set(),
    ConferenceStatus.CANCELLED: set(),
}


def _move(
    conference: Conference,
    status: ConferenceStatus,
    *,
    actor: User | None,
    now: dt.datetime,
    kind: str = ChangeKind.STATUS,
    new_value: str | None = None,
) -> ConferenceChange | None:
    old_status = conference.status
    if status not in TRANSITIONS[ConferenceStatus(old_status)]:
        raise InvalidTransition(_("Không thể chuyển hội nghị sang trạng thái này."))
    conference.status = status
    conference.updated_at = now
    change = None
    if old_status != ConferenceStatus.DRAFT:
        conference.ics_sequence += 1
        change = _record_change(
            conference,
            kind,
            old_status,
            status if new_value is None else new_value,
            actor=actor,
            now=now,
        )
    db.session.flush()
    return change


def publish_conference(conference: Conference, *, actor: User | None, now: dt.datetime) -> None:
    """Make a draft public.

    :raises InvalidTransition: when it is not a draft.
    :raises StartsInPast: when the conference has already started.
    """
    if conference.status == ConferenceStatus.DRAFT and conference.starts_at <= now:
        raise StartsInPast(
            _("Hội nghị đã bắt đầu; hãy đổi thời gian trước khi công bố."), field="starts_at"
        )
    _move(conference, ConferenceStatus.PUBLISHED, actor=actor, now=now)


def close_registration(
    conference: Conference, *, actor: User | None, now: dt.datetime
) -> ConferenceChange | None:
    """Stop taking registrations; the conference still takes place.

    :raises InvalidTransition: unless it is published.
    """
    if conference.status != ConferenceStatus.PUBLISHED:
        raise InvalidTransition(_("Chỉ đóng đăng ký được khi hội nghị đang mở."))
    return _move(conference, ConferenceStatus.CLOSED, actor=actor, now=now)


def reopen_registration(
    conference: Conference, *, actor: User | None, now: dt.datetime
) -> ConferenceChange | None:
    """Take registrations again after closing them.

    :raises InvalidTransition: unless registration is closed and the conference not begun.
    """
    if conference.status != ConferenceStatus.CLOSED or conference.starts_at <= now:
        raise InvalidTransition(_("Không thể mở lại đăng ký cho hội nghị này."))
    return _move(conference, ConferenceStatus.PUBLISHED, actor=actor, now=now)


def finish_conference(
    conference: Conference, *, actor: User | None, now: dt.datetime
) -> ConferenceChange | None:
    """Mark a conference that has taken place as finished.

    :raises InvalidTransition: before it starts, or from draft, finished or cancelled.
    """
    if conference.starts_at > now:
        raise InvalidTransition(_("Hội nghị chưa diễn ra nên chưa thể kết thúc."))
    return _move(conference, ConferenceStatus.FINISHED, actor=actor, now=now)


def cancel_conference(
    conference: Conference, *, reason: str, actor: User | None, now: dt.datetime
) -> ConferenceChange | None:
    """Cancel a public conference; it stays visible, marked cancelled, with the reason.

    :raises ReasonRequired: without a reason.
    :raises InvalidTransition: for a draft (delete it instead), a finished or a cancelled one.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("Nhập lý do hủy hội nghị."), field="reason")
    if conference.status == ConferenceStatus.DRAFT:
        raise InvalidTransition(_("Hội nghị nháp chưa công bố; hãy xóa thay vì hủy."))
    change = _move(
        conference,
        ConferenceStatus.CANCELLED,
        actor=actor,
        now=now,
        kind=ChangeKind.CANCELLED,
        new_value=reason,
    )
    conference.cancel_reason = reason
    db.session.flush()
    return change


# --- agenda sessions ------------------------------------------------------------------------


def _validate_session(conference: Conference, data: SessionInput) -> dict:
    title = (data.title or "").strip()
    if not title:
        raise TitleRequired(_("Nhập tên phiên."), field="title")
    if data.division is None:
        raise DivisionRequired(_("Chọn phòng phụ trách phiên."), field="division_id")
    zone = ZoneInfo(conference.timezone)
    starts_at = _to_utc(data.starts_at, zone)
    ends_at = _to_utc(data.ends_at, zone)
    if ends_at <= starts_at:
        raise EndBeforeStart(_("Giờ kết thúc phải sau giờ bắt đầu."), field="ends_at")
    if starts_at < conference.starts_at or ends_at > conference.ends_at:
        raise SessionOutsideConference(
            _("Phiên phải nằm trong thời gian của hội nghị."),
            field="starts_at" if starts_at < conference.starts_at else "ends_at",
        )
    return {
        "title": title,
        "description": (data.description or "").strip(),
        "starts_at": starts_at,
        "ends_at": ends_at,
        "room": (data.room or "").strip(),
        "speaker": (data.speaker or "").strip(),
        "division": data.division,
    }


def _check_editable(conference: Conference) -> None:
    if conference.status in (ConferenceStatus.FINISHED, ConferenceStatus.CANCELLED):
        raise ConferenceLocked(_("Hội nghị đã kết thúc hoặc đã hủy; không thể sửa chương trình."))


def _agenda_changed(conference: Conference, *, now: dt.datetime) -> None:
    # Sessions are events in the same calendar file and share the conference's SEQUENCE,
    # so calendar apps only take a moved session if the number goes up.
    conference.updated_at = now
    if conference.status != ConferenceStatus.DRAFT:
        conference.ics_sequence += 1


def add_session(
    conference: Conference, data: SessionInput, *, actor: User | None, now: dt.datetime
) -> AgendaSession:
    """Add an agenda session, ordered after those that start at the same time.

    :raises ConferenceLocked: for a finished or cancelled conference.
    :raises TitleRequired: / :raises DivisionRequired: for missing input.
    :raises EndBeforeStart: / :raises SessionOutsideConference: for bad times.
    """
    _check_editable(conference)
    values = _validate_session(conference, data)
    position = 1 + max((s.position for s in conference.sessions), default=0)
    session = AgendaSession(position=position, **values)
    conference.sessions.append(session)
    _agenda_changed(conference, now=now)
    db.session.flush()
    return session


def update_session(
    session: AgendaSession, data: SessionInput, *, actor: User | None, now: dt.datetime
) -> AgendaSession:
    """Change an agenda session.

    :raises ConferenceLocked: / :raises TitleRequired: / :raises DivisionRequired: /
        :raises EndBeforeStart: / :raises SessionOutsideConference: as ``add_session``.
    """
    conference = session.conference
    _check_editable(conference)
    values = _validate_session(conference, data)
    for name, value in values.items():
        setattr(session, name, value)
    _agenda_changed(conference, now=now)
    db.session.flush()
    return session


def delete_session(session: AgendaSession, *, actor: User | None, now: dt.datetime) -> None:
    """Remove an agenda session.

    :raises ConferenceLocked: for a finished or cancelled conference.
    """
    conference = session.conference
    _check_editable(conference)
    conference.sessions.remove(session)
    _agenda_changed(conference, now=now)
    db.session.flush()


def agenda_by_day(conference: Conference) -> list[tuple[dt.date, list[AgendaSession]]]:
    """The sessions grouped by their local day, in time order: the timetable."""
    zone = ZoneInfo(conference.timezone)
    # The timetable names each session's division: load them together, not one by one.
    unloaded = [s for s in conference.sessions if "division" in sa.inspect(s).unloaded]
    if unloaded:
        divisions = {
            division.id: division
            for division in db.session.scalars(
                sa.select(Division).where(Division.id.in_({s.division_id for s in unloaded}))
            )
        }
        for session in unloaded:
            set_committed_value(session, "division", divisions.get(session.division_id))
    days: dict[dt.date, list[AgendaSession]] = {}
    for session in conference.sessions:
        days.setdefault(session.starts_at.astimezone(zone).date(), []).append(session)
    return sorted(days.items())


# --- who may do what ------------------------------------------------------------------------


def can_manage_conference(user: User | None, conference: Conference) -> bool:
    """Admins, and organizers of the host or a co-host organization."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_admin:
        return True
    return (
        user.role == Role.ORGANIZER
        and user.organization_id is not None
        and user.organization_id in conference.organization_ids
    )


def can_create_conference(user: User | None) -> bool:
    return user is not None and user.has_role(Role.ORGANIZER)


def of_organization(organization_id: int):
    """A condition on Conference: hosted or co-hosted by the organization."""
    cohosted = (
        sa.select(Conference.id).join(Conference.cohosts).where(Organization.id == organization_id)
    )
    return sa.or_(Conference.host_id == organization_id, Conference.id.in_(cohosted))


def list_organization_conferences(organization_id: int | None) -> list[Conference]:
    """The conferences an organization hosts or co-hosts (None: all of them), latest first."""
    query = sa.select(Conference).order_by(Conference.starts_at.desc(), Conference.id)
    if organization_id is not None:
        query = query.where(of_organization(organization_id))
    return list(db.session.scalars(query))


def list_managed_conferences(user: User) -> list[Conference]:
    """The conferences ``user`` may manage, latest first."""
    if user.is_admin:
        return list_organization_conferences(None)
    if user.role != Role.ORGANIZER or user.organization_id is None:
        return []
    return list_organization_conferences(user.organization_id)


def list_my_sessions(user: User) -> list[AgendaSession]:
    """The sessions of the user's division across all conferences (cancelled ones too, so
    staff see that their part is off), in time order."""
    if user.division_id is None:
        return []
    return list(
        db.session.scalars(
            sa.select(AgendaSession)
            .join(AgendaSession.conference)
            .where(AgendaSession.division_id == user.division_id)
            .order_by(AgendaSession.starts_at, AgendaSession.position)
        )
    )


def list_organizations() -> list[Organization]:
    return list(db.session.scalars(sa.select(Organization).order_by(Organization.name)))


def list_divisions() -> list[Division]:
    return list(
        db.session.scalars(sa.select(Division).where(Division.is_active).order_by(Division.name))
    )


# --- the public side ------------------------------------------------------------------------


@functools.cache
def _by_slug():
    # built once: on every public page and sign-up, building the select cost as much as
    # running it
    return sa.select(Conference).where(Conference.slug == sa.bindparam("slug"))


def find_conference_by_slug(slug: str) -> tuple[Conference | None, bool]:
    """The conference a slug names and whether the slug is its current one."""
    conference = db.session.scalar(_by_slug(), {"slug": slug})
    if conference is not None:
        return conference, True
    old = db.session.scalar(sa.select(ConferenceSlug).where(ConferenceSlug.slug == slug))
    if old is not None:
        return old.conference, False
    return None, False


def list_public_conferences(*, now: dt.datetime) -> tuple[list[Conference], list[Conference]]:
    """(upcoming soonest first, past latest first); drafts never appear."""
    public = sa.select(Conference).where(Conference.status.in_(PUBLIC_STATUSES))
    upcoming = db.session.scalars(
        public.where(
            Conference.ends_at >= now, Conference.status != ConferenceStatus.FINISHED
        ).order_by(Conference.starts_at, Conference.id)
    )
    past = db.session.scalars(
        public.where(
            sa.or_(Conference.ends_at < now, Conference.status == ConferenceStatus.FINISHED)
        ).order_by(Conference.starts_at.desc(), Conference.id)
    )
    return list(upcoming), list(past)


def list_calendar_conferences() -> list[Conference]:
    """Everything the subscribable feed holds: all public conferences."""
    return list(
        db.session.scalars(
            sa.select(Conference)
            .where(Conference.status.in_(PUBLIC_STATUSES))
            .order_by(Conference.starts_at, Conference.id)
        )
    )


def conference_cards(
    conferences: Sequence[Conference], *, now: dt.datetime
) -> list[ConferenceCard]:
    return [ConferenceCard(c, registration_state(c, now=now)) for c in conferences]


def registration_state(conference: Conference, *, now: dt.datetime) -> RegistrationState:
    """Whether a cooperative can register right now, and how to say it."""
    seats_left = conference.seats_left
    status = conference.status
    if status == ConferenceStatus.CANCELLED:
        return RegistrationState("cancelled", _("Đã hủy"), seats_left)
    if status == ConferenceStatus.DRAFT:
        return RegistrationState("draft", _("Chưa mở đăng ký"), seats_left)
    if status == ConferenceStatus.FINISHED or conference.ends_at <= now:
        return RegistrationState("finished", _("Hội nghị đã kết thúc"), seats_left)
    closes_at = conference.registration_closes_at or conference.starts_at
    if status == ConferenceStatus.CLOSED or now >= closes_at:
        return RegistrationState("closed", _("Đã đóng đăng ký"), seats_left)
    if conference.registration_opens_at is not None and now < conference.registration_opens_at:
        return RegistrationState("not_open", _("Chưa mở đăng ký"), seats_left)
    if seats_left <= 0:
        if conference.has_waitlist:
            return RegistrationState("waitlist", _("Hết chỗ – đăng ký danh sách chờ"), 0)
        return RegistrationState("full", _("Hết chỗ"), 0)
    return RegistrationState("open", _("Còn %(n)d chỗ", n=seats_left), seats_left)
