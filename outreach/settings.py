"""Configuration: safe defaults, then ``instance/config.py``, then ``OUTREACH_*`` variables."""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys

import sqlalchemy as sa
from flask import Flask

#: Values that must never be used as SECRET_KEY in production.
INSECURE_SECRET_KEYS = {"", "dev", "change-me", "secret", None}

DEFAULTS = {
    "SECRET_KEY": None,
    "ENV_NAME": "development",  # OUTREACH_ENV_NAME=production turns on the production checks
    "DATABASE_URL": "sqlite:///outreach.sqlite3",
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "SQLITE_BUSY_TIMEOUT_MS": 10_000,
    "MAX_CONTENT_LENGTH": 60 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 1024 * 1024,
    "UPLOAD_MAX_BYTES": 50 * 1024 * 1024,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "PERMANENT_SESSION_LIFETIME": dt.timedelta(hours=12),
    "WTF_CSRF_TIME_LIMIT": None,  # tied to the session instead, which has an absolute lifetime
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ["vi", "en"],
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    "RATELIMIT_LOGIN": "10 per minute",
    "RATELIMIT_LOGIN_ACCOUNT": "20 per hour",
    "SITE_NAME": "Hội nghị KH&CN – HTX",
    "ORGANIZATION_NAME": "Sở Khoa học và Công nghệ tỉnh Bắc Ninh",
    "DEFAULT_PROVINCE_CODE": 24,
    #: public conference pages are kept this many seconds per worker (0: never cached)
    "PUBLIC_PAGE_CACHE_SECONDS": 10,
    # the desk admits people from this long before the start (organizers may override)
    "CHECKIN_OPENS_BEFORE_MINUTES": 120,
    # more unknown codes than this from one door in a minute: that door is throttled
    "CHECKIN_UNKNOWN_PER_MINUTE": 20,
    # only bench/checkin.py sets it: adds the bare /bench/floor route
    "BENCH_FLOOR": False,
    "MAIL_SENDER": "Hội nghị KH&CN <no-reply@outreach.local>",
    # plans: the division whose staff manage budgets, and how many days ahead items are reminded
    "FINANCE_DIVISION_CODE": "KHTC",
    "PLAN_REMINDER_DAYS": 7,
    #: the ORGANIZER of calendar invitations (replies go here)
    "MAIL_ORGANIZER_EMAIL": "hoinghi@outreach.local",
    #: empty: messages are written as .eml files under instance/mail/
    "MAIL_SMTP_HOST": "",
    "MAIL_SMTP_PORT": 587,
    "MAIL_SMTP_SECURITY": "starttls",  # starttls, ssl or none
    "MAIL_SMTP_USERNAME": "",
    "MAIL_SMTP_PASSWORD": "",
    "MAIL_SMTP_TIMEOUT": 10,
    #: deliver right after each commit in a background thread (False: only the send-mail process)
    "MAIL_SEND_AFTER_COMMIT": True,
    #: deliver inside the request instead of a thread (tests)
    "MAIL_SEND_INLINE": False,
    #: reminders this many days before a conference
    "MAIL_REMINDER_DAYS": [3, 1],
    #: the public address used in links inside e-mails; empty: the request's own host
    "BASE_URL": "",
    "ICS_UID_HOST": "",
    # security: the Host names links may be built for (Flask checks them; None: any, dev only)
    "TRUSTED_HOSTS": None,
    #: a session ends this long after login even when it is renewed (None: the permanent lifetime)
    "SESSION_ABSOLUTE_LIFETIME": None,
    #: limits by endpoint name or fnmatch pattern, applied centrally (outreach/security/ratelimits)
    "RATELIMITS": {
        "registration.register": "20 per minute",
        "registration.lost_link": "5 per minute",
        "registration.manage": "60 per minute",
        "registration.cancel": "20 per minute",
        "registration.change_delegates": "20 per minute",
        "registration.tickets_pdf": "30 per minute",
        "registration.ticket_png": "120 per minute",
        "registration.invite": "30 per minute",
        "mail.news_opt_out": "20 per minute",
        "checkin.door": "60 per minute",
        "checkin.*scan*": "300 per minute",
        "checkin.api_search": "120 per minute",
        "documents.registrant_*": "60 per minute",
    },
    # privacy: registrations are anonymised this many months after their conference ended
    "RETENTION_MONTHS": 12,
    #: days to answer a data-subject request (UNVERIFIED: confirm with the legal team)
    "DSR_RESPONSE_DAYS": 30,
    #: working days to acknowledge a request (Decree 356, per secondary sources)
    "DSR_ACK_WORKING_DAYS": 2,
    #: the passphrase backups are encrypted with (``flask backup``/``restore``); empty: not
    #: encrypted, and ``backup`` says so. Keep it apart from the backups.
    "BACKUP_KEY": "",
    "PG_DUMP": "pg_dump",
    "PG_RESTORE": "pg_restore",
    #: reports: which division (by code) follows up the needs stated under each theme
    "NEEDS_ROUTING": {"st_projects": "QLKH", "branding": "QLCN", "innovation": "QLCNG"},
}


