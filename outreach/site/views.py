"""Home page, language switch, health check and the staff home page."""

from __future__ import annotations

from flask import Blueprint
from flask import current_app
from flask import jsonify
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from outreach.accounts.guards import public
from outreach.accounts.guards import staff_required
from outreach.accounts.views import safe_next_url
from outreach.reports import charts
from outreach.site import services

bp = Blueprint("site", __name__)


@bp.route("/")
@public
def index():
    return render_template("site/index.html", **services.home_page_data())


@bp.route("/healthz")
@public
def healthz():
    """Answer ok only after the database answered."""
    try:
        services.check_database()
    except Exception:
        current_app.logger.exception("health check: database unreachable")
        return jsonify({"status": "error", "database": "unreachable"}), 503
    return jsonify({"status": "ok"})


@bp.route("/lang", methods=["POST"])
@public
def set_language():
    lang = request.form.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        session.permanent = True
    return redirect(safe_next_url(request.form.get("next")) or url_for("site.index"))


@bp.route("/staff/")
@staff_required()
def staff_home():
    dashboard = services.staff_dashboard(current_user)
    arrivals_chart = None
    if dashboard.arrivals is not None:
        # charts.py escapes every text it writes
        arrivals_chart = Markup(
            charts.figure_chart(
                dashboard.arrivals,
                chart_id="chart-recent",
                empty_text=_("Chưa có số liệu"),
                height=180,
            )
        )
    return render_template(
        "site/staff_home.html",
        user=current_user,
        dashboard=dashboard,
        arrivals_chart=arrivals_chart,
    )
