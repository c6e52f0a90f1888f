"""The sender: delivers due outbox rows outside any request.

It runs right after a commit in the web process (a short-lived thread, so the response never
waits), and as its own process (``flask --app outreach send-mail --loop``) in deployments. Each
row is claimed by a conditional update and committed before delivery, so two senders never
deliver the same row. This module commits: it is a worker, like a CLI command.
"""

from __future__ import annotations

import threading
import time

from flask import Flask
from flask import current_app

from outreach.database import db
from outreach.database import utcnow
from outreach.mail import services
from outreach.mail.building import build_email
from outreach.mail.models import OutboxMessage
from outreach.mail.transport import TransportError
from outreach.mail.transport import transport_from_config


def base_url() -> str:
    """The address links in e-mails point to: ``BASE_URL``, else this request's host when it is
    in ``TRUSTED_HOSTS`` (see outreach/security/hosts.py)."""
    from outreach.security.hosts import link_base_url

    return link_base_url()


def mail_domain() -> str:
    """The domain of calendar UIDs and Content-IDs; configure ICS_UID_HOST in production."""
    return current_app.config.get("ICS_UID_HOST") or "outreach.local"


def deliver_due(*, limit: int = 50) -> int:
    """Deliver what is due now; return how many were sent. Needs an app context."""
    config = current_app.config
    transport = transport_from_config(config)
    sent = 0
    for message_id in services.due_message_ids(now=utcnow(), limit=limit):
        now = utcnow()
        if not services.claim(message_id, now=now):
            db.session.rollback()
            continue
        db.session.commit()
        message = db.session.get(OutboxMessage, message_id)
        try:
            mail = build_email(
                message,
                sender=config["MAIL_SENDER"],
                uid_host=mail_domain(),
                organizer_email=config["MAIL_ORGANIZER_EMAIL"],
                now=now,
            )
            transport.send(mail, name=f"{message.id:06d}-{message.kind}")
        except TransportError as error:
            services.mark_failed_attempt(
                message, str(error), now=utcnow(), permanent=error.permanent
            )
        except Exception as error:  # a broken part (QR, PDF) must not lose the message
            current_app.logger.exception("building outbox message %s failed", message_id)
            services.mark_failed_attempt(message, f"build: {type(error).__name__}", now=utcnow())
        else:
            services.mark_sent(message, now=utcnow())
            sent += 1
        db.session.commit()
    return sent


def _deliver_in_thread(app: Flask) -> None:
    with app.app_context():
        try:
            deliver_due()
        except Exception:
            app.logger.exception("mail delivery failed; the outbox keeps the messages")
            db.session.rollback()
        finally:
            db.session.remove()


def kick() -> None:
    """Deliver after the current request's commit without making the response wait.

    ``MAIL_SEND_INLINE`` (tests) delivers in the caller instead; ``MAIL_SEND_AFTER_COMMIT``
    False leaves everything to the separate sender process.
    """
    app = current_app._get_current_object()
    if not app.config.get("MAIL_SEND_AFTER_COMMIT", True):
        return
    if app.config.get("MAIL_SEND_INLINE"):
        try:
            deliver_due()
        except Exception:
            app.logger.exception("mail delivery failed; the outbox keeps the messages")
            db.session.rollback()
        return
    threading.Thread(target=_deliver_in_thread, args=(app,), daemon=True).start()


def run_loop(*, interval: float = 5.0, max_rounds: int | None = None) -> None:
    rounds = 0
    while max_rounds is None or rounds < max_rounds:
        deliver_due()
        rounds += 1
        time.sleep(interval)
