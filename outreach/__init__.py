"""outreach: conferences between a Department of Science and Technology and cooperatives."""

from __future__ import annotations

import os
import time

from flask import Flask


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, error pages, commands."""
    from outreach import settings

    app = Flask(
        __name__,
        instance_relative_config=True,
        instance_path=os.environ.get("OUTREACH_INSTANCE_PATH") or None,
        template_folder="../templates",
    )
    try:
        settings.load_config(app, test_config)
        settings.ensure_instance_folder(app)
        settings.ensure_secret_key(app, testing=test_config is not None)
        register_extensions(app)
        if test_config is None and not app.config.get("SKIP_DATABASE_CHECK"):
            settings.check_database(app)
    except settings.ConfigError as error:
        settings.fail(str(error))
    from outreach import security

    security.init_app(app)  # before the other hooks: its headers are applied last
    register_request_hooks(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extension objects and set up the database engine."""
    from outreach import i18n
    from outreach import models_registry  # noqa: F401  (every table known to the metadata)
    from outreach.accounts import services as account_services
    from outreach.database import configure_sqlite
    from outreach.database import db
    from outreach.extensions import babel
    from outreach.extensions import csrf
    from outreach.extensions import limiter
    from outreach.extensions import login_manager
    from outreach.extensions import migrate

    db.init_app(app)
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            configure_sqlite(db.engine, busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"])
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(__file__), "migrations"),
        render_as_batch=True,
        compare_type=True,
    )
    csrf.init_app(app)
    babel.init_app(
        app, locale_selector=i18n.select_locale, default_translation_directories="translations"
    )
    i18n.init_app(app)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = None
    login_manager.session_protection = "basic"
    login_manager.user_loader(account_services.load_user_for_session)


def register_request_hooks(app: Flask) -> None:
    """Per-request set-up and the security headers every response carries."""
    from flask import request

    from outreach.database import write_intent
    from outreach.site import services as site_services

    @app.before_request
    def _mark_read_only():
        request.write_intent_token = write_intent.set(request.method not in ("GET", "HEAD"))

    @app.teardown_request
    def _reset_write_intent(_exc):
        token = getattr(request, "write_intent_token", None)
        if token is not None:
            write_intent.reset(token)

    @app.context_processor
    def _frame_context():
        # Whether demo data is loaded changes once in an instance's life: ask the database at
        # most once a minute per worker instead of on every page.
        cached = app.extensions.get("outreach_demo_flag")
        now = time.monotonic()
        if cached is None or cached[1] < now:
            try:
                cached = (site_services.has_demo_data(), now + 60)
            except Exception:  # the error page must render even when the database is down
                cached = (False, now + 5)
            app.extensions["outreach_demo_flag"] = cached
        return {"is_demo": cached[0]}


def register_blueprints(app: Flask) -> None:
    from outreach.accounts.views import bp as accounts_bp
    from outreach.checkin.views import bp as checkin_bp
    from outreach.checkin.views import register_bench_floor
    from outreach.conferences.views import bp as conferences_bp
    from outreach.documents.views import bp as documents_bp
    from outreach.mail.views import bp as mail_bp
    from outreach.plans.views import bp as plans_bp
    from outreach.registration.views import bp as registration_bp
    from outreach.reports.views import bp as reports_bp
    from outreach.site.views import bp as site_bp

    app.register_blueprint(site_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(conferences_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(plans_bp)
    app.register_blueprint(checkin_bp)
    if app.config.get("BENCH_FLOOR"):
        register_bench_floor(app)
    app.register_blueprint(documents_bp)
    app.register_blueprint(mail_bp)
    app.register_blueprint(reports_bp)
    from outreach import privacy
    from outreach import security

    privacy.init_app(app)
    security.after_blueprints(app)  # last: rate limits by endpoint name need every route


def register_error_handlers(app: Flask) -> None:
    from outreach import errors

    errors.register_error_handlers(app)


def register_commands(app: Flask) -> None:
    from outreach import cli

    cli.init_app(app)
