"""Writing and reading the audit trail."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from outreach.audit.models import AuditEntry
from outreach.database import db


def record(
    action: str,
    *,
    actor=None,
    actor_kind: str | None = None,
    object_type: str = "",
    object_id: int | None = None,
    row_count: int | None = None,
    detail: dict | None = None,
    now: dt.datetime,
) -> AuditEntry:
    """Add an audit entry in the caller's transaction (flush only).

    ``detail`` must not hold personal data: ids, field names, counts and formats only.
    """
    entry = AuditEntry(
        at=now, actor_id=getattr(actor, "id", None),
        actor_kind=actor_kind or ("user" if actor is not None else "system"),
        action=action, object_type=object_type, object_id=object_id, row_count=row_count,
        detail=detail or {},
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def list_entries(*, action: str = "", actor_id: int | None = None, limit: int = 200):
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action.startswith(action))
    if actor_id:
        query = query.where(AuditEntry.actor_id == actor_id)
    return list(db.session.scalars(query.limit(limit)))
