"""Retention: registrations of conferences that ended long ago are anonymised.

``flask --app outreach purge`` runs it (from cron, daily). It is idempotent: an anonymised
registration is recognised by its placeholder phone and left alone. The statistics stay: the
cooperative, the registration's status and seats, each delegate's gender and check-in time.
Once that is committed, the ``.eml`` copies of messages no longer in the outbox (purged here or
erased on request) are deleted too (``remove_stale_message_files``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import os

import sqlalchemy as sa
from dateutil.relativedelta import relativedelta

from outreach.audit import services as audit
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.mail.models import OutboxMessage
from outreach.mail.transport import message_files
from outreach.privacy.services import PLACEHOLDER_PREFIX
from outreach.privacy.services import anonymise_registration
from outreach.registration.models import Delegate
from outreach.registration.models import Registration


@dataclasses.dataclass
class PurgeResult:
    cutoff: dt.datetime
    conferences: int = 0
    registrations: int = 0
    delegates: int = 0
    messages: int = 0


def cutoff_for(now: dt.datetime, months: int) -> dt.datetime:
    return now - relativedelta(months=months)


def _due_registrations(cutoff: dt.datetime):
    """Registrations of conferences that ended before ``cutoff`` and still hold personal data
    (an unanonymised contact, or a delegate not anonymised)."""
    pending_delegate = (
        sa.select(Delegate.id)
        .where(
            Delegate.registration_id == Registration.id,
            sa.not_(Delegate.phone_e164.startswith(PLACEHOLDER_PREFIX)),
        )
        .exists()
    )
    return (
        sa.select(Registration)
        .join(Registration.conference)
        .where(
            Conference.ends_at < cutoff,
            sa.or_(
                sa.not_(Registration.contact_phone.startswith(PLACEHOLDER_PREFIX)),
                pending_delegate,
            ),
        )
        .order_by(Registration.id)
    )


def purge_expired(*, now: dt.datetime, months: int, dry_run: bool = False) -> PurgeResult:
    """Anonymise what is past retention; with ``dry_run`` only count. Flushes, never commits."""
    result = PurgeResult(cutoff=cutoff_for(now, months))
    registrations = list(db.session.scalars(_due_registrations(result.cutoff)))
    conference_ids = {r.conference_id for r in registrations}
    old_conferences = list(
        db.session.scalars(sa.select(Conference.id).where(Conference.ends_at < result.cutoff))
    )
    leftover_messages = list(
        db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.conference_id.in_(old_conferences))
        )
    )
    result.conferences = len(conference_ids)
    if dry_run:
        result.registrations = len(registrations)
        result.delegates = sum(
            1
            for r in registrations
            for d in r.delegates
            if not d.phone_e164.startswith(PLACEHOLDER_PREFIX)
        )
        result.messages = db.session.scalar(
            sa.select(sa.func.count(OutboxMessage.id)).where(
                sa.or_(
                    OutboxMessage.registration_id.in_([r.id for r in registrations]),
                    OutboxMessage.conference_id.in_(old_conferences),
                )
            )
        )
        return result
    for registration in registrations:
        done = anonymise_registration(registration, now=now)
        result.registrations += done.registrations
        result.delegates += done.delegates
        result.messages += done.messages
    # messages about those conferences not tied to a registration (or already counted above)
    for message in leftover_messages:
        if sa.inspect(message).deleted or sa.inspect(message).was_deleted:
            continue
        db.session.delete(message)
        result.messages += 1
    db.session.flush()
    if result.registrations or result.delegates or result.messages:
        audit.record(
            "privacy.purge",
            actor_kind="system",
            object_type="registration",
            row_count=result.registrations,
            detail={
                "conferences": result.conferences,
                "delegates": result.delegates,
                "messages": result.messages,
                "months": months,
            },
            now=now,
        )
    return result


def remove_stale_message_files(folder: str, *, dry_run: bool = False) -> int:
    """Delete the ``.eml`` files (the file transport's copies, ``instance/mail/``) of messages
    that are no longer in the outbox; return how many files. Run it after the commit that
    deleted the messages: a file is only removed once its row is gone for good."""
    files = message_files(folder)
    ids = list(files)
    present: set[int] = set()
    for start in range(0, len(ids), 500):
        batch = ids[start : start + 500]
        present.update(
            db.session.scalars(sa.select(OutboxMessage.id).where(OutboxMessage.id.in_(batch)))
        )
    stale = [path for message_id in ids if message_id not in present for path in files[message_id]]
    if not dry_run:
        for path in stale:
            with contextlib.suppress(FileNotFoundError):
                os.remove(path)
    return len(stale)
