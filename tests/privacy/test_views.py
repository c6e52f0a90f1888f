"""The admin pages: audit trail and data-subject requests (B7-86/87/88/93)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from outreach.audit import services as audit
from outreach.audit.models import AuditEntry
from outreach.database import db
from outreach.privacy.models import DataRequest
from outreach.registration.models import Registration
from tests.privacy.conftest import all_text


@pytest.fixture
def conference(create_conference):
    conference = create_conference(capacity=10)
    db.session.commit()
    return conference


@pytest.fixture
def as_admin(client, auth, admin):
    auth.login("admin@example.vn")
    return client


def test_only_admins_reach_the_privacy_pages(client, auth, organizer, conference, register):
    register(conference)
    assert client.get("/staff/admin/privacy/").status_code == 302
    auth.login()
    assert client.get("/staff/admin/privacy/").status_code == 403
    response = client.post("/staff/admin/privacy/export.json", data={"contact": "0912000001"})
    assert response.status_code == 403
    assert (
        client.post(
            "/staff/admin/privacy/erase", data={"contact": "0912000001", "confirm": "y"}
        ).status_code
        == 403
    )
    assert db.session.scalar(sa.select(Registration.contact_name)) == "Trần Thị Mai"
    assert client.get("/staff/admin/audit").status_code == 403


def test_finding_a_person_shows_their_registrations_masked(as_admin, conference, register):
    register(conference)
    page = as_admin.post("/staff/admin/privacy/find", data={"contact": "0912 000 001"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "09xx xxx 001" in text
    assert "Hội nghị phổ biến chính sách KH&amp;CN" in text
    assert page.headers["Cache-Control"] == "no-store"
    # the contact never travels in a URL
    assert "?contact=" not in text


def test_a_bad_contact_gets_a_message_on_its_field(as_admin):
    page = as_admin.post("/staff/admin/privacy/find", data={"contact": "0912"})
    assert page.status_code == 400
    assert "Số điện thoại chưa đúng" in page.get_data(as_text=True)


def test_export_json_holds_everything_and_is_audited(as_admin, admin, conference, register):
    register(conference)
    response = as_admin.post("/staff/admin/privacy/export.json", data={"contact": "0912000001"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.get_data(as_text=True))
    assert data["registrations"][0]["contact_name"] == "Trần Thị Mai"
    assert len(data["delegates"]) == 1
    assert data["messages"]
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "privacy.export"))
    assert entry.actor_id == admin.id
    assert entry.detail == {"format": "json"}
    assert entry.row_count == 3


def test_export_pdf(as_admin, conference, register):
    register(conference)
    response = as_admin.post("/staff/admin/privacy/export.pdf", data={"contact": "0912000001"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")


def test_erasing_needs_the_confirmation(as_admin, conference, register):
    register(conference)
    page = as_admin.post("/staff/admin/privacy/erase", data={"contact": "0912000001"})
    assert page.status_code == 400
    assert "Hãy đánh dấu xác nhận trước khi xóa." in page.get_data(as_text=True)
    assert "Trần Thị Mai" in all_text(db.session)


def test_erasing_through_the_page(as_admin, conference, register):
    registration = register(conference)
    old_code = registration.delegates[0].ticket_code
    response = as_admin.post(
        "/staff/admin/privacy/erase", data={"contact": "mai.tran@example.vn", "confirm": "y"}
    )
    assert response.status_code == 302
    text = all_text(db.session)
    assert "Trần Thị Mai" not in text
    assert "mai.tran@example.vn" not in text
    assert old_code not in text
    page = as_admin.get("/staff/admin/privacy/")
    assert "Đã ẩn danh 1 đăng ký" in page.get_data(as_text=True)


def test_erasing_deletes_the_mail_files_of_the_person(app, as_admin, conference, register):
    from pathlib import Path

    from outreach.mail import sender

    register(conference)
    other = register(
        conference,
        delegates=(("Phạm Văn Khác", "0903000009"),),
        contact_name="Phạm Văn Khác",
        contact_phone="0903 000 009",
        contact_email="khac@example.vn",
        tax_code="0100233488",
    )
    assert sender.deliver_due() == 2
    folder = Path(app.config["MAIL_FOLDER"])
    assert len(list(folder.glob("*.eml"))) == 2
    response = as_admin.post(
        "/staff/admin/privacy/erase", data={"contact": "mai.tran@example.vn", "confirm": "y"}
    )
    assert response.status_code == 302
    left = [path.read_bytes() for path in folder.glob("*.eml")]
    assert len(left) == 1
    assert b"khac@example.vn" in left[0]
    assert other.contact_email == "khac@example.vn"


def test_an_old_ticket_scans_as_unknown_after_erasure(as_admin, conference, register, monkeypatch):
    from outreach.checkin import services as checkin

    registration = register(conference)
    code = registration.delegates[0].ticket_code
    as_admin.post("/staff/admin/privacy/erase", data={"contact": "0912000001", "confirm": "y"})
    _link, token = checkin.create_door_link(
        conference,
        "Cửa chính",
        created_by=None,
        now=dt.datetime(2026, 12, 10, 0, 30, tzinfo=dt.UTC),
    )
    db.session.commit()
    monkeypatch.setattr(
        "outreach.checkin.views.utcnow", lambda: dt.datetime(2026, 12, 10, 0, 30, tzinfo=dt.UTC)
    )
    answer = as_admin.post(
        f"/api/checkin/{conference.id}/scans",
        json={"code": code, "nonce": "after-erasure"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.get_json()["result"] == "unknown"
    assert "delegate" not in answer.get_json() or not answer.get_json()["delegate"]


def test_requests_are_recorded_and_tracked(as_admin, admin):
    response = as_admin.post(
        "/staff/admin/privacy/requests",
        data={"kind": "access", "contact": "0912 000 001", "received_on": "2026-11-20"},
    )
    assert response.status_code == 302
    request = db.session.scalar(sa.select(DataRequest))
    assert request.due_on == dt.date(2026, 12, 20)
    assert request.subject_display == "09xx xxx 001"
    page = as_admin.get("/staff/admin/privacy/").get_data(as_text=True)
    assert "09xx xxx 001" in page
    assert "20/12/2026" in page
    assert "0912000001" not in all_text(db.session).replace("09xx xxx 001", "")
    as_admin.post(f"/staff/admin/privacy/requests/{request.id}/complete")
    db.session.refresh(request)
    assert request.completed_at is not None
    assert as_admin.post("/staff/admin/privacy/requests/999/complete").status_code == 404


def test_a_request_with_a_bad_date_changes_nothing(as_admin):
    page = as_admin.post(
        "/staff/admin/privacy/requests",
        data={"kind": "access", "contact": "0912 000 001", "received_on": "2099-01-01"},
    )
    assert page.status_code == 400
    assert "Ngày nhận yêu cầu không thể ở tương lai." in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(DataRequest.id))) == 0


def test_the_audit_page_filters_by_action_person_and_date(as_admin, admin, organizer):
    now = dt.datetime(2026, 11, 20, 3, tzinfo=dt.UTC)
    audit.record(
        "registrations.export", actor=organizer, row_count=42, detail={"format": "csv"}, now=now
    )
    audit.record(
        "outbox.resend",
        actor=admin,
        object_type="outbox_message",
        object_id=7,
        now=now - dt.timedelta(days=3),
    )
    db.session.commit()
    page = as_admin.get("/staff/admin/audit").get_data(as_text=True)
    assert "<code>registrations.export</code>" in page
    assert "<code>outbox.resend</code>" in page
    filtered = as_admin.get("/staff/admin/audit?action=registrations").get_data(as_text=True)
    assert "<code>registrations.export</code>" in filtered
    assert "<code>outbox.resend</code>" not in filtered
    by_date = as_admin.get("/staff/admin/audit?since=2026-11-19&until=2026-11-20")
    assert "<code>outbox.resend</code>" not in by_date.get_data(as_text=True)
    assert "<code>registrations.export</code>" in by_date.get_data(as_text=True)
    by_actor = as_admin.get(f"/staff/admin/audit?actor={admin.id}").get_data(as_text=True)
    assert "<code>outbox.resend</code>" in by_actor
    assert "<code>registrations.export</code>" not in by_actor
    bad = as_admin.get("/staff/admin/audit?since=not-a-date")
    assert bad.status_code == 200
