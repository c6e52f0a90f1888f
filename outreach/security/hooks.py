"""Response headers and the absolute session lifetime, for every request of every feature.

Features do not have to remember them: pages under ``/staff/``, ``/r/``, ``/door/`` and
``/api/`` hold personal data or bearer tokens, so they are never stored by browsers or proxies.
"""

from __future__ import annotations

import secrets
import time

from flask import Flask
from flask import Response
from flask import current_app
from flask import redirect
from flask import request
from flask import session
from flask import url_for
from werkzeug.exceptions import SecurityError

#: paths whose answers are never cached (personal data, tokens, live counts)
NO_STORE_PREFIXES = ("/staff/", "/staff", "/r/", "/door/", "/api/", "/news/opt-out/")
#: paths that carry a bearer token: no Referer may leave them
TOKEN_PREFIXES = ("/r/", "/door/", "/news/opt-out/")
#: the session key holding the login time (seconds since the epoch)
LOGIN_AT = "login_at"
#: the session key holding a random id of this login, refused after logout
SESSION_ID = "sid"

PERMISSIONS_POLICY = (
    "camera=(self), microphone=(), geolocation=(), payment=(), usb=(), "
    "interest-cohort=(), browsing-topics=()"
)
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
#: added to every answer that does not set its own (downloads set a stricter CSP, say)
DEFAULT_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Permissions-Policy", PERMISSIONS_POLICY),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def mark_login(now: float | None = None) -> None:
    """Call right after ``login_user``: the session ends this long after, renewed or not."""
    session[LOGIN_AT] = int(now if now is not None else time.time())
    session[SESSION_ID] = secrets.token_urlsafe(24)


def _lifetime_seconds() -> float:
    limit = current_app.config.get("SESSION_ABSOLUTE_LIFETIME") or current_app.config.get(
        "PERMANENT_SESSION_LIFETIME"
    )
    return limit.total_seconds() if hasattr(limit, "total_seconds") else float(limit)


def session_expired(now: float | None = None) -> bool:
    """A logged-in session older than ``SESSION_ABSOLUTE_LIFETIME`` (or without a login time)."""
    if "_user_id" not in session:
        return False
    started = session.get(LOGIN_AT)
    if not isinstance(started, int | float) or not isinstance(session.get(SESSION_ID), str):
        return True
    current = now if now is not None else time.time()
    if current - started > _lifetime_seconds():
        return True
    from outreach.security.services import is_session_revoked

    return is_session_revoked(session[SESSION_ID])


def _revoke_on_logout(_app, user=None, **_extra) -> None:
    """``logout_user`` was called: this cookie, even replayed, must not log anyone in again."""
    sid = session.get(SESSION_ID)
    started = session.get(LOGIN_AT)
    if not isinstance(sid, str) or not isinstance(started, int | float):
        return
    import datetime as dt

    from outreach.database import db
    from outreach.database import utcnow
    from outreach.security.services import revoke_session

    expires = dt.datetime.fromtimestamp(started + _lifetime_seconds(), tz=dt.UTC)
    revoke_session(sid, expires_at=expires, now=utcnow())
    db.session.commit()


def _end_expired_session():
    if request.url_rule is None or request.endpoint == "static" or not session_expired():
        return None
    from flask_login import logout_user

    lang = session.get("lang")
    session.pop(SESSION_ID, None)  # dead already: nothing to revoke
    logout_user()
    session.clear()
    if lang:
        session["lang"] = lang
    if request.path.startswith("/api/"):
        return Response(status=401)
    if request.path.startswith("/staff"):
        return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))
    return None


def _headers(response: Response) -> Response:
    """The security headers of every answer, in one pass over the headers the view set (this
    runs on every request, the door's scans included, so it avoids werkzeug's per-name scans)."""
    headers = response.headers
    path = request.path
    if path.startswith(NO_STORE_PREFIXES):
        headers["Cache-Control"] = "no-store"
        headers.pop("Expires", None)
        headers["Pragma"] = "no-cache"
    if path.startswith(TOKEN_PREFIXES):
        headers["Referrer-Policy"] = "no-referrer"
    present = {key.lower() for key, _value in headers.items()}
    if "content-security-policy" in present:
        csp = headers["Content-Security-Policy"]
        if "frame-ancestors" not in csp:
            headers["Content-Security-Policy"] = csp.rstrip("; ") + "; frame-ancestors 'none'"
    for name, value in DEFAULT_HEADERS:
        if name.lower() not in present:
            headers.add(name, value)
    if current_app.config.get("SESSION_COOKIE_SECURE") and HSTS[0].lower() not in present:
        headers.add(*HSTS)
    return response


#: URL arguments that are words, not ids, and may go into an audit entry
_AUDITED_WORDS = ("action", "fmt", "direction", "theme")


def _note_audit_position():
    """Before a staff POST: remember the newest audit entry, to see if the view wrote one."""
    if request.method != "POST" or not request.path.startswith("/staff"):
        return
    import sqlalchemy as sa

    from outreach.audit.models import AuditEntry
    from outreach.database import db

    try:
        request.audit_before = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    except Exception:  # the database is down: the view will answer for it
        request.audit_before = None


def _audit_staff_change(response: Response) -> Response:
    """A staff POST that succeeded (PRG redirect) and wrote no audit entry of its own gets one:
    who, which action (the endpoint), on which object (the URL's ids). No form data is kept."""
    before = getattr(request, "audit_before", None)
    if before is None or response.status_code not in (301, 302, 303):
        return response
    from flask_login import current_user

    if not current_user.is_authenticated:
        return response
    import sqlalchemy as sa

    from outreach.audit import services as audit
    from outreach.audit.models import AuditEntry
    from outreach.database import db
    from outreach.database import utcnow

    try:
        db.session.rollback()  # nothing of the view's is pending after its commit
        written = db.session.scalar(
            sa.select(AuditEntry.id).where(
                AuditEntry.id > before, AuditEntry.actor_id == current_user.id
            )
        )
        if written is None:
            args = request.view_args or {}
            ids = {k: v for k, v in args.items() if isinstance(v, int)}
            words = {k: str(v)[:40] for k, v in args.items() if k in _AUDITED_WORDS}
            object_key = next(reversed(ids), None)
            audit.record(
                f"web.{request.endpoint}"[:60],
                actor=current_user,
                object_type=(object_key or "").removesuffix("_id")[:40],
                object_id=ids.get(object_key) if object_key else None,
                detail={**ids, **words},
                now=utcnow(),
            )
            db.session.commit()
    except Exception:
        db.session.rollback()
        current_app.logger.exception("could not write the audit entry for %s", request.endpoint)
    return response


def _untrusted_host(_error):
    """A Host header outside ``TRUSTED_HOSTS``: a bare 400 (no URL can be built for it, so the
    usual error page, which links home, cannot be drawn)."""
    return Response(
        "400 – Tên miền không hợp lệ (Host not allowed).\n",
        status=400,
        mimetype="text/plain",
    )


def init_app(app: Flask) -> None:
    app.before_request(_end_expired_session)
    app.before_request(_note_audit_position)
    app.after_request(_audit_staff_change)
    app.after_request(_headers)
    app.register_error_handler(SecurityError, _untrusted_host)
    from flask_login import user_logged_out

    user_logged_out.connect(_revoke_on_logout, app)
