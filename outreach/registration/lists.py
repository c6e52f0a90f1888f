"""The organizer's registration lists: search, filters, counts, exports, ticket data."""

from __future__ import annotations

import dataclasses
import io

import sqlalchemy as sa
from openpyxl import Workbook

from outreach.checkin.pdf import TicketInfo
from outreach.conferences import places
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.i18n import format_datetime_short
from outreach.registration import vn
from outreach.registration.models import Cooperative
from outreach.registration.models import Delegate
from outreach.registration.models import Registration

PAGE_SIZE = 50
#: a cell starting with one of these is a formula to Excel and LibreOffice
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclasses.dataclass(frozen=True)
class RegistrationFilters:
    q: str = ""
    status: str = ""
    kind: str = ""
    ward_code: int | None = None


@dataclasses.dataclass
class RegistrationPage:
    items: list[Registration]
    page: int
    pages: int
    total: int


def _filtered(conference: Conference, filters: RegistrationFilters):
    query = (
        sa.select(Registration)
        .join(Registration.cooperative)
        .where(Registration.conference_id == conference.id)
    )
    if filters.status in ("confirmed", "waitlisted", "cancelled"):
        query = query.where(Registration.status == filters.status)
    if filters.kind:
        query = query.where(Cooperative.kind == filters.kind)
    if filters.ward_code:
        query = query.where(Cooperative.ward_code == filters.ward_code)
    needle = vn.fold(filters.q) if filters.q else ""
    if needle:
        digits = "".join(ch for ch in filters.q if ch.isdigit())
        matches_delegate = sa.select(Delegate.id).where(
            Delegate.registration_id == Registration.id,
            sa.or_(
                Delegate.name_key.contains(needle, autoescape=True),
                *(
                    [Delegate.phone_e164.endswith(digits[-9:], autoescape=True)]
                    if len(digits) >= 3
                    else []
                ),
            ),
        )
        query = query.where(
            sa.or_(
                Cooperative.name_key.contains(needle, autoescape=True),
                Cooperative.tax_code.contains(filters.q.strip(), autoescape=True),
                sa.exists(matches_delegate),
            )
        )
    return query


def search_registrations(
    conference: Conference, filters: RegistrationFilters, *, page: int = 1
) -> RegistrationPage:
    query = _filtered(conference, filters)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    items = db.session.scalars(
        query.options(
            sa.orm.selectinload(Registration.delegates),
            sa.orm.contains_eager(Registration.cooperative),
        )
        .order_by(Registration.created_at, Registration.id)
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return RegistrationPage(items=list(items), page=page, pages=pages, total=total)


def status_counts(conference: Conference) -> dict[str, dict[str, int]]:
    """Registrations and live delegates per status."""
    rows = db.session.execute(
        sa.select(
            Registration.status,
            sa.func.count(sa.distinct(Registration.id)),
            sa.func.count(Delegate.id),
        )
        .outerjoin(
            Delegate,
            sa.and_(Delegate.registration_id == Registration.id, Delegate.revoked_at.is_(None)),
        )
        .where(Registration.conference_id == conference.id)
        .group_by(Registration.status)
    ).all()
    counts = {
        s: {"registrations": 0, "delegates": 0} for s in ("confirmed", "waitlisted", "cancelled")
    }
    for status, registrations, delegates in rows:
        counts[status] = {"registrations": registrations, "delegates": delegates}
    return counts


def wards_in_use(conference: Conference) -> list[tuple[int, str]]:
    codes = db.session.scalars(
        sa.select(Cooperative.ward_code)
        .join(Registration, Registration.cooperative_id == Cooperative.id)
        .where(Registration.conference_id == conference.id)
        .distinct()
    ).all()
    named = [(code, ward.name) for code in codes if (ward := places.find_ward(code))]
    return sorted(named, key=lambda pair: vn.fold(pair[1]))


def neutralise_cell(value):
    """Stop spreadsheet formula injection: text starting with = + - @ gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


EXPORT_HEADER = [
    "registration_id",
    "status",
    "registered_at",
    "cooperative",
    "kind",
    "tax_code",
    "commune",
    "province",
    "contact_name",
    "contact_phone",
    "contact_email",
    "delegate",
    "position",
    "gender",
    "phone",
    "email",
    "ticket_code",
    "checked_in_at",
    "needs",
]


def export_rows(conference: Conference, filters: RegistrationFilters) -> list[list]:
    """One row per live delegate (or per registration without one), formulas neutralised."""
    registrations = db.session.scalars(
        _filtered(conference, filters)
        .options(
            sa.orm.selectinload(Registration.delegates),
            sa.orm.contains_eager(Registration.cooperative),
        )
        .order_by(Registration.created_at, Registration.id)
    ).all()
    rows: list[list] = [EXPORT_HEADER]
    for registration in registrations:
        cooperative = registration.cooperative
        ward = places.find_ward(cooperative.ward_code)
        province = places.find_province(cooperative.province_code)
        needs = "; ".join(
            f"{theme}: {', '.join(answer.get('choices', []))} {answer.get('text', '')}".strip()
            for theme, answer in (registration.needs or {}).items()
        )
        base = [
            registration.id,
            registration.status,
            format_datetime_short(registration.created_at, conference.timezone),
            cooperative.name,
            cooperative.kind,
            cooperative.tax_code or "",
            ward.name if ward else "",
            province.name if province else "",
            registration.contact_name,
            vn.format_phone_local(registration.contact_phone),
            registration.contact_email or "",
        ]
        delegates = (
            registration.delegates
            if registration.status == "cancelled"
            else (registration.active_delegates)
        )
        for delegate in delegates or [None]:
            person = (
                [
                    delegate.full_name,
                    delegate.position,
                    delegate.gender,
                    vn.format_phone_local(delegate.phone_e164),
                    delegate.email or "",
                    delegate.ticket_code,
                    format_datetime_short(delegate.checked_in_at, conference.timezone),
                ]
                if delegate
                else [""] * 7
            )
            rows.append([neutralise_cell(v) for v in [*base, *person, needs]])
    return rows


def rows_to_xlsx(rows: list[list]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Dang ky"
    for row in rows:
        # openpyxl would store a leading "=" as a formula; neutralised cells are plain strings
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ticket_infos(registration: Registration) -> list[TicketInfo]:
    conference = registration.conference
    when = (
        f"{format_datetime_short(conference.starts_at, conference.timezone)} – "
        f"{format_datetime_short(conference.ends_at, conference.timezone)}"
    )
    venue = ", ".join(
        part
        for part in (
            conference.venue_name,
            conference.venue_address,
            places.format_place(conference.ward_code, conference.province_code),
        )
        if part
    )
    return [
        TicketInfo(
            code=d.ticket_code,
            full_name=d.full_name,
            position=d.position,
            cooperative_name=registration.cooperative.name,
            conference_title=conference.title,
            when_text=when,
            venue_text=venue,
        )
        for d in registration.active_delegates
    ]
