"""Data for the site frame: the home page and the health check."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from outreach.accounts.models import Organization
from outreach.conferences import services as conference_services
from outreach.database import db
from outreach.database import utcnow


def check_database() -> None:
    """Run one trivial query; raises whatever the driver raises when the database is down."""
    db.session.execute(sa.text("SELECT 1"))


def home_page_data(*, now: dt.datetime | None = None) -> dict:
    """What the home page shows: the organizing bodies and the upcoming public conferences
    (``conferences`` holds ``ConferenceCard``s: the conference and its registration state)."""
    now = now or utcnow()
    organizations = list(
        db.session.scalars(
            sa.select(Organization).where(Organization.kind != "other").order_by(Organization.kind)
        )
    )
    upcoming, _past = conference_services.list_public_conferences(now=now)
    return {
        "organizations": organizations,
        "conferences": conference_services.conference_cards(upcoming, now=now),
    }


def has_demo_data() -> bool:
    return db.session.scalar(sa.select(sa.exists().where(Organization.is_demo))) or False
