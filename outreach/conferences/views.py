"""Public conference pages and calendar feeds; the organizers' pages under ``/staff``."""

from __future__ import annotations

from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException
from wtforms import SelectChoice

from outreach.accounts.guards import public
from outreach.accounts.guards import staff_required
from outreach.accounts.models import Division
from outreach.accounts.models import OrganizationKind
from outreach.accounts.models import Role
from outreach.conferences import ics
from outreach.conferences import places
from outreach.conferences import services
from outreach.conferences.forms import CHANGE_LABELS
from outreach.conferences.forms import STATUS_LABELS
from outreach.conferences.forms import THEME_LABELS
from outreach.conferences.forms import CancelForm
from outreach.conferences.forms import ConferenceForm
from outreach.conferences.forms import SessionForm
from outreach.conferences.models import AgendaSession
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import utcnow
from outreach.errors import OutreachError
from outreach.forms import apply_error
from outreach.mail import messages
from outreach.mail import sender
from outreach.registration import services as registration_services
from outreach.site.pagecache import FragmentCache

bp = Blueprint("conferences", __name__)

#: where the registration feature will answer; the button links there once it exists
REGISTER_PATH = "/conferences/{slug}/register"


@bp.app_context_processor
def _labels():
    return {
        "conference_status_labels": STATUS_LABELS,
        "conference_theme_labels": THEME_LABELS,
        "conference_change_labels": CHANGE_LABELS,
    }


def _uid_host() -> str:
    """The domain in calendar UIDs: configured (stable across host names) or this host."""
    return current_app.config.get("ICS_UID_HOST") or request.host.split(":")[0]


def _ics_response(body: bytes, filename: str) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- public pages ---------------------------------------------------------------------------


def _public_conference_or_404(slug: str, endpoint: str):
    """The public conference a slug names; an old slug redirects (301) to the current URL."""
    conference, is_current = services.find_conference_by_slug(slug)
    if conference is None or not conference.is_public:
        abort(404)
    if not is_current:
        return None, redirect(url_for(endpoint, slug=conference.slug), 301)
    return conference, None


def _register_url(conference: Conference) -> str | None:
    """The registration page's URL once the registration feature serves it, else None."""
    path = REGISTER_PATH.format(slug=conference.slug)
    try:
        current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    return path


@bp.route("/conferences/")
@public
def index():
    now = utcnow()
    upcoming, past = services.list_public_conferences(now=now)
    return render_template(
        "conferences/index.html",
        upcoming=services.conference_cards(upcoming, now=now),
        past=services.conference_cards(past, now=now),
    )


@bp.route("/conferences/<slug>")
@public
def detail(slug: str):
    if current_user.is_authenticated:  # staff see their own edits at once
        found, body = _detail_cached(slug)
    else:
        found, body = _public_cache().get_or_build(
            ("detail", slug, str(get_locale()), request.host), lambda: _detail_cached(slug)
        )
    conference_id, redirect_slug, title = found
    if conference_id is None:
        abort(404)
    if redirect_slug is not None:
        return redirect(url_for("conferences.detail", slug=redirect_slug), 301)
    can_manage = current_user.is_authenticated and services.can_manage_conference(
        current_user, db.session.get(Conference, conference_id)
    )
    return render_template("conferences/detail.html", body=body, title=title,
                           conference_id=conference_id, slug=slug, can_manage=can_manage)


def _public_cache():
    cache = current_app.extensions.get("outreach_public_pages")
    if cache is None:
        cache = FragmentCache(ttl=current_app.config["PUBLIC_PAGE_CACHE_SECONDS"])
        current_app.extensions["outreach_public_pages"] = cache
    return cache


def _detail_lookup(slug: str):
    """(conference id, slug to redirect to, title) for a public conference, or Nones."""
    conference, is_current = services.find_conference_by_slug(slug)
    if conference is None or not conference.is_public:
        return None, None, None
    return conference.id, (None if is_current else conference.slug), conference.title


