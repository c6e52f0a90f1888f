"""Queueing messages in the outbox and delivering them.

Delivery here is the embedded transport: each message becomes an ``.eml`` file under the mail
folder, so the demo works without a mail server. Rows are claimed with a conditional update,
so two senders never deliver the same row.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import os
import tempfile
from email.message import EmailMessage

import sqlalchemy as sa

from outreach.database import db
from outreach.mail.models import OutboxMessage
from outreach.mail.models import OutboxStatus

MAX_ATTEMPTS = 5


def _clean_header(value: str) -> str:
    """No CR/LF can reach a header: a name cannot add headers."""
    return " ".join(value.replace("\r", " ").replace("\n", " ").split())


def queue_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    dedupe_key: str,
    now: dt.datetime,
) -> OutboxMessage:
    """Add a message to the outbox (flush only; it is sent after the caller commits).
    A second call with the same ``dedupe_key`` returns the first row."""
    existing = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    if existing is not None:
        return existing
    message = OutboxMessage(
        dedupe_key=dedupe_key,
        to_address=_clean_header(to),
        subject=_clean_header(subject),
        body_text=text,
        body_html=html,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def build_email(message: OutboxMessage, *, sender: str) -> EmailMessage:
    mail = EmailMessage(policy=email.policy.SMTP)
    mail["From"] = sender
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail["Message-ID"] = f"<outbox-{message.id}@outreach.local>"
    mail.set_content(message.body_text)
    if message.body_html:
        mail.add_alternative(message.body_html, subtype="html")
    return mail


def write_eml(mail: EmailMessage, folder: str, name: str) -> str:
    """Write the message atomically: a temp file moved into place."""
    os.makedirs(folder, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        fh.write(mail.as_bytes())
    path = os.path.join(folder, name)
    os.replace(temp, path)
    return path


def send_pending(*, folder: str, sender: str, now: dt.datetime, limit: int = 50) -> int:
    """Deliver due messages with the file transport; return how many were sent."""
    due = db.session.scalars(
        sa.select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now)
        .order_by(OutboxMessage.id)
        .limit(limit)
    ).all()
    sent = 0
    for message_id in due:
        claimed = db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENT, sent_at=now, attempts=OutboxMessage.attempts + 1)
            .execution_options(synchronize_session=False)
        ).rowcount
        if not claimed:
            continue
        message = db.session.get(OutboxMessage, message_id)
        write_eml(build_email(message, sender=sender), folder, f"{message_id:06d}.eml")
        sent += 1
    db.session.flush()
    return sent


def list_messages(*, limit: int = 200) -> list[OutboxMessage]:
    return list(
        db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit))
    )
