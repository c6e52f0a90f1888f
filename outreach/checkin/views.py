"""The check-in desk: the organizer's page, the desk page, door links and the JSON API.

Door access (``view.access = "door"``, see :func:`desk_access`)
--------------------------------------------------------------
The desk API and the ``/door/<token>`` page accept either

- a **door link**: ``Authorization: Bearer <token>`` (the API) or the token in the URL (the
  page). A revoked or expired link answers 401; a valid link of another conference 404. The link
  grants check-in for its conference and door and nothing else. These requests carry no cookie
  credential, so they are exempt from CSRF; or
- a **staff session** of an organizer who manages the conference, an admin, or a door_staff user
  (:func:`outreach.checkin.services.can_open_desk`). Unsafe methods then need the
  ``X-CSRFToken`` header (checked here, since the views are exempt from the global check). A
  missing session answers 401 (JSON, not a redirect); a conference the user may not open, 404.

Neither way ever shows a phone number or an e-mail address.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_from_directory
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.accounts.guards import public
from outreach.accounts.guards import staff_required
from outreach.audit import services as audit
from outreach.checkin import qr
from outreach.checkin import services
from outreach.checkin.forms import DoorLinkForm
from outreach.checkin.forms import PaperForm
from outreach.checkin.forms import RevokeForm
from outreach.checkin.models import DoorLink
from outreach.checkin.models import Method
from outreach.checkin.models import Result
from outreach.conferences import services as conference_services
from outreach.conferences.models import Conference
from outreach.database import commit_current
from outreach.database import db
from outreach.database import driver_transaction
from outreach.database import rollback_current
from outreach.database import utcnow
from outreach.extensions import csrf

bp = Blueprint("checkin", __name__)

_NEW_LINK_KEY = "checkin_new_door_link"


@dataclasses.dataclass(frozen=True)
class DeskAccess:
    #: the ORM object (staff sessions) or a ConferenceInfo (door links): the API reads the same
    #: fields of either
    conference: Conference | services.ConferenceInfo
    door: services.Door
    link: services.DoorLinkInfo | None = None


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _json_error(status: int, error: str):
    return _no_store(jsonify({"error": error})), status


def _staff_door(conference: Conference, station: str = "") -> services.Door:
    return services.Door(
        station=services.clean_station(station),
        user_id=current_user.id,
        can_override=conference_services.can_manage_conference(current_user, conference),
    )


def _desk_guard(view: Callable, *, own_transaction: bool) -> Callable:
    @functools.wraps(view)
    def wrapped(conference_id: int, **kwargs):
        authorization = request.headers.get("Authorization", "")
        if authorization and own_transaction:
            with driver_transaction():
                return _door_link_call(view, authorization, conference_id, kwargs)
        if authorization:
            return _door_link_call(view, authorization, conference_id, kwargs)
        if not current_user.is_authenticated:
            return _json_error(401, "login_required")
        conference = db.session.get(Conference, conference_id)
        if conference is None or not services.can_open_desk(current_user, conference):
            return _json_error(404, "not_found")
        if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get(
            "WTF_CSRF_ENABLED", True
        ):
            csrf.protect()
        g.desk = DeskAccess(conference, _staff_door(conference))
        return view(g.desk.conference, **kwargs)

    wrapped.access = "door"
    csrf.exempt(wrapped)
    return wrapped


def _door_link_call(view: Callable, authorization: str, conference_id: int, kwargs: dict):
    scheme, _sep, token = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return _json_error(401, "door_link_invalid")
    found = services.door_access(token.strip())
    if found is None or not found[0].is_valid(utcnow()):
        return _json_error(401, "door_link_invalid")
    link, conference = found
    if link.conference_id != conference_id:
        return _json_error(404, "not_found")
    door = services.Door(station=link.station, door_link_id=link.id)
    g.desk = DeskAccess(conference, door, link)
    return view(g.desk.conference, **kwargs)


def desk_access(view: Callable) -> Callable:
    """Guard for the desk API: a door link (Bearer token) or a staff session with CSRF.

    Sets ``g.desk`` (a :class:`DeskAccess`) and calls the view with the conference instead of
    its id. Marks the view ``access = "door"`` for ``tests/test_guards.py``.
    """
    return _desk_guard(view, own_transaction=False)


def desk_scan_access(view: Callable) -> Callable:
    """:func:`desk_access` for the scan: a door link's request runs in one
    ``driver_transaction()`` (no ORM session), so the view may only use driver statements
    on that path; a staff session's request uses the session as usual."""
    return _desk_guard(view, own_transaction=True)


