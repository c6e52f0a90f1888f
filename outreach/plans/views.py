"""Staff pages for plans (list, monitoring board, item history, PDF report) and conference
budgets (page and XLSX), plus the ``remind-plans`` command."""

from __future__ import annotations

import click
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
from wtforms import SelectChoice

from outreach import i18n
from outreach.accounts.guards import staff_required
from outreach.accounts.models import Division
from outreach.accounts.models import Role
from outreach.audit import services as audit
from outreach.conferences import services as conference_services
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import utcnow
from outreach.errors import OutreachError
from outreach.forms import apply_error
from outreach.plans import budget_xlsx
from outreach.plans import report_pdf
from outreach.plans import services
from outreach.plans.forms import CATEGORY_LABELS
from outreach.plans.forms import ITEM_STATUS_LABELS
from outreach.plans.forms import RULE_LABELS
from outreach.plans.forms import BudgetLineForm
from outreach.plans.forms import ItemForm
from outreach.plans.forms import MonitoringForm
from outreach.plans.forms import NormForm
from outreach.plans.forms import PacksForm
from outreach.plans.forms import PlanForm
from outreach.plans.forms import ProgressForm
from outreach.plans.models import BudgetLine
from outreach.plans.models import Plan
from outreach.plans.models import PlanItem

# ``cli_group=None``: the command is ``flask remind-plans``, not ``flask plans remind-plans``
bp = Blueprint("plans", __name__, cli_group=None)

_PLAN_ROLES = (Role.ORGANIZER, Role.DIVISION_STAFF)


@bp.app_context_processor
def _labels():
    return {
        "plan_item_status_labels": ITEM_STATUS_LABELS,
        "budget_category_labels": CATEGORY_LABELS,
        "budget_rule_labels": RULE_LABELS,
    }


def _timezone() -> str:
    return current_app.config.get("BABEL_DEFAULT_TIMEZONE") or services.DEFAULT_TIMEZONE


def _finance_code() -> str:
    return current_app.config["FINANCE_DIVISION_CODE"]


