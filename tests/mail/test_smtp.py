"""Mail through a real SMTP server: confirmations with invitations, updates, cancellations,
retries while the server is down, and two senders delivering each message once."""

import datetime as dt
import threading

import icalendar
import sqlalchemy as sa
import vobject

from outreach.database import db
from outreach.mail import messages
from outreach.mail import sender
from outreach.mail import services
from outreach.mail.models import OutboxMessage
from outreach.registration.models import Registration

FORM = {
    "submission_id": "sub-1",
    "cooperative-kind": "hop_tac_xa",
    "cooperative-name": "HTX Nông sản Lục Ngạn",
    "cooperative-tax_code": "2407196800",
    "cooperative-province_code": "24",
    "cooperative-ward_code": "7582",
    "contact_name": "Nguyễn Văn Hùng",
    "contact_phone": "0912 000 001",
    "contact_email": "htx@example.vn",
    "delegates-0-full_name": "Nguyễn Văn Hùng",
    "delegates-0-phone": "0912 000 001",
    "delegates-0-email": "hung@example.vn",
    "delegates-1-full_name": "Trần Thị Hà",
    "delegates-1-phone": "0912 000 002",
    "delegates-1-email": "",
    "consent_participation": "y",
}


def _calendar_part(message):
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part
    return None


def _register(client, conference, **overrides):
    return client.post(f"/conferences/{conference.slug}/register", data={**FORM, **overrides})


def test_confirmation_arrives_with_invitation_images_and_tickets(
    client, create_conference, smtp_server
):
    conference = create_conference()
    db.session.commit()
    assert _register(client, conference).status_code == 302
    received = smtp_server.inbox.messages
    assert sorted(r[0][0] for r in received) == ["htx@example.vn", "hung@example.vn"]
    message = received[0][1]
    assert "Xác nhận đăng ký" in message["Subject"]
    calendar_part = _calendar_part(message)
    assert calendar_part.get_param("method") == "REQUEST"
    raw = calendar_part.get_content()
    if isinstance(raw, bytes):
        raw = raw.decode()
    # our reader
    event = icalendar.Calendar.from_ical(raw).walk("VEVENT")[0]
    assert event["uid"] == f"conference-{conference.id}@hoinghi.example.vn"
    assert event.decoded("dtstart").astimezone(dt.UTC) == dt.datetime(
        2026, 12, 10, 1, 0, tzinfo=dt.UTC
    )
    # an independent reader
    parsed = vobject.readOne(raw)
    assert parsed.method.value == "REQUEST"
    assert parsed.vevent.organizer.value == "mailto:btc@example.vn"
    attendees = [a.value for a in parsed.vevent.contents.get("attendee", [])]
    assert attendees == ["mailto:hung@example.vn"]  # only delegates with an e-mail
    images = [p for p in message.walk() if p.get_content_type() == "image/png"]
    assert len(images) == 2
    assert all(p["Content-ID"] for p in images)
    html = next(p for p in message.walk() if p.get_content_type() == "text/html").get_content()
    assert all(p["Content-ID"].strip("<>") in html for p in images)
    pdfs = [p for p in message.walk() if p.get_content_type() == "application/pdf"]
    assert pdfs
    assert pdfs[0].get_content().startswith(b"%PDF")
    text = message.get_body(("plain",)).get_content()
    assert "/r/" in text
    assert "0912" not in raw  # no phone numbers in invitations


def test_only_the_contact_receives_the_private_link(client, create_conference, smtp_server):
    conference = create_conference()
    db.session.commit()
    assert _register(client, conference).status_code == 302
    bodies = {}
    for envelope, message in smtp_server.inbox.messages:
        text = message.get_body(preferencelist=("plain",)).get_content()
        bodies[envelope[0]] = text
    assert set(bodies) == {"htx@example.vn", "hung@example.vn"}
    assert "/r/" in bodies["htx@example.vn"]
    assert "/r/" not in bodies["hung@example.vn"]  # a delegate gets the tickets, not the link
    assert "Nguyễn Văn Hùng" in bodies["hung@example.vn"]


def test_a_long_vietnamese_subject_keeps_its_spaces(client, create_conference, smtp_server):
    from outreach.mail.models import OutboxMessage

    conference = create_conference(
        title="Hội nghị phổ biến quy định về nghiên cứu, ứng dụng KH&CN và thủ tục tham gia "
        "đề tài, dự án KH&CN"
    )
    db.session.commit()
    assert _register(client, conference).status_code == 302
    stored = db.session.scalar(sa.select(OutboxMessage.subject).limit(1))
    assert "phổ biến" in stored
    for _envelope, message in smtp_server.inbox.messages:
        assert message["Subject"] == stored


