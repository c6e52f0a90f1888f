"""B2-23, B7-93: staff changes leave an audit entry even where a feature writes none itself."""

from __future__ import annotations

import sqlalchemy as sa

from outreach.audit.models import AuditEntry
from outreach.database import db


def _entries():
    db.session.expire_all()
    return db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()


def test_a_role_change_is_audited_without_personal_data(client, auth, admin, create_user):
    user = create_user(role="organizer", email="to.chuc@example.vn", name="Lê Thị Hoa")
    auth.login("admin@example.vn")
    response = client.post(
        f"/staff/admin/users/{user.id}/edit",
        data={
            "name": "Lê Thị Hoa",
            "role": "door_staff",
            "organization_id": "0",
            "division_id": "0",
            "is_active": "y",
            "password": "",
        },
    )
    assert response.status_code == 302
    [entry] = [e for e in _entries() if e.action.startswith("web.")]
    assert entry.action == "web.accounts.user_edit"
    assert entry.actor_id == admin.id
    assert entry.object_type == "user"
    assert entry.object_id == user.id
    assert "Hoa" not in str(entry.detail)
    assert "example.vn" not in str(entry.detail)


def test_a_refused_or_invalid_post_leaves_no_entry(client, auth, admin, organizer):
    auth.login()  # an organizer may not edit users
    assert client.post(f"/staff/admin/users/{admin.id}/edit", data={}).status_code == 403
    client.post("/logout")
    auth.login("admin@example.vn")
    # a form with errors re-renders (no redirect): nothing changed, nothing recorded
    page = client.post(f"/staff/admin/users/{admin.id}/edit", data={"name": ""})
    assert page.status_code in (200, 400, 422)
    assert [e for e in _entries() if e.action.startswith("web.")] == []


def test_a_view_that_audits_itself_is_not_recorded_twice(
    client, auth, organizer, create_conference
):
    from outreach.mail import services as mail_services

    conference = create_conference(host_id=organizer.organization_id)
    message = mail_services.queue_message(
        to="x@example.vn",
        subject="s",
        text="t",
        dedupe_key="k",
        now=conference.starts_at,
        conference_id=conference.id,
    )
    message.status = "failed"
    db.session.commit()
    auth.login()
    response = client.post(f"/staff/outbox/{message.id}/resend")
    assert response.status_code == 302
    actions = [e.action for e in _entries()]
    assert "outbox.resend" in actions
    assert not any(a.startswith("web.") for a in actions)
