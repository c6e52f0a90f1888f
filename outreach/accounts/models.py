"""Organizations, their divisions, and the staff users who log in."""

from __future__ import annotations

import datetime as dt
import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from outreach.database import db
from outreach.database import intpk
from outreach.database import str_200
from outreach.database import utcnow


class OrganizationKind(enum.StrEnum):
    HOST_DEPARTMENT = "host_department"
    COOPERATIVE_ALLIANCE = "cooperative_alliance"
    OTHER = "other"


class Role(enum.StrEnum):
    ADMIN = "admin"
    ORGANIZER = "organizer"
    DIVISION_STAFF = "division_staff"
    DOOR_STAFF = "door_staff"


class Organization(db.Model):
    __tablename__ = "organizations"

    id: Mapped[intpk]
    name: Mapped[str_200] = mapped_column(unique=True)
    short_name: Mapped[str] = mapped_column(sa.String(50))
    kind: Mapped[str] = mapped_column(sa.String(30), default=OrganizationKind.OTHER)
    #: rows loaded by ``flask demo``; the UI shows a "demo data" banner while any exist
    is_demo: Mapped[bool] = mapped_column(default=False)

    divisions: Mapped[list[Division]] = relationship(
        back_populates="organization", order_by="Division.name"
    )

    __table_args__ = (
        sa.CheckConstraint(
            "kind IN ('host_department', 'cooperative_alliance', 'other')", name="kind"
        ),
    )


class Division(db.Model):
    __tablename__ = "divisions"

    id: Mapped[intpk]
    organization_id: Mapped[int] = mapped_column(sa.ForeignKey("organizations.id"))
    name: Mapped[str_200]
    #: short code used on the command line and in reports, e.g. ``QLKH``
    code: Mapped[str] = mapped_column(sa.String(20), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)

    organization: Mapped[Organization] = relationship(back_populates="divisions")

    __table_args__ = (sa.UniqueConstraint("organization_id", "name"),)


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[intpk]
    #: stored lower-case; the login form lower-cases too
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str_200]
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(20))
    organization_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organizations.id"))
    division_id: Mapped[int | None] = mapped_column(sa.ForeignKey("divisions.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    #: raised whenever the user is disabled or the password changes; part of the session id,
    #: so every existing session stops working on its next request
    session_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[dt.datetime | None]

    organization: Mapped[Organization | None] = relationship()
    division: Mapped[Division | None] = relationship()

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('admin', 'organizer', 'division_staff', 'door_staff')", name="role"
        ),
        sa.CheckConstraint(
            "role != 'division_staff' OR division_id IS NOT NULL", name="division_staff_division"
        ),
    )

    # Flask-Login's protocol
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_id(self) -> str:
        return f"{self.id}.{self.session_version}"

    def has_role(self, *roles: str) -> bool:
        """Admins pass every role check."""
        return self.role == Role.ADMIN or self.role in roles

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN
