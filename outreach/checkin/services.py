"""Check-in rules: scans, undo, counts, search, the log, door links and throttling.

A scan is decided by :func:`outreach.checkin.rules.decide` and made real by ONE conditional
update (DESIGN.md §4.2)::

    UPDATE delegates SET checked_in_at = :now WHERE id = :id AND checked_in_at IS NULL

One row changed: ``ok``. None: someone else admitted the person first, so the answer is
``already_checked_in``, with the time and door of that first admission. Every answer, refusals
included, is written to the ``checkins`` log under the client's nonce (unique): a retry with the
same nonce finds that row and gets the first answer again, changing nothing.

Throttling unknown codes is a count over this same log (rows with result ``unknown`` from the
same door link, or the same staff user, in the last minute). It needs no extra store, holds
across gunicorn workers and machines because the database is shared, and leaves a visible trace
(``throttled`` rows) for organizers on the log page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from outreach.accounts.models import Role
from outreach.checkin import rules
from outreach.checkin.models import STATION_MAX_LENGTH
from outreach.checkin.models import CheckIn
from outreach.checkin.models import DoorLink
from outreach.checkin.models import Method
from outreach.checkin.models import Result
from outreach.checkin.tickets import hash_token
from outreach.checkin.tickets import new_token
from outreach.checkin.tickets import normalise_scanned_code
from outreach.conferences import services as conference_services
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.errors import OutreachError
from outreach.registration import vn
from outreach.registration.models import Cooperative
from outreach.registration.models import Delegate
from outreach.registration.models import Registration
from outreach.registration.models import RegistrationStatus

DEFAULT_OPENS_BEFORE_MINUTES = 120
DEFAULT_UNKNOWN_PER_MINUTE = 20
SEARCH_LIMIT = 20
LOG_LIMIT = 300
NONCE_PATTERN = re.compile(r"^[A-Za-z0-9_-]{8,64}$")


class CheckInError(OutreachError):
    code = "checkin_error"


class NotFound(CheckInError):
    code = "not_found"


class NotUndoable(CheckInError):
    code = "not_undoable"


class InvalidScan(CheckInError):
    code = "invalid"


# --- who scans, what they send, what they get -------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Door:
    """Who is at the desk: a staff user, or a door link (which fixes the station)."""

    station: str = ""
    user_id: int | None = None
    door_link_id: int | None = None
    #: organizers of the conference (and admins) may admit before the opening time
    can_override: bool = False


@dataclasses.dataclass(frozen=True)
class ScanRequest:
    nonce: str
    #: what the scanner or the person typed; None for a check-in chosen from the search
    code: str | None = None
    delegate_id: int | None = None
    scanned_at: dt.datetime | None = None
    override: bool = False


@dataclasses.dataclass(frozen=True)
class Person:
    """What the desk shows of a delegate: never a phone number or an e-mail address."""

    id: int
    name: str
    position: str
    cooperative: str

    def to_json(self) -> dict:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Answer:
    result: str
    nonce: str
    person: Person | None = None
    #: ok: the admission time; already_checked_in: when the person had been admitted
    checked_in_at: dt.datetime | None = None
    #: ok: this door; already_checked_in: the door of the first admission
    station: str | None = None
    #: True when this is a retry of a nonce already answered
    replay: bool = False
    undone: bool = False

    def to_json(self, timezone: str) -> dict:
        local = self.checked_in_at.astimezone(ZoneInfo(timezone)) if self.checked_in_at else None
        return {
            "result": self.result,
            "nonce": self.nonce,
            "delegate": self.person.to_json() if self.person else None,
            "checked_in_at": self.checked_in_at.isoformat() if self.checked_in_at else None,
            "checked_in_time": local.strftime("%H:%M") if local else None,
            "station": self.station,
            "replay": self.replay,
            "undone": self.undone,
        }


@dataclasses.dataclass(frozen=True)
class _Ticket:
    state: rules.TicketState
    delegate_id: int
    person: Person


def clean_station(value: str | None) -> str:
    """A door name as shown on the log: one line, no control characters, at most 60 chars."""
    text = " ".join((value or "").split())
    if vn.has_control_characters(text):
        return ""
    return text[:STATION_MAX_LENGTH]


# --- reading tickets -------------------------------------------------------------------------


# The scan path runs plain Core statements on the tables (no ORM entities): on SQLite the ORM's
# per-statement work costs more than the queries themselves (see bench/checkin.py).
_D = Delegate.__table__.c
_R = Registration.__table__.c
_CO = Cooperative.__table__.c
_L = DoorLink.__table__.c
_CF = Conference.__table__.c


@functools.cache
def _ticket_query():
    # built once: constructing a three-table select costs more than running it on SQLite
    return (
        sa.select(
            _D.id,
            _D.conference_id,
            _D.full_name,
            _D.position,
            _D.revoked_at,
            _D.checked_in_at,
            _R.status,
            _CO.name,
        )
        .select_from(Delegate.__table__)
        .join(Registration.__table__, _R.id == _D.registration_id)
        .join(Cooperative.__table__, _CO.id == _R.cooperative_id)
    )


@functools.cache
def _statements() -> dict:
    """The scan path's statements, built once with bound parameters: SQLAlchemy then reuses
    their cache keys and compiled forms instead of rebuilding them on every request."""
    bp = sa.bindparam
    return {
        "by_code": _ticket_query().where(_D.ticket_code == bp("code")),
        "by_id": _ticket_query().where(_D.id == bp("delegate_id")),
        "by_id_in": _ticket_query().where(
            _D.id == bp("delegate_id"), _D.conference_id == bp("conference_id")
        ),
        "admit": sa.update(Delegate.__table__)
        .where(_D.id == bp("delegate_id"), _D.checked_in_at.is_(None))
        .values(checked_in_at=bp("now", type_=Delegate.__table__.c.checked_in_at.type)),
        "log": sa.insert(CheckIn.__table__),
        "conference": sa.select(_CF.id, _CF.status, _CF.starts_at, _CF.ends_at, _CF.timezone).where(
            _CF.id == bp("conference_id")
        ),
        "door_access": sa.select(
            _L.id,
            _L.conference_id,
            _L.station,
            _L.expires_at,
            _L.revoked_at,
            _CF.id,
            _CF.status,
            _CF.starts_at,
            _CF.ends_at,
            _CF.timezone,
        )
        .select_from(DoorLink.__table__)
        .join(Conference.__table__, _CF.id == _L.conference_id)
        .where(_L.token_hash == bp("token_hash")),
    }


def _run(name: str, params: dict):
    """Execute a prebuilt statement on the session's connection (its transaction), skipping
    the Session's ORM execution layer, which these table-level statements do not need."""
    return db.session.connection().execute(_statements()[name], params)


