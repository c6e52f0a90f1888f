"""Needs routed to divisions and their follow-up; attendance statistics aggregated in SQL.

Every figure of a report is one grouped query over all the conferences it covers, so a report
costs the same handful of statements for 50 registrations as for 50,000.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager

from outreach.accounts.models import Role
from outreach.accounts.models import User
from outreach.audit import services as audit
from outreach.conferences import places
from outreach.conferences import services as conference_services
from outreach.conferences.models import DEFAULT_TIMEZONE
from outreach.conferences.models import Conference
from outreach.conferences.models import ConferenceStatus
from outreach.conferences.models import Theme
from outreach.database import db
from outreach.errors import OutreachError
from outreach.registration import vn
from outreach.registration.models import NEED_CHOICES
from outreach.registration.models import Cooperative
from outreach.registration.models import CooperativeKind
from outreach.registration.models import Delegate
from outreach.registration.models import Gender
from outreach.registration.models import Registration
from outreach.registration.models import RegistrationStatus
from outreach.reports.models import FollowUpStatus
from outreach.reports.models import NeedFollowUp

THEMES = tuple(theme.value for theme in Theme)
NOTE_MAX_LENGTH = 2000
#: a period report covers at most this many days
PERIOD_MAX_DAYS = 3 * 366

THEME_LABELS = {
    Theme.ST_PROJECTS: _l("Nghiên cứu, ứng dụng KH&CN và tham gia đề tài, dự án"),
    Theme.BRANDING: _l("Xây dựng và phát triển thương hiệu sản phẩm"),
    Theme.INNOVATION: _l("Chương trình đổi mới công nghệ quốc gia"),
}
NEED_LABELS = {
    "technology": _l("Công nghệ"),
    "partner": _l("Đối tác"),
    "funding": _l("Kinh phí hỗ trợ"),
    "procedures": _l("Hướng dẫn thủ tục"),
    "training": _l("Đào tạo, tập huấn"),
}
KIND_LABELS = {
    CooperativeKind.HOP_TAC_XA: _l("Hợp tác xã"),
    CooperativeKind.LIEN_HIEP_HOP_TAC_XA: _l("Liên hiệp hợp tác xã"),
    CooperativeKind.TO_HOP_TAC: _l("Tổ hợp tác"),
}
GENDER_LABELS = {
    Gender.FEMALE: _l("Nữ"),
    Gender.MALE: _l("Nam"),
    Gender.UNSPECIFIED: _l("Không nêu"),
}
FOLLOW_UP_LABELS = {
    FollowUpStatus.NEW: _l("Mới"),
    FollowUpStatus.CONTACTED: _l("Đã liên hệ"),
    FollowUpStatus.SUPPORTING: _l("Đang hỗ trợ"),
    FollowUpStatus.NOT_APPLICABLE: _l("Không phù hợp"),
}


class ReportError(OutreachError):
    code = "report_error"


class NeedNotFound(ReportError):
    code = "not_found"


class InvalidFollowUp(ReportError):
    code = "invalid_follow_up"


class InvalidPeriod(ReportError):
    code = "invalid_period"


# --- routing and access -----------------------------------------------------------------------


def division_for_theme(theme: str, routing: Mapping[str, str]) -> str | None:
    """The code of the division that follows up needs stated under ``theme``."""
    return routing.get(theme)


def themes_for_division(division_code: str, routing: Mapping[str, str]) -> tuple[str, ...]:
    return tuple(theme for theme in THEMES if routing.get(theme) == division_code)


def _is_active(user: User | None) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def visible_themes(user: User | None, routing: Mapping[str, str]) -> tuple[str, ...]:
    """The themes whose needs ``user`` sees: all for organizers and admins, those routed to
    their division for division staff, none for anyone else."""
    if not _is_active(user):
        return ()
    if user.is_admin or user.role == Role.ORGANIZER:
        return THEMES
    if user.role == Role.DIVISION_STAFF and user.division is not None:
        return themes_for_division(user.division.code, routing)
    return ()


def can_open_needs(user: User | None) -> bool:
    return _is_active(user) and user.has_role(Role.ORGANIZER, Role.DIVISION_STAFF)


def can_view_report(user: User | None, conference: Conference) -> bool:
    return conference_services.can_manage_conference(user, conference)


# --- needs inbox ------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class NeedFilters:
    conference_id: int | None = None
    ward_code: int | None = None
    kind: str = ""
    status: str = ""
    theme: str = ""


@dataclasses.dataclass
class NeedRow:
    registration: Registration
    theme: str
    choices: list[str]
    text: str
    division_code: str | None
    follow_up: NeedFollowUp | None

    @property
    def status(self) -> str:
        return self.follow_up.status if self.follow_up is not None else FollowUpStatus.NEW.value

    @property
    def note(self) -> str:
        return self.follow_up.note if self.follow_up is not None else ""

    @property
    def cooperative(self) -> Cooperative:
        return self.registration.cooperative

    @property
    def conference(self) -> Conference:
        return self.registration.conference

    @property
    def place_name(self) -> str:
        return places.format_place(self.cooperative.ward_code, self.cooperative.province_code)


def _own_conferences(user: User | None):
    """A condition on Conference: the ones whose needs ``user`` may see (admins: all; staff:
    those their organization hosts or co-hosts)."""
    if user is not None and user.is_admin:
        return sa.true()
    if user is None or user.organization_id is None:
        return sa.false()
    return conference_services.of_organization(user.organization_id)


def _need_query(filters: NeedFilters, user: User | None = None, *, everyone: bool = False):
    query = (
        sa.select(Registration)
        .join(Registration.cooperative)
        .join(Registration.conference)
        .options(contains_eager(Registration.cooperative), contains_eager(Registration.conference))
        .where(Registration.status != RegistrationStatus.CANCELLED)
    )
    if not everyone:
        query = query.where(_own_conferences(user))
    if filters.conference_id:
        query = query.where(Registration.conference_id == filters.conference_id)
    if filters.ward_code:
        query = query.where(Cooperative.ward_code == filters.ward_code)
    if filters.kind:
        query = query.where(Cooperative.kind == filters.kind)
    return query


def _expand(registration: Registration, themes: Sequence[str], routing, follow_ups) -> list:
    rows = []
    for theme in themes:
        answer = (registration.needs or {}).get(theme)
        if not isinstance(answer, dict):
            continue
        rows.append(
            NeedRow(
                registration=registration,
                theme=theme,
                choices=[c for c in answer.get("choices") or [] if c in NEED_CHOICES],
                text=str(answer.get("text") or ""),
                division_code=division_for_theme(theme, routing),
                follow_up=follow_ups.get((registration.id, theme)),
            )
        )
    return rows


def list_needs(
    user: User | None, filters: NeedFilters, *, routing: Mapping[str, str]
) -> list[NeedRow]:
    """The needs ``user`` may follow up, newest conference first, in two queries."""
    themes = visible_themes(user, routing)
    if filters.theme:
        themes = tuple(t for t in themes if t == filters.theme)
    if not themes:
        return []
    query = _need_query(filters, user).order_by(
        Conference.starts_at.desc(), Registration.created_at, Registration.id
    )
    registrations = list(db.session.scalars(query).unique())
    ids = _need_query(filters, user).with_only_columns(Registration.id).scalar_subquery()
    follow_ups = {
        (f.registration_id, f.theme): f
        for f in db.session.scalars(
            sa.select(NeedFollowUp).where(
                NeedFollowUp.registration_id.in_(ids), NeedFollowUp.theme.in_(themes)
            )
        )
    }
    rows = []
    for registration in registrations:
        rows.extend(_expand(registration, themes, routing, follow_ups))
    if filters.status:
        rows = [row for row in rows if row.status == filters.status]
    return rows


def find_need(
    user: User | None, registration_id: int, theme: str, *, routing: Mapping[str, str]
) -> NeedRow:
    """One need ``user`` may follow up.

    :raises NeedNotFound: when there is no such need or it belongs to another division.
    """
    if theme not in visible_themes(user, routing):
        raise NeedNotFound(_("Không tìm thấy nhu cầu này."))
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.status == RegistrationStatus.CANCELLED:
        raise NeedNotFound(_("Không tìm thấy nhu cầu này."))
    if not user.is_admin and user.organization_id not in registration.conference.organization_ids:
        raise NeedNotFound(_("Không tìm thấy nhu cầu này."))
    follow_up = db.session.scalar(
        sa.select(NeedFollowUp).filter_by(registration_id=registration.id, theme=theme)
    )
    rows = _expand(registration, [theme], routing, {(registration.id, theme): follow_up})
    if not rows:
        raise NeedNotFound(_("Không tìm thấy nhu cầu này."))
    return rows[0]


def set_follow_up(
    need: NeedRow, *, status: str, note: str, actor: User | None, now: dt.datetime
) -> NeedFollowUp:
    """Record how the division follows up ``need``; creates its row on first use.

    :raises InvalidFollowUp: for an unknown status or a note that is too long.
    """
    if status not in {s.value for s in FollowUpStatus}:
        raise InvalidFollowUp(_("Hãy chọn một tình trạng trong danh sách."), field="status")
    note = (note or "").replace("\r\n", "\n").strip()
    if len(note) > NOTE_MAX_LENGTH or vn.has_control_characters(note.replace("\n", " ")):
        raise InvalidFollowUp(
            _("Ghi chú dài quá %(n)s ký tự hoặc có ký tự không hợp lệ.", n=NOTE_MAX_LENGTH),
            field="note",
        )
    follow_up = need.follow_up
    if follow_up is None:
        # Two people may open the same new need at once: the unique constraint keeps one row,
        # and the loser updates the winner's row instead.
        follow_up = NeedFollowUp(registration_id=need.registration.id, theme=need.theme)
        try:
            with db.session.begin_nested():
                db.session.add(follow_up)
                db.session.flush()
        except IntegrityError:
            follow_up = db.session.scalar(
                sa.select(NeedFollowUp).filter_by(
                    registration_id=need.registration.id, theme=need.theme
                )
            )
    follow_up.status = status
    follow_up.note = note
    follow_up.updated_by_id = getattr(actor, "id", None)
    follow_up.updated_at = now
    db.session.flush()
    need.follow_up = follow_up
    audit.record(
        "need.follow_up",
        actor=actor,
        object_type="registration",
        object_id=need.registration.id,
        detail={"theme": need.theme, "status": status},
        now=now,
    )
    return follow_up


def need_filter_options(user: User | None) -> tuple[list[Conference], list[tuple[int, str]]]:
    """Conferences that have registrations, and the communes the registered cooperatives are
    in (Vietnamese alphabetical order), for the inbox filters."""
    conferences = list(
        db.session.scalars(
            sa.select(Conference)
            .where(
                sa.exists().where(Registration.conference_id == Conference.id),
                _own_conferences(user),
            )
            .order_by(Conference.starts_at.desc())
        )
    )
    ward_codes = db.session.scalars(
        sa.select(Cooperative.ward_code)
        .join(Registration, Registration.cooperative_id == Cooperative.id)
        .join(Conference, Conference.id == Registration.conference_id)
        .where(_own_conferences(user))
        .distinct()
    )
    wards = []
    for code in ward_codes:
        ward = places.find_ward(code)
        wards.append((code, ward.name if ward else str(code)))
    wards.sort(key=lambda item: place_sort_key(item[1]))
    return conferences, wards


# --- Vietnamese order for places ----------------------------------------------------------------

_UNIT_PREFIXES = ("xã ", "phường ", "đặc khu ", "thị trấn ", "thị xã ")


def place_sort_key(name: str) -> tuple:
    """Sort commune names the Vietnamese way (a < ă < â, d < đ, tones after letters), by the
    name itself: "Phường Bắc Giang" comes before "Xã Lục Ngạn"."""
    text = " ".join(name.split())
    core = text
    for prefix in _UNIT_PREFIXES:
        if core.lower().startswith(prefix):
            core = core[len(prefix) :]
            break
    keys = [vn.name_sort_key(word) for word in core.split()]
    return (tuple(k[0] for k in keys), tuple(k[2] for k in keys), text)


# --- report figures --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class FigureRow:
    label: str
    values: tuple[int, ...]


@dataclasses.dataclass(frozen=True)
class Figure:
    """One table of a report, and the chart drawn from its first value column."""

    key: str
    title: str
    label_heading: str
    columns: tuple[str, ...]
    rows: list[FigureRow]
    #: "bar" or "line"
    chart: str = "bar"

    @property
    def total(self) -> int:
        return sum(row.values[0] for row in self.rows)


@dataclasses.dataclass(frozen=True)
class Totals:
    cooperatives_registered: int = 0
    delegates_registered: int = 0
    cooperatives_waitlisted: int = 0
    delegates_waitlisted: int = 0
    checked_in: int = 0
    registrations_cancelled: int = 0

    @property
    def no_shows(self) -> int:
        return max(self.delegates_registered - self.checked_in, 0)

    def __add__(self, other: Totals) -> Totals:
        return Totals(
            *(
                a + b
                for a, b in zip(dataclasses.astuple(self), dataclasses.astuple(other), strict=True)
            )
        )


@dataclasses.dataclass
class ConferenceLine:
    conference: Conference
    totals: Totals


@dataclasses.dataclass
class Report:
    conferences: list[ConferenceLine]
    totals: Totals
    figures: list[Figure]
    timezone: str = DEFAULT_TIMEZONE
    period: tuple[dt.date, dt.date] | None = None

    def figure(self, key: str) -> Figure:
        return next(f for f in self.figures if f.key == key)


def _ids_param(query: str, ids: Sequence[int]):
    return sa.text(query).bindparams(sa.bindparam("ids", value=list(ids), expanding=True))


def _live_delegates_join():
    return sa.and_(Delegate.registration_id == Registration.id, Delegate.revoked_at.is_(None))


def _totals_by_conference(ids: Sequence[int]) -> dict[int, Totals]:
    rows = db.session.execute(
        sa.select(
            Registration.conference_id,
            Registration.status,
            sa.func.count(sa.distinct(Registration.id)),
            sa.func.count(Delegate.id),
            sa.func.count(Delegate.checked_in_at),
        )
        .select_from(Registration)
        .outerjoin(Delegate, _live_delegates_join())
        .where(Registration.conference_id.in_(ids))
        .group_by(Registration.conference_id, Registration.status)
    )
    values: dict[int, dict] = {}
    for conference_id, status, registrations, delegates, checked_in in rows:
        v = values.setdefault(conference_id, {})
        if status == RegistrationStatus.CONFIRMED:
            v["cooperatives_registered"] = registrations
            v["delegates_registered"] = delegates
            v["checked_in"] = v.get("checked_in", 0) + checked_in
        elif status == RegistrationStatus.WAITLISTED:
            v["cooperatives_waitlisted"] = registrations
            v["delegates_waitlisted"] = delegates
            v["checked_in"] = v.get("checked_in", 0) + checked_in
        else:
            v["registrations_cancelled"] = registrations
    return {conference_id: Totals(**v) for conference_id, v in values.items()}


def _place_name(ward_code: int, province_code: int) -> tuple[str, str]:
    ward = places.find_ward(ward_code)
    province = places.find_province(province_code)
    return (
        ward.name if ward else _("Không rõ (mã %(code)s)", code=ward_code),
        province.name if province else _("Không rõ (mã %(code)s)", code=province_code),
    )


def _cooperative_groups(ids: Sequence[int]) -> list[tuple]:
    """Confirmed registrations, their live delegates and check-ins per (province, ward, kind,
    sector): one query for the place, kind and sector figures. Each registration falls in
    exactly one group, so the counts add up across groups."""
    sector = sa.func.trim(Cooperative.sector)
    return [
        tuple(row)
        for row in db.session.execute(
            sa.select(
                Cooperative.province_code,
                Cooperative.ward_code,
                Cooperative.kind,
                sector,
                sa.func.count(sa.distinct(Registration.id)),
                sa.func.count(Delegate.id),
                sa.func.count(Delegate.checked_in_at),
            )
            .select_from(Registration)
            .join(Cooperative, Cooperative.id == Registration.cooperative_id)
            .outerjoin(Delegate, _live_delegates_join())
            .where(
                Registration.conference_id.in_(ids),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .group_by(Cooperative.province_code, Cooperative.ward_code, Cooperative.kind, sector)
        )
    ]


def _places(groups: Sequence[tuple]) -> tuple[Figure, Figure]:
    by_place: dict[tuple[int, int], list[int]] = {}
    for province_code, ward_code, _kind, _sector, *values in groups:
        total = by_place.setdefault((province_code, ward_code), [0, 0, 0])
        for i, value in enumerate(values):
            total[i] += value
    rows = [(province, ward, *values) for (province, ward), values in by_place.items()]
    communes = []
    provinces: dict[str, list[int]] = {}
    for province_code, ward_code, cooperatives, delegates, checked_in in rows:
        ward_name, province_name = _place_name(ward_code, province_code)
        communes.append((province_name, ward_name, (cooperatives, delegates, checked_in)))
        total = provinces.setdefault(province_name, [0, 0, 0])
        for i, value in enumerate((cooperatives, delegates, checked_in)):
            total[i] += value
    communes.sort(key=lambda c: (place_sort_key(c[0]), place_sort_key(c[1])))
    columns = (_("Hợp tác xã"), _("Người đăng ký"), _("Đã điểm danh"))
    several_provinces = len(provinces) > 1
    commune_rows = [
        FigureRow(f"{ward}, {province}" if several_provinces else ward, values)
        for province, ward, values in communes
    ]
    province_rows = [
        FigureRow(name, tuple(values))
        for name, values in sorted(provinces.items(), key=lambda p: place_sort_key(p[0]))
    ]
    return (
        Figure(
            "provinces", _("Theo tỉnh, thành phố"), _("Tỉnh, thành phố"), columns, province_rows
        ),
        Figure("communes", _("Theo xã, phường"), _("Xã, phường"), columns, commune_rows),
    )


def _kinds(groups: Sequence[tuple]) -> Figure:
    rows: dict[str, tuple[int, int]] = {}
    for _province, _ward, kind, _sector, cooperatives, delegates, _checked_in in groups:
        before = rows.get(kind, (0, 0))
        rows[kind] = (before[0] + cooperatives, before[1] + delegates)
    return Figure(
        "kinds",
        _("Theo loại hình"),
        _("Loại hình"),
        (_("Hợp tác xã"), _("Người đăng ký")),
        [
            FigureRow(str(label), rows.get(kind.value, (0, 0)))
            for kind, label in KIND_LABELS.items()
        ],
    )


def _sectors(groups: Sequence[tuple]) -> Figure:
    by_sector: dict[str | None, int] = {}
    for _province, _ward, _kind, sector, cooperatives, _delegates, _checked_in in groups:
        by_sector[sector] = by_sector.get(sector, 0) + cooperatives
    rows = list(by_sector.items())
    items = sorted(
        ((name or _("Không nêu"), count) for name, count in rows),
        key=lambda item: (-item[1], place_sort_key(item[0])),
    )
    return Figure(
        "sectors",
        _("Theo lĩnh vực"),
        _("Lĩnh vực"),
        (_("Hợp tác xã"),),
        [FigureRow(name, (count,)) for name, count in items],
    )


def _genders(ids: Sequence[int]) -> Figure:
    rows = {
        gender: (delegates, checked_in)
        for gender, delegates, checked_in in db.session.execute(
            sa.select(
                Delegate.gender, sa.func.count(Delegate.id), sa.func.count(Delegate.checked_in_at)
            )
            .join(Registration, Registration.id == Delegate.registration_id)
            .where(
                Delegate.conference_id.in_(ids),
                Delegate.revoked_at.is_(None),
                Registration.status == RegistrationStatus.CONFIRMED,
            )
            .group_by(Delegate.gender)
        )
    }
    return Figure(
        "genders",
        _("Theo giới tính"),
        _("Giới tính"),
        (_("Người đăng ký"), _("Đã điểm danh")),
        [FigureRow(str(label), rows.get(g.value, (0, 0))) for g, label in GENDER_LABELS.items()],
    )


def _dialect() -> str:
    return db.session.get_bind().dialect.name


_FOLLOW_UPS_SQL = (
    "SELECT 'f', f.theme, f.status, count(*) FROM need_follow_ups f"
    " JOIN registrations r ON r.id = f.registration_id"
    " WHERE r.conference_id IN :ids AND r.status != 'cancelled' GROUP BY f.theme, f.status"
)


def _needs(ids: Sequence[int]) -> tuple[Figure, Figure, dict[tuple[str, str], int]]:
    """The needs by theme and by kind of support, and the follow-up rows per (theme, status)
    (a need without a row is new), in one statement."""
    if _dialect() == "postgresql":
        themes_sql = (
            "SELECT 't', t.key, NULL, count(*) FROM registrations r"
            " CROSS JOIN LATERAL json_each(r.needs) t"
            " WHERE r.conference_id IN :ids AND r.status != 'cancelled'"
            " AND json_typeof(r.needs) = 'object' GROUP BY t.key"
        )
        choices_sql = (
            "SELECT 'c', c.value, NULL, count(*) FROM registrations r"
            " CROSS JOIN LATERAL json_each(r.needs) t"
            " CROSS JOIN LATERAL json_array_elements_text("
            "   CASE WHEN json_typeof(t.value -> 'choices') = 'array'"
            "   THEN t.value -> 'choices' ELSE '[]'::json END) c"
            " WHERE r.conference_id IN :ids AND r.status != 'cancelled'"
            " AND json_typeof(r.needs) = 'object' GROUP BY c.value"
        )
    else:
        themes_sql = (
            "SELECT 't', t.key, NULL, count(*) FROM registrations r, json_each(r.needs) t"
            " WHERE r.conference_id IN :ids AND r.status != 'cancelled' GROUP BY t.key"
        )
        choices_sql = (
            "SELECT 'c', c.value, NULL, count(*) FROM registrations r, json_each(r.needs) t,"
            " json_each(t.value, '$.choices') c"
            " WHERE r.conference_id IN :ids AND r.status != 'cancelled'"
            " AND json_type(t.value, '$.choices') = 'array' GROUP BY c.value"
        )
    by_theme: dict[str, int] = {}
    by_choice: dict[str, int] = {}
    follow_ups: dict[tuple[str, str], int] = {}
    statement = " UNION ALL ".join((themes_sql, choices_sql, _FOLLOW_UPS_SQL))
    for part, key, status, count in db.session.execute(_ids_param(statement, ids)):
        if part == "t":
            by_theme[key] = count
        elif part == "c":
            by_choice[key] = count
        else:
            follow_ups[(key, status)] = count
    return (
        Figure(
            "needs_themes",
            _("Nhu cầu theo chủ đề"),
            _("Chủ đề"),
            (_("Hợp tác xã có nhu cầu"),),
            [FigureRow(str(THEME_LABELS[t]), (by_theme.get(t.value, 0),)) for t in Theme],
        ),
        Figure(
            "needs_types",
            _("Nhu cầu theo loại hỗ trợ"),
            _("Loại hỗ trợ"),
            (_("Lượt chọn"),),
            [FigureRow(str(NEED_LABELS[c]), (by_choice.get(c, 0),)) for c in NEED_CHOICES],
        ),
        follow_ups,
    )


def _local_day(column, timezone: str, reference: dt.datetime):
    if _dialect() == "postgresql":
        return sa.func.date(sa.func.timezone(timezone, column))
    # SQLite keeps naive UTC text; Vietnam has no daylight saving, so one offset is exact there.
    offset = ZoneInfo(timezone).utcoffset(reference.replace(tzinfo=None)) or dt.timedelta()
    return sa.func.date(column, f"{int(offset.total_seconds() // 60):+d} minutes")


def _as_date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _arrivals(
    ids: Sequence[int] | None,
    timezone: str,
    reference: dt.datetime,
    *,
    days: int | None = None,
    until: dt.date | None = None,
) -> Figure:
    """Registrations received per local day (including ones cancelled later). With ``days``,
    exactly the ``days`` days up to ``until``; otherwise from the first to the last arrival."""
    day = _local_day(Registration.created_at, timezone, reference)
    query = sa.select(day, sa.func.count(Registration.id)).group_by(day)
    if ids is not None:
        query = query.where(Registration.conference_id.in_(ids))
    if days is not None and until is not None:
        start = dt.datetime.combine(
            until - dt.timedelta(days=days - 1), dt.time(), ZoneInfo(timezone)
        )
        query = query.where(Registration.created_at >= start.astimezone(dt.UTC))
    counts = {_as_date(d): n for d, n in db.session.execute(query) if d is not None}
    if days is not None and until is not None:
        span = [until - dt.timedelta(days=days - 1 - i) for i in range(days)]
    elif counts:
        first, last = min(counts), max(counts)
        if (last - first).days <= 400:
            span = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        else:
            span = sorted(counts)
    else:
        span = []
    return Figure(
        "arrivals",
        _("Đăng ký theo ngày"),
        _("Ngày"),
        (_("Đăng ký nhận được"),),
        [FigureRow(d.strftime("%d/%m"), (counts.get(d, 0),)) for d in span],
        chart="line",
    )


def _follow_up_figure(
    done: Mapping[tuple[str, str], int], routing: Mapping[str, str], by_theme: Figure
) -> Figure:
    rows = []
    for theme, need_row in zip(Theme, by_theme.rows, strict=True):
        total = need_row.values[0]
        handled = [done.get((theme.value, s.value), 0) for s in FollowUpStatus if s != "new"]
        new = total - sum(handled)
        label = f"{routing.get(theme.value, '—')}: {THEME_LABELS[theme]}"
        rows.append(FigureRow(label, (new, *handled)))
    return Figure(
        "follow_ups",
        _("Tình trạng xử lý nhu cầu theo phòng"),
        _("Phòng: chủ đề"),
        tuple(str(label) for label in FOLLOW_UP_LABELS.values()),
        rows,
    )


def build_report(
    conferences: Sequence[Conference],
    *,
    routing: Mapping[str, str],
    timezone: str = DEFAULT_TIMEZONE,
    period: tuple[dt.date, dt.date] | None = None,
) -> Report:
    """Every figure for ``conferences`` together, in a fixed number of grouped queries."""
    ids = [c.id for c in conferences]
    by_conference = _totals_by_conference(ids) if ids else {}
    lines = [ConferenceLine(c, by_conference.get(c.id, Totals())) for c in conferences]
    totals = sum((line.totals for line in lines), Totals())
    reference = conferences[0].starts_at if conferences else dt.datetime.now(dt.UTC)
    if ids:
        groups = _cooperative_groups(ids)
        provinces, communes = _places(groups)
        needs_themes, needs_types, follow_ups = _needs(ids)
        figures = [
            provinces,
            communes,
            _kinds(groups),
            _sectors(groups),
            _genders(ids),
            needs_themes,
            needs_types,
            _follow_up_figure(follow_ups, routing, needs_themes),
            _arrivals(ids, timezone, reference),
        ]
    else:
        figures = []
    return Report(lines, totals, figures, timezone=timezone, period=period)


def conference_report(conference: Conference, *, routing: Mapping[str, str]) -> Report:
    return build_report([conference], routing=routing, timezone=conference.timezone)


def local_today(now: dt.datetime, timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    return now.astimezone(ZoneInfo(timezone)).date()


def parse_period(start: str, end: str) -> tuple[dt.date, dt.date]:
    """Read ``dd/mm/yyyy`` dates for a period report.

    :raises InvalidPeriod: for a date that cannot be read, an end before the start, or a period
        longer than three years.
    """
    values = []
    for field, raw in (("from", start), ("to", end)):
        try:
            values.append(dt.datetime.strptime((raw or "").strip(), "%d/%m/%Y").date())
        except ValueError:
            raise InvalidPeriod(
                _("Hãy nhập ngày theo dạng ngày/tháng/năm, ví dụ 31/12/2026."), field=field
            ) from None
    if values[1] < values[0]:
        raise InvalidPeriod(_("Ngày kết thúc phải sau ngày bắt đầu."), field="to")
    if (values[1] - values[0]).days > PERIOD_MAX_DAYS:
        raise InvalidPeriod(_("Hãy chọn một khoảng không quá ba năm."), field="to")
    return values[0], values[1]


def period_conferences(
    user: User, start: dt.date, end: dt.date, *, timezone: str = DEFAULT_TIMEZONE
) -> list[Conference]:
    """Conferences ``user`` manages that start within ``start``–``end`` (local days), drafts
    left out, in time order."""
    zone = ZoneInfo(timezone)
    begin = dt.datetime.combine(start, dt.time(), zone).astimezone(dt.UTC)
    finish = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    managed = {c.id for c in conference_services.list_managed_conferences(user)}
    conferences = db.session.scalars(
        sa.select(Conference)
        .where(
            Conference.starts_at >= begin,
            Conference.starts_at < finish,
            Conference.status != ConferenceStatus.DRAFT,
        )
        .order_by(Conference.starts_at, Conference.id)
    )
    return [c for c in conferences if c.id in managed]


def needs_export_rows(conference: Conference, *, routing: Mapping[str, str]) -> list[NeedRow]:
    """Every need of ``conference`` (all themes) with its follow-up, for the exports."""
    filters = NeedFilters(conference_id=conference.id)
    registrations = list(
        db.session.scalars(
            # the caller checked the report is the user's (can_view_report)
            _need_query(filters, everyone=True).order_by(Registration.created_at, Registration.id)
        ).unique()
    )
    follow_ups = {
        (f.registration_id, f.theme): f
        for f in db.session.scalars(
            sa.select(NeedFollowUp)
            .join(Registration, Registration.id == NeedFollowUp.registration_id)
            .where(Registration.conference_id == conference.id)
        )
    }
    rows = []
    for registration in registrations:
        rows.extend(_expand(registration, THEMES, routing, follow_ups))
    return rows


def record_export(conference: Conference | None, *, fmt: str, row_count: int, actor, now) -> None:
    audit.record(
        "report.export",
        actor=actor,
        object_type="conference" if conference is not None else "period",
        object_id=conference.id if conference is not None else None,
        row_count=row_count,
        detail={"format": fmt},
        now=now,
    )


# --- dashboard ---------------------------------------------------------------------------------


def recent_arrivals(
    *,
    now: dt.datetime,
    conference_ids: Sequence[int] | None = None,
    days: int = 7,
    timezone: str = DEFAULT_TIMEZONE,
) -> Figure:
    """Registrations received on each of the last ``days`` local days, for the given
    conferences (None: all of them)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    return _arrivals(conference_ids, timezone, now, days=days, until=today)


