"""B2-31, B7-92: security headers everywhere, no-store on personal pages, no-referrer on tokens."""

from __future__ import annotations

import pytest

from outreach.database import db

from .conftest import registration_form
from .conftest import token_from


@pytest.fixture
def conference(create_conference):
    conference = create_conference(capacity=10, themes=["st_projects"])
    db.session.commit()
    return conference


def _assert_base_headers(response):
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    assert "geolocation=()" in response.headers["Permissions-Policy"]


def test_public_pages_carry_the_headers_and_may_be_cached(client, conference):
    response = client.get("/")
    _assert_base_headers(response)
    assert "no-store" not in response.headers.get("Cache-Control", "")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers


def test_staff_pages_are_never_stored(client, auth, organizer):
    auth.login()
    response = client.get("/staff/")
    assert response.status_code == 200
    _assert_base_headers(response)
    assert response.headers["Cache-Control"] == "no-store"
    # also the login redirect of an anonymous visitor and error pages under /staff
    client.post("/logout")
    assert client.get("/staff/conferences/").headers["Cache-Control"] == "no-store"


def test_token_pages_send_no_referrer_and_are_not_stored(client, conference):
    response = client.post(f"/conferences/{conference.slug}/register", data=registration_form())
    assert response.status_code == 302
    token = token_from(response.headers["Location"])
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    _assert_base_headers(page)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    pdf = client.get(f"/r/{token}/tickets.pdf")
    assert pdf.headers["Cache-Control"] == "no-store"
    assert pdf.headers["Referrer-Policy"] == "no-referrer"
    # a wrong token: the same headers on the 404
    missing = client.get("/r/not-a-real-token")
    assert missing.status_code == 404
    assert missing.headers["Referrer-Policy"] == "no-referrer"


def test_door_and_api_answers_are_not_stored(client, conference):
    door = client.get("/door/forged-token")
    assert door.headers["Cache-Control"] == "no-store"
    assert door.headers["Referrer-Policy"] == "no-referrer"
    api = client.get(f"/api/checkin/{conference.id}/stats")
    assert api.status_code in (401, 404)
    assert api.headers["Cache-Control"] == "no-store"
    wards = client.get("/api/places/24/wards")
    assert wards.headers["Cache-Control"] == "no-store"


def test_hsts_only_when_cookies_are_secure(app_config, tmp_path):
    from outreach import create_app

    app = create_app({**app_config, "SESSION_COOKIE_SECURE": True})
    with app.app_context():
        db.create_all()
        response = app.test_client().get("/healthz")
        db.engine.dispose()
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_session_cookie_flags(client, auth, organizer):
    response = auth.login()
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_oversized_requests_are_refused(app, client, conference):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post(
        f"/conferences/{conference.slug}/register",
        data=registration_form(**{"needs-st_projects-text": "x" * 5000}),
    )
    assert response.status_code == 413