def _ticket(name: str, **params) -> _Ticket | None:
    row = _run(name, params).first()
    if row is None:
        return None
    return _Ticket(
        state=rules.TicketState(
            conference_id=row[1],
            registration_status=row[6],
            revoked=row[4] is not None,
            checked_in_at=row[5],
        ),
        delegate_id=row[0],
        person=Person(id=row[0], name=row[2], position=row[3] or "", cooperative=row[7]),
    )


def _first_admission(delegate_id: int) -> tuple[dt.datetime | None, str | None]:
    """When and at which door the delegate was admitted (read fresh, past the session cache)."""
    at = db.session.scalar(sa.select(Delegate.checked_in_at).where(Delegate.id == delegate_id))
    station = db.session.scalar(
        sa.select(CheckIn.station)
        .where(
            CheckIn.delegate_id == delegate_id,
            CheckIn.result == Result.OK,
            CheckIn.undone_at.is_(None),
        )
        .order_by(CheckIn.at.desc(), CheckIn.id.desc())
        .limit(1)
    )
    return at, station


def find_by_nonce(nonce: str) -> CheckIn | None:
    return db.session.scalar(sa.select(CheckIn).where(CheckIn.nonce == nonce))


def _answer_from_row(row: CheckIn, *, replay: bool) -> Answer:
    person = None
    if row.delegate_id is not None and row.result != Result.WRONG_CONFERENCE:
        ticket = _ticket("by_id", delegate_id=row.delegate_id)
        person = ticket.person if ticket else None
    if row.result == Result.OK:
        at, station = row.at, row.station
    elif row.result == Result.ALREADY_CHECKED_IN:
        at, station = row.prior_at, row.prior_station
    else:
        at, station = None, None
    return Answer(
        result=row.result,
        nonce=row.nonce,
        person=person,
        checked_in_at=at,
        station=station,
        replay=replay,
        undone=row.undone_at is not None,
    )


