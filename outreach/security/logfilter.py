"""Keep personal data and bearer secrets out of every log line.

A record's message is rendered once, then phones (Vietnamese and E.164), e-mail addresses, the
tokens in self-service, door and opt-out links, and ticket codes (26 base32 characters) are
masked. The filter sits on the root logger, on its handlers, and on the werkzeug, gunicorn and
app loggers; a record factory applies the same masking to records of every other logger, because
filters on the root logger do not see records that propagate from child loggers.
"""

from __future__ import annotations

import logging
import re

from flask import Flask

#: links that carry a bearer token in their path
_TOKEN_PATH = re.compile(r"(/(?:r|door|news/opt-out)/)[^/\s?#\"']+", re.IGNORECASE)
_TOKEN_QUERY = re.compile(r"([?&](?:token|code|t)=)[^&\s#\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
#: uppercase base32, 26 characters: a ticket code (also inside longer base32 runs)
_TICKET = re.compile(r"(?<![A-Za-z0-9])[A-Z2-7]{26}(?![A-Za-z0-9])")
#: +<country><number> and 84…/0… Vietnamese numbers, with spaces, dots or dashes inside
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.-]?\d(?:[\s.-]?\d){6,13}|(?:84|0)\d{2}(?:[\s.-]?\d){6,8})(?!\w)"
)

MASK_EMAIL = "[email]"
MASK_PHONE = "[phone]"
MASK_TOKEN = "[token]"
MASK_TICKET = "[ticket]"


def mask_token_links(text: str, mask: str = MASK_TOKEN) -> str:
    """``text`` with the token of every self-service, door and opt-out link replaced by
    ``mask`` (logs, and messages as staff see them on the outbox page)."""
    return _TOKEN_PATH.sub(lambda m: m.group(1) + mask, text or "")


def redact(text: str) -> str:
    """``text`` with personal data and secrets replaced by placeholders."""
    if not text:
        return text
    text = mask_token_links(text)
    text = _TOKEN_QUERY.sub(lambda m: m.group(1) + MASK_TOKEN, text)
    text = _EMAIL.sub(MASK_EMAIL, text)
    text = _TICKET.sub(MASK_TICKET, text)
    text = _PHONE.sub(MASK_PHONE, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a record in place: the rendered, masked message, no arguments left."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub(record)
        return True


def scrub(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_outreach_redacted", False):
        return record
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: keep the template only
        message = str(record.msg)
    record.msg = redact(message)
    record.args = None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        # formatters print ``exc_text`` when it is set, so the raw exception is not rendered again
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._outreach_redacted = True
    return record


_FILTER = RedactingFilter()
#: loggers that write request lines or errors of their own
LOGGER_NAMES = ("werkzeug", "gunicorn", "gunicorn.error", "gunicorn.access", "outreach", "flask")


def _install_factory() -> None:
    current = logging.getLogRecordFactory()
    if getattr(current, "_outreach_redacting", False):
        return

    def factory(*args, **kwargs):
        return scrub(current(*args, **kwargs))

    factory._outreach_redacting = True
    logging.setLogRecordFactory(factory)


def _add(target) -> None:
    if _FILTER not in target.filters:
        target.addFilter(_FILTER)


def install(app: Flask | None = None) -> None:
    """Put the filter everywhere a record may pass (idempotent)."""
    root = logging.getLogger()
    _add(root)
    for handler in root.handlers:
        _add(handler)
    for name in LOGGER_NAMES:
        logger = logging.getLogger(name)
        _add(logger)
        for handler in logger.handlers:
            _add(handler)
    if app is not None:
        _add(app.logger)
        for handler in app.logger.handlers:
            _add(handler)
    _install_factory()
