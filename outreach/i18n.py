"""Language choice and the Vietnamese formats for dates, times and money."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Flask
from flask import current_app
from flask import has_request_context
from flask import request
from flask import session
from flask_babel import format_date
from flask_babel import get_locale

DEFAULT_TIMEZONE = "Asia/Ho_Chi_Minh"


def select_locale() -> str:
    """The language the user chose, remembered in the session; Vietnamese otherwise.

    A ``?lang=`` query parameter wins so that links in e-mails open in the mail's language.
    """
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # CLI commands and mail rendering outside a request
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    asked = request.args.get("lang")
    if asked in languages:
        return asked
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def to_local(value: dt.datetime | None, timezone: str | None = None) -> dt.datetime | None:
    if value is None:
        return None
    return value.astimezone(ZoneInfo(timezone or DEFAULT_TIMEZONE))


def format_day(value: dt.date | dt.datetime | None, timezone: str | None = None) -> str:
    """``28/11/2026``, the format Vietnamese readers expect, in either language."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value, timezone)
    return value.strftime("%d/%m/%Y")


def format_time(value: dt.datetime | None, timezone: str | None = None) -> str:
    """24-hour ``07:30`` in the given zone."""
    if value is None:
        return ""
    return to_local(value, timezone).strftime("%H:%M")


def format_datetime_short(value: dt.datetime | None, timezone: str | None = None) -> str:
    """``07:30 28/11/2026``."""
    if value is None:
        return ""
    return f"{format_time(value, timezone)} {format_day(value, timezone)}"


def format_weekday_date(value: dt.datetime | None, timezone: str | None = None) -> str:
    """``Thứ bảy, 28/11/2026`` (or ``Saturday, 28/11/2026``)."""
    if value is None:
        return ""
    local = to_local(value, timezone)
    weekday = format_date(local.date(), "EEEE")
    weekday = weekday[:1].upper() + weekday[1:]
    return f"{weekday}, {format_day(local)}"


def format_money(amount: int | None) -> str:
    """``1.500.000 ₫``: dots group thousands, the đồng sign follows."""
    if amount is None:
        return ""
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(int(amount)):,}".replace(",", ".") + " ₫"


def format_number(amount: int | None) -> str:
    if amount is None:
        return ""
    return f"{int(amount):,}".replace(",", ".")


def current_language() -> str:
    return str(get_locale() or "vi")


def init_app(app: Flask) -> None:
    """Register the template filters."""
    app.add_template_filter(format_day, "day")
    app.add_template_filter(format_time, "time")
    app.add_template_filter(format_datetime_short, "datetime_short")
    app.add_template_filter(format_weekday_date, "weekday_date")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(format_number, "number")
    app.jinja_env.globals["current_language"] = current_language