# --- throttling ------------------------------------------------------------------------------


def _source_filter(door: Door):
    if door.door_link_id is not None:
        return CheckIn.door_link_id == door.door_link_id
    return sa.and_(CheckIn.door_link_id.is_(None), CheckIn.user_id == door.user_id)


def is_throttled(conference_id: int, door: Door, *, now: dt.datetime, limit: int) -> bool:
    """True when this door sent ``limit`` or more unknown codes in the last minute (the
    throttled answers that follow are logged as ``throttled``, so they do not prolong it)."""
    if limit <= 0:
        return False
    recent = (
        sa.select(CheckIn.id)
        .where(
            CheckIn.conference_id == conference_id,
            CheckIn.result == Result.UNKNOWN,
            CheckIn.at > now - dt.timedelta(minutes=1),
            _source_filter(door),
        )
        .limit(limit)
        .subquery()
    )
    return db.session.scalar(sa.select(sa.func.count()).select_from(recent)) >= limit


# --- scanning --------------------------------------------------------------------------------


def scan(
    conference: Conference,
    request: ScanRequest,
    *,
    door: Door,
    now: dt.datetime,
    opens_before_minutes: int = DEFAULT_OPENS_BEFORE_MINUTES,
    unknown_per_minute: int = DEFAULT_UNKNOWN_PER_MINUTE,
) -> Answer:
    """Decide one scan (a code, or a delegate chosen from the search), log it, and answer.

    Flushes only; the caller commits. When a concurrent request with the same nonce wins the
    insert, this rolls the session back and returns that request's answer (``replay``).

    :raises InvalidScan: for a malformed nonce, or neither/both of code and delegate_id.
    :raises NotFound: when the nonce was used for another conference.
    """
    if not NONCE_PATTERN.match(request.nonce or ""):
        raise InvalidScan("nonce: 8 to 64 characters of A-Z a-z 0-9 _ -")
    if (request.code is None) == (request.delegate_id is None):
        raise InvalidScan("send either code or delegate_id")
    # No look-up of the nonce first: the log's unique index is the check. A retry does the same
    # work, loses the insert below, rolls back and returns the first answer (retries are rare;
    # every scan saves a query).
    method = Method.QR if request.code is not None else Method.SEARCH
    if method == Method.QR:
        code = normalise_scanned_code(request.code)
        ticket = _ticket("by_code", code=code) if code else None
    else:
        # a search only offers this conference's delegates; any other id is not a ticket
        ticket = _ticket("by_id_in", delegate_id=request.delegate_id, conference_id=conference.id)
    clock = rules.DeskClock(
        conference_id=conference.id,
        conference_status=conference.status,
        now=now,
        opens_at=rules.opens_at(conference.starts_at, opens_before_minutes),
        override=request.override and door.can_override,
    )
    result = Result(rules.decide(ticket.state if ticket else None, clock))
    # Only a code that matches nothing is counted against the door's limit, so valid tickets
    # never pay for the throttle and a door whose scanner misreads still admits people; the
    # codes are 128-bit random, so guessing gains nothing either way.
    if result == Result.UNKNOWN and is_throttled(
        conference.id, door, now=now, limit=unknown_per_minute
    ):
        result = Result.THROTTLED

    prior_at = prior_station = None
    if result == Result.OK:
        admitted = _run("admit", {"delegate_id": ticket.delegate_id, "now": now})
        if admitted.rowcount != 1:
            result = Result.ALREADY_CHECKED_IN
    if result == Result.ALREADY_CHECKED_IN:
        prior_at, prior_station = _first_admission(ticket.delegate_id)

    # a Core INSERT: the log row is never read back in this request, so no ORM object
    values = {
        "conference_id": conference.id,
        "delegate_id": ticket.delegate_id if ticket else None,
        "at": now,
        "scanned_at": request.scanned_at,
        "user_id": door.user_id,
        "door_link_id": door.door_link_id,
        "station": door.station,
        "method": method,
        "result": result,
        "nonce": request.nonce,
        "prior_at": prior_at,
        "prior_station": prior_station,
        "overridden": result == Result.OK and request.override and door.can_override,
    }
    try:
        _run("log", values)
    except IntegrityError:
        # The same nonce was answered meanwhile: undo our update too, and give its answer.
        db.session.rollback()
        first = find_by_nonce(request.nonce)
        if first is None:
            raise
        if first.conference_id != conference.id:
            raise NotFound() from None
        return _answer_from_row(first, replay=True)
    return Answer(
        result=result,
        nonce=request.nonce,
        person=ticket.person if ticket and result != Result.WRONG_CONFERENCE else None,
        checked_in_at=now if result == Result.OK else prior_at,
        station=door.station if result == Result.OK else prior_station,
    )


