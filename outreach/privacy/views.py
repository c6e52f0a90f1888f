"""Admin pages for data-subject requests: find a person, export, erase, track deadlines."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.accounts.guards import admin_required
from outreach.database import db
from outreach.database import utcnow
from outreach.errors import OutreachError
from outreach.mail import messages
from outreach.mail import sender
from outreach.privacy import services
from outreach.privacy.forms import KIND_LABELS
from outreach.privacy.forms import EraseForm
from outreach.privacy.forms import FindForm
from outreach.privacy.forms import PersonActionForm
from outreach.privacy.forms import RequestForm
from outreach.privacy.purge import remove_stale_message_files
from outreach.registration.forms import STATUS_LABELS

bp = Blueprint("privacy", __name__, url_prefix="/staff/admin/privacy")


def _today() -> dt.date:
    return utcnow().astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def _render(find_form=None, request_form=None, person=None, erase_form=None, status=200):
    if request_form is None:
        request_form = RequestForm(formdata=None)
        request_form.received_on.data = _today()
    contact = person.contact.value if person else ""
    return (
        render_template(
            "privacy/index.html",
            find_form=find_form or FindForm(),
            request_form=request_form,
            person=person,
            action_form=PersonActionForm(contact=contact),
            erase_form=erase_form or EraseForm(contact=contact),
            requests=services.list_requests(),
            kind_labels=KIND_LABELS,
            status_labels=STATUS_LABELS,
            today=_today(),
            retention_months=current_app.config["RETENTION_MONTHS"],
            response_days=current_app.config["DSR_RESPONSE_DAYS"],
        ),
        status,
    )


def _person_from(form) -> services.Person:
    try:
        contact = services.parse_contact(form.contact.data)
    except OutreachError:
        abort(400)
    return services.find_person(contact)


def _complete_linked(form, outcome: dict, now) -> None:
    raw = (form.request_id.data or "").strip()
    if not raw.isdigit():
        return
    data_request = services.get_request(int(raw))
    if data_request is not None and data_request.is_open:
        services.complete_request(data_request, outcome=outcome, actor=current_user, now=now)


@bp.route("/", methods=["GET"])
@admin_required
def index():
    return _render()


@bp.route("/find", methods=["POST"])
@admin_required
def find():
    form = FindForm()
    if not form.validate_on_submit():
        return _render(find_form=form, status=400)
    try:
        contact = services.parse_contact(form.contact.data)
    except OutreachError as error:
        form.contact.errors = [error.message]
        return _render(find_form=form, status=400)
    person = services.find_person(contact)
    return _render(find_form=form, person=person)


@bp.route("/export.<any(json, pdf):fmt>", methods=["POST"])
@admin_required
def export(fmt):
    form = PersonActionForm()
    if not form.validate_on_submit():
        abort(400)
    person = _person_from(form)
    now = utcnow()
    data = services.export_person(person, now=now)
    body = services.export_json(data) if fmt == "json" else services.export_pdf(data)
    services.record_export(person, actor=current_user, fmt=fmt, now=now)
    _complete_linked(form, {"exported": person.row_count, "format": fmt}, now)
    db.session.commit()
    mimetype = "application/json" if fmt == "json" else "application/pdf"
    stamp = now.strftime("%Y%m%d-%H%M")
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="du-lieu-ca-nhan-{stamp}.{fmt}"'},
    )


@bp.route("/erase", methods=["POST"])
@admin_required
def erase():
    form = EraseForm()
    if not form.validate_on_submit():
        find_form = FindForm(contact=form.contact.data)
        person = _person_from(form) if form.contact.data else None
        erase_form = EraseForm(contact=form.contact.data)
        erase_form.confirm.errors = list(form.confirm.errors)
        return _render(find_form=find_form, person=person, erase_form=erase_form, status=400)
    person = _person_from(form)
    if not person.found:
        flash(_("Không tìm thấy dữ liệu nào của người này."), "info")
        return redirect(url_for("privacy.index"))
    now = utcnow()
    result = services.erase_person(person, actor=current_user, now=now)
    for registration in result.promoted:
        messages.queue_promotion(registration, domain=sender.mail_domain(), now=now)
    _complete_linked(form, result.as_detail(), now)
    db.session.commit()
    if result.messages:  # and the file transport's copies of the messages just deleted
        remove_stale_message_files(current_app.config["MAIL_FOLDER"])
    if result.promoted:
        sender.kick()
    flash(
        _(
            "Đã ẩn danh %(r)d đăng ký, %(d)d người tham dự và xóa %(m)d thư.",
            r=result.registrations,
            d=result.delegates,
            m=result.messages,
        ),
        "success",
    )
    return redirect(url_for("privacy.index"))


@bp.route("/withdraw", methods=["POST"])
@admin_required
def withdraw():
    form = PersonActionForm()
    if not form.validate_on_submit():
        abort(400)
    person = _person_from(form)
    now = utcnow()
    changed = services.withdraw_news(person, actor=current_user, now=now)
    _complete_linked(form, {"withdrawn": changed}, now)
    db.session.commit()
    flash(_("Đã ngừng gửi tin cho %(n)d đăng ký.", n=changed), "success")
    return redirect(url_for("privacy.index"))


@bp.route("/requests", methods=["POST"])
@admin_required
def request_create():
    form = RequestForm()
    if not form.validate_on_submit():
        return _render(request_form=form, status=400)
    try:
        contact = services.parse_contact(form.contact.data)
        services.open_request(
            form.kind.data,
            contact,
            received_on=form.received_on.data,
            secret=current_app.config["SECRET_KEY"],
            response_days=int(current_app.config["DSR_RESPONSE_DAYS"]),
            acknowledge_working_days=int(current_app.config["DSR_ACK_WORKING_DAYS"]),
            actor=current_user,
            now=utcnow(),
        )
    except OutreachError as error:
        db.session.rollback()
        field = getattr(form, error.field or "contact", form.contact)
        field.errors = [error.message]
        return _render(request_form=form, status=400)
    db.session.commit()
    flash(_("Đã ghi nhận yêu cầu."), "success")
    return redirect(url_for("privacy.index"))


@bp.route("/requests/<int:request_id>/<any(acknowledge, complete):action>", methods=["POST"])
@admin_required
def request_action(request_id, action):
    # the CSRF token is checked for every POST by CSRFProtect
    data_request = services.get_request(request_id)
    if data_request is None:
        abort(404)
    now = utcnow()
    try:
        if action == "acknowledge":
            services.acknowledge_request(data_request, actor=current_user, now=now)
        else:
            services.complete_request(
                data_request, outcome={"closed_by_hand": 1}, actor=current_user, now=now
            )
    except OutreachError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("privacy.index"))
    db.session.commit()
    flash(_("Đã cập nhật yêu cầu."), "success")
    return redirect(url_for("privacy.index"))
