"""B2-25/26/27 and the absolute session lifetime: a renewed cookie does not extend a session."""

from __future__ import annotations

import datetime as dt
import time

from outreach.database import db


def test_login_stores_the_login_time(client, auth, organizer):
    before = int(time.time())
    auth.login()
    with client.session_transaction() as session:
        assert before <= session["login_at"] <= int(time.time())


def test_a_session_older_than_the_lifetime_is_ended(app, client, auth, organizer):
    auth.login()
    assert client.get("/staff/").status_code == 200
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with client.session_transaction() as session:
        session["login_at"] = int(time.time() - lifetime.total_seconds() - 5)
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    # and it stays ended: the user id is gone from the cookie
    with client.session_transaction() as session:
        assert "_user_id" not in session
    assert client.get("/staff/").status_code == 302


def test_a_session_just_inside_the_lifetime_is_kept(app, client, auth, organizer):
    auth.login()
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"]
    with client.session_transaction() as session:
        session["login_at"] = int(time.time() - lifetime.total_seconds() + 60)
    assert client.get("/staff/").status_code == 200


def test_a_separate_absolute_lifetime_wins(app, client, auth, organizer):
    app.config["SESSION_ABSOLUTE_LIFETIME"] = dt.timedelta(minutes=30)
    auth.login()
    with client.session_transaction() as session:
        session["login_at"] = int(time.time() - 31 * 60)
    assert client.get("/staff/").status_code == 302


def test_a_logged_in_cookie_without_a_login_time_is_refused(client, auth, organizer):
    auth.login()
    with client.session_transaction() as session:
        del session["login_at"]
    assert client.get("/staff/").status_code == 302


def test_an_expired_session_on_the_api_gets_401(app, client, auth, organizer, create_conference):
    conference = create_conference(host_id=organizer.organization_id)
    auth.login()
    with client.session_transaction() as session:
        session["login_at"] = 0
    response = client.get(f"/api/checkin/{conference.id}/stats")
    assert response.status_code == 401


def test_login_gives_each_session_its_own_id(client, auth, organizer):
    auth.login()
    with client.session_transaction() as session:
        first = session["sid"]
    client.post("/logout")
    auth.login()
    with client.session_transaction() as session:
        assert session["sid"] != first
        assert len(session["sid"]) >= 32


def test_a_cookie_replayed_after_logout_gives_no_access(app, auth, organizer):
    """B2-26: the cookie is signed, not stored; logout records its id as revoked."""
    client = app.test_client()
    auth_client = type(auth)(client)
    auth_client.login()
    assert client.get("/staff/").status_code == 200
    stolen = client.get_cookie("session").value
    client.post("/logout")
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    response = attacker.get("/staff/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
    # another login of the same user is not affected
    second = app.test_client()
    type(auth)(second).login()
    assert second.get("/staff/").status_code == 200


def test_a_replayed_cookie_is_refused_on_the_api_too(app, auth, organizer, create_conference):
    conference = create_conference(host_id=organizer.organization_id)
    db.session.commit()
    client = app.test_client()
    type(auth)(client).login()
    stolen = client.get_cookie("session").value
    client.post("/logout")
    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    assert attacker.get(f"/api/checkin/{conference.id}/stats").status_code == 401