def undo(conference: Conference, nonce: str, *, door: Door, now: dt.datetime) -> Answer:
    """Take back the admission answered under ``nonce``; a repeat changes nothing.

    A door link may only undo its own admissions. The delegate's ``checked_in_at`` is cleared
    only if it is still this admission's time, in one conditional update.

    :raises NotFound: no such nonce in this conference (or not this door link's).
    :raises NotUndoable: the answer under this nonce was not an admission.
    """
    row = find_by_nonce(nonce) if NONCE_PATTERN.match(nonce or "") else None
    if row is None or row.conference_id != conference.id:
        raise NotFound()
    if door.door_link_id is not None and row.door_link_id != door.door_link_id:
        raise NotFound()
    if row.result != Result.OK:
        raise NotUndoable()
    marked = db.session.execute(
        sa.update(CheckIn)
        .where(CheckIn.id == row.id, CheckIn.undone_at.is_(None))
        .values(undone_at=now, undone_by_id=door.user_id, undone_by_door_link_id=door.door_link_id)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount == 1:
        db.session.execute(
            sa.update(Delegate)
            .where(Delegate.id == row.delegate_id, Delegate.checked_in_at == row.at)
            .values(checked_in_at=None)
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    db.session.refresh(row)
    answer = _answer_from_row(row, replay=marked.rowcount != 1)
    return answer


# --- counts, search, log ---------------------------------------------------------------------


def stats(conference: Conference) -> dict:
    """Checked in / expected (confirmed, live tickets) and admissions per door."""
    base = (
        sa.select(sa.func.count(Delegate.id))
        .join(Registration, Registration.id == Delegate.registration_id)
        .where(
            Delegate.conference_id == conference.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Delegate.revoked_at.is_(None),
        )
    )
    expected = db.session.scalar(base)
    checked_in = db.session.scalar(base.where(Delegate.checked_in_at.is_not(None)))
    stations = db.session.execute(
        sa.select(CheckIn.station, sa.func.count(CheckIn.id))
        .where(
            CheckIn.conference_id == conference.id,
            CheckIn.result == Result.OK,
            CheckIn.undone_at.is_(None),
        )
        .group_by(CheckIn.station)
        .order_by(sa.func.count(CheckIn.id).desc(), CheckIn.station)
    ).all()
    return {
        "checked_in": checked_in,
        "expected": expected,
        "stations": [{"station": s or "", "checked_in": n} for s, n in stations],
    }


def search(conference: Conference, query: str, *, limit: int = SEARCH_LIMIT) -> list[dict]:
    """Find delegates by name (diacritics ignored), phone (last digits) or cooperative.

    Returns one group per registration that matched, with all of its delegates (so the desk
    sees who else came with the same cooperative) and which of them matched. Names and
    cooperatives only: no phone numbers or e-mail addresses.
    """
    text = " ".join((query or "").split())[:100]
    digits = "".join(ch for ch in text if ch.isascii() and ch.isdigit())
    if digits and not any(ch.isalpha() for ch in text):
        if len(digits) < 3:
            return []
        if len(digits) >= 9 and digits.startswith("0"):
            digits = digits[1:]  # a whole local number: 0912… is stored as +84912…
        condition = Delegate.phone_e164.endswith(digits[-11:], autoescape=True)
    else:
        key = vn.fold(text)
        if len(key) < 2:
            return []
        condition = sa.or_(
            Delegate.name_key.contains(key, autoescape=True),
            Cooperative.name_key.contains(key, autoescape=True),
        )
    matched = db.session.execute(
        sa.select(Delegate.id, Delegate.registration_id)
        .join(Registration, Registration.id == Delegate.registration_id)
        .join(Cooperative, Cooperative.id == Registration.cooperative_id)
        .where(Delegate.conference_id == conference.id, condition)
        .order_by(Delegate.name_key, Delegate.id)
        .limit(limit)
    ).all()
    if not matched:
        return []
    matched_ids = {delegate_id for delegate_id, _ in matched}
    order: list[int] = []
    for _, registration_id in matched:
        if registration_id not in order:
            order.append(registration_id)
    rows = db.session.execute(
        _ticket_query()
        .add_columns(_D.registration_id)
        .where(_D.registration_id.in_(order))
        .order_by(_D.id)
    ).all()
    groups: dict[int, dict] = {
        registration_id: {"cooperative": "", "status": "", "delegates": []}
        for registration_id in order
    }
    for row in rows:
        group = groups[row[8]]
        group["cooperative"] = row[7]
        group["status"] = row[6]
        group["delegates"].append(
            {
                "id": row[0],
                "name": row[2],
                "position": row[3] or "",
                "revoked": row[4] is not None,
                "checked_in_at": row[5].isoformat() if row[5] else None,
                "checked_in_time": row[5]
                .astimezone(ZoneInfo(conference.timezone))
                .strftime("%H:%M")
                if row[5]
                else None,
                "matched": row[0] in matched_ids,
            }
        )
    return [groups[registration_id] for registration_id in order]


@dataclasses.dataclass(frozen=True)
class LogFilters:
    result: str = ""
    station: str = ""
    method: str = ""


def list_log(
    conference: Conference, filters: LogFilters = LogFilters(), *, limit: int = LOG_LIMIT
) -> list[CheckIn]:
    """The newest answers first, with their delegates loaded."""
    query = (
        sa.select(CheckIn)
        .where(CheckIn.conference_id == conference.id)
        .options(sa.orm.joinedload(CheckIn.delegate))
        .order_by(CheckIn.at.desc(), CheckIn.id.desc())
        .limit(limit)
    )
    if filters.result in {r.value for r in Result}:
        query = query.where(CheckIn.result == filters.result)
    if filters.station:
        query = query.where(CheckIn.station == filters.station)
    if filters.method in {m.value for m in Method}:
        query = query.where(CheckIn.method == filters.method)
    return list(db.session.scalars(query))


def log_summary(conference: Conference) -> dict:
    """Answers by result, the doors seen, and the doors that were throttled (with when)."""
    by_result = dict(
        db.session.execute(
            sa.select(CheckIn.result, sa.func.count(CheckIn.id))
            .where(CheckIn.conference_id == conference.id)
            .group_by(CheckIn.result)
        ).all()
    )
    stations = list(
        db.session.scalars(
            sa.select(CheckIn.station)
            .where(CheckIn.conference_id == conference.id)
            .distinct()
            .order_by(CheckIn.station)
        )
    )
    throttled = db.session.execute(
        sa.select(CheckIn.station, sa.func.count(CheckIn.id), sa.func.max(CheckIn.at))
        .where(CheckIn.conference_id == conference.id, CheckIn.result == Result.THROTTLED)
        .group_by(CheckIn.station)
        .order_by(CheckIn.station)
    ).all()
    return {
        "by_result": by_result,
        "stations": stations,
        "throttled": [
            {"station": station, "count": count, "last_at": last}
            for station, count, last in throttled
        ],
    }


# --- door links and who may open a desk ------------------------------------------------------


def create_door_link(
    conference: Conference, station: str, *, created_by, now: dt.datetime
) -> tuple[DoorLink, str]:
    """A new door link valid until the conference ends; returns it and its token (shown once).

    :raises InvalidScan: for an empty door name.
    """
    name = clean_station(station)
    if not name:
        raise InvalidScan("station", field="station")
    token = new_token()
    link = DoorLink(
        conference_id=conference.id,
        station=name,
        token_hash=hash_token(token),
        created_by_id=getattr(created_by, "id", None),
        created_at=now,
        expires_at=conference.ends_at,
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def revoke_door_link(link: DoorLink, *, by, now: dt.datetime) -> None:
    if link.revoked_at is None:
        link.revoked_at = now
        link.revoked_by_id = getattr(by, "id", None)
        db.session.flush()


def find_door_link(token: str | None) -> DoorLink | None:
    """The link with this token, valid or not (the caller tells revoked and expired apart)."""
    if not token or len(token) > 200:
        return None
    return db.session.scalar(sa.select(DoorLink).where(DoorLink.token_hash == hash_token(token)))


@dataclasses.dataclass(frozen=True)
class ConferenceInfo:
    """What the desk API needs of a conference (the scan path reads it without the ORM)."""

    id: int
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    timezone: str


def conference_info(conference_id: int) -> ConferenceInfo | None:
    row = db.session.execute(_statements()["conference"], {"conference_id": conference_id}).first()
    return ConferenceInfo(*row) if row else None


@dataclasses.dataclass(frozen=True)
class DoorLinkInfo:
    id: int
    conference_id: int
    station: str
    expires_at: dt.datetime
    revoked_at: dt.datetime | None

    def is_valid(self, now: dt.datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


def door_access(token: str | None) -> tuple[DoorLinkInfo, ConferenceInfo] | None:
    """The door link with this token and its conference, in one query (every API request)."""
    if not token or len(token) > 200:
        return None
    row = _run("door_access", {"token_hash": hash_token(token)}).first()
    if row is None:
        return None
    return DoorLinkInfo(*row[:5]), ConferenceInfo(*row[5:])


def list_door_links(conference: Conference) -> list[DoorLink]:
    return list(
        db.session.scalars(
            sa.select(DoorLink)
            .where(DoorLink.conference_id == conference.id)
            .order_by(DoorLink.created_at.desc(), DoorLink.id.desc())
        )
    )


def can_open_desk(user, conference: Conference) -> bool:
    """Organizers who manage the conference, admins, and door staff of the host or a co-host
    (door staff without an organization work for every conference)."""
    if conference_services.can_manage_conference(user, conference):
        return True
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.role != Role.DOOR_STAFF or conference.status == "draft":
        return False
    return user.organization_id is None or user.organization_id in conference.organization_ids


def desk_conferences(user, *, now: dt.datetime) -> list[Conference]:
    """Conferences whose desk ``user`` may open, today's and upcoming, soonest first."""
    query = (
        sa.select(Conference)
        .where(
            Conference.status.in_(("published", "closed", "finished")),
            Conference.ends_at > now - dt.timedelta(hours=12),
        )
        .order_by(Conference.starts_at, Conference.id)
    )
    return [c for c in db.session.scalars(query) if can_open_desk(user, c)]
