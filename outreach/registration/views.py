"""The public registration form, the private self-service pages, and the organizer's lists."""

from __future__ import annotations

import csv
import functools
import io
import re
import secrets

import sqlalchemy as sa
from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import SelectChoice
from wtforms import ValidationError

from outreach.accounts.guards import public
from outreach.accounts.guards import staff_required
from outreach.audit import services as audit
from outreach.checkin import pdf
from outreach.checkin import qr
from outreach.checkin.tickets import format_ticket_code
from outreach.conferences import ics
from outreach.conferences import places
from outreach.conferences import services as conference_services
from outreach.conferences.forms import THEME_LABELS
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import utcnow
from outreach.errors import OutreachError
from outreach.extensions import csrf
from outreach.forms import apply_error
from outreach.i18n import format_datetime_short
from outreach.mail import messages
from outreach.mail import sender
from outreach.mail import services as mail_services
from outreach.registration import lists
from outreach.registration import services
from outreach.registration.forms import GENDER_LABELS
from outreach.registration.forms import KIND_LABELS
from outreach.registration.forms import NEED_LABELS
from outreach.registration.forms import STATUS_LABELS
from outreach.registration.forms import ConfirmForm
from outreach.registration.forms import DelegatesForm
from outreach.registration.forms import LostLinkForm
from outreach.registration.forms import RegistrationForm
from outreach.registration.models import CooperativeKind
from outreach.registration.models import Registration
from outreach.registration.models import RegistrationStatus
from outreach.registration.vn import format_phone_local

bp = Blueprint("registration", __name__)

#: session key holding {submission id: token} so a repeated submission finds its own link
SESSION_TOKENS = "registration_tokens"


def _labels() -> dict:
    return {
        "kind_labels": KIND_LABELS,
        "gender_labels": GENDER_LABELS,
        "need_labels": NEED_LABELS,
        "status_labels": STATUS_LABELS,
        "theme_labels": THEME_LABELS,
    }


def queue_promotions(promoted, *, now) -> None:
    for registration in promoted:
        messages.queue_promotion(registration, domain=sender.mail_domain(), now=now)


def _private(response: Response) -> Response:
    """Token pages: never cached, never leak the token in a Referer."""
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response


@functools.lru_cache(maxsize=1)
def _province_choices() -> tuple[SelectChoice, ...]:
    return tuple(SelectChoice(int(p.code), p.name) for p in places.list_provinces())


@functools.lru_cache(maxsize=64)
def _ward_choices(province_code: int) -> tuple[SelectChoice, ...]:
    return tuple(SelectChoice(int(w.code), w.name) for w in places.list_wards(province_code))


def _fill_place_choices(form_cooperative, province_code: int | None) -> None:
    province_code = province_code or current_app.config["DEFAULT_PROVINCE_CODE"]
    if places.find_province(province_code) is None:
        province_code = current_app.config["DEFAULT_PROVINCE_CODE"]
    form_cooperative.province_code.choices = list(_province_choices())
    form_cooperative.ward_code.choices = [
        SelectChoice(0, _("— Chọn xã, phường —")),
        *_ward_choices(province_code),
    ]


def _read_needs(conference: Conference) -> dict:
    needs = {}
    for theme in conference.themes or []:
        needs[theme] = {
            "interested": request.form.get(f"needs-{theme}-interested") == "y",
            "choices": request.form.getlist(f"needs-{theme}-choices"),
            "text": request.form.get(f"needs-{theme}-text", ""),
        }
    return needs


def _whole_number(value: str | None) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


#: ``delegates-<n>-<field>``, the names RegistrationForm's delegate rows post: rows 0 to 99,
#: more than any conference takes (conference_services.DELEGATES_PER_COOPERATIVE_MAX); a request
#: that names other rows is a made one, and they are not read
_DELEGATE_FIELD = re.compile(r"delegates-(\d{1,2})-", re.ASCII)


def _form_data():
    """The posted fields to show again in the form: without delegate rows that are not read
    (WTForms would make a row for each, and fails on an index such as ``²``)."""
    return MultiDict(
        (key, value)
        for key, value in request.form.items(multi=True)
        if not key.startswith("delegates") or _DELEGATE_FIELD.match(key)
    )


