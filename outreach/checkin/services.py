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
import hashlib
import re
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.exc import IntegrityError

from outreach.accounts.models import Role
from outreach.checkin import paper
from outreach.checkin import rules
from outreach.checkin.models import STATION_MAX_LENGTH
from outreach.checkin.models import CheckIn
from outreach.checkin.models import DoorLink
from outreach.checkin.models import Method
from outreach.checkin.models import Result
from outreach.checkin.tickets import hash_token
from outreach.checkin.tickets import new_ticket_code
from outreach.checkin.tickets import new_token
from outreach.checkin.tickets import normalise_scanned_code
from outreach.conferences import places
from outreach.conferences import services as conference_services
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import driver_cursor
from outreach.database import execute_driver
from outreach.database import from_db_time
from outreach.database import rollback_current
from outreach.database import to_db_time
from outreach.errors import OutreachError
from outreach.i18n import format_datetime_short
from outreach.registration import services as registration_rules
from outreach.registration import vn
from outreach.registration.models import Cooperative
from outreach.registration.models import CooperativeKind
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
        # every answer at the door carries one; dataclasses.asdict copies recursively, slowly
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "cooperative": self.cooperative,
        }


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
_CK = CheckIn.__table__.c


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
        # a door's unknown codes in the last minute, counted up to the limit
        **{
            f"unknown_by_{source}": sa.select(sa.func.count()).select_from(
                sa.select(_CK.id)
                .where(
                    _CK.conference_id == bp("conference_id"),
                    _CK.result == Result.UNKNOWN.value,
                    _CK.at > bp("since"),
                    *condition,
                )
                .limit(bp("limit"))
                .subquery()
            )
            for source, condition in (
                ("link", [_CK.door_link_id == bp("door_link_id")]),
                ("user", [_CK.door_link_id.is_(None), _CK.user_id == bp("user_id")]),
            )
        },
        # when and at which door the delegate was admitted: the time on the delegate, the door
        # on the newest admission not undone
        "first_admission": sa.select(
            _D.checked_in_at,
            sa.select(_CK.station)
            .where(
                _CK.delegate_id == _D.id,
                _CK.result == Result.OK.value,
                _CK.undone_at.is_(None),
            )
            .order_by(_CK.at.desc(), _CK.id.desc())
            .limit(1)
            .scalar_subquery(),
        ).where(_D.id == bp("delegate_id")),
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


_LOG_COLUMNS = (
    "conference_id", "delegate_id", "at", "scanned_at", "user_id", "door_link_id", "station",
    "method", "result", "nonce", "prior_at", "prior_station", "overridden", "flagged",
)  # fmt: skip


def _run(name: str, params: dict, cursor=None):
    """Execute a prebuilt statement on the driver's cursor of the session's connection (its
    transaction): see ``outreach.database.compiled_sql``. Returns the cursor, which the next
    statement of the same transaction may reuse."""
    keys = _LOG_COLUMNS if name == "log" else None
    return execute_driver(_statements()[name], params, cursor=cursor, column_keys=keys)


def _core(name: str, params: dict):
    """The same statements through SQLAlchemy Core, for the paths that are not per-scan (sync
    of offline batches, paper, walk-ins): types converted by the columns, any set of columns."""
    return db.session.connection().execute(_statements()[name], params)


def _ticket(name: str, cursor=None, **params) -> _Ticket | None:
    row = _run(name, params, cursor).fetchone()
    if row is None:
        return None
    return _Ticket(
        state=rules.TicketState(
            conference_id=row[1],
            registration_status=row[6],
            revoked=row[4] is not None,
            checked_in_at=from_db_time(row[5]),
        ),
        delegate_id=row[0],
        person=Person(id=row[0], name=row[2], position=row[3] or "", cooperative=row[7]),
    )


def _first_admission(delegate_id: int, cursor=None) -> tuple[dt.datetime | None, str | None]:
    """When and at which door the delegate was admitted (read fresh, past the session cache)."""
    row = _run("first_admission", {"delegate_id": delegate_id}, cursor).fetchone()
    if row is None:
        return None, None
    return from_db_time(row[0]), row[1]


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


