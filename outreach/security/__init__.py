"""Hardening that applies to the whole app: headers, session lifetime, rate limits, log hygiene."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Install the request hooks and the log filter (call once in ``create_app``)."""
    from outreach.security import hooks
    from outreach.security import logfilter

    hooks.init_app(app)
    logfilter.install(app)


def after_blueprints(app: Flask) -> None:
    """What needs every route known: the configured rate limits, the audit page."""
    from outreach.security import ratelimits
    from outreach.security.views import bp

    app.register_blueprint(bp)
    ratelimits.apply(app)
