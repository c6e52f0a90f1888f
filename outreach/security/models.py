"""Sessions ended by logout: a signed cookie cannot be taken back, so its id is refused here."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

from outreach.database import db
from outreach.database import intpk


class RevokedSession(db.Model):
    __tablename__ = "revoked_sessions"

    id: Mapped[intpk]
    #: sha256 of the random session id stored in the cookie at login
    sid_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    #: after this the cookie is dead anyway (absolute lifetime): the row may be deleted
    expires_at: Mapped[dt.datetime] = mapped_column(index=True)
