"""Staff pages: the needs inbox, the conference report (page, XLSX, PDF) and the period report."""

from __future__ import annotations

import math
from urllib.parse import quote

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from outreach.accounts.guards import staff_required
from outreach.accounts.views import safe_next_url
from outreach.checkin.pdf import FontNotFound
from outreach.conferences import places
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import utcnow
from outreach.i18n import format_datetime_short
from outreach.reports import charts
from outreach.reports import pdf
from outreach.reports import services
from outreach.reports import xlsx
from outreach.reports.forms import FollowUpForm
from outreach.reports.models import FollowUpStatus

bp = Blueprint("reports", __name__)

NEEDS_PAGE_SIZE = 50
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _routing() -> dict:
    return current_app.config["NEEDS_ROUTING"]


def _labels() -> dict:
    return {
        "theme_labels": services.THEME_LABELS,
        "need_labels": services.NEED_LABELS,
        "kind_labels": services.KIND_LABELS,
        "follow_up_labels": services.FOLLOW_UP_LABELS,
    }


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


# --- needs inbox -------------------------------------------------------------------------------


def _need_filters() -> services.NeedFilters:
    status = request.args.get("status", "")
    kind = request.args.get("kind", "")
    theme = request.args.get("theme", "")
    return services.NeedFilters(
        conference_id=request.args.get("conference", type=int),
        ward_code=request.args.get("ward", type=int),
        kind=kind if kind in services.KIND_LABELS else "",
        status=status if status in {s.value for s in FollowUpStatus} else "",
        theme=theme if theme in services.THEMES else "",
    )


