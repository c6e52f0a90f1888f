"""The outbox page: what was sent, what waits, what failed, and resending."""

from __future__ import annotations

from flask import Blueprint
from flask import abort
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.accounts.guards import public
from outreach.accounts.guards import staff_required
from outreach.audit import services as audit
from outreach.conferences import services as conference_services
from outreach.database import db
from outreach.database import utcnow
from outreach.extensions import csrf
from outreach.mail import sender
from outreach.mail import services
from outreach.mail.models import OutboxMessage
from outreach.registration.forms import ConfirmForm
from outreach.security.logfilter import mask_token_links

bp = Blueprint("mail", __name__)


def _scope() -> list[int] | None:
    """The conferences whose messages this user may read: all for admins (None), else those
    the organizer manages (messages about no conference are for admins only)."""
    if current_user.is_admin:
        return None
    return [c.id for c in conference_services.list_managed_conferences(current_user)]


def _message_or_404(message_id: int) -> OutboxMessage:
    message = db.session.get(OutboxMessage, message_id)
    scope = _scope()
    if message is None or (scope is not None and message.conference_id not in scope):
        abort(404)
    return message


@bp.route("/staff/outbox/")
@staff_required("organizer")
def index():
    status = request.args.get("status", "")
    scope = _scope()
    response = render_template(
        "mail/outbox.html",
        messages=services.list_messages(status=status, conference_ids=scope),
        status=status,
        counts=services.status_counts(conference_ids=scope),
        form=ConfirmForm(),
    )
    return response, 200, {"Cache-Control": "no-store"}


@bp.route("/staff/outbox/<int:message_id>")
@staff_required("organizer")
def detail(message_id: int):
    message = _message_or_404(message_id)
    return (
        render_template(
            "mail/outbox_message.html",
            message=message,
            # a cooperative's private link is the contact's alone, as is an opt-out link
            body_text=mask_token_links(message.body_text, "•••"),
            form=ConfirmForm(),
        ),
        200,
        {"Cache-Control": "no-store"},
    )


@bp.route("/staff/outbox/<int:message_id>/resend", methods=["POST"])
@staff_required("organizer")
def resend(message_id: int):
    message = _message_or_404(message_id)
    if ConfirmForm().validate_on_submit():
        services.resend(message, now=utcnow())
        audit.record(
            "outbox.resend",
            actor=current_user,
            object_type="outbox_message",
            object_id=message.id,
            now=utcnow(),
        )
        db.session.commit()
        sender.kick()
        flash(_("Đã đưa thư vào hàng gửi lại."), "success")
    return redirect(url_for("mail.detail", message_id=message.id))


@bp.route("/news/opt-out/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058 one-click: mail clients POST without our token; the link is signed
@public
def news_opt_out(token: str):
    """Withdraw the optional news consent of one registration (nothing else changes)."""
    registration = services.find_registration_by_opt_out(
        token, secret=current_app.config["SECRET_KEY"]
    )
    if registration is None:
        abort(404)
    if request.method == "POST":
        services.withdraw_news_consent(registration, now=utcnow())
        db.session.commit()
        return render_template("mail/opt_out.html", done=True)
    return render_template("mail/opt_out.html", done=False, registration=registration)