def _door_page(view: Callable) -> Callable:
    """Guard for ``/door/<token>``: the token in the URL is the credential (see module doc)."""

    @functools.wraps(view)
    def wrapped(token: str):
        link = services.find_door_link(token)
        if link is None or not link.is_valid(utcnow()):
            response = render_template(
                "errors/error.html",
                status=401,
                title=_("Đường dẫn điểm danh không còn hiệu lực"),
                message=_(
                    "Đường dẫn này đã bị thu hồi hoặc hội nghị đã kết thúc. "
                    "Hãy xin ban tổ chức một đường dẫn mới."
                ),
            )
            return _no_store(current_app.make_response((response, 401)))
        return view(link, token)

    wrapped.access = "door"
    return wrapped


# --- pages -------------------------------------------------------------------------------------


def _desk_page(conference: Conference, *, token: str | None, station: str, can_override: bool):
    response = current_app.make_response(
        render_template(
            "checkin/desk.html",
            conference=conference,
            token=token,
            station=station,
            can_override=can_override,
            is_door_link=token is not None,
            results=[r.value for r in Result],
            opens_at=conference.starts_at
            - dt.timedelta(minutes=current_app.config["CHECKIN_OPENS_BEFORE_MINUTES"]),
        )
    )
    response.headers["Referrer-Policy"] = "no-referrer"
    return _no_store(response)


@bp.route("/staff/conferences/<int:conference_id>/desk")
@staff_required("organizer", "door_staff")
def desk(conference_id: int):
    conference = db.session.get(Conference, conference_id)
    if conference is None or not services.can_open_desk(current_user, conference):
        abort(404)
    return _desk_page(
        conference,
        token=None,
        station="",
        can_override=conference_services.can_manage_conference(current_user, conference),
    )


@bp.route("/door/<token>")
@_door_page
def door(link: DoorLink, token: str):
    conference = db.session.get(Conference, link.conference_id)
    return _desk_page(conference, token=token, station=link.station, can_override=False)