def _detail_cached(slug: str):
    found = _detail_lookup(slug)
    if found[0] is None or found[1] is not None:
        return found, None
    return found, _render_detail_body(db.session.get(Conference, found[0]))


def _render_detail_body(conference: Conference) -> str:
    page_url = url_for("conferences.detail", slug=conference.slug, _external=True)
    feed_url = url_for("conferences.calendar_feed", _external=True)
    return render_template(
        "conferences/_detail_body.html",
        conference=conference,
        state=services.registration_state(conference, now=utcnow()),
        agenda=services.agenda_by_day(conference),
        register_url=_register_url(conference),
        google_url=ics.google_calendar_url(
            conference, details=f"{conference.summary}\n\n{page_url}"
        ),
        webcal_url="webcal://" + feed_url.split("://", 1)[1],
        conference_webcal_url="webcal://"
        + url_for("conferences.ics_file", slug=conference.slug, _external=True).split("://", 1)[1],
    )


@bp.route("/conferences/<slug>.ics")
@public
def ics_file(slug: str):
    conference, redirection = _public_conference_or_404(slug, "conferences.ics_file")
    if redirection is not None:
        return redirection
    body = ics.conference_to_ical(
        conference,
        host=_uid_host(),
        now=utcnow(),
        url=url_for("conferences.detail", slug=conference.slug, _external=True),
    )
    return _ics_response(body, f"{conference.slug}.ics")


@bp.route("/calendar.ics")
@public
def calendar_feed():
    body = ics.calendar_to_ical(
        services.list_calendar_conferences(),
        host=_uid_host(),
        now=utcnow(),
        name=_("Hội nghị KH&CN – HTX"),
        url_for_conference=lambda c: url_for("conferences.detail", slug=c.slug, _external=True),
    )
    return _ics_response(body, "calendar.ics")


# --- staff: conferences ---------------------------------------------------------------------


def _managed_or_404(conference_id: int) -> Conference:
    """The same 404 for "no such conference" and "not yours" (DESIGN.md §4.6)."""
    conference = db.session.get(Conference, conference_id)
    if conference is None or not services.can_manage_conference(current_user, conference):
        abort(404)
    return conference


def _fill_conference_choices(form: ConferenceForm, conference: Conference | None) -> None:
    organizations = services.list_organizations()
    form.host_id.choices = [SelectChoice(o.id, o.name) for o in organizations]
    form.cohost_ids.choices = [SelectChoice(o.id, o.name) for o in organizations]
    form.province_code.choices = [
        SelectChoice(int(p.code), p.name) for p in places.list_provinces()
    ]
    province_code = form.province_code.data
    if places.find_province(province_code) is None:
        province_code = conference.province_code if conference else places.DEFAULT_PROVINCE_CODE
    form.ward_code.choices = [SelectChoice(0, "—")] + [
        SelectChoice(int(w.code), w.name) for w in places.list_wards(province_code)
    ]


def _conference_input(form: ConferenceForm) -> services.ConferenceInput:
    organizations = {o.id: o for o in services.list_organizations()}
    return services.ConferenceInput(
        title=form.title.data or "",
        slug=form.slug.data or "",
        summary=form.summary.data or "",
        themes=form.themes.data or [],
        other_theme=form.other_theme.data or "",
        host=organizations.get(form.host_id.data),
        cohosts=[organizations[i] for i in form.cohost_ids.data or [] if i in organizations],
        venue_name=form.venue_name.data or "",
        venue_address=form.venue_address.data or "",
        province_code=form.province_code.data,
        ward_code=form.ward_code.data or None,
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        timezone=form.timezone.data or "",
        capacity=form.capacity.data,
        delegates_per_cooperative=form.delegates_per_cooperative.data,
        has_waitlist=form.has_waitlist.data,
        registration_opens_at=form.registration_opens_at.data,
        registration_closes_at=form.registration_closes_at.data,
    )


@bp.route("/staff/conferences/")
@staff_required(Role.ORGANIZER)
def staff_index():
    now = utcnow()
    conferences = services.list_managed_conferences(current_user)
    return render_template(
        "conferences/staff_index.html", cards=services.conference_cards(conferences, now=now)
    )


