"""Data-subject rights: find a person, export what is held about them, erase it; track requests.

A person is found by a phone number or an e-mail address, as the contact of a registration or
as a delegate. Erasure anonymises in place so that statistics stay true: the cooperative (an
organisation, not a person), the conference, the registration's status, each delegate's gender
and check-in time remain; names become ``Đã ẩn danh``, phones and e-mails become placeholders
that name no one, tickets and self-service links stop working, and messages about the person
are deleted from the outbox.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import json

import sqlalchemy as sa
from email_validator import EmailNotValidError
from email_validator import validate_email
from flask_babel import gettext as _

from outreach.audit import services as audit
from outreach.checkin.tickets import hash_token
from outreach.checkin.tickets import new_token
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.errors import OutreachError
from outreach.mail import services as mail_services
from outreach.mail.models import OutboxMessage
from outreach.privacy.models import DataRequest
from outreach.privacy.models import RequestKind
from outreach.registration import services as registration_services
from outreach.registration import vn
from outreach.registration.models import Delegate
from outreach.registration.models import Registration
from outreach.registration.models import RegistrationStatus

#: what an erased name reads as
ANONYMISED_NAME = "Đã ẩn danh"
ANONYMISED_NAME_KEY = "da an danh"
#: erased phones become ``anon-<row id>``: unique, so the one-phone-per-conference index holds
PLACEHOLDER_PREFIX = "anon-"


class PrivacyError(OutreachError):
    pass


class InvalidContact(PrivacyError):
    pass


class RequestClosed(PrivacyError):
    pass


# --------------------------------------------------------------------------- identifying


@dataclasses.dataclass(frozen=True)
class Contact:
    kind: str  # "phone" or "email"
    value: str  # E.164 or a lower-case address

    @property
    def masked(self) -> str:
        return mask(self.value)


def parse_contact(raw: str) -> Contact:
    """A phone (any Vietnamese form) or an e-mail address, normalised.

    :raises InvalidContact: (field ``contact``) for anything else.
    """
    text = (raw or "").strip()
    if not text or len(text) > 254:
        raise InvalidContact(
            _("Nhập số điện thoại hoặc địa chỉ thư của người cần tìm."),
            code="privacy.contact_invalid",
            field="contact",
        )
    if "@" in text:
        try:
            value = validate_email(text, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise InvalidContact(
                _("Địa chỉ thư chưa đúng. Ví dụ: htx.lucngan@gmail.com."),
                code="privacy.contact_invalid",
                field="contact",
            ) from None
        return Contact("email", value)
    try:
        return Contact("phone", vn.parse_phone(text))
    except vn.InvalidPhone:
        raise InvalidContact(
            _("Số điện thoại chưa đúng. Ví dụ: 0912 345 678 hoặc 0204 3854 123."),
            code="privacy.contact_invalid",
            field="contact",
        ) from None


def mask(value: str) -> str:
    """``+84912345678`` → ``09xx xxx 678``; ``hung@example.vn`` → ``h***@example.vn``."""
    if "@" in value:
        local, _at, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    digits = "".join(ch for ch in value if ch.isdigit())
    if digits.startswith("84"):
        digits = "0" + digits[2:]
    return f"{digits[:2]}xx xxx {digits[-3:]}" if len(digits) >= 6 else "***"


def subject_hash(contact: Contact, *, secret: str) -> str:
    """A keyed hash of the contact: finds a person's requests without storing who they are."""
    key = hashlib.sha256(("data-request:" + secret).encode()).digest()
    return hmac.new(key, f"{contact.kind}:{contact.value}".encode(), hashlib.sha256).hexdigest()


@dataclasses.dataclass
class Person:
    contact: Contact
    #: registrations whose contact is this person
    registrations: list[Registration]
    #: delegates (tickets) that are this person
    delegates: list[Delegate]
    messages: list[OutboxMessage]

    @property
    def found(self) -> bool:
        return bool(self.registrations or self.delegates or self.messages)

    @property
    def row_count(self) -> int:
        return len(self.registrations) + len(self.delegates) + len(self.messages)


def _matches_registration(contact: Contact):
    if contact.kind == "email":
        return sa.func.lower(Registration.contact_email) == contact.value
    return Registration.contact_phone == contact.value