def _managed_or_404(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not conference_services.can_manage_conference(
        current_user, conference
    ):
        abort(404)
    return conference


@bp.route("/staff/conferences/<int:conference_id>/checkin")
@staff_required("organizer")
def organizer(conference_id: int):
    conference = _managed_or_404(conference_id)
    filters = services.LogFilters(
        result=request.args.get("result", ""),
        station=request.args.get("station", "")[:100],
        method=request.args.get("method", ""),
    )
    new_link = session.pop(_NEW_LINK_KEY, None)
    new_link_url = new_link_svg = None
    if new_link and new_link.get("conference_id") == conference.id:
        new_link_url = url_for("checkin.door", token=new_link["token"], _external=True)
        new_link_svg = qr.make_qr_svg(new_link_url, label=new_link["station"])
    now = utcnow()
    response = current_app.make_response(
        render_template(
            "checkin/organizer.html",
            conference=conference,
            stats=services.stats(conference),
            links=services.list_door_links(conference),
            log=services.list_log(conference, filters),
            summary=services.log_summary(conference),
            filters=filters,
            form=DoorLinkForm(),
            revoke_form=RevokeForm(),
            new_link=new_link,
            new_link_url=new_link_url,
            new_link_svg=new_link_svg,
            now=now,
            results=[r.value for r in Result],
            methods=[m.value for m in Method],
        )
    )
    return _no_store(response)


@bp.route("/staff/conferences/<int:conference_id>/checkin/links", methods=["POST"])
@staff_required("organizer")
def create_link(conference_id: int):
    conference = _managed_or_404(conference_id)
    form = DoorLinkForm()
    if form.validate_on_submit():
        try:
            link, token = services.create_door_link(
                conference, form.station.data, created_by=current_user, now=utcnow()
            )
        except services.InvalidScan:
            db.session.rollback()
            flash(_("Vui lòng nhập tên cửa."), "error")
        else:
            db.session.commit()
            # shown once, on the next page: only the token's hash is kept
            session[_NEW_LINK_KEY] = {
                "conference_id": conference.id,
                "token": token,
                "station": link.station,
            }
            flash(_("Đã tạo đường dẫn cho %(station)s.", station=link.station), "success")
    else:
        flash(_("Vui lòng nhập tên cửa (tối đa 60 ký tự)."), "error")
    return redirect(url_for("checkin.organizer", conference_id=conference.id) + "#door-links")


@bp.route(
    "/staff/conferences/<int:conference_id>/checkin/links/<int:link_id>/revoke", methods=["POST"]
)
@staff_required("organizer")
def revoke_link(conference_id: int, link_id: int):
    conference = _managed_or_404(conference_id)
    link = db.session.get(DoorLink, link_id)
    if link is None or link.conference_id != conference.id:
        abort(404)
    if RevokeForm().validate_on_submit():
        services.revoke_door_link(link, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Đã thu hồi đường dẫn của %(station)s.", station=link.station), "success")
    return redirect(url_for("checkin.organizer", conference_id=conference.id) + "#door-links")


# --- the API -----------------------------------------------------------------------------------


def _parse_time(value) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _read_scan() -> tuple[services.ScanRequest | None, str]:
    """The scan in the JSON body, or None and what was wrong with it."""
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        return None, "invalid_json"
    code = data.get("code")
    delegate_id = data.get("delegate_id")
    nonce = data.get("nonce")
    station = data.get("station")
    if code is not None and not isinstance(code, str):
        return None, "invalid_code"
    if delegate_id is not None and (
        isinstance(delegate_id, bool) or not isinstance(delegate_id, int)
    ):
        return None, "invalid_delegate_id"
    if (code is None) == (delegate_id is None):
        return None, "code_or_delegate_id"
    if not isinstance(nonce, str) or not services.NONCE_PATTERN.match(nonce):
        return None, "invalid_nonce"
    if station is not None and not isinstance(station, str):
        return None, "invalid_station"
    g.scan_station = station or ""
    return (
        services.ScanRequest(
            nonce=nonce,
            code=code,
            delegate_id=delegate_id,
            scanned_at=_parse_time(data.get("scanned_at")),
            override=data.get("override") is True,
        ),
        "",
    )


@bp.route("/api/checkin/<int:conference_id>/scans", methods=["POST"])
@desk_scan_access
def api_scan(conference: Conference):
    scan, error = _read_scan()
    if scan is None:
        return _json_error(400, error)
    door = g.desk.door
    if g.desk.link is None:
        door = dataclasses.replace(door, station=services.clean_station(g.scan_station))
    config = current_app.config
    timezone = conference.timezone  # read now: the commit below expires the object
    try:
        answer = services.scan(
            conference,
            scan,
            door=door,
            now=utcnow(),
            opens_before_minutes=config["CHECKIN_OPENS_BEFORE_MINUTES"],
            unknown_per_minute=config["CHECKIN_UNKNOWN_PER_MINUTE"],
        )
    except services.NotFound:
        rollback_current()
        return _json_error(409, "nonce_used_elsewhere")
    commit_current()
    status = 429 if answer.result == Result.THROTTLED else 200
    return _no_store(jsonify(answer.to_json(timezone))), status


@bp.route("/api/checkin/<int:conference_id>/scans/<nonce>/undo", methods=["POST"])
@desk_access
def api_undo(conference: Conference, nonce: str):
    try:
        answer = services.undo(conference, nonce, door=g.desk.door, now=utcnow())
    except services.NotFound:
        db.session.rollback()
        return _json_error(404, "not_found")
    except services.NotUndoable:
        db.session.rollback()
        return _json_error(409, "not_undoable")
    db.session.commit()
    body = answer.to_json(conference.timezone)
    body["result"] = "undone"
    return _no_store(jsonify(body))


@bp.route("/api/checkin/<int:conference_id>/stats")
@desk_access
def api_stats(conference: Conference):
    return _no_store(jsonify(services.stats(conference)))


@bp.route("/api/checkin/<int:conference_id>/search")
@desk_access
def api_search(conference: Conference):
    groups = services.search(conference, request.args.get("q", ""))
    return _no_store(jsonify({"groups": groups}))


@bp.route("/api/checkin/<int:conference_id>/roster")
@desk_access
def api_roster(conference: Conference):
    """The roster for an offline desk; ``?since=<cursor>`` for the rows changed after it."""
    since = None
    if request.args.get("since"):
        since = _parse_time(request.args["since"])
        if since is None:
            return _json_error(400, "invalid_since")
    opens_before = current_app.config["CHECKIN_OPENS_BEFORE_MINUTES"]
    body = services.roster(conference, since=since, now=utcnow())
    body["conference"] = {
        "id": conference.id,
        "status": conference.status,
        "opens_at": (conference.starts_at - dt.timedelta(minutes=opens_before)).isoformat(),
        "ends_at": conference.ends_at.isoformat(),
        "timezone": conference.timezone,
    }
    return _no_store(jsonify(body))


def _read_batch() -> tuple[list[services.OfflineScan] | None, str]:
    data = request.get_json(force=True, silent=True)
    items = data.get("scans") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return None, "invalid_json"
    if len(items) > services.SYNC_BATCH_LIMIT:
        return None, "too_many_scans"
    scans = []
    for item in items:
        if not isinstance(item, dict):
            return None, "invalid_scan"
        code, delegate_id = item.get("code"), item.get("delegate_id")
        nonce, station = item.get("nonce"), item.get("station")
        scanned_at = _parse_time(item.get("scanned_at"))
        if (
            (code is not None and not isinstance(code, str))
            or (
                delegate_id is not None
                and (isinstance(delegate_id, bool) or not isinstance(delegate_id, int))
            )
            or not isinstance(nonce, str)
            or (station is not None and not isinstance(station, str))
            or scanned_at is None
        ):
            return None, "invalid_scan"
        local_result = item.get("local_result")
        scans.append(
            services.OfflineScan(
                nonce=nonce,
                scanned_at=scanned_at,
                code=code,
                delegate_id=delegate_id,
                station=station or "",
                local_result=local_result if isinstance(local_result, str) else "",
                override=item.get("override") is True,
            )
        )
    return scans, ""


@bp.route("/api/checkin/<int:conference_id>/scans:batch", methods=["POST"])
@desk_access
def api_scan_batch(conference: Conference):
    """Offline scans uploaded later: ``{"scans": [{nonce, code | delegate_id, scanned_at,
    station, local_result}]}`` → ``{"results": [...]}`` in the same order."""
    scans, error = _read_batch()
    if scans is None:
        return _json_error(400, error)
    timezone = conference.timezone  # read now: the commit below expires the object
    results = services.sync_scans(
        conference,
        scans,
        door=g.desk.door,
        now=utcnow(),
        opens_before_minutes=current_app.config["CHECKIN_OPENS_BEFORE_MINUTES"],
    )
    db.session.commit()
    return _no_store(jsonify({"results": [result.to_json(timezone) for result in results]}))


# --- paper: sign-in sheet, badges, attendance from the signed sheet, walk-ins (issue 7) ---------


def _pdf_response(document: bytes, filename: str):
    response = current_app.make_response(document)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return _no_store(response)


def _order_arg() -> str:
    order = request.args.get("order", services.ORDER_NAME)
    return order if order in services.SHEET_ORDERS else services.ORDER_NAME


def _ids(values: list[str]) -> list[int]:
    """Delegate ids from ``?ids=1,2,3``, repeated ``ids`` fields, or both; junk is dropped."""
    found = []
    for value in values:
        for part in value.split(","):
            part = part.strip()
            if part.isascii() and part.isdigit() and len(part) < 12:
                found.append(int(part))
    return found[:5000]


def _desk_or_404(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not services.can_open_desk(current_user, conference):
        abort(404)
    return conference


@bp.route("/staff/conferences/<int:conference_id>/sign-in-sheet.pdf")
@staff_required("organizer")
def sign_in_sheet(conference_id: int):
    # organizers only: the sheet lists everyone's name, position and cooperative; the door
    # has the desk, and prints the blank sheet below for people not on the list
    conference = _managed_or_404(conference_id)
    order = _order_arg()
    document, count = services.sign_in_sheet(conference, order=order)
    audit.record(
        "checkin.sign_in_sheet",
        actor=current_user,
        object_type="conference",
        object_id=conference.id,
        row_count=count,
        detail={"order": order},
        now=utcnow(),
    )
    db.session.commit()
    return _pdf_response(document, f"danh-sach-ky-nhan-{conference_id}.pdf")


@bp.route("/staff/conferences/<int:conference_id>/sign-in-sheet-blank.pdf")
@staff_required("organizer", "door_staff")
def sign_in_sheet_blank(conference_id: int):
    # no personal data on it: door staff may print it at the door too
    conference = _desk_or_404(conference_id)
    rows = request.args.get("rows", "")
    count = int(rows) if rows.isascii() and rows.isdigit() and len(rows) < 5 else None
    document = services.blank_sheet(conference, rows=count or services.BLANK_ROWS_DEFAULT)
    return _pdf_response(document, f"danh-sach-ky-nhan-bo-sung-{conference_id}.pdf")


@bp.route("/staff/conferences/<int:conference_id>/checkin/paper")
@staff_required("organizer")
def paper_page(conference_id: int):
    conference = _managed_or_404(conference_id)
    order = _order_arg()
    people = services.paper_rows(conference, order=order)
    return _no_store(
        current_app.make_response(
            render_template(
                "checkin/paper.html",
                conference=conference,
                people=people,
                order=order,
                checked_in=sum(1 for p in people if p.checked_in_at),
                form=PaperForm(),
                blank_rows=services.BLANK_ROWS_DEFAULT,
            )
        )
    )


@bp.route("/staff/conferences/<int:conference_id>/checkin/paper", methods=["POST"])
@staff_required("organizer")
def paper_record(conference_id: int):
    conference = _managed_or_404(conference_id)
    order = _order_arg()
    back = url_for("checkin.paper_page", conference_id=conference.id, order=order)
    if not PaperForm().validate_on_submit():
        flash(_("Phiên làm việc đã hết hạn. Vui lòng thử lại."), "error")
        return redirect(back)
    ids = _ids(request.form.getlist("ids"))
    if not ids:
        flash(_("Chưa chọn ai."), "error")
        return redirect(back)
    now = utcnow()
    result = services.record_paper_attendance(conference, ids, actor=current_user, now=now)
    audit.record(
        "checkin.paper",
        actor=current_user,
        object_type="conference",
        object_id=conference.id,
        row_count=result.admitted,
        detail={"already": result.already, "ignored": result.ignored},
        now=now,
    )
    db.session.commit()
    flash(
        _(
            "Đã ghi nhận có mặt %(n)d người; %(already)d người đã điểm danh từ trước.",
            n=result.admitted,
            already=result.already,
        ),
        "success",
    )
    return redirect(back)


@bp.route("/staff/conferences/<int:conference_id>/badges.pdf", methods=["GET", "POST"])
@staff_required("organizer")
def badges(conference_id: int):
    """All confirmed delegates' badges, or a selection: ``?ids=1,2`` or the paper page's
    ticked ``ids`` (POST, with its CSRF token)."""
    conference = _managed_or_404(conference_id)
    if request.method == "POST":
        if not PaperForm().validate_on_submit():
            abort(400)
        ids = _ids(request.form.getlist("ids"))
        if not ids:
            flash(_("Chưa chọn ai."), "error")
            return redirect(url_for("checkin.paper_page", conference_id=conference.id))
    else:
        ids = _ids(request.args.getlist("ids")) if "ids" in request.args else None
    document, count = services.badges(conference, ids=ids)
    if document is None:
        abort(404)
    audit.record(
        "checkin.badges",
        actor=current_user,
        object_type="conference",
        object_id=conference.id,
        row_count=count,
        detail={"selection": ids is not None},
        now=utcnow(),
    )
    db.session.commit()
    return _pdf_response(document, f"the-deo-{conference_id}.pdf")


def _one_badge(conference_id: int, delegate_id: int, *, actor, actor_kind: str, detail: dict):
    found = services.badge_for(conference_id, delegate_id)
    if found is None:
        abort(404)
    audit.record(
        "checkin.badge",
        actor=actor,
        actor_kind=actor_kind,
        object_type="delegate",
        object_id=delegate_id,
        row_count=1,
        detail=detail,
        now=utcnow(),
    )
    db.session.commit()
    return _pdf_response(found[0], f"the-deo-{delegate_id}.pdf")


@bp.route("/staff/conferences/<int:conference_id>/badges/<int:delegate_id>.pdf")
@staff_required("organizer", "door_staff")
def badge(conference_id: int, delegate_id: int):
    # a badge shows name, position, cooperative and the ticket's QR, all of which the desk
    # shows anyway: anyone who may open this conference's desk may print one
    _desk_or_404(conference_id)
    return _one_badge(conference_id, delegate_id, actor=current_user, actor_kind="user", detail={})


def _door_link_arg(view: Callable) -> Callable:
    """Guard for door pages below ``/door/<token>/``: a valid link, for its own conference only
    (the conference is the link's; ids of other conferences' delegates answer 404)."""

    @functools.wraps(view)
    def wrapped(token: str, **kwargs):
        link = services.find_door_link(token)
        if link is None or not link.is_valid(utcnow()):
            abort(401)
        return view(link, **kwargs)

    wrapped.access = "door"
    return wrapped


@bp.route("/door/<token>/badges/<int:delegate_id>.pdf")
@_door_link_arg
def door_badge(link: DoorLink, delegate_id: int):
    # a door link sees names and cooperatives already; a badge adds the position and the QR
    # of the ticket (no phone, no e-mail), so the door may print one for its own conference
    return _one_badge(
        link.conference_id,
        delegate_id,
        actor=None,
        actor_kind="door_link",
        detail={"door_link_id": link.id},
    )


def _read_walkin() -> tuple[services.WalkInRequest | None, str]:
    data = request.get_json(force=True, silent=True)
    if not isinstance(data, dict):
        return None, "invalid_json"
    nonce = data.get("nonce")
    if not isinstance(nonce, str) or not services.NONCE_PATTERN.match(nonce):
        return None, "invalid_nonce"
    fields = {}
    for name in ("full_name", "position", "cooperative_name", "phone", "tax_code"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            return None, f"invalid_{name}"
        if value is not None and len(value) > 500:
            return None, f"invalid_{name}"
        fields[name] = value or ""
    return (
        services.WalkInRequest(
            nonce=nonce, scanned_at=_parse_time(data.get("scanned_at")), **fields
        ),
        "",
    )


@bp.route("/api/checkin/<int:conference_id>/walkins", methods=["POST"])
@desk_access
def api_walkin(conference: Conference):
    """Add a person at the door and admit them; idempotent by nonce (see services.add_walkin).

    200 with ``result`` ok / full / phone_taken / already_registered / not_open; 400 with
    ``errors`` per field for bad input; 409 for a nonce used for something else.
    """
    walkin, error = _read_walkin()
    if walkin is None:
        return _json_error(400, error)
    door = g.desk.door
    if g.desk.link is None:
        data = request.get_json(force=True, silent=True) or {}
        station = data.get("station") if isinstance(data.get("station"), str) else ""
        door = dataclasses.replace(door, station=services.clean_station(station))
    # a door link's request carries a ConferenceInfo; a walk-in needs the whole conference
    conference = db.session.get(Conference, conference.id)
    timezone = conference.timezone
    try:
        answer = services.add_walkin(
            conference,
            walkin,
            door=door,
            now=utcnow(),
            opens_before_minutes=current_app.config["CHECKIN_OPENS_BEFORE_MINUTES"],
        )
    except services.WalkInInvalid as exc:
        db.session.rollback()
        body = {"error": "invalid", "errors": exc.errors}
        return _no_store(jsonify(body)), 400
    except services.NotFound:
        db.session.rollback()
        return _json_error(409, "nonce_used_elsewhere")
    db.session.commit()
    return _no_store(jsonify(answer.to_json(timezone)))


@bp.route("/desk-sw.js")
@public
def service_worker():
    """The desk's service worker, from the site root so it may control /door/ and the staff
    desk pages (a worker's scope cannot reach above the folder it is served from)."""
    response = send_from_directory(current_app.static_folder, "desk-sw.js")
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


# --- for other pages ------------------------------------------------------------------------


@bp.app_template_global("desk_conferences")
def desk_conferences_for_template(user) -> list[Conference]:
    """The conferences whose desk ``user`` may open (staff home tile)."""
    return services.desk_conferences(user, now=utcnow())


# The benchmark's floor: the same app and server, no database, no work. Registered only when
# the app is created with BENCH_FLOOR (bench/checkin.py does), never in a normal app.
def register_bench_floor(app) -> None:
    @public
    def bench_floor():
        return jsonify({"result": "ok"})

    app.add_url_rule("/bench/floor", "bench_floor", bench_floor, methods=["GET", "POST"])
    csrf.exempt(bench_floor)