class ConfigError(Exception):
    """A setting that stops the app from starting; the message says what to fix."""


def load_config(app: Flask, test_config: dict | None) -> None:
    """Fill ``app.config`` in order: defaults, ``instance/config.py``, ``OUTREACH_*``."""
    app.config.from_mapping(DEFAULTS)
    app.config["UPLOAD_FOLDER"] = os.path.join(app.instance_path, "uploads")
    app.config["MAIL_FOLDER"] = os.path.join(app.instance_path, "mail")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env(prefix="OUTREACH")
    else:
        app.config.update(test_config)
    if "SQLALCHEMY_DATABASE_URI" not in (test_config or {}):
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(app.config["DATABASE_URL"])
    else:
        app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
            app.config["SQLALCHEMY_DATABASE_URI"]
        )
    options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])  # never share the defaults' dict
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # A SQLite file cannot drop a connection the way a server can: skip the SELECT 1 that
        # pool_pre_ping would add to every request.
        options.pop("pool_pre_ping", None)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def normalise_database_url(url: str) -> str:
    """Accept ``postgres://`` and ``postgresql://`` and use psycopg 3 for them.

    :raises ConfigError: when the URL cannot be parsed.
    """
    try:
        parsed = sa.engine.make_url(url)
    except Exception as exc:  # ArgumentError and friends; the message names the setting
        raise ConfigError(f"OUTREACH_DATABASE_URL is not a database URL: {exc}") from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def is_production(app: Flask) -> bool:
    return str(app.config.get("ENV_NAME", "")).lower() in ("production", "prod")


def ensure_instance_folder(app: Flask) -> None:
    """Create ``instance/`` and its sub-folders and prove they are writable.

    :raises ConfigError: when the folder cannot be created or written.
    """
    folders = [app.instance_path, app.config["UPLOAD_FOLDER"], app.config["MAIL_FOLDER"]]
    try:
        for folder in folders:
            os.makedirs(folder, exist_ok=True)
        probe = os.path.join(app.instance_path, f".write-test-{os.getpid()}")
        with open(probe, "w") as fh:
            fh.write("ok")
        os.remove(probe)
    except OSError as exc:
        raise ConfigError(
            f"cannot write to the instance folder {app.instance_path} ({exc.strerror}): "
            "make it writable for this user or set OUTREACH_INSTANCE_PATH"
        ) from None


def ensure_secret_key(app: Flask, *, testing: bool) -> None:
    """Generate a SECRET_KEY into ``instance/config.py`` on first start (development),
    and refuse to start in production without a real one.

    :raises ConfigError: in production mode with a missing or default key.
    """
    key = app.config.get("SECRET_KEY")
    if key not in INSECURE_SECRET_KEYS:
        return
    if is_production(app):
        raise ConfigError(
            "SECRET_KEY is missing or a default value: set OUTREACH_SECRET_KEY "
            "or SECRET_KEY in instance/config.py to a long random string"
        )
    if testing:
        app.config["SECRET_KEY"] = secrets.token_hex(32)
        return
    key = secrets.token_hex(32)
    path = os.path.join(app.instance_path, "config.py")
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(
            f"\n# Generated on first start. Keep it secret; changing it logs everyone out.\n"
            f"SECRET_KEY = {key!r}\n"
        )
    os.chmod(path, 0o600)
    app.config["SECRET_KEY"] = key


def check_database(app: Flask) -> None:
    """Connect once at start so a wrong URL fails now, with one line, not on the first request.

    :raises ConfigError: when the database cannot be reached.
    """
    from outreach.database import db

    try:
        with app.app_context(), db.engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:
        reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
        safe_url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"]).render_as_string(
            hide_password=True
        )
        raise ConfigError(
            f"cannot connect to the database {safe_url} ({reason}): check OUTREACH_DATABASE_URL"
        ) from None


def fail(message: str) -> None:
    """Stop the process with one clear line."""
    print(f"outreach: {message}", file=sys.stderr)
    raise SystemExit(2)
