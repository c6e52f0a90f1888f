"""Reading the audit trail for the admin page."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from outreach.accounts.models import User
from outreach.audit.models import AuditEntry
from outreach.database import db


@dataclasses.dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    #: UTC bounds; ``until`` is exclusive
    since: dt.datetime | None = None
    until: dt.datetime | None = None


def search_audit(filters: AuditFilters, *, limit: int = 300) -> list[AuditEntry]:
    query = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if filters.action:
        query = query.where(AuditEntry.action.startswith(filters.action))
    if filters.actor_id:
        query = query.where(AuditEntry.actor_id == filters.actor_id)
    if filters.since:
        query = query.where(AuditEntry.at >= filters.since)
    if filters.until:
        query = query.where(AuditEntry.at < filters.until)
    return list(db.session.scalars(query.limit(limit)))


def audit_actions() -> list[str]:
    return list(
        db.session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    )


def audit_actors() -> list[User]:
    ids = sa.select(AuditEntry.actor_id).where(AuditEntry.actor_id.is_not(None)).distinct()
    return list(db.session.scalars(sa.select(User).where(User.id.in_(ids)).order_by(User.name)))


def users_by_id(ids) -> dict[int, User]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(wanted)))}


def _sid_hash(sid: str) -> str:
    import hashlib

    return hashlib.sha256(sid.encode()).hexdigest()


def revoke_session(sid: str, *, expires_at: dt.datetime, now: dt.datetime) -> None:
    """Refuse this session id from now on (logout); old rows are cleared on the way."""
    from outreach.security.models import RevokedSession

    db.session.execute(sa.delete(RevokedSession).where(RevokedSession.expires_at < now))
    digest = _sid_hash(sid)
    exists = db.session.scalar(
        sa.select(RevokedSession.id).where(RevokedSession.sid_hash == digest)
    )
    if exists is None:
        db.session.add(RevokedSession(sid_hash=digest, expires_at=expires_at))
    db.session.flush()


def is_session_revoked(sid: str) -> bool:
    from outreach.security.models import RevokedSession

    return (
        db.session.scalar(
            sa.select(RevokedSession.id).where(RevokedSession.sid_hash == _sid_hash(sid))
        )
        is not None
    )