def _render_needs(errors: dict | None = None, status: int = 200):
    filters = _need_filters()
    rows = services.list_needs(current_user, filters, routing=_routing())
    pages = max(1, math.ceil(len(rows) / NEEDS_PAGE_SIZE))
    page = min(max(request.args.get("page", 1, type=int), 1), pages)
    conferences, wards = services.need_filter_options(current_user)
    counts = {s.value: 0 for s in FollowUpStatus}
    for row in rows:
        counts[row.status] += 1
    themes = services.visible_themes(current_user, _routing())
    response = render_template(
        "reports/needs.html",
        rows=rows[(page - 1) * NEEDS_PAGE_SIZE : page * NEEDS_PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=pages,
        filters=filters,
        counts=counts,
        conferences=conferences,
        wards=wards,
        themes=themes,
        division=current_user.division if current_user.role == "division_staff" else None,
        form=FollowUpForm(formdata=None),
        errors=errors or {},
        here=request.full_path.rstrip("?"),
        **_labels(),
    )
    return _no_store(Response(response, status=status))


@bp.route("/staff/needs")
@staff_required("organizer", "division_staff")
def needs():
    return _render_needs()


@bp.route("/staff/needs/<int:registration_id>/<theme>", methods=["POST"])
@staff_required("organizer", "division_staff")
def follow_up(registration_id: int, theme: str):
    try:
        need = services.find_need(current_user, registration_id, theme, routing=_routing())
    except services.NeedNotFound:
        abort(404)
    form = FollowUpForm()
    back = safe_next_url(form.next.data) or url_for("reports.needs")
    if not form.validate():
        message = next(iter(form.errors.values()))[0]
        errors = {(registration_id, theme): {"message": message, "form": form}}
        return _render_needs(errors, status=400)
    try:
        services.set_follow_up(
            need,
            status=form.status.data,
            note=form.note.data or "",
            actor=current_user,
            now=utcnow(),
        )
    except services.InvalidFollowUp as error:
        db.session.rollback()
        errors = {(registration_id, theme): {"message": error.message, "form": form}}
        return _render_needs(errors, status=400)
    db.session.commit()
    flash(_("Đã lưu tình trạng xử lý của %(name)s.", name=need.cooperative.name), "success")
    return redirect(f"{back}#need-{registration_id}-{theme}")


# --- conference report --------------------------------------------------------------------------


def _managed_or_404(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not services.can_view_report(current_user, conference):
        abort(404)
    return conference


def _chart_markup(report: services.Report) -> dict[str, Markup]:
    # charts.py escapes every text it writes, so its output is safe to insert as markup
    return {
        figure.key: Markup(
            charts.figure_chart(
                figure, chart_id=f"chart-{figure.key}", empty_text=_("Chưa có số liệu")
            )
        )
        for figure in report.figures
    }


def _conference_lines(report: services.Report) -> list[list]:
    table = [
        [
            _("Hội nghị"),
            _("Ngày"),
            _("HTX đăng ký"),
            _("Người đăng ký"),
            _("Danh sách chờ"),
            _("Đã điểm danh"),
            _("Vắng mặt"),
        ]
    ]
    for line in report.conferences:
        conference, totals = line.conference, line.totals
        table.append(
            [
                conference.title,
                format_datetime_short(conference.starts_at, conference.timezone),
                totals.cooperatives_registered,
                totals.delegates_registered,
                totals.delegates_waitlisted,
                totals.checked_in,
                totals.no_shows,
            ]
        )
    return table


def _subtitle(conference: Conference) -> list[str]:
    return [
        format_datetime_short(conference.starts_at, conference.timezone)
        + " – "
        + format_datetime_short(conference.ends_at, conference.timezone),
        ", ".join(
            part
            for part in (
                conference.venue_name,
                places.format_place(conference.ward_code, conference.province_code),
            )
            if part
        ),
    ]


def _attachment(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{filename.encode("ascii", "replace").decode()}"; '
        f"filename*=UTF-8''{quote(filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return _no_store(response)


@bp.route("/staff/conferences/<int:conference_id>/report")
@staff_required("organizer")
def conference(conference_id: int):
    conference = _managed_or_404(conference_id)
    report = services.conference_report(conference, routing=_routing())
    return _no_store(
        Response(
            render_template(
                "reports/conference.html",
                conference=conference,
                report=report,
                summary=services.summary_rows(report.totals),
                charts=_chart_markup(report),
            )
        )
    )


@bp.route("/staff/conferences/<int:conference_id>/report.xlsx")
@staff_required("organizer")
def conference_xlsx(conference_id: int):
    conference = _managed_or_404(conference_id)
    report = services.conference_report(conference, routing=_routing())
    needs = services.needs_table(services.needs_export_rows(conference, routing=_routing()))
    body = xlsx.report_workbook(
        title=conference.title,
        summary_title=_("Tổng hợp"),
        summary=services.summary_rows(report.totals),
        figures=report.figures,
        needs_title=_("Nhu cầu hỗ trợ"),
        needs_table=needs,
    )
    filename = f"bao-cao-{conference.slug}.xlsx"  # read before the commit expires it
    services.record_export(
        conference, fmt="xlsx", row_count=len(needs) - 1, actor=current_user, now=utcnow()
    )
    db.session.commit()
    return _attachment(body, XLSX_TYPE, filename)


def _pdf_needs(rows: list[services.NeedRow]) -> list[list[str]]:
    table = [[_("Hợp tác xã"), _("Chủ đề"), _("Phòng phụ trách"), _("Nhu cầu")]]
    for row in rows:
        choices = ", ".join(str(services.NEED_LABELS.get(c, c)) for c in row.choices)
        table.append(
            [
                f"{row.cooperative.name} ({row.place_name})",
                str(services.THEME_LABELS.get(row.theme, row.theme)),
                row.division_code or "—",
                "; ".join(part for part in (choices, row.text) if part),
            ]
        )
    return table


@bp.route("/staff/conferences/<int:conference_id>/report.pdf")
@staff_required("organizer")
def conference_pdf(conference_id: int):
    conference = _managed_or_404(conference_id)
    report = services.conference_report(conference, routing=_routing())
    needs = services.needs_export_rows(conference, routing=_routing())
    more = len(needs) - pdf.NEEDS_LISTED_MAX
    try:
        body = pdf.report_pdf(
            title=_("Báo cáo kết quả hội nghị: %(title)s", title=conference.title),
            subtitle_lines=[
                *_subtitle(conference),
                _("Số liệu đến %(at)s", at=format_datetime_short(utcnow(), conference.timezone)),
            ],
            summary_title=_("Số liệu chính"),
            summary=services.summary_rows(report.totals),
            figures=report.figures,
            needs_title=_("Nhu cầu hỗ trợ của hợp tác xã"),
            needs_rows=_pdf_needs(needs),
            more_needs_text=(
                _("Còn %(n)d nhu cầu khác trong tệp Excel.", n=more) if more > 0 else ""
            ),
            footer_text=current_app.config["ORGANIZATION_NAME"],
            empty_text=_("Chưa có số liệu"),
        )
    except FontNotFound:
        current_app.logger.exception("report PDF: no Vietnamese font")
        abort(503)
    filename = f"bao-cao-{conference.slug}.pdf"  # read before the commit expires it
    services.record_export(
        conference,
        fmt="pdf",
        row_count=min(len(needs), pdf.NEEDS_LISTED_MAX),
        actor=current_user,
        now=utcnow(),
    )
    db.session.commit()
    return _attachment(body, "application/pdf", filename)


# --- period report ----------------------------------------------------------------------------


def _period_report():
    """The period from the query string and its report, or the error on the field."""
    today = services.local_today(utcnow())
    raw_from = request.args.get("from", f"01/01/{today.year}")[:20]
    raw_to = request.args.get("to", today.strftime("%d/%m/%Y"))[:20]
    try:
        start, end = services.parse_period(raw_from, raw_to)
    except services.InvalidPeriod as error:
        return raw_from, raw_to, None, error
    conferences = services.period_conferences(current_user, start, end)
    report = services.build_report(conferences, routing=_routing(), period=(start, end))
    return raw_from, raw_to, report, None


@bp.route("/staff/reports")
@staff_required("organizer")
def period():
    raw_from, raw_to, report, error = _period_report()
    return _no_store(
        Response(
            render_template(
                "reports/period.html",
                raw_from=raw_from,
                raw_to=raw_to,
                error=error,
                report=report,
                summary=services.summary_rows(report.totals) if report else [],
                conference_table=_conference_lines(report) if report else [],
                charts=_chart_markup(report) if report else {},
            ),
            status=400 if error else 200,
        )
    )


@bp.route("/staff/reports.xlsx")
@staff_required("organizer")
def period_xlsx():
    raw_from, raw_to, report, error = _period_report()
    if error is not None:
        flash(error.message, "error")
        return redirect(url_for("reports.period", **{"from": raw_from, "to": raw_to}))
    table = _conference_lines(report)
    body = xlsx.report_workbook(
        title=_("Báo cáo từ %(start)s đến %(end)s", start=raw_from, end=raw_to),
        summary_title=_("Tổng hợp"),
        summary=services.summary_rows(report.totals),
        conference_table=table,
        figures=report.figures,
        needs_title=_("Nhu cầu hỗ trợ"),
    )
    services.record_export(
        None, fmt="xlsx", row_count=len(table) - 1, actor=current_user, now=utcnow()
    )
    db.session.commit()
    start, end = report.period
    return _attachment(body, XLSX_TYPE, f"bao-cao-{start:%Y%m%d}-{end:%Y%m%d}.xlsx")