def is_throttled(conference_id: int, door: Door, *, now: dt.datetime, limit: int) -> bool:
    """True when this door sent ``limit`` or more unknown codes in the last minute (the
    throttled answers that follow are logged as ``throttled``, so they do not prolong it)."""
    if limit <= 0:
        return False
    since = to_db_time(now - dt.timedelta(minutes=1), db.engine.dialect.name)
    params = {"conference_id": conference_id, "since": since, "limit": limit}
    if door.door_link_id is not None:
        cursor = _run("unknown_by_link", {**params, "door_link_id": door.door_link_id})
    else:
        cursor = _run("unknown_by_user", {**params, "user_id": door.user_id})
    return cursor.fetchone()[0] >= limit


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
    cursor = driver_cursor()
    if method == Method.QR:
        code = normalise_scanned_code(request.code)
        ticket = _ticket("by_code", cursor, code=code) if code else None
    else:
        # a search only offers this conference's delegates; any other id is not a ticket
        ticket = _ticket(
            "by_id_in", cursor, delegate_id=request.delegate_id, conference_id=conference.id
        )
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

    dialect = db.engine.dialect.name
    prior_at = prior_station = None
    if result == Result.OK:
        admitted = _run(
            "admit", {"delegate_id": ticket.delegate_id, "now": to_db_time(now, dialect)}, cursor
        )
        if admitted.rowcount != 1:
            result = Result.ALREADY_CHECKED_IN
    if result == Result.ALREADY_CHECKED_IN:
        prior_at, prior_station = _first_admission(ticket.delegate_id, cursor)

    # the log row is never read back in this request, so no ORM object
    values = {
        "conference_id": conference.id,
        "delegate_id": ticket.delegate_id if ticket else None,
        "at": to_db_time(now, dialect),
        "scanned_at": to_db_time(request.scanned_at, dialect),
        "user_id": door.user_id,
        "door_link_id": door.door_link_id,
        "station": door.station,
        "method": str(method),
        "result": str(result),
        "nonce": request.nonce,
        "prior_at": to_db_time(prior_at, dialect),
        "prior_station": prior_station,
        "overridden": bool(result == Result.OK and request.override and door.can_override),
        "flagged": False,
    }
    try:
        _run("log", values, cursor)
    except IntegrityError:
        # The same nonce was answered meanwhile: undo our update too, and give its answer.
        rollback_current()
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
    """Answers by result, the doors seen, the doors that were throttled (with when), and the
    offline admissions the server refused when they were synced (to be looked at)."""
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
    # offline admissions the server refused on sync (a ticket revoked while a door was offline)
    flagged = db.session.execute(
        sa.select(CheckIn.at, CheckIn.station, CheckIn.result, Delegate.full_name)
        .outerjoin(Delegate, Delegate.id == CheckIn.delegate_id)
        .where(CheckIn.conference_id == conference.id, CheckIn.flagged)
        .order_by(CheckIn.at)
    ).all()
    return {
        "by_result": by_result,
        "stations": stations,
        "flagged": [
            {"at": at, "station": station, "result": result, "name": name}
            for at, station, result, name in flagged
        ],
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
    row = _run("door_access", {"token_hash": hash_token(token)}).fetchone()
    if row is None:
        return None
    link_id, conference_id, station, expires_at, revoked_at = row[:5]
    link = DoorLinkInfo(
        link_id, conference_id, station, from_db_time(expires_at), from_db_time(revoked_at)
    )
    conference = ConferenceInfo(
        row[5], row[6], from_db_time(row[7]), from_db_time(row[8]), row[9]
    )
    return link, conference


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


# --- the offline desk: roster download and batch sync (issue 7) ----------------------------
#
# The roster's change marker needs no column of its own: a delegate's row is sent again by a
# ``since`` download when any of these server-side times is at or after the cursor (minus
# ROSTER_OVERLAP, for transactions that committed after a later one had started):
#
# - ``delegates.created_at`` (new delegate, replacement), ``revoked_at`` (revoked ticket),
#   ``checked_in_at`` (admissions written at server time);
# - ``registrations.updated_at`` (cancelled, confirmed, promoted from the waiting list: every
#   status change in registration/services.py stamps it) and ``cooperatives.updated_at``;
# - any ``checkins`` row of the delegate with ``at``, ``synced_at`` or ``undone_at`` after it
#   (a check-in or an undo at another door, an offline scan uploaded later with its old time).
#
# Re-sending a row is harmless (the desk stores rows by id), so the overlap costs nothing but a
# few rows. What this cannot see (a delegate row deleted outright) the desk's periodic full
# download (every ROSTER_FULL_EVERY_S in desk-offline.js) replaces.

ROSTER_OVERLAP = dt.timedelta(minutes=2)
SYNC_BATCH_LIMIT = 500
_C = CheckIn.__table__.c


def code_hash(code: str) -> str:
    """What the roster holds instead of a ticket code: sha256 hex of the normalised code.

    The desk hashes what it scans (WebCrypto) and looks the hash up; the 128-bit codes make the
    hash useless for guessing, and a copied roster admits nobody at an online door.
    """
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def roster(conference: Conference, *, since: dt.datetime | None, now: dt.datetime) -> dict:
    """The conference's delegates for an offline desk, or those changed since ``since``.

    One query (delegates with registration, cooperative and the admission's door). No phone
    numbers, e-mail addresses or usable ticket codes. ``cursor`` is what the desk sends as
    ``since`` next time.
    """
    admission = CheckIn.__table__.alias("admission")
    query = (
        sa.select(
            _D.id,
            _D.registration_id,
            _D.ticket_code,
            _D.full_name,
            _D.name_key,
            _D.position,
            _D.revoked_at,
            _D.checked_in_at,
            _R.status,
            _CO.name,
            _CO.name_key,
            admission.c.station,
        )
        .select_from(Delegate.__table__)
        .join(Registration.__table__, _R.id == _D.registration_id)
        .join(Cooperative.__table__, _CO.id == _R.cooperative_id)
        .outerjoin(
            admission,
            sa.and_(
                admission.c.delegate_id == _D.id,
                admission.c.result == Result.OK,
                admission.c.undone_at.is_(None),
                admission.c.at == _D.checked_in_at,
            ),
        )
        .where(_D.conference_id == conference.id)
        .order_by(_D.id)
    )
    if since is not None:
        after = since - ROSTER_OVERLAP
        changed = sa.select(_C.delegate_id).where(
            _C.conference_id == conference.id,
            _C.delegate_id.is_not(None),
            sa.or_(_C.at >= after, _C.synced_at >= after, _C.undone_at >= after),
        )
        query = query.where(
            sa.or_(
                _D.created_at >= after,
                _D.revoked_at >= after,
                _D.checked_in_at >= after,
                _R.updated_at >= after,
                _CO.updated_at >= after,
                _D.id.in_(changed),
            )
        )
    zone = ZoneInfo(conference.timezone)
    delegates = []
    seen: set[int] = set()
    for row in db.session.execute(query):
        if row[0] in seen:  # two live admission rows with the same time: keep one
            continue
        seen.add(row[0])
        checked_in_at = row[7]
        delegates.append(
            {
                "id": row[0],
                "registration_id": row[1],
                "hash": code_hash(row[2]),
                "name": row[3],
                "name_key": row[4],
                "position": row[5] or "",
                "cooperative": row[9],
                "cooperative_key": row[10],
                "status": row[8],
                "revoked": row[6] is not None,
                "checked_in_at": checked_in_at.isoformat() if checked_in_at else None,
                "checked_in_time": checked_in_at.astimezone(zone).strftime("%H:%M")
                if checked_in_at
                else None,
                "station": row[11] if checked_in_at else None,
            }
        )
    return {"cursor": now.isoformat(), "full": since is None, "delegates": delegates}


@dataclasses.dataclass(frozen=True)
class OfflineScan:
    """One scan decided by an offline desk, uploaded later."""

    nonce: str
    #: when the door scanned it, by the phone's clock
    scanned_at: dt.datetime
    code: str | None = None
    delegate_id: int | None = None
    station: str = ""
    #: what the offline desk answered (``ok``: it let the person in)
    local_result: str = ""
    override: bool = False


@dataclasses.dataclass(frozen=True)
class SyncResult:
    """The server's answer to one uploaded scan."""

    answer: Answer | None
    nonce: str
    #: the desk admitted someone the server refuses: shown to the organizer
    flagged: bool = False
    #: this earlier scan became the admission in place of a later one (logged as a duplicate)
    superseded: bool = False
    #: for a scan the server could not take (``nonce_used_elsewhere``, ``invalid``)
    error: str = ""

    def to_json(self, timezone: str) -> dict:
        if self.answer is None:
            return {"nonce": self.nonce, "error": self.error}
        return {
            **self.answer.to_json(timezone),
            "flagged": self.flagged,
            "superseded": self.superseded,
        }


def _sync_statements() -> dict:
    bp = sa.bindparam
    at_type = _D.checked_in_at.type
    return {
        # the earliest scan wins: an earlier time replaces a later admission
        "admit_at": sa.update(Delegate.__table__)
        .where(
            _D.id == bp("b_delegate_id"),
            sa.or_(_D.checked_in_at.is_(None), _D.checked_in_at > bp("b_t", type_=at_type)),
        )
        .values(checked_in_at=bp("b_t", type_=at_type)),
        # ...and the later admission's log row becomes a duplicate of it
        "demote": sa.update(CheckIn.__table__)
        .where(
            _C.delegate_id == bp("b_delegate_id"),
            _C.result == Result.OK,
            _C.undone_at.is_(None),
            _C.at > bp("b_t", type_=at_type),
        )
        .values(
            result=Result.ALREADY_CHECKED_IN,
            prior_at=bp("b_t", type_=at_type),
            prior_station=bp("by_station"),
        ),
    }


_sync_statements = functools.cache(_sync_statements)


def sync_scans(
    conference: Conference,
    scans: list[OfflineScan],
    *,
    door: Door,
    now: dt.datetime,
    opens_before_minutes: int = DEFAULT_OPENS_BEFORE_MINUTES,
) -> list[SyncResult]:
    """Decide a batch of offline scans at their own times and log them; answers in order.

    - Idempotent by nonce: a nonce already logged gets its first answer (``replay``).
    - Each scan is decided by :func:`rules.decide` as of its ``scanned_at`` (never later than
      ``now``): the ticket counts as checked in only if it was admitted at or before that time.
    - The earliest scan of a person wins: ``checked_in_at`` moves to an earlier scan's time by
      one conditional update, and a later admission already logged becomes
      ``already_checked_in`` pointing at the earlier one (``superseded``).
    - A scan the offline desk admitted (``local_result == "ok"``) that the server refuses
      (revoked, cancelled, waitlisted, unknown) is logged with that refusal and ``flagged``.

    Flushes only. When a concurrent upload of the same nonces wins an insert, the session is
    rolled back and the batch decided again (everything it holds is then a replay).

    :raises InvalidScan: for more than SYNC_BATCH_LIMIT scans.
    """
    if len(scans) > SYNC_BATCH_LIMIT:
        raise InvalidScan(f"at most {SYNC_BATCH_LIMIT} scans per batch")
    try:
        return _sync(conference, scans, door=door, now=now, opens_before=opens_before_minutes)
    except IntegrityError:
        db.session.rollback()
        return _sync(conference, scans, door=door, now=now, opens_before=opens_before_minutes)


def _sync(conference, scans, *, door: Door, now, opens_before: int) -> list[SyncResult]:
    results: dict[int, SyncResult] = {}
    valid: list[tuple[int, OfflineScan]] = []
    for index, item in enumerate(scans):
        if not NONCE_PATTERN.match(item.nonce or "") or (item.code is None) == (
            item.delegate_id is None
        ):
            results[index] = SyncResult(None, item.nonce or "", error="invalid")
        else:
            valid.append((index, item))
    known = {
        row.nonce: row
        for row in db.session.scalars(
            sa.select(CheckIn).where(CheckIn.nonce.in_([item.nonce for _, item in valid]))
        )
    }
    fresh: list[tuple[int, OfflineScan]] = []
    taken: set[str] = set()
    for index, item in valid:
        row = known.get(item.nonce)
        if row is not None:
            if row.conference_id != conference.id:
                results[index] = SyncResult(None, item.nonce, error="nonce_used_elsewhere")
            else:
                results[index] = SyncResult(
                    _answer_from_row(row, replay=True), item.nonce, flagged=row.flagged
                )
        elif item.nonce in taken:  # the same nonce twice in one batch: answered once below
            continue
        else:
            taken.add(item.nonce)
            fresh.append((index, item))

    tickets = _batch_tickets(conference.id, [item for _, item in fresh])
    # the earliest first, so that within a batch the first scan of a person is the admission
    fresh.sort(key=lambda pair: (min(pair[1].scanned_at, now), pair[0]))
    statements = _sync_statements()
    opens = rules.opens_at(conference.starts_at, opens_before)
    admitted_at: dict[int, dt.datetime | None] = {
        ticket.delegate_id: ticket.state.checked_in_at for ticket in tickets.values()
    }
    for index, item in fresh:
        at = min(item.scanned_at, now)
        if item.code is not None:
            ticket = tickets.get(("code", normalise_scanned_code(item.code) or ""))
            method = Method.QR
        else:
            ticket = tickets.get(("id", item.delegate_id))
            method = Method.SEARCH
        # a door link names its door; a staff desk says which door it stood at
        station = door.station
        if door.door_link_id is None:
            station = clean_station(item.station) or door.station
        state = None
        if ticket is not None:
            current = admitted_at.get(ticket.delegate_id)
            state = dataclasses.replace(
                ticket.state, checked_in_at=current if current and current <= at else None
            )
        clock = rules.DeskClock(
            conference_id=conference.id,
            conference_status=conference.status,
            now=at,
            opens_at=opens,
            override=item.override and door.can_override,
        )
        result = Result(rules.decide(state, clock))
        superseded = False
        prior_at = prior_station = None
        if result == Result.OK:
            params = {"b_delegate_id": ticket.delegate_id, "b_t": at}
            if db.session.connection().execute(statements["admit_at"], params).rowcount == 1:
                demoted = db.session.connection().execute(
                    statements["demote"], {**params, "by_station": station}
                )
                superseded = demoted.rowcount > 0
                admitted_at[ticket.delegate_id] = at
            else:
                result = Result.ALREADY_CHECKED_IN
        if result == Result.ALREADY_CHECKED_IN:
            prior_at, prior_station = _first_admission(ticket.delegate_id)
            admitted_at[ticket.delegate_id] = prior_at
        flagged = item.local_result == Result.OK and result in rules.REFUSALS
        _core(
            "log",
            {
                "conference_id": conference.id,
                "delegate_id": ticket.delegate_id if ticket else None,
                "at": at,
                "synced_at": now,
                "scanned_at": item.scanned_at,
                "user_id": door.user_id,
                "door_link_id": door.door_link_id,
                "station": station,
                "method": method,
                "result": result,
                "nonce": item.nonce,
                "prior_at": prior_at,
                "prior_station": prior_station,
                "overridden": result == Result.OK and clock.override,
                "flagged": flagged,
            },
        )
        results[index] = SyncResult(
            Answer(
                result=result,
                nonce=item.nonce,
                person=ticket.person if ticket and result != Result.WRONG_CONFERENCE else None,
                checked_in_at=at if result == Result.OK else prior_at,
                station=station if result == Result.OK else prior_station,
            ),
            item.nonce,
            flagged=flagged,
            superseded=superseded,
        )
    db.session.flush()
    answered = [results[index] for index in sorted(results)]
    # a nonce sent twice in one batch gets the same answer twice
    by_nonce = {result.nonce: result for result in answered if result.answer is not None}
    return [
        results.get(index) or by_nonce.get(item.nonce) or SyncResult(None, item.nonce, "invalid")
        for index, item in enumerate(scans)
    ]


def _batch_tickets(conference_id: int, scans: list[OfflineScan]) -> dict[tuple, _Ticket]:
    """The tickets of a batch in at most two queries, keyed by ("code", code) and ("id", id)."""
    codes = {normalise_scanned_code(s.code) for s in scans if s.code is not None} - {None}
    ids = {s.delegate_id for s in scans if s.delegate_id is not None}
    found: dict[tuple, _Ticket] = {}
    queries = []
    if codes:
        queries.append(("code", _ticket_query().where(_D.ticket_code.in_(codes))))
    if ids:
        # a search only offers this conference's delegates; any other id is not a ticket
        queries.append(
            ("id", _ticket_query().where(_D.id.in_(ids), _D.conference_id == conference_id))
        )
    for kind, query in queries:
        query = query.add_columns(_D.ticket_code)
        for row in db.session.connection().execute(query):
            ticket = _Ticket(
                state=rules.TicketState(
                    conference_id=row[1],
                    registration_status=row[6],
                    revoked=row[4] is not None,
                    checked_in_at=row[5],
                ),
                delegate_id=row[0],
                person=Person(id=row[0], name=row[2], position=row[3] or "", cooperative=row[7]),
            )
            found[(kind, row[8] if kind == "code" else row[0])] = ticket
    return found


# --- paper: the sign-in sheet, badges, attendance ticked after the event (issue 7) ------------

#: ``order`` values of the sign-in sheet and the paper page
ORDER_COOPERATIVE = "cooperative"
ORDER_NAME = "name"
SHEET_ORDERS = (ORDER_COOPERATIVE, ORDER_NAME)
#: the door name written on check-ins recorded from the signed sheet
PAPER_STATION = "Danh sách giấy"
BLANK_ROWS_DEFAULT = 20
BLANK_ROWS_MAX = 200


@dataclasses.dataclass(frozen=True)
class PaperRow:
    """A confirmed delegate with a live ticket, as the sheet, the badges and the paper page
    show them (no phone, no e-mail)."""

    id: int
    full_name: str
    position: str
    cooperative: str
    cooperative_id: int
    ticket_code: str
    checked_in_at: dt.datetime | None
    #: the door and method of the admission that counts, when checked in
    station: str | None = None
    method: str | None = None


def paper_rows(
    conference: Conference, *, order: str = ORDER_NAME, ids: list[int] | None = None
) -> list[PaperRow]:
    """Confirmed delegates with live tickets, sorted the Vietnamese way: by given name
    (``vn.name_sort_key``), or by cooperative (name order inside each). ``ids`` keeps only
    those delegates (others, and ids of other conferences, are left out silently)."""
    query = (
        sa.select(
            Delegate.id,
            Delegate.full_name,
            Delegate.position,
            Cooperative.name,
            Cooperative.id,
            Delegate.ticket_code,
            Delegate.checked_in_at,
        )
        .join(Registration, Registration.id == Delegate.registration_id)
        .join(Cooperative, Cooperative.id == Registration.cooperative_id)
        .where(
            Delegate.conference_id == conference.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Delegate.revoked_at.is_(None),
        )
    )
    if ids is not None:
        query = query.where(Delegate.id.in_(ids[:5000]))
    rows = db.session.execute(query).all()
    admitted = [row[0] for row in rows if row[6] is not None]
    doors: dict[int, tuple[str, str]] = {}
    if admitted:
        for delegate_id, station, method in db.session.execute(
            sa.select(CheckIn.delegate_id, CheckIn.station, CheckIn.method)
            .where(
                CheckIn.conference_id == conference.id,
                CheckIn.result == Result.OK,
                CheckIn.undone_at.is_(None),
                CheckIn.delegate_id.in_(admitted),
            )
            .order_by(CheckIn.at, CheckIn.id)
        ):
            doors.setdefault(delegate_id, (station, method))
    people = [
        PaperRow(
            id=row[0],
            full_name=row[1],
            position=row[2] or "",
            cooperative=row[3],
            cooperative_id=row[4],
            ticket_code=row[5],
            checked_in_at=row[6],
            station=doors.get(row[0], (None, None))[0],
            method=doors.get(row[0], (None, None))[1],
        )
        for row in rows
    ]
    if order == ORDER_COOPERATIVE:
        return sorted(
            people,
            key=lambda p: (
                vn.text_sort_key(p.cooperative),  # a cooperative's name reads from its first word
                p.cooperative_id,
                vn.name_sort_key(p.full_name),
                p.id,
            ),
        )
    return sorted(people, key=lambda p: (vn.name_sort_key(p.full_name), p.id))


def _when_text(conference: Conference) -> str:
    start = format_datetime_short(conference.starts_at, conference.timezone)
    end = format_datetime_short(conference.ends_at, conference.timezone)
    if start[-10:] == end[-10:]:
        end = end[:5]  # the same day: "08:00 10/12/2026 – 11:30"
    return f"{start} – {end}"


def sheet_header(conference: Conference) -> paper.SheetHeader:
    venue = ", ".join(
        part
        for part in (
            conference.venue_name,
            conference.venue_address,
            places.format_place(conference.ward_code, conference.province_code),
        )
        if part
    )
    hosts = f"Đơn vị chủ trì: {conference.host.name}"
    if conference.cohosts:
        hosts += " · Phối hợp: " + ", ".join(o.name for o in conference.cohosts)
    return paper.SheetHeader(
        title=conference.title,
        when_text=_when_text(conference),
        venue_text=venue,
        hosts_text=hosts,
    )


def sign_in_sheet(conference: Conference, *, order: str) -> tuple[bytes, int]:
    """The sign-in sheet PDF and how many people it lists."""
    people = paper_rows(conference, order=order)
    if order == ORDER_COOPERATIVE:
        groups: list[paper.SheetGroup] = []
        current = None
        for person in people:
            if person.cooperative_id != current:
                current = person.cooperative_id
                groups.append(paper.SheetGroup(person.cooperative, []))
            groups[-1].rows.append(
                paper.SheetRow(person.full_name, person.position, person.cooperative)
            )
    else:
        groups = [
            paper.SheetGroup(
                "", [paper.SheetRow(p.full_name, p.position, p.cooperative) for p in people]
            )
        ]
    return paper.render_sign_in_sheet(sheet_header(conference), groups), len(people)


def blank_sheet(conference: Conference, *, rows: int = BLANK_ROWS_DEFAULT) -> bytes:
    rows = max(1, min(rows, BLANK_ROWS_MAX))
    return paper.render_blank_sheet(sheet_header(conference), rows)


def badges(conference: Conference, *, ids: list[int] | None = None) -> tuple[bytes | None, int]:
    """Badges of all confirmed delegates (by name), or of ``ids`` only; (None, 0) when there is
    nobody to print."""
    people = paper_rows(conference, order=ORDER_NAME, ids=ids)
    if not people:
        return None, 0
    document = paper.render_badges(
        [
            paper.BadgeInfo(
                code=p.ticket_code,
                full_name=p.full_name,
                position=p.position,
                cooperative=p.cooperative,
                conference_title=conference.title,
            )
            for p in people
        ]
    )
    return document, len(people)


@dataclasses.dataclass(frozen=True)
class PaperResult:
    #: admitted now
    admitted: int
    #: already checked in (left as they were)
    already: int
    #: not confirmed delegates of this conference with a live ticket (ignored)
    ignored: int


def record_paper_attendance(
    conference: Conference, delegate_ids: list[int], *, actor, now: dt.datetime
) -> PaperResult:
    """Admit the people ticked as having signed the paper sheet.

    Each goes through the same conditional update as :func:`scan` (a person already checked in
    keeps their first admission, nobody is admitted twice) and gets a ``checkins`` row with
    method ``paper``, door "Danh sách giấy" and a server-made nonce. Ticking is not undone by
    unticking: undo is the desk's (by nonce) and is not offered here.
    """
    wanted = list(dict.fromkeys(i for i in delegate_ids if isinstance(i, int)))[:5000]
    valid = {p.id for p in paper_rows(conference, ids=wanted)} if wanted else set()
    admitted = already = 0
    for delegate_id in wanted:
        if delegate_id not in valid:
            continue
        if _core("admit", {"delegate_id": delegate_id, "now": now}).rowcount != 1:
            already += 1
            continue
        admitted += 1
        _core(
            "log",
            {
                "conference_id": conference.id,
                "delegate_id": delegate_id,
                "at": now,
                "scanned_at": None,
                "user_id": getattr(actor, "id", None),
                "door_link_id": None,
                "station": PAPER_STATION,
                "method": Method.PAPER,
                "result": Result.OK,
                "nonce": "paper-" + new_token()[:40],
                "prior_at": None,
                "prior_station": None,
                "overridden": False,
            },
        )
    db.session.flush()
    return PaperResult(admitted=admitted, already=already, ignored=len(wanted) - len(valid))


def badge_for(conference_id: int, delegate_id: int) -> tuple[bytes, str] | None:
    """One badge (A4, first slot) and the conference's title, or None when the delegate is not a
    confirmed delegate of this conference with a live ticket."""
    conference = db.session.get(Conference, conference_id)
    if conference is None:
        return None
    document, count = badges(conference, ids=[delegate_id])
    return (document, conference.title) if count else None


# --- walk-ins at the door (issue 7) -------------------------------------------------------------

#: consent to processing was given orally at the desk; stored as the notice version
WALKIN_CONSENT_SUFFIX = "/door"
WALKIN_SUBMISSION_PREFIX = "walkin-"


class WalkInInvalid(CheckInError):
    """Bad input; ``errors`` maps the JSON fields to messages."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(next(iter(errors.values())), field=next(iter(errors)))


@dataclasses.dataclass(frozen=True)
class WalkInRequest:
    nonce: str
    full_name: str
    position: str = ""
    cooperative_name: str = ""
    phone: str = ""
    tax_code: str = ""
    scanned_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class WalkInAnswer:
    #: ok, full, phone_taken, already_registered, not_open
    result: str
    nonce: str
    person: Person | None = None
    ticket_code: str | None = None
    checked_in_at: dt.datetime | None = None
    station: str | None = None
    replay: bool = False

    def to_json(self, timezone: str) -> dict:
        local = self.checked_in_at.astimezone(ZoneInfo(timezone)) if self.checked_in_at else None
        return {
            "result": self.result,
            "nonce": self.nonce,
            "delegate": self.person.to_json() if self.person else None,
            "ticket_code": self.ticket_code,
            "checked_in_at": self.checked_in_at.isoformat() if self.checked_in_at else None,
            "checked_in_time": local.strftime("%H:%M") if local else None,
            "station": self.station,
            "replay": self.replay,
        }


def _walkin_replay(row: CheckIn, conference_id: int) -> WalkInAnswer:
    if row.conference_id != conference_id or row.method != Method.WALKIN:
        raise NotFound()
    ticket = _ticket("by_id", delegate_id=row.delegate_id)
    code = db.session.scalar(sa.select(Delegate.ticket_code).where(Delegate.id == row.delegate_id))
    return WalkInAnswer(
        result=Result.OK,
        nonce=row.nonce,
        person=ticket.person if ticket else None,
        ticket_code=code,
        checked_in_at=row.at,
        station=row.station,
        replay=True,
    )


def _clean_walkin(request: WalkInRequest) -> dict:
    errors: dict[str, str] = {}

    def text(name: str, value: str, max_length: int, *, required: bool) -> str:
        value = " ".join((value or "").split())
        if required and not value:
            errors.setdefault(name, gettext("Vui lòng điền mục này."))
        elif vn.has_control_characters(value):
            errors.setdefault(name, gettext("Mục này chứa ký tự không hợp lệ."))
        elif len(value) > max_length:
            errors.setdefault(name, gettext("Tối đa %(n)d ký tự.", n=max_length))
        return value

    full_name = text(
        "full_name", request.full_name, registration_rules.NAME_MAX_LENGTH, required=True
    )
    position = text(
        "position", request.position, registration_rules.POSITION_MAX_LENGTH, required=False
    )
    cooperative = text("cooperative_name", request.cooperative_name, 200, required=True)
    phone = ""
    try:
        phone = vn.parse_phone(request.phone or "")
    except vn.InvalidPhone:
        # required: the phone is how the registration lists, the one-ticket-per-phone rule and
        # data-subject requests find a person (Delegate.phone_e164 is NOT NULL)
        if not (request.phone or "").strip():
            errors.setdefault("phone", gettext("Vui lòng nhập số điện thoại."))
        errors.setdefault(
            "phone", gettext("Số điện thoại chưa đúng. Ví dụ: 0912 345 678 hoặc 0204 3854 123.")
        )
    tax_code = None
    if (request.tax_code or "").strip():
        try:
            tax_code = vn.parse_tax_code(request.tax_code)
        except vn.InvalidTaxCode:
            errors.setdefault("tax_code", gettext("Mã số HTX/MST chưa đúng."))
    if errors:
        raise WalkInInvalid(errors)
    return {
        "full_name": full_name,
        "position": position,
        "cooperative": cooperative,
        "phone": phone,
        "tax_code": tax_code,
    }


def add_walkin(
    conference: Conference,
    request: WalkInRequest,
    *,
    door: Door,
    now: dt.datetime,
    opens_before_minutes: int = DEFAULT_OPENS_BEFORE_MINUTES,
) -> WalkInAnswer:
    """Register a person at the door, give them a ticket and admit them, in one transaction.

    Idempotent by ``nonce`` (the check-in log's unique index): a replay, e.g. from an offline
    desk's queue, returns the first answer and creates nothing. The person gets a registration
    of their own: a tổ hợp tác named as given (a hợp tác xã when a valid tax code is given; an
    existing cooperative with that tax code is reused, and a confirmed registration it already
    holds takes the person in), placed at the venue's commune, with consent to processing
    recorded as given orally at the desk (``consent_notice_version`` ends in ``/door``, the
    staff user in ``entered_by_id``, the door in the log row). The seat is taken by the same
    conditional update as online registration; there is no waiting list at the door.

    Refusals (``full``, ``phone_taken``, ``already_registered``, ``not_open``) change nothing and
    are not logged, so a retry after a seat frees up may succeed.

    :raises InvalidScan: for a malformed nonce.
    :raises WalkInInvalid: for bad input, with a message per field.
    :raises NotFound: when the nonce was used for another conference or for a scan.
    """
    if not NONCE_PATTERN.match(request.nonce or ""):
        raise InvalidScan("nonce: 8 to 64 characters of A-Z a-z 0-9 _ -")
    first = find_by_nonce(request.nonce)
    if first is not None:
        return _walkin_replay(first, conference.id)
    data = _clean_walkin(request)
    clock = rules.DeskClock(
        conference_id=conference.id,
        conference_status=conference.status,
        now=now,
        opens_at=rules.opens_at(conference.starts_at, opens_before_minutes),
        override=door.can_override,
    )
    if clock.conference_status in rules.CLOSED_CONFERENCE_STATUSES or (
        now < clock.opens_at and not clock.override
    ):
        return WalkInAnswer(result=Result.NOT_OPEN, nonce=request.nonce)
    # when the person came in: a desk that was offline sends the time with its queued walk-in
    # (sync may be an hour later); never later than now, and never before the doors opened,
    # since a phone's clock may be off
    at = now
    if request.scanned_at is not None:
        at = max(min(request.scanned_at, now), min(clock.opens_at, now))

    holder = db.session.execute(
        _ticket_query().where(
            _D.conference_id == conference.id,
            _D.phone_e164 == data["phone"],
            _D.revoked_at.is_(None),
        )
    ).first()
    if holder is not None:
        person = Person(
            id=holder[0], name=holder[2], position=holder[3] or "", cooperative=holder[7]
        )
        return WalkInAnswer(result="phone_taken", nonce=request.nonce, person=person)

    cooperative = None
    registration = None
    if data["tax_code"]:
        cooperative = db.session.scalar(
            sa.select(Cooperative).where(Cooperative.tax_code == data["tax_code"])
        )
    elif data["cooperative"]:
        # No tax code: a cooperative of the same name (diacritics aside) already registered for
        # this conference is that cooperative, so people who walk in from one cooperative are
        # counted once in the reports and listed together on the sheet.
        cooperative = db.session.scalar(
            sa.select(Cooperative)
            .join(Registration, Registration.cooperative_id == Cooperative.id)
            .where(
                Registration.conference_id == conference.id,
                Registration.status != RegistrationStatus.CANCELLED,
                Cooperative.name_key == vn.fold(data["cooperative"]),
            )
            .order_by(Registration.id)
            .limit(1)
        )
    if cooperative is not None:
        registration = db.session.scalar(
            sa.select(Registration).where(
                Registration.conference_id == conference.id,
                Registration.cooperative_id == cooperative.id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
        if registration is not None and registration.status != RegistrationStatus.CONFIRMED:
            return WalkInAnswer(result="already_registered", nonce=request.nonce)
    if not registration_rules._take_seats(conference.id, 1):
        return WalkInAnswer(result="full", nonce=request.nonce)

    if cooperative is None:
        cooperative = Cooperative(
            kind=CooperativeKind.HOP_TAC_XA if data["tax_code"] else CooperativeKind.TO_HOP_TAC,
            name=data["cooperative"],
            name_key=vn.fold(data["cooperative"]),
            tax_code=data["tax_code"],
            province_code=conference.province_code,
            ward_code=conference.ward_code,
            created_at=now,
            updated_at=now,
        )
        db.session.add(cooperative)
    if registration is None:
        registration = Registration(
            conference_id=conference.id,
            cooperative=cooperative,
            status=RegistrationStatus.CONFIRMED,
            manage_token_hash=hash_token(new_token()),
            submission_id=WALKIN_SUBMISSION_PREFIX + hash_token(request.nonce)[:57],
            language="vi",
            contact_name=data["full_name"],
            contact_phone=data["phone"],
            contact_email=None,
            needs={},
            consent_participation_at=at,
            consent_news_at=None,
            consent_notice_version=registration_rules.CONSENT_NOTICE_VERSION
            + WALKIN_CONSENT_SUFFIX,
            seats_held=1,
            entered_by_id=door.user_id,
            created_at=now,
            updated_at=now,
        )
        db.session.add(registration)
    else:
        registration.seats_held += 1
        registration.updated_at = now
    delegate = Delegate(
        conference_id=conference.id,
        full_name=data["full_name"],
        name_key=vn.fold(data["full_name"]),
        position=data["position"],
        phone_e164=data["phone"],
        email=None,
        ticket_code=new_ticket_code(),
        checked_in_at=at,
        created_at=now,
    )
    registration.delegates.append(delegate)
    try:
        db.session.flush()
        _core(
            "log",
            {
                "conference_id": conference.id,
                "delegate_id": delegate.id,
                "at": at,
                "scanned_at": request.scanned_at,
                "user_id": door.user_id,
                "door_link_id": door.door_link_id,
                "station": door.station,
                "method": Method.WALKIN,
                "result": Result.OK,
                "nonce": request.nonce,
                "prior_at": None,
                "prior_station": None,
                "overridden": False,
            },
        )
    except IntegrityError:
        # a concurrent request with the same nonce (or the same phone) won: nothing of ours stays
        db.session.rollback()
        first = find_by_nonce(request.nonce)
        if first is not None:
            return _walkin_replay(first, conference.id)
        return WalkInAnswer(result="phone_taken", nonce=request.nonce)
    return WalkInAnswer(
        result=Result.OK,
        nonce=request.nonce,
        person=Person(
            id=delegate.id,
            name=delegate.full_name,
            position=delegate.position,
            cooperative=cooperative.name,
        ),
        ticket_code=delegate.ticket_code,
        checked_in_at=at,
        station=door.station,
    )
