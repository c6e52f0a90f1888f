"""Briefing uploads and their staff pages, safe downloads, document packs, procedure guides."""

from __future__ import annotations

import datetime as dt
import tempfile
from urllib.parse import quote
from zoneinfo import ZoneInfo

import click
from flask import Blueprint
from flask import Response
from flask import abort
from flask import current_app
from flask import flash
from flask import g
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import send_file
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from outreach.accounts.guards import public
from outreach.accounts.guards import staff_required
from outreach.accounts.models import Role
from outreach.conferences import services as conference_services
from outreach.conferences.models import AgendaSession
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.database import utcnow
from outreach.documents import pack
from outreach.documents import services
from outreach.documents.forms import STATE_LABELS
from outreach.documents.forms import THEME_LABELS
from outreach.documents.forms import VISIBILITY_LABELS
from outreach.documents.forms import DeadlineForm
from outreach.documents.forms import DocumentForm
from outreach.documents.forms import GuideForm
from outreach.documents.forms import ReplaceForm
from outreach.documents.forms import UploadForm
from outreach.documents.models import Document
from outreach.documents.models import DocumentVersion
from outreach.documents.models import ProcedureGuide
from outreach.documents.models import Visibility
from outreach.errors import OutreachError
from outreach.forms import apply_error
from outreach.registration import services as registration_services
from outreach.registration import vn

bp = Blueprint("documents", __name__, cli_group=None)


# --- helpers --------------------------------------------------------------------------------


def _store() -> services.Storage:
    return services.Storage(
        folder=current_app.config["UPLOAD_FOLDER"],
        max_bytes=current_app.config["UPLOAD_MAX_BYTES"],
    )