def _matches_delegate(contact: Contact):
    if contact.kind == "email":
        return sa.func.lower(Delegate.email) == contact.value
    return Delegate.phone_e164 == contact.value


def find_person(contact: Contact) -> Person:
    """Everything held about the person across all conferences."""
    registrations = list(
        db.session.scalars(
            sa.select(Registration)
            .where(_matches_registration(contact))
            .order_by(Registration.created_at, Registration.id)
        )
    )
    delegates = list(
        db.session.scalars(
            sa.select(Delegate).where(_matches_delegate(contact)).order_by(Delegate.id)
        )
    )
    conditions = [OutboxMessage.registration_id.in_([r.id for r in registrations])]
    for address in _emails_of(registrations, delegates, contact):
        conditions.append(sa.func.lower(OutboxMessage.to_address).contains(address))
    messages = list(
        db.session.scalars(
            sa.select(OutboxMessage).where(sa.or_(*conditions)).order_by(OutboxMessage.id)
        )
    )
    return Person(contact, registrations, delegates, messages)


def _emails_of(registrations, delegates, contact: Contact) -> set[str]:
    emails = {contact.value} if contact.kind == "email" else set()
    emails |= {r.contact_email.lower() for r in registrations if r.contact_email}
    emails |= {d.email.lower() for d in delegates if d.email}
    return emails


# --------------------------------------------------------------------------- export


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _checkins(delegate_ids: list[int]) -> dict[int, list[dict]]:
    """The check-in log rows per delegate, when the check-in desk's log exists."""
    try:
        from outreach.checkin.models import CheckIn
    except ImportError:  # the desk's log is optional
        return {}
    found: dict[int, list[dict]] = {}
    if not delegate_ids:
        return found
    rows = db.session.scalars(
        sa.select(CheckIn).where(CheckIn.delegate_id.in_(delegate_ids)).order_by(CheckIn.at)
    )
    for row in rows:
        found.setdefault(row.delegate_id, []).append(
            {
                "at": _iso(row.at),
                "station": row.station,
                "method": row.method,
                "result": row.result,
                "undone_at": _iso(row.undone_at),
            }
        )
    return found


def _conference(conference: Conference) -> dict:
    return {
        "id": conference.id,
        "title": conference.title,
        "starts_at": _iso(conference.starts_at),
        "ends_at": _iso(conference.ends_at),
    }


def export_person(person: Person, *, now: dt.datetime) -> dict:
    """Everything held about the person, as plain JSON-ready data."""
    checkins = _checkins([d.id for d in person.delegates])
    return {
        "generated_at": _iso(now),
        "subject": {"kind": person.contact.kind, "value": person.contact.value},
        "registrations": [
            {
                "id": r.id,
                "conference": _conference(r.conference),
                "cooperative": {
                    "name": r.cooperative.name,
                    "tax_code": r.cooperative.tax_code,
                    "kind": r.cooperative.kind,
                },
                "status": r.status,
                "contact_name": r.contact_name,
                "contact_phone": r.contact_phone,
                "contact_email": r.contact_email,
                "needs": r.needs,
                "language": r.language,
                "created_at": _iso(r.created_at),
                "cancelled_at": _iso(r.cancelled_at),
                "consent": {
                    "participation_at": _iso(r.consent_participation_at),
                    "news_at": _iso(r.consent_news_at),
                    "news_withdrawn_at": _iso(r.consent_news_withdrawn_at),
                    "notice_version": r.consent_notice_version,
                },
                "delegates": [
                    {"full_name": d.full_name, "phone": d.phone_e164, "email": d.email}
                    for d in r.delegates
                ],
            }
            for r in person.registrations
        ],
        "delegates": [
            {
                "id": d.id,
                "conference": _conference(d.registration.conference),
                "cooperative": d.registration.cooperative.name,
                "full_name": d.full_name,
                "position": d.position,
                "gender": d.gender,
                "phone": d.phone_e164,
                "email": d.email,
                "ticket_revoked_at": _iso(d.revoked_at),
                "checked_in_at": _iso(d.checked_in_at),
                "checkins": checkins.get(d.id, []),
            }
            for d in person.delegates
        ],
        "messages": [
            {
                "id": m.id,
                "kind": m.kind,
                "to": m.to_address,
                "subject": m.subject,
                "status": m.status,
                "created_at": _iso(m.created_at),
                "sent_at": _iso(m.sent_at),
                "body_text": m.body_text,
            }
            for m in person.messages
        ],
    }