def _posted_registration(formdata, conference: Conference) -> services.RegistrationInput:
    """The sign-up as posted, read straight from the fields RegistrationForm renders.

    The form is bound only to show the page (the GET, or a POST with errors): binding its
    23 fields cost a third of a sign-up (bench: register), and every rule, lengths
    included, is the service's. A number that is not one reaches the service as ``None``
    or, for the member count, as typed, and the service says what is wrong.
    """
    text = formdata.get
    indices = sorted({int(match[1]) for key in formdata if (match := _DELEGATE_FIELD.match(key))})
    return services.RegistrationInput(
        cooperative=services.CooperativeInput(
            kind=text("cooperative-kind", CooperativeKind.HOP_TAC_XA.value),  # the form default
            name=text("cooperative-name", ""),
            tax_code=text("cooperative-tax_code", ""),
            province_code=_whole_number(text("cooperative-province_code")),
            ward_code=_whole_number(text("cooperative-ward_code")),
            sector=text("cooperative-sector", ""),
            main_products=text("cooperative-main_products", ""),
            member_count=text("cooperative-member_count", ""),
        ),
        contact_name=text("contact_name", ""),
        contact_phone=text("contact_phone", ""),
        contact_email=text("contact_email", ""),
        delegates=[
            services.DelegateInput(
                full_name=text(f"delegates-{index}-full_name", ""),
                position=text(f"delegates-{index}-position", ""),
                gender=text(f"delegates-{index}-gender", "") or "unspecified",
                phone=text(f"delegates-{index}-phone", ""),
                email=text(f"delegates-{index}-email", ""),
            )
            for index in indices
        ],
        needs=_read_needs(conference),
        consent_participation=text("consent_participation", "") not in ("", "false"),
        consent_news=text("consent_news", "") not in ("", "false"),
        language=str(session.get("lang") or "vi"),
    )


