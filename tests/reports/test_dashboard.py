"""The staff home dashboard: upcoming conferences, readiness, late plan items, last 7 days."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from outreach.site import services as site_services

SVG = "{http://www.w3.org/2000/svg}"


def test_dashboard_counts_the_last_seven_days(dataset, organizer):
    conference, _ = dataset
    # the data set's registrations arrived on 1, 2, 3 and 4 November (Hà Nội time)
    now = dt.datetime(2026, 11, 6, 5, 0, tzinfo=dt.UTC)
    dashboard = site_services.staff_dashboard(organizer, now=now)
    assert [(row.label, row.values[0]) for row in dashboard.arrivals.rows] == [
        ("31/10", 0),
        ("01/11", 2),
        ("02/11", 1),
        ("03/11", 3),
        ("04/11", 1),
        ("05/11", 0),
        ("06/11", 0),
    ]
    assert [item.conference for item in dashboard.upcoming] == [conference]
    assert dashboard.upcoming[0].conference.seats_taken == 8


def test_staff_home_shows_the_dashboard(client, auth, dataset):
    auth.login()
    html = client.get("/staff/").get_data(as_text=True)
    assert "8/8" in html
    start = html.index('id="dashboard-arrivals"')
    svg = html[html.index("<svg", start) : html.index("</svg>", start) + 6]
    root = ET.fromstring(svg)
    assert root.get("role") == "img"
    assert len([t for t in root.iter(f"{SVG}text") if t.get("class") == "chart-value"]) >= 1
    assert "/staff/needs" in html


def test_division_staff_see_no_conference_dashboard(client, auth, dataset, create_user, divisions):
    create_user(email="qlkh@example.vn", role="division_staff", division=divisions["QLKH"])
    auth.login("qlkh@example.vn")
    html = client.get("/staff/").get_data(as_text=True)
    assert 'id="dashboard-upcoming"' not in html
    assert "/staff/needs" in html


def test_an_organizer_of_another_organization_counts_none_of_these(
    dataset, organizer, admin, create_user, create_organization
):
    now = dt.datetime(2026, 11, 6, 5, 0, tzinfo=dt.UTC)
    alliance = create_user(
        email="lienminh@example.vn", role="organizer", organization=create_organization()
    )
    theirs = site_services.staff_dashboard(alliance, now=now)
    assert sum(row.values[0] for row in theirs.arrivals.rows) == 0
    assert theirs.upcoming == []
    # an admin sees every organization's
    assert (
        sum(row.values[0] for row in site_services.staff_dashboard(admin, now=now).arrivals.rows)
        == 7
    )
