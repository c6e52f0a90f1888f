"""Rate limits from configuration by endpoint name (B2-29, B2-32, B3-43)."""

from __future__ import annotations

import pytest

from outreach import create_app
from outreach.database import db
from outreach.extensions import limiter
from outreach.security import ratelimits


@pytest.fixture
def limited_app(app_config):
    config = {
        **app_config,
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMITS": {
            "registration.manage": "3 per minute",
            "registration.lost_link": "2 per minute",
            "checkin.*scan*": "4 per minute",
        },
    }
    app = create_app(config)
    with app.app_context():
        db.create_all()
        limiter.reset()
        yield app
        limiter.reset()
        db.session.remove()
        db.engine.dispose()


def test_patterns_and_exact_names_pick_the_limit():
    config = {"RATELIMITS": {"checkin.*scan*": "4 per minute", "checkin.api_scan": "9 per minute"}}
    assert ratelimits.limit_for("checkin.api_scan", config) == "9 per minute"
    assert ratelimits.limit_for("checkin.api_scan_batch", config) == "4 per minute"
    assert ratelimits.limit_for("site.index", config) is None


def test_the_default_configuration_limits_every_sensitive_public_route(app):
    for endpoint in (
        "registration.register",
        "registration.lost_link",
        "registration.manage",
        "checkin.api_scan",
        "checkin.door",
    ):
        assert ratelimits.limit_for(endpoint, app.config), endpoint
        assert getattr(app.view_functions[endpoint], "_outreach_rate_limited", False), endpoint
    # the guards survive the wrapping
    assert app.view_functions["registration.manage"].access == "public"


def test_guessing_self_service_tokens_is_throttled(limited_app):
    client = limited_app.test_client()
    answers = [client.get(f"/r/guess-{n}").status_code for n in range(5)]
    assert answers[:3] == [404, 404, 404]
    assert answers[3:] == [429, 429]


def test_lost_link_is_throttled(limited_app):
    client = limited_app.test_client()
    answers = [
        client.post("/lost-link", data={"contact": "0912000001"}).status_code for _ in range(4)
    ]
    assert 429 in answers
    assert answers.count(429) == 2


def test_scanning_is_throttled_per_client(limited_app):
    client = limited_app.test_client()
    answers = [
        client.post("/api/checkin/1/scans", json={"code": "X", "nonce": str(n)}).status_code
        for n in range(6)
    ]
    assert answers[-1] == 429
    assert answers.count(429) == 2


def test_other_routes_are_not_limited(limited_app):
    client = limited_app.test_client()
    assert all(client.get("/healthz").status_code == 200 for _ in range(10))


def test_a_limit_change_applies_to_the_next_app_without_piling_up(app_config):
    first = create_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "RATELIMITS": {"registration.manage": "1 per minute"},
        }
    )
    second = create_app(
        {
            **app_config,
            "RATELIMIT_ENABLED": True,
            "RATELIMITS": {"registration.manage": "50 per minute"},
        }
    )
    for app, expected in ((first, [404, 429]), (second, [404, 404])):
        with app.app_context():
            db.create_all()
            limiter.reset()
            client = app.test_client()
            assert [client.get("/r/x").status_code for _ in range(2)] == expected
            db.session.remove()
            db.engine.dispose()
