"""The public conference page is kept a few seconds per worker; staff always see it fresh."""

import pytest

from outreach.database import db


@pytest.fixture
def app_config(app_config):
    app_config["PUBLIC_PAGE_CACHE_SECONDS"] = 60
    return app_config


def test_visitors_get_the_kept_page_and_staff_a_fresh_one(client, auth, create_conference,
                                                          organizer):
    conference = create_conference(capacity=150, host_id=organizer.organization_id)
    db.session.commit()
    assert "Còn 150 chỗ" in client.get(f"/conferences/{conference.slug}").get_data(as_text=True)
    conference.seats_taken = 10
    db.session.commit()
    assert "Còn 150 chỗ" in client.get(f"/conferences/{conference.slug}").get_data(as_text=True)
    auth.login()
    page = client.get(f"/conferences/{conference.slug}").get_data(as_text=True)
    assert "Còn 140 chỗ" in page
    assert "Quản lý hội nghị này" in page


def test_each_language_is_kept_apart(client, create_conference):
    conference = create_conference()
    db.session.commit()
    client.get(f"/conferences/{conference.slug}")
    client.post("/lang", data={"lang": "en"})
    assert "Register" in client.get(f"/conferences/{conference.slug}").get_data(as_text=True)


def test_unknown_slugs_stay_404_when_cached(client):
    assert client.get("/conferences/khong-co").status_code == 404
    assert client.get("/conferences/khong-co").status_code == 404
