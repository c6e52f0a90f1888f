"""Registration rules: group sign-up, exact capacity, the waiting list, tickets, self-service."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools

import sqlalchemy as sa
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask_babel import gettext as _
from sqlalchemy import orm

from outreach.checkin.tickets import hash_token
from outreach.checkin.tickets import new_ticket_code
from outreach.checkin.tickets import new_token
from outreach.conferences import places
from outreach.conferences.models import Conference
from outreach.conferences.models import ConferenceStatus
from outreach.database import db
from outreach.database import driver_cursor
from outreach.database import execute_driver
from outreach.database import to_db_json
from outreach.database import to_db_time
from outreach.errors import OutreachError
from outreach.registration import vn
from outreach.registration.models import NEED_CHOICES
from outreach.registration.models import Cooperative
from outreach.registration.models import CooperativeKind
from outreach.registration.models import Delegate
from outreach.registration.models import Gender
from outreach.registration.models import Registration
from outreach.registration.models import RegistrationStatus

#: version of the privacy notice shown above the consent boxes; stored with each registration
CONSENT_NOTICE_VERSION = "2026-01"
NAME_MAX_LENGTH = 100
POSITION_MAX_LENGTH = 100
TEXT_MAX_LENGTH = 1000


class RegistrationError(OutreachError):
    code = "registration_error"


class RegistrationInvalid(RegistrationError):
    """Bad input; ``errors`` maps form field names to messages."""

    code = "invalid"

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(next(iter(errors.values())), field=next(iter(errors)))


class RegistrationClosed(RegistrationError):
    code = "registration_closed"


class ConferenceFull(RegistrationError):
    code = "conference_full"


class AlreadyRegistered(RegistrationError):
    code = "already_registered"


class NotEnoughSeats(RegistrationError):
    code = "not_enough_seats"


class AlreadyAdmitted(RegistrationError):
    """Someone of the registration was checked in: the attendance record keeps them (the desk's
    undo comes first when the check-in was a mistake)."""


class RegistrationCancelled(RegistrationError):
    code = "registration_cancelled"


class NotFound(RegistrationError):
    code = "not_found"


@dataclasses.dataclass(frozen=True)
class CooperativeInput:
    kind: str
    name: str
    tax_code: str
    province_code: int | None
    ward_code: int | None
    sector: str = ""
    main_products: str = ""
    #: a number, or the text as typed (empty: not given)
    member_count: int | str | None = None


@dataclasses.dataclass(frozen=True)
class DelegateInput:
    full_name: str
    phone: str
    position: str = ""
    gender: str = Gender.UNSPECIFIED
    email: str = ""
    #: an existing delegate being edited (self-service), or None for a new person
    id: int | None = None


@dataclasses.dataclass(frozen=True)
class RegistrationInput:
    cooperative: CooperativeInput
    contact_name: str
    contact_phone: str
    contact_email: str
    delegates: list[DelegateInput]
    #: {theme code: {"choices": [...], "text": "..."}}
    needs: dict
    consent_participation: bool
    consent_news: bool = False
    language: str = "vi"


@dataclasses.dataclass
class RegistrationResult:
    registration_id: int
    #: the self-service token, only known right after creation (it is stored as a hash)
    token: str | None
    #: True when this submission id was seen before and nothing new was created
    is_repeat: bool = False
    #: True when an existing cooperative record was reused (matched by tax code)
    cooperative_known: bool = False
    #: False when neither the contact nor any delegate gave an e-mail address: there is no
    #: confirmation to send (the page after the form is the confirmation)
    has_address: bool = True

    @functools.cached_property
    def registration(self) -> Registration:
        """The registration with its delegates, read on first use (one query): a sign-up by
        phone only never needs it."""
        return (
            db.session.scalars(
                _statements()["registration_with_delegates"],
                {"registration_id": self.registration_id},
            )
            .unique()
            .one()
        )


# --- validation -------------------------------------------------------------------------------


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)

    def check(self) -> None:
        if self:
            raise RegistrationInvalid(dict(self))


def _text(errors: _Errors, field: str, value: str, *, max_length: int, required: bool) -> str:
    value = (value or "").strip()
    if required and not value:
        errors.add(field, _("Vui lòng điền mục này."))
        return value
    if vn.has_control_characters(value):
        errors.add(field, _("Mục này chứa ký tự không hợp lệ."))
    elif len(value) > max_length:
        errors.add(field, _("Tối đa %(n)d ký tự.", n=max_length))
    return value


def _phone(errors: _Errors, field: str, value: str) -> str:
    try:
        return vn.parse_phone(value or "")
    except vn.InvalidPhone:
        errors.add(field, _("Số điện thoại chưa đúng. Ví dụ: 0912 345 678 hoặc 0204 3854 123."))
        return ""


def _email(errors: _Errors, field: str, value: str, *, required: bool = False) -> str | None:
    value = (value or "").strip()
    if not value:
        if required:
            errors.add(field, _("Vui lòng điền mục này."))
        return None
    try:
        return validate_email(value, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        errors.add(field, _("Địa chỉ thư chưa đúng. Ví dụ: htx.lucngan@gmail.com."))
        return None


@dataclasses.dataclass
class _CleanDelegate:
    #: the row's place in the list as posted, which names its fields (``delegates-<index>-phone``)
    index: int
    id: int | None
    full_name: str
    name_key: str
    position: str
    gender: str
    phone_e164: str
    email: str | None


def _clean_delegates(
    errors: _Errors, conference: Conference, delegates: list[DelegateInput]
) -> list[_CleanDelegate]:
    # the rows with someone in them, by their place in the list (an empty row is a row not used)
    people = [
        (index, person)
        for index, person in enumerate(delegates)
        if (person.full_name or "").strip() or (person.phone or "").strip()
    ]
    if not people:
        errors.add("delegates-0-full_name", _("Cần ít nhất một người tham dự."))
        return []
    if len(people) > conference.delegates_per_cooperative:
        errors.add(
            "delegates",
            _(
                "Mỗi hợp tác xã cử tối đa %(n)d người tham dự.",
                n=conference.delegates_per_cooperative,
            ),
        )
        return []  # the rows are read again once the list is short enough
    cleaned = []
    seen_phones: set[str] = set()
    for index, person in people:
        prefix = f"delegates-{index}-"
        name = _text(
            errors,
            prefix + "full_name",
            person.full_name,
            max_length=NAME_MAX_LENGTH,
            required=True,
        )
        position = _text(
            errors,
            prefix + "position",
            person.position,
            max_length=POSITION_MAX_LENGTH,
            required=False,
        )
        phone = _phone(errors, prefix + "phone", person.phone)
        if phone and phone in seen_phones:
            errors.add(prefix + "phone", _("Số điện thoại này đã dùng cho người khác trong đơn."))
        seen_phones.add(phone)
        gender = person.gender if person.gender in set(Gender) else Gender.UNSPECIFIED
        cleaned.append(
            _CleanDelegate(
                index=index,
                id=person.id,
                full_name=name,
                name_key=vn.fold(name),
                position=position,
                gender=gender,
                phone_e164=phone,
                email=_email(errors, prefix + "email", person.email),
            )
        )
    return cleaned


def _clean_needs(conference: Conference, needs: dict) -> dict:
    result = {}
    for theme in conference.themes or []:
        answer = needs.get(theme) or {}
        choices = [c for c in answer.get("choices", []) if c in NEED_CHOICES]
        text = (answer.get("text") or "").strip()[:TEXT_MAX_LENGTH]
        if vn.has_control_characters(text):
            text = "".join(ch for ch in text if ch.isprintable() or ch == "\n")
        if answer.get("interested") or choices or text:
            result[theme] = {"choices": choices, "text": text}
    return result


def _clean_cooperative(errors: _Errors, data: CooperativeInput) -> dict:
    kind = data.kind if data.kind in set(CooperativeKind) else None
    if kind is None:
        errors.add("cooperative-kind", _("Vui lòng chọn loại hình."))
    name = _text(errors, "cooperative-name", data.name, max_length=200, required=True)
    tax_code = None
    raw_tax = (data.tax_code or "").strip()
    if raw_tax:
        try:
            tax_code = vn.parse_tax_code(raw_tax)
        except vn.InvalidTaxCode:
            errors.add(
                "cooperative-tax_code",
                _(
                    "Mã số HTX/MST chưa đúng: gồm 10 chữ số (13 với chi nhánh, ví dụ "
                    "0100233488-001) và chữ số cuối phải khớp. Vui lòng kiểm tra lại."
                ),
            )
    elif kind in (CooperativeKind.HOP_TAC_XA, CooperativeKind.LIEN_HIEP_HOP_TAC_XA):
        errors.add(
            "cooperative-tax_code", _("Hợp tác xã và liên hiệp hợp tác xã cần mã số HTX/MST.")
        )
    province = places.find_province(data.province_code)
    ward = places.find_ward(data.ward_code)
    if province is None:
        errors.add("cooperative-province_code", _("Vui lòng chọn tỉnh, thành phố."))
    elif ward is None or int(ward.province_code) != int(province.code):
        errors.add("cooperative-ward_code", _("Vui lòng chọn xã, phường thuộc tỉnh đã chọn."))
    member_count = data.member_count
    if isinstance(member_count, str):
        member_count = member_count.strip()
        number = member_count.isascii() and member_count.isdigit() and len(member_count) < 10
        member_count = int(member_count) if number else (member_count or None)
    if member_count is not None and not (
        isinstance(member_count, int) and 0 <= member_count <= 1_000_000
    ):
        errors.add("cooperative-member_count", _("Số thành viên không hợp lệ."))
        member_count = None
    return {
        "kind": kind,
        "name": name,
        "tax_code": tax_code,
        "province_code": data.province_code,
        "ward_code": data.ward_code,
        "sector": _text(errors, "cooperative-sector", data.sector, max_length=200, required=False),
        "main_products": _text(
            errors, "cooperative-main_products", data.main_products, max_length=300, required=False
        ),
        "member_count": member_count,
    }


# --- seats --------------------------------------------------------------------------------


_C = Conference.__table__
_R = Registration.__table__
_D = Delegate.__table__
_CO = Cooperative.__table__


@functools.cache
def _statements() -> dict:
    """The statements every sign-up runs, built once with bound parameters and run on the
    session's connection: building a statement costs more than running it on SQLite, and the
    ORM's unit of work more than the three INSERTs it would issue (bench: registration)."""
    bp = sa.bindparam
    return {
        "take_seats": sa.update(_C)
        .where(_C.c.id == bp("conference_id"), _C.c.seats_taken + bp("seats") <= _C.c.capacity)
        .values(seats_taken=_C.c.seats_taken + bp("seats")),
        "release_seats": sa.update(_C)
        .where(_C.c.id == bp("conference_id"))
        .values(seats_taken=_C.c.seats_taken - bp("seats")),
        "submission": sa.select(_R.c.id).where(_R.c.submission_id == bp("submission_id")),
        "insert_cooperative": sa.insert(_CO).returning(_CO.c.id),
        "insert_registration": sa.insert(_R).returning(_R.c.id),
        "insert_delegate": sa.insert(_D),
        "registration_with_delegates": sa.select(Registration)
        .options(orm.joinedload(Registration.delegates))
        .where(Registration.id == bp("registration_id")),
    }


