"""Data for the site frame: the home page and the health check."""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib

import sqlalchemy as sa

from outreach.accounts.models import Organization
from outreach.conferences import services as conference_services
from outreach.conferences.models import Conference
from outreach.conferences.models import ConferenceStatus
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


# --- staff dashboard ----------------------------------------------------------------------------

#: upcoming conferences shown on the staff home page
DASHBOARD_CONFERENCES = 5
DASHBOARD_LATE_ITEMS = 5


@dataclasses.dataclass(frozen=True)
class UpcomingConference:
    conference: Conference
    #: "ready/total" agenda sessions with a ready briefing, or None when unknown
    readiness: str | None


@dataclasses.dataclass
class Dashboard:
    upcoming: list[UpcomingConference]
    #: overdue plan items (at most a few), or None when the plans feature is absent
    late_items: list | None
    late_count: int
    #: the reports figure of registrations over the last seven days
    arrivals: object


def _briefing_readiness(conferences: list[Conference], *, now: dt.datetime) -> dict[int, str]:
    """The "ready/total" briefed agenda sessions per conference id (absent: unknown)."""
    # The documents feature is optional here: without it the dashboard shows "—".
    try:
        documents = importlib.import_module("outreach.documents.services")
    except ImportError:
        return {}
    readiness_boards = getattr(documents, "readiness_boards", None)
    if readiness_boards is None:
        return {}
    return {
        conference_id: f"{board.ready_count}/{len(board.rows)}"
        for conference_id, board in readiness_boards(conferences, now=now).items()
        if board.rows
    }


def _late_plan_items(user, *, now: dt.datetime) -> tuple[list | None, int]:
    # The plans feature is optional here too.
    try:
        plan_models = importlib.import_module("outreach.plans.models")
        plan_services = importlib.import_module("outreach.plans.services")
    except ImportError:
        return None, 0
    item = plan_models.PlanItem
    today = plan_services.local_today(now)
    query = sa.select(item).where(
        item.due_on.is_not(None),
        item.due_on < today,
        item.status.not_in([s.value for s in plan_models.CLOSED_STATUSES]),
    )
    if not (user.is_admin or user.role == "organizer"):
        if user.division_id is None:
            return [], 0
        query = query.where(item.division_id == user.division_id)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    items = list(
        db.session.scalars(query.order_by(item.due_on, item.id).limit(DASHBOARD_LATE_ITEMS))
    )
    return items, count


def staff_dashboard(user, *, now: dt.datetime | None = None) -> Dashboard:
    """What the staff home page shows: upcoming conferences (for those who manage them) with
    seats taken and briefing readiness, overdue plan items, and the last seven days of
    registrations."""
    from outreach.reports import services as report_services

    now = now or utcnow()
    upcoming = []
    is_organizer = user.is_admin or user.role == "organizer"
    if is_organizer:
        managed = {c.id for c in conference_services.list_managed_conferences(user)}
        conferences = list(
            db.session.scalars(
                sa.select(Conference)
                .where(
                    Conference.ends_at >= now,
                    Conference.status.in_([ConferenceStatus.PUBLISHED, ConferenceStatus.CLOSED]),
                    Conference.id.in_(managed),
                )
                .order_by(Conference.starts_at)
                .limit(DASHBOARD_CONFERENCES)
            )
        )
        readiness = _briefing_readiness(conferences, now=now)
        upcoming = [UpcomingConference(c, readiness.get(c.id)) for c in conferences]
    late_items, late_count = _late_plan_items(user, now=now)
    arrivals = None
    if is_organizer:  # the organizer's own conferences (an admin's: all)
        arrivals = report_services.recent_arrivals(
            now=now, conference_ids=None if user.is_admin else sorted(managed)
        )
    return Dashboard(upcoming, late_items, late_count, arrivals)