def export_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")


def export_pdf(data: dict) -> bytes:
    """The export as a printable PDF (Unicode font from the check-in tickets)."""
    from fpdf import FPDF

    from outreach.checkin.pdf import find_font

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("Export", fname=str(find_font()))
    pdf.set_lang("vi")
    pdf.set_creator("outreach")
    pdf.set_title(_("Dữ liệu cá nhân đang lưu giữ"))
    pdf.add_page()
    pdf.set_font("Export", size=15)
    pdf.multi_cell(0, 8, _("Dữ liệu cá nhân đang lưu giữ"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Export", size=9)
    pdf.multi_cell(
        0,
        5,
        _("Người được tìm: %(value)s — lập lúc %(at)s (UTC)")
        % {"value": data["subject"]["value"], "at": data["generated_at"]},
        new_x="LMARGIN",
        new_y="NEXT",
    )

    def section(title: str, rows: list[dict]) -> None:
        pdf.ln(3)
        pdf.set_font("Export", size=12)
        pdf.multi_cell(0, 7, f"{title} ({len(rows)})", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Export", size=8)
        for row in rows:
            text = json.dumps(row, ensure_ascii=False, indent=1)
            pdf.multi_cell(0, 4, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)

    section(_("Đăng ký (người liên hệ)"), data["registrations"])
    section(_("Người tham dự"), data["delegates"])
    section(_("Thư đã gửi"), data["messages"])
    return bytes(pdf.output())


# --------------------------------------------------------------------------- erasure


@dataclasses.dataclass
class ErasureResult:
    registrations: int = 0
    delegates: int = 0
    messages: int = 0
    cancelled: int = 0
    promoted: list[Registration] = dataclasses.field(default_factory=list)

    def as_detail(self) -> dict:
        return {
            "registrations": self.registrations,
            "delegates": self.delegates,
            "messages": self.messages,
            "cancelled": self.cancelled,
        }


def is_anonymised(registration: Registration) -> bool:
    return registration.contact_phone.startswith(PLACEHOLDER_PREFIX)


def _anonymise_delegate(delegate: Delegate, *, now: dt.datetime) -> None:
    delegate.full_name = ANONYMISED_NAME
    delegate.name_key = ANONYMISED_NAME_KEY
    delegate.position = ""
    delegate.phone_e164 = f"{PLACEHOLDER_PREFIX}{delegate.id}"
    delegate.email = None
    # the old QR names no one now: a scan answers "unknown"
    delegate.ticket_code = f"{PLACEHOLDER_PREFIX}{delegate.id}"
    if delegate.revoked_at is None:
        delegate.revoked_at = now


def _anonymise_contact(registration: Registration, *, now: dt.datetime) -> None:
    registration.contact_name = ANONYMISED_NAME
    registration.contact_phone = f"{PLACEHOLDER_PREFIX}{registration.id}"
    registration.contact_email = None
    # the themes and choices stay for the statistics; the free text may name people
    registration.needs = {
        theme: {"choices": list((value or {}).get("choices", [])), "text": ""}
        for theme, value in (registration.needs or {}).items()
    }
    registration.manage_token_hash = hash_token(new_token())  # the old link stops working
    registration.updated_at = now


def _delete_messages(messages) -> int:
    count = 0
    for message in messages:
        db.session.delete(message)
        count += 1
    return count


def anonymise_registration(registration: Registration, *, now: dt.datetime) -> ErasureResult:
    """Anonymise a whole registration (contact and every delegate) and delete its messages.
    Seats are left as they are: for a conference that is over they are history."""
    result = ErasureResult()
    if not is_anonymised(registration):
        _anonymise_contact(registration, now=now)
        result.registrations = 1
    for delegate in registration.delegates:
        if not delegate.phone_e164.startswith(PLACEHOLDER_PREFIX):
            _anonymise_delegate(delegate, now=now)
            result.delegates += 1
    result.messages = _delete_messages(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.registration_id == registration.id)
        )
    )
    db.session.flush()
    return result


def _is_future(registration: Registration, now: dt.datetime) -> bool:
    return registration.conference.ends_at > now


def _release_delegate(delegate: Delegate, *, now: dt.datetime) -> list[Registration]:
    """Take one person off a live registration of a coming conference, freeing the seat."""
    registration = delegate.registration
    others = [d for d in registration.active_delegates if d.id != delegate.id]
    if not others:
        return registration_services.cancel_registration(registration, now=now)
    change = registration_services.update_delegates(
        registration,
        [
            registration_services.DelegateInput(
                id=d.id,
                full_name=d.full_name,
                phone=d.phone_e164,
                position=d.position,
                gender=d.gender,
                email=d.email or "",
            )
            for d in others
        ],
        now=now,
        by_staff=True,
    )
    return change.promoted


def _needles(person: Person) -> set[str]:
    """The person's own strings, to find the messages that mention them."""
    found = {person.contact.value}
    for registration in person.registrations:
        found |= {registration.contact_name, registration.contact_phone}
        if registration.contact_email:
            found.add(registration.contact_email.lower())
    for delegate in person.delegates:
        found |= {delegate.full_name, delegate.phone_e164}
        if delegate.email:
            found.add(delegate.email.lower())
    for value in list(found):
        if value.startswith("+84"):
            found.add("0" + value[3:])
            with contextlib.suppress(vn.InvalidPhone):
                found.add(vn.format_phone_local(value))
    return {value for value in found if value and not value.startswith(PLACEHOLDER_PREFIX)}


def _mentions(message: OutboxMessage, needles: set[str]) -> bool:
    text = " ".join(
        [
            message.to_address or "",
            message.subject or "",
            message.body_text or "",
            message.body_html or "",
            json.dumps(message.parts or [], ensure_ascii=False),
            json.dumps(message.headers or {}, ensure_ascii=False),
        ]
    ).lower()
    return any(needle.lower() in text for needle in needles)


def erase_person(person: Person, *, actor, now: dt.datetime) -> ErasureResult:
    """Erase the person everywhere; seats of coming conferences are released (and the waiting
    list promoted: the caller queues those messages)."""
    result = ErasureResult()
    needles = _needles(person)
    involved = {r.id: r for r in person.registrations} | {
        d.registration.id: d.registration for d in person.delegates
    }
    # 1. seats: a coming conference gets its seats back through the registration rules
    for registration in person.registrations:
        if registration.status != RegistrationStatus.CANCELLED and _is_future(registration, now):
            result.promoted += registration_services.cancel_registration(registration, now=now)
            result.cancelled += 1
    for delegate in person.delegates:
        registration = delegate.registration
        if (
            delegate.revoked_at is None
            and registration.status != RegistrationStatus.CANCELLED
            and _is_future(registration, now)
        ):
            result.promoted += _release_delegate(delegate, now=now)
    # 2. messages about them, before the strings that find them are gone
    candidates = set(person.messages)
    candidates |= set(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.registration_id.in_(list(involved)))
        )
    )
    contact_registrations = {r.id for r in person.registrations}
    result.messages = _delete_messages(
        m for m in candidates if m.registration_id in contact_registrations or _mentions(m, needles)
    )
    # 3. the rows themselves
    for registration in person.registrations:
        if not is_anonymised(registration):
            _anonymise_contact(registration, now=now)
            result.registrations += 1
        # a contact's registration is theirs: its delegates are named by them
        for delegate in registration.delegates:
            if not delegate.phone_e164.startswith(PLACEHOLDER_PREFIX):
                _anonymise_delegate(delegate, now=now)
                result.delegates += 1
    for delegate in person.delegates:
        if not delegate.phone_e164.startswith(PLACEHOLDER_PREFIX):
            _anonymise_delegate(delegate, now=now)
            result.delegates += 1
    # 4. a delegate's name may appear in the free text of the registration's needs
    for registration in involved.values():
        for value in (registration.needs or {}).values():
            if isinstance(value, dict) and _text_mentions(value.get("text", ""), needles):
                registration.needs = {
                    theme: {"choices": list((v or {}).get("choices", [])), "text": ""}
                    for theme, v in registration.needs.items()
                }
                break
    db.session.flush()
    audit.record(
        "privacy.erase",
        actor=actor,
        object_type="person",
        row_count=result.registrations + result.delegates + result.messages,
        detail=result.as_detail(),
        now=now,
    )
    return result