def _disposition(kind: str, name: str, extension: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''<RFC 5987>`` (RFC 6266)."""
    fallback = services.storage.ascii_name(name, extension, fold=vn.fold)
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def _harden(response: Response, *, name: str, extension: str, inline: bool = False) -> Response:
    response.headers["Content-Disposition"] = _disposition(
        "inline" if inline else "attachment", name, extension
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; sandbox" if inline else "default-src 'none'"
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _send_version(version: DocumentVersion, *, inline: bool = False) -> Response:
    try:
        path = services.file_path(version, current_app.config["UPLOAD_FOLDER"])
    except ValueError:
        abort(404)
    if not path.is_file():
        abort(404)
    response = send_file(path, mimetype=version.media_type, conditional=True, etag=version.sha256)
    return _harden(response, name=version.original_name, extension=version.extension, inline=inline)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _uploads(field_name: str) -> list[services.Upload]:
    return [
        services.Upload(filename=f.filename or "", stream=f.stream)
        for f in request.files.getlist(field_name)
        if f is not None and f.filename
    ]


def _error_status(error: OutreachError) -> int:
    if isinstance(error, services.FileTooLarge):
        return 413
    if isinstance(error, services.StorageFull):
        return 507
    return 400


def _labels() -> dict:
    return {
        "visibility_labels": VISIBILITY_LABELS,
        "document_state_labels": STATE_LABELS,
        "guide_theme_labels": THEME_LABELS,
    }


# --- template helpers for the partials other pages include --------------------------------


def _released(conference: Conference, level: str) -> dict:
    """{session id or None: [Document]} of what ``level`` may see, computed once a request."""
    cache = g.setdefault("released_documents", {})
    key = (conference.id, level)
    if key not in cache:
        grouped: dict = {}
        if conference.is_public:
            for document in services.released_documents(conference, level=level):
                grouped.setdefault(document.session_id, []).append(document)
        cache[key] = grouped
    return cache[key]


def _conference_guides(conference: Conference) -> list[ProcedureGuide]:
    return services.list_guides(themes=list(conference.themes or []))


@bp.app_context_processor
def _document_helpers():
    return {
        "released_documents": _released,
        "conference_guides": _conference_guides,
        **_labels(),
    }


# --- public downloads -----------------------------------------------------------------------


def _public_conference(slug: str) -> Conference:
    conference, _current = conference_services.find_conference_by_slug(slug)
    if conference is None or not conference.is_public:
        abort(404)
    return conference


@bp.route("/conferences/<slug>/documents/<int:document_id>")
@public
def public_download(slug: str, document_id: int):
    conference = _public_conference(slug)
    document = services.find_released(conference, document_id, level=Visibility.PUBLIC)
    if document is None:
        abort(404)
    return _send_version(document.current)


@bp.route("/conferences/<slug>/documents/<int:document_id>/view")
@public
def public_view(slug: str, document_id: int):
    """A PDF shown in the browser, sandboxed: no script in it can run with our origin."""
    conference = _public_conference(slug)
    document = services.find_released(conference, document_id, level=Visibility.PUBLIC)
    if document is None or document.current.extension != "pdf":
        abort(404)
    return _send_version(document.current, inline=True)


def _pack_name(conference: Conference, extension: str) -> str:
    return f"Tài liệu hội nghị - {conference.title}.{extension}"[:180]


def _zip_response(conference: Conference, documents: list[Document]) -> Response:
    entries = services.pack_entries(
        documents,
        folder=current_app.config["UPLOAD_FOLDER"],
        general_section=_("Tài liệu chung"),
    )
    response = Response(pack.stream_zip(entries), mimetype="application/zip")
    return _harden(response, name=_pack_name(conference, "zip"), extension="zip")


def _pdf_response(conference: Conference, documents: list[Document]) -> Response:
    entries = services.pack_entries(
        documents,
        folder=current_app.config["UPLOAD_FOLDER"],
        general_section=_("Tài liệu chung"),
    )
    zone = conference.timezone
    starts = conference_services.to_local(conference.starts_at, zone)
    ends = conference_services.to_local(conference.ends_at, zone)
    hosts = ", ".join([conference.host.name, *(o.name for o in conference.cohosts)])
    cover = pack.CoverInfo(
        heading=_("Tập tài liệu hội nghị"),
        title=conference.title,
        when=f"{starts:%H:%M}–{ends:%H:%M} {starts:%d/%m/%Y}",
        venue=conference.full_address,
        hosts=_("Đơn vị tổ chức: %(hosts)s", hosts=hosts),
        contents_heading=_("Mục lục"),
        other_files_note=_(
            "Các tài liệu không phải PDF có trong gói tài liệu (.zip) và tải riêng trên trang "
            "hội nghị."
        ),
        page_label=_("trang %(page)s").replace("%(page)s", "{page}"),
    )
    handle = tempfile.TemporaryFile()  # noqa: SIM115  (the response closes it once sent)
    pack.write_combined_pdf(
        entries,
        cover,
        handle,
        other_label=lambda entry: _("tệp %(ext)s riêng", ext=entry.extension.upper()),
    )
    handle.seek(0)
    response = send_file(handle, mimetype="application/pdf")
    return _harden(response, name=_pack_name(conference, "pdf"), extension="pdf")


def _pack(conference: Conference, level: str, fmt: str) -> Response:
    documents = services.released_documents(conference, level=level)
    if fmt == "zip":
        return _zip_response(conference, documents)
    if fmt == "pdf":
        return _pdf_response(conference, documents)
    abort(404)


@bp.route("/conferences/<slug>/documents.<fmt>")
@public
def public_pack(slug: str, fmt: str):
    return _pack(_public_conference(slug), Visibility.PUBLIC, fmt)


# --- registrants (through the self-service link) --------------------------------------------


def _registrant_conference(token: str) -> Conference:
    registration = registration_services.find_by_token(token)
    if registration is None or not registration.is_active:
        abort(404)
    return registration.conference


@bp.route("/r/<token>/documents/<int:document_id>")
@public
def registrant_download(token: str, document_id: int):
    conference = _registrant_conference(token)
    document = services.find_released(conference, document_id, level=Visibility.REGISTRANTS)
    if document is None:
        abort(404)
    return _send_version(document.current)


@bp.route("/r/<token>/documents.<fmt>")
@public
def registrant_pack(token: str, fmt: str):
    return _pack(_registrant_conference(token), Visibility.REGISTRANTS, fmt)


# --- staff: uploads and documents ----------------------------------------------------------


def _session_or_404(session_id: int) -> AgendaSession:
    session = db.session.get(AgendaSession, session_id)
    if session is None or not services.can_upload_to_session(current_user, session):
        abort(404)
    return session


def _document_or_404(document_id: int) -> Document:
    document = db.session.get(Document, document_id)
    if document is None or not services.can_manage_document(current_user, document):
        abort(404)
    return document


def _managed_or_404(conference_id: int) -> Conference:
    conference = db.session.get(Conference, conference_id)
    if conference is None or not conference_services.can_manage_conference(
        current_user, conference
    ):
        abort(404)
    return conference


def _handle_upload(form: UploadForm, *, back: str, **owner):
    """Upload the form's files; answer JSON to the script, redirect or re-render otherwise."""
    try:
        created = services.upload_documents(
            _uploads("files"),
            title=form.title.data or "",
            visibility=form.visibility.data,
            state=form.state.data,
            actor=current_user,
            now=utcnow(),
            store=_store(),
            **owner,
        )
    except OutreachError as error:
        db.session.rollback()
        if _wants_json():
            return jsonify({"ok": False, "message": error.message}), _error_status(error)
        apply_error(form, error)
        return None, _error_status(error)
    db.session.commit()
    message = _("Đã tải lên %(n)d tài liệu.", n=len(created))
    if _wants_json():
        return jsonify({"ok": True, "message": message, "redirect": back}), 200
    flash(message, "success")
    return redirect(back), 302


@bp.route("/staff/sessions/<int:session_id>/documents", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def session_documents(session_id: int):
    session = _session_or_404(session_id)
    form = UploadForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            back = url_for("documents.session_documents", session_id=session.id)
            result, status = _handle_upload(form, back=back, session=session)
            if result is not None:
                return result, status
        else:
            status = 400
            if _wants_json():
                return jsonify({"ok": False, "message": _("Dữ liệu gửi lên không đúng.")}), 400
    return (
        render_template(
            "documents/session.html",
            session=session,
            conference=session.conference,
            documents=services.session_documents(session),
            deadline_at=services.briefing_deadline(session.conference),
            form=form,
        ),
        status,
    )


@bp.route("/staff/conferences/<int:conference_id>/documents", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER)
def conference_documents(conference_id: int):
    conference = _managed_or_404(conference_id)
    form = UploadForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            back = url_for("documents.conference_documents", conference_id=conference.id)
            result, status = _handle_upload(form, back=back, conference=conference)
            if result is not None:
                return result, status
        else:
            status = 400
    return (
        render_template(
            "documents/conference.html",
            conference=conference,
            documents=services.all_documents(conference),
            sessions=services.agenda_sessions(conference),
            form=form,
        ),
        status,
    )


def _back_to(document: Document) -> str:
    if document.session_id is not None:
        return url_for("documents.session_documents", session_id=document.session_id)
    if document.guide_id is not None:
        return url_for("documents.guide_edit", guide_id=document.guide_id)
    return url_for("documents.conference_documents", conference_id=document.conference_id)


@bp.route("/staff/documents/<int:document_id>", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def edit(document_id: int):
    document = _document_or_404(document_id)
    form = DocumentForm(obj=document)
    status = 200
    if form.validate_on_submit():
        try:
            services.update_document(
                document,
                title=form.title.data,
                visibility=form.visibility.data,
                state=form.state.data,
                actor=current_user,
                now=utcnow(),
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Đã lưu tài liệu."), "success")
            return redirect(_back_to(document))
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "documents/edit.html",
            document=document,
            form=form,
            replace_form=ReplaceForm(),
            back=_back_to(document),
        ),
        status,
    )


@bp.route("/staff/documents/<int:document_id>/replace", methods=["POST"])
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def replace(document_id: int):
    document = _document_or_404(document_id)
    form = ReplaceForm()
    if not form.validate_on_submit():
        abort(400)
    uploads = _uploads("file")
    if not uploads:
        flash(_("Chọn tệp phiên bản mới."), "error")
        return redirect(url_for("documents.edit", document_id=document.id))
    try:
        version = services.replace_document(
            document, uploads[0], actor=current_user, now=utcnow(), store=_store()
        )
    except OutreachError as error:
        db.session.rollback()
        if _wants_json():
            return jsonify({"ok": False, "message": error.message}), _error_status(error)
        flash(error.message, "error")
        return redirect(url_for("documents.edit", document_id=document_id))
    db.session.commit()
    message = _("Đã tải lên phiên bản %(n)d.", n=version.number)
    if _wants_json():
        back = url_for("documents.edit", document_id=document_id)
        return jsonify({"ok": True, "message": message, "redirect": back})
    flash(message, "success")
    return redirect(url_for("documents.edit", document_id=document_id))


@bp.route("/staff/documents/<int:document_id>/move/<direction>", methods=["POST"])
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def move(document_id: int, direction: str):
    document = _document_or_404(document_id)
    if direction not in ("up", "down") or not ReplaceForm().validate_on_submit():
        abort(400)
    services.move_document(document, direction, actor=current_user, now=utcnow())
    db.session.commit()
    return redirect(_back_to(document))


@bp.route("/staff/documents/<int:document_id>/delete", methods=["POST"])
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def delete(document_id: int):
    document = _document_or_404(document_id)
    if not ReplaceForm().validate_on_submit():
        abort(400)
    back = _back_to(document)
    services.delete_document(document, actor=current_user, now=utcnow())
    db.session.commit()
    flash(_("Đã xóa tài liệu."), "success")
    return redirect(back)


@bp.route("/staff/documents/versions/<int:version_id>")
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def version_download(version_id: int):
    version = db.session.get(DocumentVersion, version_id)
    if version is None or not services.can_manage_document(current_user, version.document):
        abort(404)
    return _send_version(version)


# --- staff: readiness --------------------------------------------------------------------------


@bp.route("/staff/conferences/<int:conference_id>/briefings", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER)
def board(conference_id: int):
    conference = _managed_or_404(conference_id)
    form = DeadlineForm()
    status = 200
    if request.method == "GET":
        deadline = services.briefing_deadline(conference)
        form.deadline.data = conference_services.to_local(deadline, conference.timezone).replace(
            tzinfo=None
        )
    elif form.validate_on_submit():
        value = form.deadline.data
        if value is not None:
            value = value.replace(tzinfo=ZoneInfo(conference.timezone)).astimezone(dt.UTC)
        try:
            services.set_briefing_deadline(conference, value, actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Đã lưu hạn nộp tài liệu."), "success")
            return redirect(url_for("documents.board", conference_id=conference.id))
    else:
        status = 400
    return (
        render_template(
            "documents/board.html",
            conference=conference,
            board=services.readiness_board(conference, now=utcnow()),
            form=form,
        ),
        status,
    )


@bp.route("/staff/conferences/<int:conference_id>/documents-pack.<fmt>")
@staff_required(Role.ORGANIZER)
def staff_pack(conference_id: int, fmt: str):
    conference = _managed_or_404(conference_id)
    level = request.args.get("level", Visibility.STAFF)
    if level not in {v.value for v in Visibility}:
        abort(404)
    return _pack(conference, level, fmt)


@bp.route("/staff/briefings")
@staff_required(Role.ORGANIZER)
def briefings():
    now = utcnow()
    conferences = [
        conference
        for conference in conference_services.list_managed_conferences(current_user)
        if conference.ends_at >= now
    ]
    boards = list(services.readiness_boards(conferences, now=now).values())
    return render_template("documents/briefings.html", boards=boards)


@bp.route("/staff/my-briefings")
@staff_required(Role.DIVISION_STAFF)
def my_briefings():
    now = utcnow()
    return render_template(
        "documents/my_briefings.html", items=services.my_briefings(current_user, now=now), now=now
    )


# --- procedure guides ----------------------------------------------------------------------


@bp.route("/guides/")
@public
def guides():
    grouped: dict[str, list[ProcedureGuide]] = {}
    for guide in services.list_guides():
        grouped.setdefault(guide.theme, []).append(guide)
    return render_template("documents/guides.html", grouped=grouped)


def _public_guide(guide_id: int) -> ProcedureGuide:
    guide = db.session.get(ProcedureGuide, guide_id)
    if guide is None or not guide.is_published:
        abort(404)
    return guide


@bp.route("/guides/<int:guide_id>")
@public
def guide(guide_id: int):
    guide = _public_guide(guide_id)
    return render_template(
        "documents/guide.html", guide=guide, documents=services.public_guide_documents(guide)
    )


@bp.route("/guides/<int:guide_id>/documents/<int:document_id>")
@public
def guide_download(guide_id: int, document_id: int):
    document = services.find_guide_document(_public_guide(guide_id), document_id)
    if document is None:
        abort(404)
    return _send_version(document.current)


def _fill_guide_form(form: GuideForm) -> None:
    form.division.choices = [SelectChoice(0, _("(không)"))] + [
        SelectChoice(d.id, d.name) for d in conference_services.list_divisions()
    ]


def _guide_input(form: GuideForm) -> services.GuideInput:
    from outreach.accounts.models import Division

    division = db.session.get(Division, form.division.data) if form.division.data else None
    return services.GuideInput(
        theme=form.theme.data,
        title=form.title.data,
        steps=form.steps.data or "",
        division=division,
        position=form.position.data or 0,
        is_published=form.is_published.data,
    )


@bp.route("/staff/guides/")
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def staff_guides():
    return render_template(
        "documents/staff_guides.html",
        guides=services.list_guides(published_only=False),
        can_create=services.can_manage_guides(current_user),
    )


@bp.route("/staff/guides/new", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER)
def guide_create():
    form = GuideForm()
    _fill_guide_form(form)
    status = 200
    if form.validate_on_submit():
        try:
            guide = services.save_guide(_guide_input(form), actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Đã lưu hướng dẫn."), "success")
            return redirect(url_for("documents.guide_edit", guide_id=guide.id))
    elif request.method == "POST":
        status = 400
    return render_template("documents/guide_edit.html", form=form, guide=None), status


def _editable_guide_or_404(guide_id: int) -> ProcedureGuide:
    guide = db.session.get(ProcedureGuide, guide_id)
    if guide is None or not services.can_edit_guide(current_user, guide):
        abort(404)
    return guide


@bp.route("/staff/guides/<int:guide_id>", methods=["GET", "POST"])
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def guide_edit(guide_id: int):
    guide = _editable_guide_or_404(guide_id)
    form = GuideForm(obj=guide, division=guide.division_id or 0)
    _fill_guide_form(form)
    status = 200
    if form.validate_on_submit():
        try:
            services.save_guide(_guide_input(form), guide=guide, actor=current_user, now=utcnow())
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
            status = 400
        else:
            db.session.commit()
            flash(_("Đã lưu hướng dẫn."), "success")
            return redirect(url_for("documents.guide_edit", guide_id=guide.id))
    elif request.method == "POST":
        status = 400
    return (
        render_template(
            "documents/guide_edit.html",
            form=form,
            guide=guide,
            documents=[d for d in guide.documents if d.deleted_at is None],
            upload_form=UploadForm(),
        ),
        status,
    )


@bp.route("/staff/guides/<int:guide_id>/documents", methods=["POST"])
@staff_required(Role.ORGANIZER, Role.DIVISION_STAFF)
def guide_upload(guide_id: int):
    guide = _editable_guide_or_404(guide_id)
    form = UploadForm()
    back = url_for("documents.guide_edit", guide_id=guide.id)
    if not form.validate_on_submit():
        abort(400)
    result, status = _handle_upload(form, back=back, guide=guide)
    if result is None:
        for errors in form.errors.values():
            for message in errors:
                flash(message, "error")
        return redirect(back)
    return result, status


# --- command line --------------------------------------------------------------------------


@bp.cli.command("remind-briefings")
def remind_briefings_command():
    """Queue reminders to divisions whose briefings are missing (one a day per conference)."""
    count = services.queue_briefing_reminders(dt.datetime.now(dt.UTC))
    db.session.commit()
    click.echo(f"queued {count} briefing reminder(s)")