@bp.route("/staff/conferences/new", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER)
def create():
    form = ConferenceForm()
    if request.method == "GET":
        form.host_id.data = current_user.organization_id
        form.cohost_ids.data = [
            o.id
            for o in services.list_organizations()
            if o.kind == OrganizationKind.COOPERATIVE_ALLIANCE
            and o.id != current_user.organization_id
        ]
        form.province_code.data = places.DEFAULT_PROVINCE_CODE
    _fill_conference_choices(form, None)
    if form.validate_on_submit():
        try:
            conference = services.create_conference(
                _conference_input(form), actor=current_user, now=utcnow()
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã tạo hội nghị (bản nháp). Thêm chương trình rồi công bố."), "success")
            return redirect(url_for("conferences.manage", conference_id=conference.id))
    return render_template("conferences/edit.html", form=form, conference=None)


@bp.route("/staff/conferences/<int:conference_id>")
@staff_required()
def manage(conference_id: int):
    conference = _managed_or_404(conference_id)
    return render_template(
        "conferences/manage.html",
        conference=conference,
        state=services.registration_state(conference, now=utcnow()),
        agenda=services.agenda_by_day(conference),
    )


@bp.route("/staff/conferences/<int:conference_id>/edit", methods=["GET", "POST"])
@staff_required()
def edit(conference_id: int):
    conference = _managed_or_404(conference_id)
    form = ConferenceForm(obj=conference if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at"):
            value = getattr(conference, name)
            getattr(form, name).data = (
                services.to_local(value, conference.timezone) if value else None
            )
        form.cohost_ids.data = [o.id for o in conference.cohosts]
    _fill_conference_choices(form, conference)
    if form.validate_on_submit():
        try:
            changes = services.update_conference(
                conference, _conference_input(form), actor=current_user, now=utcnow()
            )
            # a larger capacity frees seats: the waiting list moves up at once
            now = utcnow()
            for promoted in registration_services.promote_from_waitlist(conference, now=now):
                messages.queue_promotion(promoted, domain=sender.mail_domain(), now=now)
            messages.notify_conference_changes(conference, changes, now=now)
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            sender.kick()
            flash(_("Đã lưu hội nghị."), "success")
            if changes:
                flash(
                    _(
                        "Thời gian hoặc địa điểm đã đổi: thay đổi được ghi lại và hiện trên "
                        "trang hội nghị."
                    ),
                    "info",
                )
            return redirect(url_for("conferences.manage", conference_id=conference.id))
    return render_template("conferences/edit.html", form=form, conference=conference)


_TRANSITIONS = {
    "publish": services.publish_conference,
    "close": services.close_registration,
    "reopen": services.reopen_registration,
    "finish": services.finish_conference,
}


def _transition_message(action: str) -> str:
    # Spelled out so that the message extractor sees each string.
    return {
        "publish": _("Đã công bố hội nghị."),
        "close": _("Đã đóng đăng ký."),
        "reopen": _("Đã mở lại đăng ký."),
        "finish": _("Đã đánh dấu hội nghị kết thúc."),
    }[action]


@bp.route(
    "/staff/conferences/<int:conference_id>/<any(publish, close, reopen, finish):action>",
    methods=["POST"],
)
@staff_required()
def transition(conference_id: int, action: str):
    conference = _managed_or_404(conference_id)
    try:
        _TRANSITIONS[action](conference, actor=current_user, now=utcnow())
    except OutreachError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_transition_message(action), "success")
    return redirect(url_for("conferences.manage", conference_id=conference_id))


@bp.route("/staff/conferences/<int:conference_id>/cancel", methods=["GET", "POST"])
@staff_required()
def cancel(conference_id: int):
    conference = _managed_or_404(conference_id)
    form = CancelForm()
    if form.validate_on_submit():
        try:
            now = utcnow()
            change = services.cancel_conference(
                conference, reason=form.reason.data, actor=current_user, now=now
            )
            messages.notify_conference_changes(conference, [change], now=now)
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            sender.kick()
            flash(_("Đã hủy hội nghị. Lý do được hiển thị trên trang công khai."), "success")
            return redirect(url_for("conferences.manage", conference_id=conference_id))
    return render_template("conferences/cancel.html", form=form, conference=conference)


@bp.route("/staff/conferences/<int:conference_id>/delete", methods=["POST"])
@staff_required()
def delete(conference_id: int):
    conference = _managed_or_404(conference_id)
    title = conference.title
    try:
        services.delete_conference(conference)
    except OutreachError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for("conferences.manage", conference_id=conference_id))
    db.session.commit()
    flash(_("Đã xóa hội nghị nháp “%(title)s”.", title=title), "success")
    return redirect(url_for("conferences.staff_index"))