def test_moved_conference_sends_request_with_same_uid_and_higher_sequence(
    client, create_conference, smtp_server
):
    conference = create_conference()
    db.session.commit()
    _register(client, conference)
    first = _calendar_part(smtp_server.inbox.messages[0][1]).get_content()
    conference.starts_at += dt.timedelta(hours=1)
    conference.ends_at += dt.timedelta(hours=1)
    conference.ics_sequence += 1
    registrations = db.session.scalars(sa.select(Registration)).all()
    messages.queue_conference_change(
        conference, now=conference.created_at, active_registrations=registrations
    )
    db.session.commit()
    sender.deliver_due()
    moved = _calendar_part(smtp_server.inbox.messages[-1][1]).get_content()
    before = icalendar.Calendar.from_ical(first).walk("VEVENT")[0]
    after = icalendar.Calendar.from_ical(moved).walk("VEVENT")[0]
    assert vobject.readOne(moved).method.value == "REQUEST"
    assert after["uid"] == before["uid"]
    assert int(after["sequence"]) == int(before["sequence"]) + 1
    assert after.decoded("dtstart").astimezone(dt.UTC).hour == 2


def test_cancelled_conference_sends_method_cancel(client, create_conference, smtp_server):
    conference = create_conference()
    db.session.commit()
    _register(client, conference)
    conference.status = "cancelled"
    conference.cancel_reason = "Bão"
    conference.ics_sequence += 1
    messages.queue_conference_change(
        conference,
        now=conference.created_at,
        active_registrations=db.session.scalars(sa.select(Registration)).all(),
    )
    db.session.commit()
    sender.deliver_due()
    message = smtp_server.inbox.messages[-1][1]
    raw = _calendar_part(message).get_content()
    assert _calendar_part(message).get_param("method") == "CANCEL"
    parsed = vobject.readOne(raw)
    assert parsed.method.value == "CANCEL"
    assert parsed.vevent.status.value == "CANCELLED"


def test_smtp_down_keeps_the_registration_and_sends_once_when_back(
    client, create_conference, smtp_server
):
    conference = create_conference()
    db.session.commit()
    smtp_server.stop()
    response = _register(client, conference)
    assert response.status_code == 302  # the registration is saved and its tickets shown
    assert client.get(response.headers["Location"]).status_code == 200
    rows = db.session.scalars(sa.select(OutboxMessage)).all()
    assert {r.status for r in rows} == {"pending"}
    assert all(r.attempts == 1 and r.last_error for r in rows)
    smtp_server.start()
    for row in rows:  # the retry falls due
        row.next_attempt_at = row.created_at
    db.session.commit()
    assert sender.deliver_due() == 2
    assert sender.deliver_due() == 0
    assert len(smtp_server.inbox.messages) == 2


def test_last_attempt_marks_failed_and_an_organizer_can_resend(app, create_conference):
    message = services.queue_message(
        to="x@example.vn",
        subject="s",
        text="t",
        dedupe_key="k",
        now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC),
    )
    db.session.commit()
    for _ in range(services.MAX_ATTEMPTS):
        message.next_attempt_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        db.session.commit()
        sender.deliver_due()  # the SMTP server of app_config is not running
        db.session.refresh(message)
    assert message.status == "failed"
    services.resend(message, now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert message.status == "pending"
    assert message.attempts == 0


def test_two_senders_deliver_each_message_once(app, smtp_server):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for index in range(30):
        services.queue_message(
            to=f"p{index}@example.vn",
            subject=f"s{index}",
            text="t",
            dedupe_key=f"k{index}",
            now=now,
        )
    db.session.commit()
    db.session.close()

    def run():
        with app.app_context():
            sender.deliver_due(limit=100)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    subjects = sorted(m["Subject"] for _, m in smtp_server.inbox.messages)
    assert subjects == sorted(f"s{i}" for i in range(30))


def test_same_event_queues_one_message(app):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    first = services.queue_message(
        to="a@example.vn", subject="s", text="t", dedupe_key="e1", now=now
    )
    again = services.queue_message(
        to="a@example.vn", subject="s", text="t", dedupe_key="e1", now=now
    )
    assert first.id == again.id


def test_line_breaks_cannot_add_headers(app, smtp_server):
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    services.queue_message(
        to="a@example.vn\r\nBcc: evil@example.vn",
        subject="Xin chào\r\nBcc: evil@example.vn",
        text="t",
        dedupe_key="inj",
        now=now,
    )
    db.session.commit()
    sender.deliver_due()
    recipients, message = smtp_server.inbox.messages[0]
    assert message["Bcc"] is None
    assert "evil@example.vn" not in recipients
