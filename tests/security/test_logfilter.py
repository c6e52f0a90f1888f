"""B3-44, B7-91: no phone, e-mail, token or ticket code in any log record."""

from __future__ import annotations

import datetime as dt
import logging
import re
import secrets

import pytest
from flask import request

from outreach.checkin import services as checkin
from outreach.database import db
from outreach.registration.models import Registration
from outreach.security.logfilter import redact

from .conftest import registration_form
from .conftest import token_from

DOORS_OPEN = dt.datetime(2026, 12, 10, 0, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("call 0912 345 678 now", "call [phone] now"),
        ("call 0912345678", "call [phone]"),
        ("e164 +84912345678.", "e164 [phone]."),
        ("intl +44 20 7946 0958", "intl [phone]"),
        ("84912345678 from sms", "[phone] from sms"),
        ("landline 0204.3854.123", "landline [phone]"),
        ("to Hung.Nguyen+htx@example.vn,", "to [email],"),
        ("GET /r/abcDEF_123-xyz HTTP/1.1", "GET /r/[token] HTTP/1.1"),
        ("GET /r/abc/tickets.pdf", "GET /r/[token]/tickets.pdf"),
        ("GET /door/Zq9_x?x=1", "GET /door/[token]?x=1"),
        ("POST /news/opt-out/eyJhIjoxfQ.sig", "POST /news/opt-out/[token]"),
        ("code ABCDEFGHIJKLMNOPQRSTUVWXYZ scanned", "code [ticket] scanned"),
        ("?token=secret&x=1", "?token=[token]&x=1"),
    ],
)
def test_redact(raw, expected):
    assert redact(raw) == expected


@pytest.mark.parametrize(
    "kept",
    [
        "registration 42 confirmed in 0.153 s",
        "2026-12-10 08:00:00 +0700",
        "outbox message 000123 sent",
        "GET /staff/conferences/12/registrations 200",
        "conference hoi-nghi-ab12cd",
    ],
)
def test_ordinary_log_lines_are_left_alone(kept):
    assert redact(kept) == kept


def test_arguments_and_tracebacks_are_masked(app, caplog):
    logger = logging.getLogger("outreach.some.module")
    with caplog.at_level(logging.INFO):
        logger.info("registered %s with %s", "0912 000 001", "a@example.vn")
        try:
            raise ValueError("bad phone +84912000001 for b@example.vn")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert "0912 000 001" not in text
    assert "a@example.vn" not in text
    assert "+84912000001" not in text
    assert "b@example.vn" not in text
    assert "[phone]" in text
    assert "[email]" in text
    assert "ValueError" in text


@pytest.fixture
def conference(create_conference, organizer):
    conference = create_conference(
        capacity=10, themes=["st_projects"], host_id=organizer.organization_id
    )
    db.session.commit()
    return conference


def test_a_full_register_mail_scan_flow_logs_nothing_personal(
    app, client, conference, caplog, monkeypatch
):
    """Every request is also logged with its full URL, form and JSON body by a hook added
    here, as a careless access log would; werkzeug's own access-log format is mimicked too."""
    access = logging.getLogger("werkzeug")
    noisy = logging.getLogger("outreach.test.requests")

    @app.after_request
    def _log_everything(response):
        noisy.info(
            "%s %s form=%s json=%s -> %s",
            request.method,
            request.full_path,
            dict(request.form),
            request.get_json(silent=True),
            response.status_code,
        )
        access.info(
            '127.0.0.1 - - "%s %s HTTP/1.1" %s -',
            request.method,
            request.path,
            response.status_code,
        )
        return response

    monkeypatch.setattr("outreach.checkin.views.utcnow", lambda: DOORS_OPEN)
    with caplog.at_level(logging.DEBUG):
        # register (mail is delivered inline, as .eml files)
        response = client.post(f"/conferences/{conference.slug}/register", data=registration_form())
        assert response.status_code == 302
        token = token_from(response.headers["Location"])
        assert client.get(f"/r/{token}").status_code == 200
        assert client.get(f"/r/{token}/tickets.pdf").status_code == 200
        # lost link: a new token by mail
        assert (
            client.post("/lost-link", data={"contact": "htx.lucngan@example.vn"}).status_code == 302
        )
        registration = db.session.query(Registration).one()
        codes = [d.ticket_code for d in registration.delegates]
        # scan at the door through a door link, and a forged code
        _link, door_token = checkin.create_door_link(
            conference, "Cửa chính", created_by=None, now=DOORS_OPEN
        )
        db.session.commit()
        assert client.get(f"/door/{door_token}").status_code == 200
        for code in (codes[0], codes[0], "A" * 26):
            answer = client.post(
                f"/api/checkin/{conference.id}/scans",
                json={"code": code, "nonce": secrets.token_hex(8)},
                headers={"Authorization": f"Bearer {door_token}"},
            )
            assert answer.status_code in (200, 404)
        # an error path: a logged exception carrying the phone
        app.logger.error("delivery failed for %s", registration.contact_phone)

    records = caplog.records
    assert len(records) > 10
    logged = "\n".join([r.getMessage() for r in records] + [r.exc_text or "" for r in records])
    assert f"/r/{token}" not in logged
    assert token not in logged
    assert door_token not in logged
    assert "/r/[token]" in logged
    assert "/door/[token]" in logged
    for code in codes:
        assert code not in logged
    for secret in (
        "0912 000 001",
        "0912000001",
        "+84912000001",
        "84912000001",
        "+84 987 000 002",
        "+84987000002",
        "0987000002",
        "htx.lucngan@example.vn",
        "hung.nguyen@example.vn",
    ):
        assert secret not in logged, secret
    assert not re.search(r"\b0\d{9}\b", logged)