# --- staff: agenda --------------------------------------------------------------------------


def _session_or_404(conference: Conference, session_id: int) -> AgendaSession:
    session = db.session.get(AgendaSession, session_id)
    if session is None or session.conference_id != conference.id:
        abort(404)
    return session


def _fill_session_choices(form: SessionForm) -> None:
    form.division_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(d.id, f"{d.name} ({d.code})") for d in services.list_divisions()
    ]


def _session_input(form: SessionForm) -> services.SessionInput:
    return services.SessionInput(
        title=form.title.data or "",
        starts_at=form.starts_at.data,
        ends_at=form.ends_at.data,
        division=db.session.get(Division, form.division_id.data or 0),
        speaker=form.speaker.data or "",
        room=form.room.data or "",
        description=form.description.data or "",
    )


@bp.route("/staff/conferences/<int:conference_id>/sessions/new", methods=["GET", "POST"])
@staff_required()
def session_create(conference_id: int):
    conference = _managed_or_404(conference_id)
    form = SessionForm()
    _fill_session_choices(form)
    if request.method == "GET":
        last_end = conference.sessions[-1].ends_at if conference.sessions else None
        start = last_end if last_end and last_end < conference.ends_at else conference.starts_at
        form.starts_at.data = services.to_local(start, conference.timezone)
        form.ends_at.data = services.to_local(conference.ends_at, conference.timezone)
    if form.validate_on_submit():
        try:
            services.add_session(conference, _session_input(form), actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã thêm phiên vào chương trình."), "success")
            return redirect(url_for("conferences.manage", conference_id=conference_id))
    return render_template(
        "conferences/session_edit.html", form=form, conference=conference, session=None
    )


@bp.route(
    "/staff/conferences/<int:conference_id>/sessions/<int:session_id>/edit",
    methods=["GET", "POST"],
)
@staff_required()
def session_edit(conference_id: int, session_id: int):
    conference = _managed_or_404(conference_id)
    session = _session_or_404(conference, session_id)
    form = SessionForm(obj=session if request.method == "GET" else None)
    _fill_session_choices(form)
    if request.method == "GET":
        form.starts_at.data = services.to_local(session.starts_at, conference.timezone)
        form.ends_at.data = services.to_local(session.ends_at, conference.timezone)
    if form.validate_on_submit():
        try:
            services.update_session(session, _session_input(form), actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu phiên."), "success")
            return redirect(url_for("conferences.manage", conference_id=conference_id))
    return render_template(
        "conferences/session_edit.html", form=form, conference=conference, session=session
    )


@bp.route(
    "/staff/conferences/<int:conference_id>/sessions/<int:session_id>/delete", methods=["POST"]
)
@staff_required()
def session_delete(conference_id: int, session_id: int):
    conference = _managed_or_404(conference_id)
    session = _session_or_404(conference, session_id)
    try:
        services.delete_session(session, actor=current_user, now=utcnow())
    except OutreachError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Đã xóa phiên khỏi chương trình."), "success")
    return redirect(url_for("conferences.manage", conference_id=conference_id))


@bp.route("/staff/my-sessions")
@staff_required(Role.DIVISION_STAFF)
def my_sessions():
    return render_template(
        "conferences/my_sessions.html", sessions=services.list_my_sessions(current_user)
    )
