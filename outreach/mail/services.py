"""The outbox rules: queueing messages once per event, claiming them for one sender, retries."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from outreach.database import db
from outreach.mail.models import OutboxMessage
from outreach.mail.models import OutboxStatus

MAX_ATTEMPTS = 6
#: wait before attempt n+1 (index n-1); the last failure marks the row failed
BACKOFF = (
    dt.timedelta(minutes=1),
    dt.timedelta(minutes=5),
    dt.timedelta(minutes=15),
    dt.timedelta(hours=1),
    dt.timedelta(hours=4),
)
#: a row claimed longer ago than this belongs to a sender that died; it is retried
CLAIM_LEASE = dt.timedelta(minutes=10)


def clean_header(value: str) -> str:
    """No CR/LF can reach a header: a name typed with line breaks cannot add headers."""
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


def queue_message(
    *,
    to: str,
    subject: str,
    text: str,
    html: str | None = None,
    dedupe_key: str,
    now: dt.datetime,
    kind: str = "notice",
    parts: list | None = None,
    headers: dict | None = None,
    registration_id: int | None = None,
    conference_id: int | None = None,
) -> OutboxMessage:
    """Add a message to the outbox in the caller's transaction (flush only); it is delivered
    after the commit. A second call with the same ``dedupe_key`` returns the first row."""
    existing = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
    )
    if existing is not None:
        return existing
    message = OutboxMessage(
        dedupe_key=dedupe_key[:200],
        kind=kind,
        to_address=clean_header(to),
        subject=clean_header(subject)[:300],
        body_text=text,
        body_html=html,
        parts=parts or [],
        headers={k: clean_header(v) for k, v in (headers or {}).items()},
        registration_id=registration_id,
        conference_id=conference_id,
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def due_message_ids(*, now: dt.datetime, limit: int = 50) -> list[int]:
    return list(
        db.session.scalars(
            sa.select(OutboxMessage.id)
            .where(
                sa.or_(
                    sa.and_(
                        OutboxMessage.status == OutboxStatus.PENDING,
                        OutboxMessage.next_attempt_at <= now,
                    ),
                    sa.and_(
                        OutboxMessage.status == OutboxStatus.SENDING,
                        OutboxMessage.claimed_at < now - CLAIM_LEASE,
                    ),
                )
            )
            .order_by(OutboxMessage.id)
            .limit(limit)
        )
    )


def claim(message_id: int, *, now: dt.datetime) -> bool:
    """Take one row for this sender with a conditional update; False if another sender has it."""
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(
            OutboxMessage.id == message_id,
            sa.or_(
                sa.and_(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= now,
                ),
                sa.and_(
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.claimed_at < now - CLAIM_LEASE,
                ),
            ),
        )
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_sent(message: OutboxMessage, *, now: dt.datetime) -> None:
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.last_error = None
    db.session.flush()


def mark_failed_attempt(
    message: OutboxMessage, error: str, *, now: dt.datetime, permanent: bool = False
) -> None:
    """Schedule a retry with backoff, or mark the row failed after the last attempt."""
    message.last_error = error[:500]
    if permanent or message.attempts >= MAX_ATTEMPTS:
        message.status = OutboxStatus.FAILED
    else:
        message.status = OutboxStatus.PENDING
        message.next_attempt_at = now + BACKOFF[min(message.attempts, len(BACKOFF)) - 1]
    db.session.flush()


def resend(message: OutboxMessage, *, now: dt.datetime) -> None:
    """An organizer sends a failed (or sent) message again."""
    message.status = OutboxStatus.PENDING
    message.next_attempt_at = now
    message.attempts = 0
    message.last_error = None
    db.session.flush()


def list_messages(
    *, status: str = "", conference_ids: list[int] | None = None, limit: int = 200
) -> list[OutboxMessage]:
    """The newest messages; ``conference_ids`` limits them to those conferences (None: all)."""
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status:
        query = query.where(OutboxMessage.status == status)
    if conference_ids is not None:
        query = query.where(OutboxMessage.conference_id.in_(conference_ids))
    return list(db.session.scalars(query))


def status_counts(*, conference_ids: list[int] | None = None) -> dict[str, int]:
    query = sa.select(OutboxMessage.status, sa.func.count()).group_by(OutboxMessage.status)
    if conference_ids is not None:
        query = query.where(OutboxMessage.conference_id.in_(conference_ids))
    return dict(db.session.execute(query).all())


def find_registration_by_opt_out(token: str, *, secret: str):
    """The registration a news opt-out token names, or None for a forged or broken token."""
    from itsdangerous import BadSignature
    from itsdangerous import URLSafeSerializer

    from outreach.registration.models import Registration

    try:
        registration_id = URLSafeSerializer(secret, salt="news-opt-out").loads(token)
    except BadSignature:
        return None
    if not isinstance(registration_id, int):
        return None
    return db.session.get(Registration, registration_id)


def withdraw_news_consent(registration, *, now: dt.datetime) -> None:
    """Stop news for this registration; taking part is not affected."""
    if registration.consent_news_at is not None:
        registration.consent_news_at = None
        registration.consent_news_withdrawn_at = now
    db.session.flush()