def _plan_or_404(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None or not services.can_open_plans(current_user):
        abort(404)
    return plan


def _item_or_404(plan: Plan, item_id: int) -> PlanItem:
    """The same 404 for "no such item" and "another division's item"."""
    item = services.find_item(item_id)
    if item is None or item.plan_id != plan.id or not services.can_view_item(current_user, item):
        abort(404)
    return item


# --- plans -----------------------------------------------------------------------------------


@bp.route("/staff/plans/")
@staff_required(*_PLAN_ROLES)
def index():
    if not services.can_open_plans(current_user):
        abort(404)
    now = utcnow()
    plans = services.list_plans()
    boards = services.build_boards(plans, current_user, now=now, timezone=_timezone())
    return render_template(
        "plans/index.html",
        plans=plans,
        boards=boards,
        can_create=current_user.has_role(Role.ORGANIZER),
    )


@bp.route("/staff/plans/new", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER)
def create():
    form = PlanForm()
    if form.validate_on_submit():
        try:
            plan = services.create_plan(
                services.PlanInput(
                    number=form.number.data or "",
                    title=form.title.data or "",
                    issuing_body=form.issuing_body.data or "",
                    issued_on=form.issued_on.data,
                    signer=form.signer.data or "",
                ),
                actor=current_user,
                now=utcnow(),
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu kế hoạch. Thêm các mục công việc."), "success")
            return redirect(url_for("plans.board", plan_id=plan.id))
    return render_template("plans/plan_form.html", form=form)


@bp.route("/staff/plans/<int:plan_id>")
@staff_required(*_PLAN_ROLES)
def board(plan_id: int):
    plan = _plan_or_404(plan_id)
    monitoring_form = None
    if services.can_configure_plan(current_user):
        monitoring_form = MonitoringForm(division_id=plan.monitoring_division_id or 0)
        _fill_division_choices(monitoring_form.division_id, none_label=_("Chưa giao"))
    return render_template(
        "plans/board.html",
        plan=plan,
        board=services.build_board(plan, current_user, now=utcnow(), timezone=_timezone()),
        can_edit=services.can_edit_plan(current_user, plan),
        monitoring_form=monitoring_form,
    )


@bp.route("/staff/plans/<int:plan_id>/monitoring", methods=["POST"])
@staff_required(Role.ADMIN)
def set_monitoring(plan_id: int):
    plan = _plan_or_404(plan_id)
    form = MonitoringForm()
    _fill_division_choices(form.division_id, none_label=_("Chưa giao"))
    if form.validate_on_submit():
        division = (
            db.session.get(Division, form.division_id.data) if form.division_id.data else None
        )
        services.set_monitoring_division(plan, division, actor=current_user, now=utcnow())
        db.session.commit()
        flash(_("Đã lưu phòng theo dõi kế hoạch."), "success")
    else:
        flash(_("Chọn một phòng trong danh sách."), "error")
    return redirect(url_for("plans.board", plan_id=plan.id))


def _fill_division_choices(field, *, none_label: str) -> None:
    field.choices = [SelectChoice(0, none_label)] + [
        SelectChoice(d.id, f"{d.name} ({d.code})") for d in services.list_divisions()
    ]


def _fill_item_choices(form: ItemForm) -> None:
    _fill_division_choices(form.division_id, none_label=_("Không giao riêng một phòng"))
    form.conference_ids.choices = (
        [
            SelectChoice(c.id, c.title)
            for c in conference_services.list_managed_conferences(current_user)
        ]
        if current_user.has_role(Role.ORGANIZER)
        else []
    )


def _item_input(form: ItemForm) -> services.ItemInput:
    conference_ids = form.conference_ids.data or []
    conferences = [c for c in (db.session.get(Conference, i) for i in conference_ids) if c]
    return services.ItemInput(
        section=form.section.data or "",
        title=form.title.data or "",
        description=form.description.data or "",
        division=db.session.get(Division, form.division_id.data) if form.division_id.data else None,
        due_on=form.due_on.data,
        conferences=conferences,
    )


@bp.route("/staff/plans/<int:plan_id>/items/new", methods=["GET", "POST"])
@staff_required(*_PLAN_ROLES)
def item_create(plan_id: int):
    plan = _plan_or_404(plan_id)
    if not services.can_edit_plan(current_user, plan):
        abort(404)
    form = ItemForm()
    _fill_item_choices(form)
    if form.validate_on_submit():
        try:
            item = services.add_item(plan, _item_input(form), actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm mục %(section)s.", section=item.section), "success")
            return redirect(url_for("plans.board", plan_id=plan.id))
    return render_template("plans/item_form.html", form=form, plan=plan, item=None)


@bp.route("/staff/plans/<int:plan_id>/items/<int:item_id>/edit", methods=["GET", "POST"])
@staff_required(*_PLAN_ROLES)
def item_edit(plan_id: int, item_id: int):
    plan = _plan_or_404(plan_id)
    item = _item_or_404(plan, item_id)
    if not services.can_edit_plan(current_user, plan):
        abort(404)
    form = ItemForm(obj=item) if request.method == "GET" else ItemForm()
    if request.method == "GET":
        form.division_id.data = item.division_id or 0
        form.conference_ids.data = [c.id for c in item.conferences]
    _fill_item_choices(form)
    if form.validate_on_submit():
        data = _item_input(form)
        if not current_user.has_role(Role.ORGANIZER):
            data.conferences = item.conferences
        try:
            services.update_item(item, data, actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu mục %(section)s.", section=item.section), "success")
            return redirect(url_for("plans.item", plan_id=plan.id, item_id=item.id))
    return render_template("plans/item_form.html", form=form, plan=plan, item=item)


@bp.route("/staff/plans/<int:plan_id>/items/<int:item_id>", methods=["GET", "POST"])
@staff_required(*_PLAN_ROLES)
def item(plan_id: int, item_id: int):
    plan = _plan_or_404(plan_id)
    plan_item = _item_or_404(plan, item_id)
    form = ProgressForm()
    if request.method == "GET":
        form.status.data = plan_item.status
    if services.can_update_item(current_user, plan_item) and form.validate_on_submit():
        try:
            services.add_progress(
                plan_item,
                status=form.status.data,
                text=form.text.data or "",
                actor=current_user,
                now=utcnow(),
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã ghi tiến độ."), "success")
            return redirect(url_for("plans.item", plan_id=plan.id, item_id=plan_item.id))
    today = services.local_today(utcnow(), _timezone())
    return render_template(
        "plans/item.html",
        plan=plan,
        item=plan_item,
        form=form,
        is_overdue=services.is_overdue(plan_item, today),
        is_due_soon=services.is_due_soon(plan_item, today),
        can_edit=services.can_edit_plan(current_user, plan),
    )


@bp.route("/staff/plans/<int:plan_id>/report.pdf")
@staff_required(*_PLAN_ROLES)
def report(plan_id: int):
    plan = _plan_or_404(plan_id)
    now = utcnow()
    board_data = services.build_board(plan, current_user, now=now, timezone=_timezone())
    rows = []
    for group in board_data.groups:
        for row in group.rows:
            item = row.item
            notes = [f"{i18n.format_day(n.at, _timezone())}: {n.text}" for n in item.notes[:3]]
            if row.is_overdue:
                notes.insert(0, _("Quá hạn %(days)d ngày.", days=row.days))
            rows.append(
                report_pdf.ReportRow(
                    section=item.section,
                    title=item.title,
                    division=item.division.name if item.division else _("Các phòng"),
                    deadline=item.due_on.strftime("%d/%m/%Y") if item.due_on else "—",
                    status=str(ITEM_STATUS_LABELS.get(item.status, item.status)),
                    notes="\n".join(notes),
                    is_overdue=row.is_overdue,
                )
            )
    body = report_pdf.render_progress_report(
        report_pdf.ProgressReport(
            issuing_body=plan.issuing_body,
            plan_number=plan.number,
            plan_title=plan.title,
            heading=_("Báo cáo tiến độ thực hiện kế hoạch"),
            dated=_("Ngày %(day)s", day=board_data.today.strftime("%d/%m/%Y")),
            column_titles=(
                _("STT"),
                _("Mục"),
                _("Nội dung"),
                _("Phòng thực hiện"),
                _("Thời hạn"),
                _("Trạng thái"),
                _("Ghi chú"),
            ),
            rows=rows,
        )
    )
    audit.record(
        "plan.report_pdf",
        actor=current_user,
        object_type="plan",
        object_id=plan.id,
        row_count=len(rows),
        now=now,
    )
    db.session.commit()
    response = Response(body, mimetype="application/pdf")
    filename = f"bao-cao-tien-do-{plan.id}.pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


# --- budgets ---------------------------------------------------------------------------------


def _budget_conference_or_404(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not services.can_manage_budget(
        current_user, conference, finance_division_code=_finance_code()
    ):
        abort(404)
    return conference


def _line_input(form: BudgetLineForm) -> services.BudgetLineInput:
    return services.BudgetLineInput(
        category=form.category.data or "",
        description=form.description.data or "",
        unit_label=form.unit_label.data or "",
        unit_cost_vnd=form.unit_cost_vnd.data,
        quantity_rule=form.quantity_rule.data or "",
        fixed_quantity=form.fixed_quantity.data,
        times=form.times.data,
        actual_vnd=form.actual_vnd.data
        if hasattr(form, "actual_vnd") and form.actual_vnd
        else None,
    )


@bp.route("/staff/budgets/")
@staff_required(*_PLAN_ROLES)
def budgets():
    if not services.can_open_budgets(current_user, finance_division_code=_finance_code()):
        abort(404)
    conferences = services.list_budget_conferences(
        current_user, finance_division_code=_finance_code()
    )
    return render_template(
        "plans/budgets.html",
        summaries=services.compute_budgets(conferences),
    )


def _render_budget(conference, *, line_form=None, packs_form=None, status=200):
    summary = services.compute_budget(conference)
    if line_form is None:
        line_form = BudgetLineForm(formdata=None)
    if packs_form is None:
        budget = services.find_conference_budget(conference)
        packs_form = PacksForm(
            formdata=None, printed_pack_count=budget.printed_pack_count if budget else None
        )
    return (
        render_template(
            "plans/budget.html",
            conference=conference,
            summary=summary,
            line_form=line_form,
            packs_form=packs_form,
            norms=services.list_norms(conference.host),
        ),
        status,
    )


@bp.route("/staff/conferences/<int:conference_id>/budget")
@staff_required(*_PLAN_ROLES)
def budget(conference_id: int):
    return _render_budget(_budget_conference_or_404(conference_id))


@bp.route("/staff/conferences/<int:conference_id>/budget/lines", methods=["POST"])
@staff_required(*_PLAN_ROLES)
def budget_line_create(conference_id: int):
    conference = _budget_conference_or_404(conference_id)
    form = BudgetLineForm()
    if form.validate_on_submit():
        try:
            services.add_budget_line(
                conference, _line_input(form), actor=current_user, now=utcnow()
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm khoản chi."), "success")
            return redirect(url_for("plans.budget", conference_id=conference.id))
    return _render_budget(conference, line_form=form, status=422)


def _line_or_404(conference: Conference, line_id: int) -> BudgetLine:
    line = db.session.get(BudgetLine, line_id)
    if line is None or line.conference_id != conference.id:
        abort(404)
    return line


@bp.route(
    "/staff/conferences/<int:conference_id>/budget/lines/<int:line_id>", methods=["GET", "POST"]
)
@staff_required(*_PLAN_ROLES)
def budget_line_edit(conference_id: int, line_id: int):
    conference = _budget_conference_or_404(conference_id)
    line = _line_or_404(conference, line_id)
    form = BudgetLineForm(obj=line) if request.method == "GET" else BudgetLineForm()
    if form.validate_on_submit():
        try:
            services.update_budget_line(line, _line_input(form), actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu khoản chi."), "success")
            return redirect(url_for("plans.budget", conference_id=conference.id))
    return render_template("plans/budget_line.html", conference=conference, line=line, form=form)


@bp.route(
    "/staff/conferences/<int:conference_id>/budget/lines/<int:line_id>/delete", methods=["POST"]
)
@staff_required(*_PLAN_ROLES)
def budget_line_delete(conference_id: int, line_id: int):
    conference = _budget_conference_or_404(conference_id)
    line = _line_or_404(conference, line_id)
    services.delete_budget_line(line, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("Đã xóa khoản chi."), "success")
    return redirect(url_for("plans.budget", conference_id=conference.id))


@bp.route("/staff/conferences/<int:conference_id>/budget/packs", methods=["POST"])
@staff_required(*_PLAN_ROLES)
def budget_packs(conference_id: int):
    conference = _budget_conference_or_404(conference_id)
    form = PacksForm()
    if form.validate_on_submit():
        try:
            services.set_printed_packs(
                conference, form.printed_pack_count.data, actor=current_user, now=utcnow()
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu số bộ tài liệu."), "success")
            return redirect(url_for("plans.budget", conference_id=conference.id))
    return _render_budget(conference, packs_form=form, status=422)


@bp.route("/staff/conferences/<int:conference_id>/budget/apply-norms", methods=["POST"])
@staff_required(*_PLAN_ROLES)
def budget_apply_norms(conference_id: int):
    conference = _budget_conference_or_404(conference_id)
    added = services.apply_norms(conference, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("Đã thêm %(count)d khoản chi theo định mức.", count=added), "success")
    return redirect(url_for("plans.budget", conference_id=conference.id))


@bp.route("/staff/conferences/<int:conference_id>/budget.xlsx")
@staff_required(*_PLAN_ROLES)
def budget_xlsx_file(conference_id: int):
    conference = _budget_conference_or_404(conference_id)
    summary = services.compute_budget(conference)
    held = conference.ends_at <= utcnow()
    sheet = budget_xlsx.BudgetSheet(
        title=_("Dự toán kinh phí tổ chức hội nghị"),
        subtitle_lines=(
            conference.title,
            _(
                "Thời gian: %(day)s · Địa điểm: %(venue)s",
                day=i18n.format_day(conference.starts_at, conference.timezone),
                venue=conference.venue_name,
            ),
            _(
                "Đăng ký: %(registered)d người · Có mặt: %(checked_in)d người · "
                "Bộ tài liệu: %(packs)d",
                registered=summary.counts.registered,
                checked_in=summary.counts.checked_in,
                packs=summary.counts.packs,
            ),
        ),
        rows=[
            budget_xlsx.SheetRow(
                description=row.line.description,
                unit_label=row.line.unit_label,
                quantity=row.actual_quantity if held else row.estimate_quantity,
                unit_cost_vnd=row.line.unit_cost_vnd,
                estimate_vnd=row.estimate_vnd,
                actual_vnd=row.actual_vnd,
            )
            for row in summary.rows
        ],
        estimate_total=summary.estimate_total,
        actual_total=summary.actual_total,
        total_label=_("Tổng cộng"),
    )
    body = budget_xlsx.build_budget_workbook(sheet)
    audit.record(
        "budget.export_xlsx",
        actor=current_user,
        object_type="conference",
        object_id=conference.id,
        row_count=len(summary.rows),
        now=utcnow(),
    )
    db.session.commit()
    response = Response(
        body, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response.headers["Content-Disposition"] = (
        f'attachment; filename="du-toan-hoi-nghi-{conference.id}.xlsx"'
    )
    return response


@bp.route("/staff/budgets/norms", methods=["GET", "POST"])
@staff_required(*_PLAN_ROLES)
def norms():
    if (
        not services.can_open_budgets(current_user, finance_division_code=_finance_code())
        or current_user.organization is None
    ):
        abort(404)
    organization = current_user.organization
    form = NormForm()
    if form.validate_on_submit():
        try:
            services.save_norm(organization, _line_input(form), actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu định mức."), "success")
            return redirect(url_for("plans.norms"))
    return render_template(
        "plans/norms.html",
        organization=organization,
        norms=services.list_norms(organization),
        form=form,
    )


# --- command ---------------------------------------------------------------------------------


@bp.cli.command("remind-plans")
def remind_plans_command():
    """Queue reminders for plan items that are overdue or due soon (at most one a day each)."""
    queued = services.queue_plan_reminders(
        now=utcnow(),
        reminder_days=int(current_app.config["PLAN_REMINDER_DAYS"]),
        timezone=_timezone(),
    )
    db.session.commit()
    click.echo(f"queued {queued} plan reminder(s)")
