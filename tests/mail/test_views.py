"""The outbox page, resending, reminders, the news opt-out and the send-mail command."""

import datetime as dt
import re
from pathlib import Path

import sqlalchemy as sa

from outreach.database import db
from outreach.mail import messages
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
    "consent_participation": "y",
    "consent_news": "y",
}


def _file_config(app_config):
    app_config["MAIL_SMTP_HOST"] = ""  # the embedded .eml transport
    return app_config


def test_registration_writes_eml_files_readable_on_the_outbox_page(
    app_config, app, client, auth, create_conference, organizer
):
    _file_config(app.config)
    conference = create_conference(host_id=organizer.organization_id)
    db.session.commit()
    client.post(f"/conferences/{conference.slug}/register", data=FORM)
    files = list(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))
    assert len(files) == 1
    assert "confirmation" in files[0].name
    auth.login()
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert "Xác nhận đăng ký" in page
    message = db.session.scalar(sa.select(OutboxMessage))
    detail = client.get(f"/staff/outbox/{message.id}").get_data(as_text=True)
    assert "htx@example.vn" in detail
    assert "tickets_pdf" in detail
    # the cooperative's private link is in the message sent, never on the staff page
    link = re.search(r"/r/[A-Za-z0-9_-]{16,}", message.body_text).group(0)
    assert link not in detail
    assert "/r/•••" in detail


def test_outbox_page_is_for_organizers(client, auth, create_user):
    create_user(email="door@example.vn", role="door_staff")
    auth.login("door@example.vn")
    assert client.get("/staff/outbox/").status_code == 403


def test_failed_message_can_be_resent_from_the_page(app, client, auth, admin):
    _file_config(app.config)
    message = services.queue_message(
        to="a@example.vn",
        subject="Thư thử",
        text="t",
        dedupe_key="x",
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    message.status = "failed"
    db.session.commit()
    auth.login("admin@example.vn")
    client.post(f"/staff/outbox/{message.id}/resend")
    db.session.refresh(message)
    assert message.status == "sent"


def test_reminders_are_queued_once_each(app, create_conference, make_input):
    from outreach.registration import services as registration_services

    conference = create_conference()
    registration_services.register_cooperative(
        conference, make_input(), submission_id="s", now=dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    )
    db.session.commit()

    def confirmed(c):
        return db.session.scalars(
            sa.select(Registration).where(
                Registration.conference_id == c.id, Registration.status == "confirmed"
            )
        ).all()

    two_days_before = conference.starts_at - dt.timedelta(days=2)
    assert (
        messages.queue_reminders(
            [conference], days_before=[3, 1], now=two_days_before, registrations_of=confirmed
        )
        == 1
    )
    assert (
        messages.queue_reminders(
            [conference], days_before=[3, 1], now=two_days_before, registrations_of=confirmed
        )
        == 1
    )  # dedupe: same row
    db.session.commit()
    half_day_before = conference.starts_at - dt.timedelta(hours=12)
    messages.queue_reminders(
        [conference], days_before=[3, 1], now=half_day_before, registrations_of=confirmed
    )
    db.session.commit()
    kinds = db.session.scalars(
        sa.select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "reminder")
    ).all()
    assert sorted(k.split(":")[1] for k in kinds) == ["1", "3"]
    reminder = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
    assert "Chương trình" in reminder.body_text


def test_news_opt_out_withdraws_news_only(app, client, create_conference):
    _file_config(app.config)
    conference = create_conference()
    db.session.commit()
    client.post(f"/conferences/{conference.slug}/register", data=FORM)
    message = db.session.scalar(
        sa.select(OutboxMessage).where(OutboxMessage.kind == "confirmation")
    )
    link = message.headers["List-Unsubscribe"].strip("<>")
    path = "/" + link.split("/", 3)[3]
    assert client.post(path).status_code == 200
    registration = db.session.scalar(sa.select(Registration))
    assert registration.consent_news_at is None
    assert registration.consent_news_withdrawn_at is not None
    assert registration.status == "confirmed"
    assert client.get("/news/opt-out/forged-token").status_code == 404


def test_send_mail_command_delivers_pending(app, runner):
    _file_config(app.config)
    app.config["MAIL_SEND_INLINE"] = False
    services.queue_message(
        to="a@example.vn",
        subject="s",
        text="t",
        dedupe_key="cli",
        now=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    db.session.commit()
    result = runner.invoke(args=["send-mail"])
    assert "1 sent" in result.output
    assert len(list(Path(app.config["MAIL_FOLDER"]).glob("*.eml"))) == 1


def test_organizers_read_only_their_conferences_messages(app, client, auth, create_conference,
                                                         organizer, create_organization):
    _file_config(app.config)
    mine = create_conference(host_id=organizer.organization_id)
    other = create_conference(host=create_organization())
    db.session.commit()
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    ours = services.queue_message(to="a@example.vn", subject="Thư của tôi", text="t",
                                  dedupe_key="m1", now=now, conference_id=mine.id)
    theirs = services.queue_message(to="b@example.vn", subject="Thư của người khác", text="t",
                                    dedupe_key="m2", now=now, conference_id=other.id)
    db.session.commit()
    auth.login()
    page = client.get("/staff/outbox/").get_data(as_text=True)
    assert "Thư của tôi" in page
    assert "Thư của người khác" not in page
    assert client.get(f"/staff/outbox/{ours.id}").status_code == 200
    assert client.get(f"/staff/outbox/{theirs.id}").status_code == 404
    assert client.post(f"/staff/outbox/{theirs.id}/resend").status_code == 404
