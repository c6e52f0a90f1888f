"""The audit trail page for admins: who did what, when, to how many rows (no personal data)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import Blueprint
from flask import current_app
from flask import render_template
from flask import request
from wtforms import SelectChoice

from outreach.accounts.guards import admin_required
from outreach.security import services
from outreach.security.forms import AuditFilterForm

bp = Blueprint("security", __name__)


def _utc_midnight(day: dt.date) -> dt.datetime:
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    return dt.datetime.combine(day, dt.time(), tzinfo=zone).astimezone(dt.UTC)


@bp.route("/staff/admin/audit")
@admin_required
def audit():
    form = AuditFilterForm(request.args)
    form.action.choices = [SelectChoice("", "—")] + [
        SelectChoice(a, a) for a in services.audit_actions()
    ]
    form.actor.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(u.id), u.name) for u in services.audit_actors()
    ]
    filters = services.AuditFilters()
    if form.validate():
        actor = form.actor.data or ""
        filters = services.AuditFilters(
            action=(form.action.data or "")[:60],
            actor_id=int(actor) if actor.isdigit() else None,
            since=_utc_midnight(form.since.data) if form.since.data else None,
            until=(
                _utc_midnight(form.until.data + dt.timedelta(days=1)) if form.until.data else None
            ),
        )
    entries = services.search_audit(filters)
    users = services.users_by_id(e.actor_id for e in entries)
    return render_template("security/audit.html", form=form, entries=entries, users=users)