def summary_rows(totals: Totals) -> list[tuple[str, int]]:
    """The headline numbers of a report, labelled."""
    return [
        (_("Hợp tác xã đã đăng ký"), totals.cooperatives_registered),
        (_("Người đăng ký tham dự"), totals.delegates_registered),
        (_("Hợp tác xã trong danh sách chờ"), totals.cooperatives_waitlisted),
        (_("Người trong danh sách chờ"), totals.delegates_waitlisted),
        (_("Đã điểm danh"), totals.checked_in),
        (_("Vắng mặt"), totals.no_shows),
        (_("Đăng ký đã hủy"), totals.registrations_cancelled),
    ]


def needs_table(rows: Sequence[NeedRow]) -> list[list[str]]:
    """The needs as a table of text: a heading row, then one row per need."""
    table = [
        [
            _("Hợp tác xã"),
            _("Sản phẩm chính"),
            _("Xã, phường"),
            _("Chủ đề"),
            _("Phòng phụ trách"),
            _("Loại hỗ trợ"),
            _("Nội dung"),
            _("Tình trạng"),
            _("Ghi chú"),
        ]
    ]
    for row in rows:
        table.append(
            [
                row.cooperative.name,
                row.cooperative.main_products,
                row.place_name,
                str(THEME_LABELS.get(row.theme, row.theme)),
                row.division_code or "",
                ", ".join(str(NEED_LABELS.get(c, c)) for c in row.choices),
                row.text,
                str(FOLLOW_UP_LABELS.get(row.status, row.status)),
                row.note,
            ]
        )
    return table