_COOPERATIVE_COLUMNS = (
    "kind", "name", "name_key", "tax_code", "province_code", "ward_code", "sector",
    "main_products", "member_count", "created_at", "updated_at",
)  # fmt: skip
_REGISTRATION_COLUMNS = (
    "conference_id", "cooperative_id", "status", "seats_held", "manage_token_hash",
    "submission_id", "language", "contact_name", "contact_phone", "contact_email", "needs",
    "consent_participation_at", "consent_news_at", "consent_notice_version", "entered_by_id",
    "created_at", "updated_at",
)  # fmt: skip
_DELEGATE_COLUMNS = (
    "registration_id", "conference_id", "full_name", "name_key", "position", "gender",
    "phone_e164", "email", "ticket_code", "created_at",
)  # fmt: skip
_COLUMNS = {
    "insert_cooperative": _COOPERATIVE_COLUMNS,
    "insert_registration": _REGISTRATION_COLUMNS,
    "insert_delegate": _DELEGATE_COLUMNS,
}


@functools.cache
def _live_phones_statement(count: int):
    """Live tickets holding any of ``count`` phones: one statement per count, since the
    driver takes no list for IN."""
    return sa.select(_D.c.phone_e164).where(
        _D.c.conference_id == sa.bindparam("conference_id"),
        _D.c.revoked_at.is_(None),
        _D.c.phone_e164.in_([sa.bindparam(f"phone_{i}") for i in range(count)]),
    )


