"""Personal data: data-subject requests, retention purge, backups and restore."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the admin pages and the ``purge``, ``backup`` and ``restore`` commands."""
    from outreach.privacy import cli
    from outreach.privacy.views import bp

    app.register_blueprint(bp)
    cli.init_app(app)