def _text_mentions(text: str, needles: set[str]) -> bool:
    lowered = (text or "").lower()
    return any(needle.lower() in lowered for needle in needles)


def withdraw_news(person: Person, *, actor, now: dt.datetime) -> int:
    """Stop news to the person (their registrations as contact); returns how many changed."""
    changed = 0
    for registration in person.registrations:
        if registration.consent_news_at is not None:
            mail_services.withdraw_news_consent(registration, now=now)
            changed += 1
    audit.record(
        "privacy.withdraw_news",
        actor=actor,
        object_type="person",
        row_count=changed,
        now=now,
    )
    return changed


def record_export(person: Person, *, actor, fmt: str, now: dt.datetime) -> None:
    audit.record(
        "privacy.export",
        actor=actor,
        object_type="person",
        row_count=person.row_count,
        detail={"format": fmt},
        now=now,
    )


# --------------------------------------------------------------------------- requests


def add_working_days(day: dt.date, days: int) -> dt.date:
    """``day`` plus ``days`` working days (Monday to Friday; public holidays are not known)."""
    current = day
    while days > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


def open_request(
    kind: str,
    contact: Contact,
    *,
    received_on: dt.date,
    secret: str,
    response_days: int,
    acknowledge_working_days: int,
    actor,
    now: dt.datetime,
) -> DataRequest:
    """Record a request and its deadlines.

    :raises PrivacyError: for an unknown kind or a date in the future.
    """
    if kind not in {k.value for k in RequestKind}:
        raise PrivacyError(_("Loại yêu cầu không hợp lệ."), code="privacy.kind", field="kind")
    if received_on > (now + dt.timedelta(days=1)).date():
        raise PrivacyError(
            _("Ngày nhận yêu cầu không thể ở tương lai."),
            code="privacy.received_on",
            field="received_on",
        )
    request = DataRequest(
        kind=kind,
        subject_hash=subject_hash(contact, secret=secret),
        subject_display=contact.masked,
        received_on=received_on,
        acknowledge_by=add_working_days(received_on, acknowledge_working_days),
        due_on=received_on + dt.timedelta(days=response_days),
        created_by_id=getattr(actor, "id", None),
        created_at=now,
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        "privacy.request_open",
        actor=actor,
        object_type="data_request",
        object_id=request.id,
        detail={"kind": kind},
        now=now,
    )
    return request