def _csrf_token_valid() -> bool:
    if not current_app.config.get("WTF_CSRF_ENABLED", True):
        return True
    try:
        validate_csrf(request.form.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")))
    except ValidationError:
        return False
    return True


def _delegate_inputs(entries) -> list[services.DelegateInput]:
    result = []
    for entry in entries:
        raw_id = entry.form.id.data
        result.append(
            services.DelegateInput(
                id=int(raw_id) if raw_id and str(raw_id).isdigit() else None,
                full_name=entry.form.full_name.data or "",
                position=entry.form.position.data or "",
                gender=entry.form.gender.data or "unspecified",
                phone=entry.form.phone.data or "",
                email=entry.form.email.data or "",
            )
        )
    return result


def _pad_delegates(form, count: int) -> None:
    while len(form.delegates) < count:
        form.delegates.append_entry()


def _conference_for_registration(slug: str) -> Conference:
    conference, is_current = conference_services.find_conference_by_slug(slug)
    if conference is None or not conference.is_public or not is_current:
        abort(404)
    return conference


def _remember_token(submission_id: str, token: str) -> None:
    tokens = dict(session.get(SESSION_TOKENS) or {})
    tokens[submission_id] = token
    # keep the few most recent only; the cookie is small
    session[SESSION_TOKENS] = dict(list(tokens.items())[-5:])


def _handle_registration(conference: Conference, *, entered_by=None, template: str):
    now = utcnow()
    form = None

    def page():
        # what only the form page needs (the form itself, the state banner, the place lists,
        # empty rows for the delegates not sent yet), built only to show it: a valid POST never
        # builds them
        nonlocal form
        if form is None:
            form = RegistrationForm(formdata=_form_data() if request.method == "POST" else None)
            if request.method == "GET":
                form.submission_id.data = secrets.token_urlsafe(16)
                form.cooperative.province_code.data = current_app.config["DEFAULT_PROVINCE_CODE"]
        state = conference_services.registration_state(conference, now=now)
        _fill_place_choices(form.cooperative, form.cooperative.province_code.data)
        _pad_delegates(form, conference.delegates_per_cooperative)
        return render_template(template, form=form, conference=conference, state=state, **_labels())

    if request.method == "POST":
        if not _csrf_token_valid():
            flash(
                _(
                    "Trang đã mở quá lâu nên cần xác nhận lại. Thông tin bạn đã nhập vẫn "
                    "còn nguyên; vui lòng bấm “Gửi đăng ký” lần nữa."
                ),
                "warning",
            )
        else:
            submission_id = (request.form.get("submission_id") or "")[:64] or secrets.token_urlsafe(
                16
            )
            try:
                result = services.register_cooperative(
                    conference,
                    _posted_registration(request.form, conference),
                    submission_id=submission_id,
                    now=now,
                    entered_by=entered_by,
                )
                if not result.is_repeat and result.has_address:
                    messages.queue_registration_result(
                        result.registration,
                        token=result.token,
                        base_url=sender.base_url(),
                        domain=sender.mail_domain(),
                        now=now,
                    )
                db.session.commit()
                sender.kick()
            except sa.exc.IntegrityError:
                db.session.rollback()
                repeat = services.find_by_submission_id(submission_id)
                if repeat is None:
                    flash(
                        _("Một số điện thoại trong đơn vừa được đăng ký. Vui lòng kiểm tra lại."),
                        "error",
                    )
                    return page()
                result = services.RegistrationResult(repeat.id, None, is_repeat=True)
            except OutreachError as error:
                db.session.rollback()
                form = RegistrationForm(formdata=_form_data())
                apply_error(form, error)
                return page(), 422
            if entered_by is not None:
                flash(
                    _("Đã đăng ký cho %(name)s.", name=result.registration.cooperative.name),
                    "success",
                )
                return redirect(
                    url_for(
                        "registration.staff_detail",
                        conference_id=conference.id,
                        registration_id=result.registration.id,
                        token=result.token,
                    )
                )
            if result.token:
                _remember_token(submission_id, result.token)
                if result.cooperative_known:
                    flash(
                        _(
                            "Hợp tác xã đã có trong hệ thống: thông tin đã lưu trước được giữ "
                            "nguyên."
                        ),
                        "info",
                    )
                return redirect(url_for("registration.manage", token=result.token, new=1))
            token = (session.get(SESSION_TOKENS) or {}).get(submission_id)
            if token:
                return redirect(url_for("registration.manage", token=token))
            return render_template("registration/already_sent.html", conference=conference)
    return page()


@bp.route("/conferences/<slug>/register", methods=["GET", "POST"])
@csrf.exempt  # the form checks its own token, so a stale page keeps what was typed
@public
def register(slug: str):
    conference = _conference_for_registration(slug)
    return _handle_registration(conference, template="registration/register.html")


@bp.route("/api/places/<int:province_code>/wards")
@public
def wards(province_code: int):
    if places.find_province(province_code) is None:
        abort(404)
    return {
        "wards": [{"code": int(w.code), "name": w.name} for w in places.list_wards(province_code)]
    }


# --- self-service --------------------------------------------------------------------------


def _registration_or_404(token: str) -> Registration:
    registration = services.find_by_token(token)
    if registration is None:
        abort(404)
    return registration


def _confirmed_or_404(token: str) -> Registration:
    """A registration whose tickets count: a place on the waiting list has none yet (the door
    would refuse them), a cancelled one none any more."""
    registration = _registration_or_404(token)
    if registration.status != RegistrationStatus.CONFIRMED:
        abort(404)
    return registration


def _ticket_svgs(registration: Registration) -> dict[int, str]:
    if registration.status != RegistrationStatus.CONFIRMED:
        return {}
    return {d.id: qr.make_qr_svg(d.ticket_code) for d in registration.active_delegates}


@bp.route("/r/<token>")
@public
def manage(token: str):
    registration = _registration_or_404(token)
    now = utcnow()
    conference = registration.conference
    page = render_template(
        "registration/manage.html",
        registration=registration,
        conference=conference,
        token=token,
        svgs=_ticket_svgs(registration),
        is_new=request.args.get("new") == "1",
        position=services.waitlist_position(registration),
        can_change=registration.is_active and services.is_registration_open(conference, now=now),
        format_code=format_ticket_code,
        form=ConfirmForm(),
        **_labels(),
    )
    return _private(Response(page))


@bp.route("/r/<token>/tickets.pdf")
@public
def tickets_pdf(token: str):
    registration = _confirmed_or_404(token)
    body = pdf.render_tickets_pdf(lists.ticket_infos(registration))
    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = 'attachment; filename="ve-hoi-nghi.pdf"'
    return _private(response)


@bp.route("/r/<token>/tickets/<code>.png")
@public
def ticket_png(token: str, code: str):
    registration = _confirmed_or_404(token)
    if not any(d.ticket_code == code for d in registration.active_delegates):
        abort(404)
    return _private(Response(qr.make_qr_png(code), mimetype="image/png"))


@bp.route("/r/<token>/invite.ics")
@public
def invite(token: str):
    registration = _confirmed_or_404(token)
    body = ics.conference_to_ical(
        registration.conference, now=utcnow(), host=request.host.split(":")[0]
    )
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = 'attachment; filename="thu-moi.ics"'
    return _private(response)


def _queue_delegate_messages(registration: Registration, change, *, now) -> None:
    messages.queue_delegate_changes(
        registration,
        added=change.added,
        removed=change.removed,
        domain=sender.mail_domain(),
        now=now,
    )
    queue_promotions(change.promoted, now=now)


def _delegates_form(registration: Registration) -> DelegatesForm:
    """The delegates form: filled from the registration on GET, from the request on POST."""
    if request.method != "GET":
        return DelegatesForm(formdata=_form_data())
    return DelegatesForm(
        data={
            "delegates": [
                {
                    "id": d.id,
                    "full_name": d.full_name,
                    "position": d.position,
                    "gender": d.gender,
                    "phone": format_phone_local(d.phone_e164),
                    "email": d.email or "",
                }
                for d in registration.active_delegates
            ]
        }
    )


@bp.route("/r/<token>/delegates", methods=["GET", "POST"])
@public
def change_delegates(token: str):
    registration = _registration_or_404(token)
    conference = registration.conference
    form = _delegates_form(registration)
    _pad_delegates(form, conference.delegates_per_cooperative)
    if form.validate_on_submit():
        try:
            now = utcnow()
            change = services.update_delegates(
                registration, _delegate_inputs(form.delegates), now=now
            )
            _queue_delegate_messages(registration, change, now=now)
            db.session.commit()
            sender.kick()
        except sa.exc.IntegrityError:  # another registration took a number at the same moment
            db.session.rollback()
            flash(
                _("Một số điện thoại trong đơn vừa được đăng ký. Vui lòng kiểm tra lại."), "error"
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            flash(
                _(
                    "Đã lưu danh sách người tham dự (%(added)d vé mới, %(removed)d vé bị hủy).",
                    added=len(change.added),
                    removed=len(change.removed),
                ),
                "success",
            )
            return redirect(url_for("registration.manage", token=token))
    page = render_template(
        "registration/delegates.html",
        form=form,
        registration=registration,
        conference=conference,
        token=token,
        **_labels(),
    )
    return _private(Response(page))


@bp.route("/r/<token>/cancel", methods=["GET", "POST"])
@public
def cancel(token: str):
    registration = _registration_or_404(token)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            now = utcnow()
            promoted = services.cancel_registration(registration, now=now)
            messages.queue_cancellation(registration, now=now)
            queue_promotions(promoted, now=now)
            db.session.commit()
            sender.kick()
        except OutreachError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            flash(_("Đã hủy đăng ký. Các vé của hợp tác xã không còn giá trị."), "success")
        return redirect(url_for("registration.manage", token=token))
    page = render_template(
        "registration/cancel.html",
        registration=registration,
        form=form,
        conference=registration.conference,
        token=token,
    )
    return _private(Response(page))


@bp.route("/lost-link", methods=["GET", "POST"])
@public
def lost_link():
    form = LostLinkForm()
    if form.validate_on_submit():
        now = utcnow()
        for registration in services.find_registrations_by_contact(form.contact.data, now=now):
            if not registration.contact_email:
                continue
            token = services.reissue_token(registration)
            link = messages.private_link(sender.base_url(), token, registration.language)
            with force_locale(registration.language or "vi"):
                subject = _(
                    "Đường dẫn quản lý đăng ký: %(title)s", title=registration.conference.title
                )
                text = render_template(
                    "registration/lost_link_mail.txt", registration=registration, link=link
                )
            mail_services.queue_message(
                to=registration.contact_email,
                subject=subject,
                text=text,
                kind="lost_link",
                registration_id=registration.id,
                conference_id=registration.conference_id,
                dedupe_key=f"lost-link:{registration.id}:{registration.manage_token_hash[:16]}",
                now=now,
            )
        db.session.commit()
        sender.kick()
        # the same answer whether or not the contact exists
        flash(
            _(
                "Nếu thông tin này khớp với một đăng ký, chúng tôi đã gửi đường dẫn mới tới "
                "thư điện tử liên hệ. Đường dẫn cũ không còn dùng được."
            ),
            "info",
        )
        return redirect(url_for("registration.lost_link"))
    return render_template("registration/lost_link.html", form=form)


# --- organizer side --------------------------------------------------------------------------


def _managed_or_404(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not conference_services.can_manage_conference(
        current_user, conference
    ):
        abort(404)
    return conference


def _filters() -> lists.RegistrationFilters:
    return lists.RegistrationFilters(
        q=request.args.get("q", "")[:100],
        status=request.args.get("status", ""),
        kind=request.args.get("kind", ""),
        ward_code=request.args.get("ward", type=int),
    )


@bp.route("/staff/conferences/<int:conference_id>/registrations")
@staff_required("organizer")
def staff_list(conference_id: int):
    conference = _managed_or_404(conference_id)
    filters = _filters()
    page = lists.search_registrations(
        conference, filters, page=request.args.get("page", 1, type=int)
    )
    response = Response(
        render_template(
            "registration/staff_list.html",
            conference=conference,
            page=page,
            filters=filters,
            counts=lists.status_counts(conference),
            wards=lists.wards_in_use(conference),
            format_phone=format_phone_local,
            form=ConfirmForm(),
            **_labels(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/staff/conferences/<int:conference_id>/registrations/export.<fmt>")
@staff_required("organizer")
def staff_export(conference_id: int, fmt: str):
    conference = _managed_or_404(conference_id)
    rows = lists.export_rows(conference, _filters())
    if fmt in ("csv", "xlsx"):
        audit.record(
            "registrations.export",
            actor=current_user,
            object_type="conference",
            object_id=conference.id,
            row_count=len(rows) - 1,
            detail={"format": fmt},
            now=utcnow(),
        )
        db.session.commit()
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(rows)
        body = "\ufeff" + buffer.getvalue()  # BOM: Excel then reads UTF-8 Vietnamese correctly
        response = Response(body, mimetype="text/csv; charset=utf-8")
    elif fmt == "xlsx":
        response = Response(
            lists.rows_to_xlsx(rows),
            mimetype=("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    else:
        abort(404)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="dang-ky-{conference.slug}.{fmt}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/staff/conferences/<int:conference_id>/registrations/new", methods=["GET", "POST"])
@staff_required("organizer")
def staff_create(conference_id: int):
    conference = _managed_or_404(conference_id)
    return _handle_registration(
        conference, entered_by=current_user, template="registration/staff_register.html"
    )


def _staff_registration_or_404(conference: Conference, registration_id: int) -> Registration:
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.conference_id != conference.id:
        abort(404)
    return registration


@bp.route(
    "/staff/conferences/<int:conference_id>/registrations/<int:registration_id>",
    methods=["GET", "POST"],
)
@staff_required("organizer")
def staff_detail(conference_id: int, registration_id: int):
    conference = _managed_or_404(conference_id)
    registration = _staff_registration_or_404(conference, registration_id)
    form = _delegates_form(registration)
    _pad_delegates(form, conference.delegates_per_cooperative)
    if form.validate_on_submit():
        try:
            now = utcnow()
            change = services.update_delegates(
                registration, _delegate_inputs(form.delegates), now=now, by_staff=True
            )
            _queue_delegate_messages(registration, change, now=now)
            db.session.commit()
            sender.kick()
        except sa.exc.IntegrityError:  # another registration took a number at the same moment
            db.session.rollback()
            flash(
                _("Một số điện thoại trong đơn vừa được đăng ký. Vui lòng kiểm tra lại."), "error"
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            flash(_("Đã lưu danh sách người tham dự."), "success")
            return redirect(request.path)
    response = Response(
        render_template(
            "registration/staff_detail.html",
            conference=conference,
            registration=registration,
            form=form,
            action_form=ConfirmForm(),
            token=request.args.get("token"),
            position=services.waitlist_position(registration),
            format_phone=format_phone_local,
            **_labels(),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route(
    "/staff/conferences/<int:conference_id>/registrations/<int:registration_id>/<action>",
    methods=["POST"],
)
@staff_required("organizer")
def staff_action(conference_id: int, registration_id: int, action: str):
    conference = _managed_or_404(conference_id)
    registration = _staff_registration_or_404(conference, registration_id)
    if action not in ("cancel", "confirm") or not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        now = utcnow()
        if action == "cancel":
            promoted = services.cancel_registration(registration, now=now)
            messages.queue_cancellation(registration, now=now)
            message = _("Đã hủy đăng ký của %(name)s.", name=registration.cooperative.name)
        else:
            promoted = [services.confirm_by_hand(registration, now=now)]
            message = _("Đã xác nhận chỗ cho %(name)s.", name=registration.cooperative.name)
        queue_promotions(promoted, now=now)
        db.session.commit()
        sender.kick()
        flash(message, "success")
    except OutreachError as error:
        db.session.rollback()
        flash(error.message, "error")
    return redirect(
        url_for(
            "registration.staff_detail",
            conference_id=conference.id,
            registration_id=registration.id,
        )
    )


@bp.app_template_filter("local_datetime")
def _local_datetime(value, timezone=None):
    return format_datetime_short(value, timezone)