def _run(name: str, params: dict, cursor=None):
    """A prebuilt statement on the driver's cursor of the session's connection (see
    outreach.database.execute_driver): 15 µs less per statement than through SQLAlchemy."""
    return execute_driver(
        _statements()[name], params, cursor=cursor, column_keys=_COLUMNS.get(name)
    )


def _take_seats(conference_id: int, seats: int) -> bool:
    """Take ``seats`` seats in one conditional update; False when they are not there.

    Never count-then-insert: this single statement is the whole check (DESIGN.md §4).
    """
    if seats <= 0:
        return True
    return _run("take_seats", {"conference_id": conference_id, "seats": seats}).rowcount == 1


def _release_seats(conference_id: int, seats: int) -> None:
    if seats <= 0:
        return
    _run("release_seats", {"conference_id": conference_id, "seats": seats})


def _set_status(registration: Registration, old: str, new: str) -> bool:
    """Move a registration from ``old`` to ``new`` status, or return False if someone else
    moved it first (the row lock this takes serialises concurrent promoters and cancellers)."""
    result = db.session.execute(
        sa.update(Registration)
        .where(Registration.id == registration.id, Registration.status == old)
        .values(status=new)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# --- queries ------------------------------------------------------------------------------


def find_by_submission_id(submission_id: str) -> Registration | None:
    row = _run("submission", {"submission_id": submission_id}).fetchone()
    found = row[0] if row else None
    return db.session.get(Registration, found) if found is not None else None


def find_by_token(token: str | None) -> Registration | None:
    """The registration a self-service token opens, or None for unknown or reissued tokens."""
    if not token or len(token) > 100:
        return None
    return db.session.scalar(
        sa.select(Registration).where(Registration.manage_token_hash == hash_token(token))
    )


def find_cooperative_by_tax_code(tax_code: str) -> Cooperative | None:
    try:
        canonical = vn.parse_tax_code(tax_code)
    except vn.InvalidTaxCode:
        return None
    return db.session.scalar(sa.select(Cooperative).where(Cooperative.tax_code == canonical))


def _live_phones(conference_id: int, phones: list[str], *, except_registration: int | None):
    if except_registration is None:
        params = {f"phone_{i}": phone for i, phone in enumerate(phones)}
        cursor = execute_driver(
            _live_phones_statement(len(phones)), {"conference_id": conference_id, **params}
        )
        return {row[0] for row in cursor.fetchall()}
    query = sa.select(Delegate.phone_e164).where(
        Delegate.conference_id == conference_id,
        Delegate.revoked_at.is_(None),
        Delegate.phone_e164.in_(phones),
        Delegate.registration_id != except_registration,
    )
    return set(db.session.scalars(query))


def is_registration_open(conference: Conference, *, now: dt.datetime) -> bool:
    if conference.status != ConferenceStatus.PUBLISHED:
        return False
    if conference.registration_opens_at and now < conference.registration_opens_at:
        return False
    closes = conference.registration_closes_at or conference.starts_at
    return now < closes


# --- registering ------------------------------------------------------------------------------


def register_cooperative(
    conference: Conference,
    data: RegistrationInput,
    *,
    submission_id: str,
    now: dt.datetime,
    entered_by=None,
) -> RegistrationResult:
    """Register a cooperative and its delegates: seats if there are enough, else the waiting list.

    A repeated ``submission_id`` returns the first registration and creates nothing. Staff
    (``entered_by``) may register on a cooperative's behalf after the public closing time, but
    never for a conference that is not published or closed.

    :raises RegistrationClosed: outside the registration window or for an unpublished conference.
    :raises RegistrationInvalid: for bad input, with a message per field.
    :raises AlreadyRegistered: when the cooperative holds an active registration already.
    :raises ConferenceFull: when there are no seats and the conference keeps no waiting list.
    """
    repeat = find_by_submission_id(submission_id)
    if repeat is not None:
        return RegistrationResult(repeat.id, None, is_repeat=True)
    staff_allowed = (
        entered_by is not None
        and conference.status in (ConferenceStatus.PUBLISHED, ConferenceStatus.CLOSED)
        and now < conference.starts_at
    )
    if not (is_registration_open(conference, now=now) or staff_allowed):
        raise RegistrationClosed(_("Hội nghị này hiện không nhận đăng ký."))

    errors = _Errors()
    cooperative_fields = _clean_cooperative(errors, data.cooperative)
    contact_name = _text(
        errors, "contact_name", data.contact_name, max_length=NAME_MAX_LENGTH, required=True
    )
    contact_phone = _phone(errors, "contact_phone", data.contact_phone)
    contact_email = _email(errors, "contact_email", data.contact_email)
    delegates = _clean_delegates(errors, conference, data.delegates)
    if not data.consent_participation:
        errors.add(
            "consent_participation",
            _("Cần đồng ý xử lý dữ liệu cá nhân để đăng ký tham dự hội nghị."),
        )
    errors.check()
    taken = _live_phones(conference.id, [d.phone_e164 for d in delegates], except_registration=None)
    for person in delegates:
        if person.phone_e164 in taken:
            errors.add(
                f"delegates-{person.index}-phone",
                _("Số điện thoại này đã được đăng ký tham dự hội nghị này."),
            )
    errors.check()

    cooperative = None
    known = False
    if cooperative_fields["tax_code"]:
        cooperative = db.session.scalar(
            sa.select(Cooperative).where(Cooperative.tax_code == cooperative_fields["tax_code"])
        )
        known = cooperative is not None
    if cooperative is not None:
        active = db.session.scalar(
            sa.select(Registration.id).where(
                Registration.conference_id == conference.id,
                Registration.cooperative_id == cooperative.id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
        if active is not None:
            raise AlreadyRegistered(
                _(
                    "Hợp tác xã này đã đăng ký hội nghị. Dùng đường dẫn trong thư xác nhận để "
                    "thay đổi, hoặc chọn “Tôi mất đường dẫn”."
                ),
                field="cooperative-tax_code",
            )

    # The seats first, in one conditional UPDATE; then the rows, each in one INSERT with its
    # final status (Core: see _statements).
    confirmed = _take_seats(conference.id, len(delegates))
    if not confirmed and not conference.has_waitlist:
        raise ConferenceFull(_("Hội nghị đã hết chỗ."))
    dialect = db.engine.dialect.name
    stamp = to_db_time(now, dialect)
    cursor = driver_cursor()
    if cooperative is None:
        values = {
            **cooperative_fields,
            "name_key": vn.fold(cooperative_fields["name"]),
            "created_at": stamp,
            "updated_at": stamp,
        }
        cooperative_id = _run("insert_cooperative", values, cursor).fetchone()[0]
    else:
        cooperative_id = cooperative.id
    token = new_token()
    status = RegistrationStatus.CONFIRMED if confirmed else RegistrationStatus.WAITLISTED
    values = {
        "conference_id": conference.id,
        "cooperative_id": cooperative_id,
        "status": str(status),
        "seats_held": len(delegates) if confirmed else 0,
        "manage_token_hash": hash_token(token),
        "submission_id": submission_id,
        "language": data.language if data.language in ("vi", "en") else "vi",
        "contact_name": contact_name,
        "contact_phone": contact_phone,
        "contact_email": contact_email,
        "needs": to_db_json(_clean_needs(conference, data.needs)),
        "consent_participation_at": stamp,
        "consent_news_at": stamp if data.consent_news else None,
        "consent_notice_version": CONSENT_NOTICE_VERSION,
        "entered_by_id": getattr(entered_by, "id", None),
        "created_at": stamp,
        "updated_at": stamp,
    }
    registration_id = _run("insert_registration", values, cursor).fetchone()[0]
    for person in delegates:
        values = {
            "registration_id": registration_id,
            "conference_id": conference.id,
            "full_name": person.full_name,
            "name_key": person.name_key,
            "position": person.position,
            "gender": str(person.gender),
            "phone_e164": person.phone_e164,
            "email": person.email,
            "ticket_code": new_ticket_code(),
            "created_at": stamp,
        }
        _run("insert_delegate", values, cursor)
    return RegistrationResult(
        registration_id,
        token,
        cooperative_known=known,
        has_address=bool(contact_email or any(person.email for person in delegates)),
    )


def _new_delegate(conference: Conference, person: _CleanDelegate, *, now: dt.datetime) -> Delegate:
    return Delegate(
        conference_id=conference.id,
        full_name=person.full_name,
        name_key=person.name_key,
        position=person.position,
        gender=person.gender,
        phone_e164=person.phone_e164,
        email=person.email,
        ticket_code=new_ticket_code(),
        created_at=now,
    )


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first registration waiting, and so on; None when not on the waiting list."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = db.session.scalar(
        sa.select(sa.func.count(Registration.id)).where(
            Registration.conference_id == registration.conference_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            sa.or_(
                Registration.created_at < registration.created_at,
                sa.and_(
                    Registration.created_at == registration.created_at,
                    Registration.id < registration.id,
                ),
            ),
        )
    )
    return ahead + 1


def promote_from_waitlist(conference: Conference, *, now: dt.datetime) -> list[Registration]:
    """Give free seats to waiting registrations in arrival order; return the promoted ones.

    A registration whose whole delegation does not fit is skipped, so a smaller one behind it
    may take the seats that are left.
    """
    promoted = []
    waiting = db.session.scalars(
        sa.select(Registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.created_at, Registration.id)
    ).all()
    for registration in waiting:
        seats = len(registration.active_delegates)
        if not _set_status(
            registration, RegistrationStatus.WAITLISTED, RegistrationStatus.CONFIRMED
        ):
            continue  # someone else moved it meanwhile
        if not _take_seats(conference.id, seats):
            _set_status(registration, RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
            continue
        db.session.refresh(registration, ["status"])
        registration.seats_held = seats
        registration.promoted_at = now
        registration.updated_at = now
        promoted.append(registration)
    db.session.flush()
    return promoted


def confirm_by_hand(registration: Registration, *, now: dt.datetime) -> Registration:
    """An organizer moves one waiting registration to confirmed, if its seats are free.

    :raises NotEnoughSeats: when the delegation does not fit.
    """
    seats = len(registration.active_delegates)
    if registration.status != RegistrationStatus.WAITLISTED or not _set_status(
        registration, RegistrationStatus.WAITLISTED, RegistrationStatus.CONFIRMED
    ):
        raise RegistrationError(_("Đơn đăng ký này không ở danh sách chờ."))
    if not _take_seats(registration.conference_id, seats):
        raise NotEnoughSeats(_("Không còn đủ chỗ cho %(n)d người.", n=seats))
    db.session.refresh(registration, ["status"])
    registration.seats_held = seats
    registration.promoted_at = now
    registration.updated_at = now
    db.session.flush()
    return registration


def cancel_registration(registration: Registration, *, now: dt.datetime) -> list[Registration]:
    """Cancel: free the seats, revoke every ticket, promote the waiting list.

    Returns the registrations promoted into the freed seats.

    :raises RegistrationCancelled: when it was cancelled already.
    :raises AlreadyAdmitted: when someone of it was checked in.
    """
    old_status = registration.status
    if old_status != RegistrationStatus.CANCELLED and any(
        delegate.checked_in_at is not None for delegate in registration.active_delegates
    ):
        raise AlreadyAdmitted(
            _(
                "Đã có người của đơn này điểm danh vào hội nghị nên không thể hủy đơn. Nếu điểm "
                "danh nhầm, Ban tổ chức hoàn tác lượt đó ở bàn điểm danh trước."
            )
        )
    if old_status == RegistrationStatus.CANCELLED or not _set_status(
        registration, old_status, RegistrationStatus.CANCELLED
    ):
        raise RegistrationCancelled(_("Đơn đăng ký này đã được hủy."))
    db.session.refresh(registration, ["status"])
    _release_seats(registration.conference_id, registration.seats_held)
    registration.seats_held = 0
    registration.cancelled_at = now
    registration.updated_at = now
    for delegate in registration.active_delegates:
        delegate.revoked_at = now
    db.session.flush()
    return promote_from_waitlist(registration.conference, now=now)


@dataclasses.dataclass
class DelegationChange:
    added: list[Delegate]
    removed: list[Delegate]
    promoted: list[Registration]


def update_delegates(
    registration: Registration,
    delegates: list[DelegateInput],
    *,
    now: dt.datetime,
    by_staff: bool = False,
) -> DelegationChange:
    """Swap, add or remove delegates. A person whose name changes is a new person: the old
    ticket is revoked and a new one issued. Seats are re-checked for a confirmed registration.

    :raises RegistrationClosed: after registration closed (unless ``by_staff``).
    :raises RegistrationCancelled: for a cancelled registration.
    :raises RegistrationInvalid: for bad input.
    :raises AlreadyAdmitted: when a person it would remove was checked in.
    :raises NotEnoughSeats: when more seats are needed than are free.
    """
    conference = registration.conference
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationCancelled(_("Đơn đăng ký này đã được hủy."))
    if not by_staff and not is_registration_open(conference, now=now):
        raise RegistrationClosed(_("Đã hết hạn thay đổi người tham dự."))
    errors = _Errors()
    cleaned = _clean_delegates(errors, conference, delegates)
    errors.check()
    taken = _live_phones(
        conference.id, [d.phone_e164 for d in cleaned], except_registration=registration.id
    )
    for person in cleaned:
        if person.phone_e164 in taken:
            errors.add(
                f"delegates-{person.index}-phone",
                _("Số điện thoại này đã được đăng ký tham dự hội nghị này."),
            )
    errors.check()

    current = {d.id: d for d in registration.active_delegates}
    kept: list[tuple[Delegate, _CleanDelegate]] = []
    added: list[Delegate] = []
    removed: list[Delegate] = []
    for person in cleaned:
        existing = current.get(person.id) if person.id else None
        if existing is not None and existing.name_key == person.name_key:
            kept.append((existing, person))
        else:
            added.append(_new_delegate(conference, person, now=now))
    kept_ids = {delegate.id for delegate, _person in kept}
    for delegate_id, delegate in current.items():
        if delegate_id not in kept_ids:
            if delegate.checked_in_at is not None:
                raise AlreadyAdmitted(
                    _(
                        "%(name)s đã điểm danh vào hội nghị nên không thể bỏ khỏi danh sách. Nếu "
                        "điểm danh nhầm, Ban tổ chức hoàn tác lượt đó ở bàn điểm danh trước.",
                        name=delegate.full_name,
                    )
                )
            delegate.revoked_at = now
            removed.append(delegate)
    # A number may move between people (two swapped, or one passed on to someone who stays):
    # the removed tickets are revoked and the moving numbers parked on a placeholder first, so
    # that the index of live phones never holds one number twice, even for a moment.
    for delegate, person in kept:
        if delegate.phone_e164 != person.phone_e164:
            delegate.phone_e164 = f"~{delegate.id}"
    db.session.flush()
    for delegate, person in kept:
        delegate.full_name = person.full_name
        delegate.position = person.position
        delegate.gender = person.gender
        delegate.phone_e164 = person.phone_e164
        delegate.email = person.email
    db.session.flush()
    for delegate in added:
        registration.delegates.append(delegate)

    promoted: list[Registration] = []
    if registration.status == RegistrationStatus.CONFIRMED:
        needed = len(kept_ids) + len(added)
        delta = needed - registration.seats_held
        if delta > 0 and not _take_seats(conference.id, delta):
            raise NotEnoughSeats(_("Không còn đủ chỗ để thêm %(n)d người.", n=delta))
        if delta < 0:
            _release_seats(conference.id, -delta)
        registration.seats_held = needed
        registration.updated_at = now
        db.session.flush()
        if delta < 0:
            promoted = promote_from_waitlist(conference, now=now)
    elif registration.status == RegistrationStatus.WAITLISTED:
        # a smaller delegation may fit the seats that are free now (this one or one behind it)
        db.session.flush()
        promoted = promote_from_waitlist(conference, now=now)
    registration.updated_at = now
    db.session.flush()
    return DelegationChange(added=added, removed=removed, promoted=promoted)


def reissue_token(registration: Registration) -> str:
    """A fresh self-service token; the old link stops working."""
    token = new_token()
    registration.manage_token_hash = hash_token(token)
    db.session.flush()
    return token


def find_registrations_by_contact(contact: str, *, now: dt.datetime) -> list[Registration]:
    """Active registrations for conferences not yet over whose contact phone or e-mail matches;
    for the "lost my link" form (the link is the contact's: it goes to the contact's e-mail)."""
    contact = (contact or "").strip()
    if not contact or len(contact) > 254:
        return []
    conditions = []
    if "@" in contact:
        conditions.append(sa.func.lower(Registration.contact_email) == contact.lower())
    else:
        try:
            conditions.append(Registration.contact_phone == vn.parse_phone(contact))
        except vn.InvalidPhone:
            return []
    return list(
        db.session.scalars(
            sa.select(Registration)
            .join(Registration.conference)
            .where(
                sa.or_(*conditions),
                Registration.status != RegistrationStatus.CANCELLED,
                Conference.ends_at > now,
            )
        )
    )


def seats_invariant_holds(conference: Conference) -> bool:
    """``seats_taken`` equals the live delegates of confirmed registrations (DESIGN.md §4)."""
    db.session.refresh(conference, ["seats_taken"])
    confirmed = db.session.scalar(
        sa.select(sa.func.count(Delegate.id))
        .join(Delegate.registration)
        .where(
            Registration.conference_id == conference.id,
            Registration.status == RegistrationStatus.CONFIRMED,
            Delegate.revoked_at.is_(None),
        )
    )
    return confirmed == conference.seats_taken