def acknowledge_request(request: DataRequest, *, actor, now: dt.datetime) -> None:
    if request.acknowledged_at is None:
        request.acknowledged_at = now
        request.handled_by_id = getattr(actor, "id", None)
    db.session.flush()


def complete_request(
    request: DataRequest, *, outcome: dict, actor, now: dt.datetime
) -> DataRequest:
    """:raises RequestClosed: when it was completed already."""
    if request.completed_at is not None:
        raise RequestClosed(_("Yêu cầu này đã được xử lý xong."), code="privacy.closed")
    request.completed_at = now
    request.acknowledged_at = request.acknowledged_at or now
    request.handled_by_id = getattr(actor, "id", None)
    request.outcome = outcome
    db.session.flush()
    audit.record(
        "privacy.request_complete",
        actor=actor,
        object_type="data_request",
        object_id=request.id,
        detail={"kind": request.kind, **{k: v for k, v in outcome.items() if isinstance(v, int)}},
        now=now,
    )
    return request


def requests_for(contact: Contact, *, secret: str) -> list[DataRequest]:
    return list(
        db.session.scalars(
            sa.select(DataRequest)
            .where(DataRequest.subject_hash == subject_hash(contact, secret=secret))
            .order_by(DataRequest.received_on.desc(), DataRequest.id.desc())
        )
    )


def list_requests(*, open_only: bool = False, limit: int = 200) -> list[DataRequest]:
    query = sa.select(DataRequest).order_by(
        DataRequest.completed_at.is_not(None), DataRequest.due_on, DataRequest.id
    )
    if open_only:
        query = query.where(DataRequest.completed_at.is_(None))
    return list(db.session.scalars(query.limit(limit)))


def get_request(request_id: int) -> DataRequest | None:
    return db.session.get(DataRequest, request_id)
