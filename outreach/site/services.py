"""Data for the site frame: the home page and the health check."""

from __future__ import annotations

import sqlalchemy as sa

from outreach.accounts.models import Organization
from outreach.database import db


def check_database() -> None:
    """Run one trivial query; raises whatever the driver raises when the database is down."""
    db.session.execute(sa.text("SELECT 1"))


def home_page_data() -> dict:
    """What the home page shows: the organizing bodies (and, once conferences exist, them)."""
    organizations = list(
        db.session.scalars(
            sa.select(Organization).where(Organization.kind != "other").order_by(Organization.kind)
        )
    )
    return {"organizations": organizations, "conferences": []}


def has_demo_data() -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Organization.is_demo))) or False
