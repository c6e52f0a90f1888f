"""Links in e-mails never point to a host taken from a forged Host header."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from outreach.database import db
from outreach.mail.models import OutboxMessage

from .conftest import registration_form


@pytest.fixture
def conference(create_conference):
    conference = create_conference(capacity=10, themes=["st_projects"])
    db.session.commit()
    return conference


def _register(client, conference):
    response = client.post(f"/conferences/{conference.slug}/register", data=registration_form())
    assert response.status_code == 302


def _lost_link(client, host):
    return client.post("/lost-link", data={"contact": "0912 000 001"}, headers={"Host": host})


def _links():
    return [
        m.body_text
        for m in db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == "lost_link")
        )
    ]


def test_base_url_wins_over_any_host_header(app, client, conference):
    app.config["BASE_URL"] = "https://hoinghi.example.gov.vn"
    _register(client, conference)
    assert _lost_link(client, "evil.example.com").status_code == 302
    [body] = _links()
    assert "https://hoinghi.example.gov.vn/r/" in body
    assert "evil.example.com" not in body


def test_an_untrusted_host_is_refused_and_nothing_is_sent(app, client, conference):
    _register(client, conference)
    app.config["TRUSTED_HOSTS"] = ["hoinghi.example.gov.vn"]
    response = _lost_link(client, "evil.example.com")
    assert response.status_code == 400
    assert "Host not allowed" in response.get_data(as_text=True)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert _links() == []
    # every page, not only the e-mail links: a forged host gets the same bare 400
    assert client.get("/", headers={"Host": "evil.example.com"}).status_code == 400
    assert client.get("/", headers={"Host": "hoinghi.example.gov.vn"}).status_code == 200


def test_a_trusted_host_builds_the_link(app, client, conference):
    app.config["TRUSTED_HOSTS"] = ["hoinghi.example.gov.vn", "localhost"]
    _register(client, conference)
    assert _lost_link(client, "hoinghi.example.gov.vn").status_code == 302
    [body] = _links()
    assert "http://hoinghi.example.gov.vn/r/" in body


def test_production_without_base_url_or_trusted_hosts_refuses_to_build_links(app):
    from outreach.security.hosts import UntrustedHost
    from outreach.security.hosts import link_base_url

    app.config["ENV_NAME"] = "production"
    with (
        app.test_request_context("/", headers={"Host": "evil.example.com"}),
        pytest.raises(UntrustedHost),
    ):
        link_base_url()
