"""Data-subject requests: find, export, erase, withdraw; requests and their deadlines."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from outreach.audit.models import AuditEntry
from outreach.database import db
from outreach.mail.models import OutboxMessage
from outreach.privacy import services
from outreach.registration import services as registration_services
from outreach.registration.models import Delegate
from outreach.registration.models import Registration
from tests.privacy.conftest import NOW
from tests.privacy.conftest import all_text


@pytest.fixture
def conference(create_conference):
    conference = create_conference(capacity=10)
    db.session.commit()
    return conference


def _person(raw):
    return services.find_person(services.parse_contact(raw))


@pytest.mark.parametrize("raw", ["", "abc", "0912", "mai@", "x" * 300])
def test_a_contact_must_be_a_phone_or_an_address(raw):
    with pytest.raises(services.InvalidContact) as caught:
        services.parse_contact(raw)
    assert caught.value.field == "contact"


def test_a_person_is_found_by_any_form_of_their_phone_and_by_email(conference, register):
    registration = register(conference)
    for raw in ("0912 000 001", "+84912000001", "84 912 000 001", "MAI.TRAN@example.vn"):
        person = _person(raw)
        assert [r.id for r in person.registrations] == [registration.id], raw
        assert person.messages, raw
    # the second delegate is found as a delegate only
    nam = _person("0987 000 002")
    assert nam.registrations == []
    assert [d.full_name for d in nam.delegates] == ["Lê Văn Nam"]


def test_masking_hides_all_but_the_last_digits():
    assert services.mask("+84912345678") == "09xx xxx 678"
    assert services.mask("hung@example.vn") == "h***@example.vn"


def test_the_export_holds_registrations_delegates_checkins_consents_and_messages(
    conference, register
):
    registration = register(conference, consent_news=True)
    mai = registration.delegates[0]
    mai.checked_in_at = NOW
    db.session.commit()
    data = services.export_person(_person("0912000001"), now=NOW)
    exported = data["registrations"][0]
    assert exported["contact_name"] == "Trần Thị Mai"
    assert exported["consent"]["notice_version"] == registration.consent_notice_version
    assert exported["consent"]["news_at"] is not None
    assert {d["full_name"] for d in exported["delegates"]} == {"Trần Thị Mai", "Lê Văn Nam"}
    assert data["delegates"][0]["checked_in_at"] == NOW.isoformat()
    assert data["messages"][0]["subject"].startswith("Xác nhận đăng ký")
    assert services.export_json(data).decode().count("Trần Thị Mai") >= 2
    pdf = services.export_pdf(data)
    assert pdf.startswith(b"%PDF-")


def test_the_pdf_export_reads_back_with_vietnamese_text(conference, register):
    from io import BytesIO

    from pypdf import PdfReader

    register(conference)
    pdf = services.export_pdf(services.export_person(_person("0912000001"), now=NOW))
    text = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "Trần Thị Mai" in text


def test_erasure_leaves_nothing_of_the_person_and_frees_the_seats(conference, register, admin):
    registration = register(conference)
    other = register(
        conference,
        delegates=(("Phạm Văn Long", "0903000003"),),
        contact_name="Phạm Văn Long",
        contact_phone="0903000003",
        contact_email="long@example.vn",
        tax_code="0100109106",
    )
    old_codes = [d.ticket_code for d in registration.delegates]
    assert conference.seats_taken == 3

    result = services.erase_person(_person("0912 000 001"), actor=admin, now=NOW)
    db.session.commit()

    text = all_text(db.session)
    for needle in (
        "Trần Thị Mai",
        "+84912000001",
        "mai.tran@example.vn",
        "Lê Văn Nam",
        "+84987000002",
        *old_codes,
    ):
        assert needle not in text, needle
    # the other cooperative is untouched
    assert "Phạm Văn Long" in text
    assert "long@example.vn" in text
    db.session.refresh(conference)
    assert conference.seats_taken == 1
    assert registration_services.seats_invariant_holds(conference)
    db.session.refresh(registration)
    assert registration.status == "cancelled"
    assert registration.contact_name == services.ANONYMISED_NAME
    assert all(d.revoked_at is not None for d in registration.delegates)
    # statistics stay: the cooperative and the genders and counts
    assert registration.cooperative.province_code == 24
    assert len(registration.delegates) == 2
    assert result.registrations == 1
    assert result.delegates == 2
    assert result.messages == 1
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1
    assert other.status == "confirmed"
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "privacy.erase"))
    assert entry.row_count == 4
    assert entry.actor_id == admin.id
    assert "Mai" not in str(entry.detail)
    assert "0912" not in str(entry.detail)
    # the old QR finds no ticket, the old self-service link no registration
    assert db.session.scalar(sa.select(Delegate).where(Delegate.ticket_code.in_(old_codes))) is None


def test_erasing_one_delegate_keeps_the_rest_of_the_registration(conference, register, admin):
    registration = register(conference)
    services.erase_person(_person("0987000002"), actor=admin, now=NOW)
    db.session.commit()
    db.session.refresh(registration)
    db.session.refresh(conference)
    assert registration.status == "confirmed"
    assert [d.full_name for d in registration.active_delegates] == ["Trần Thị Mai"]
    assert conference.seats_taken == 1
    assert registration_services.seats_invariant_holds(conference)
    text = all_text(db.session)
    assert "Lê Văn Nam" not in text
    assert "+84987000002" not in text
    assert "Trần Thị Mai" in text


def test_erasure_after_the_conference_keeps_the_statistics(create_conference, register, admin):
    past = create_conference(
        starts_at=dt.datetime(2026, 10, 1, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 10, 1, 4, tzinfo=dt.UTC),
    )
    db.session.commit()
    registration = register(past, now=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    registration.delegates[0].checked_in_at = dt.datetime(2026, 10, 1, 1, 5, tzinfo=dt.UTC)
    registration.delegates[0].gender = "female"
    db.session.commit()
    services.erase_person(_person("mai.tran@example.vn"), actor=admin, now=NOW)
    db.session.commit()
    db.session.refresh(registration)
    assert registration.status == "confirmed"  # it happened: the count of who came stays
    assert registration.delegates[0].checked_in_at is not None
    assert registration.delegates[0].gender == "female"
    assert registration.delegates[0].full_name == services.ANONYMISED_NAME
    assert past.seats_taken == 2


def test_erasing_twice_changes_nothing_more(conference, register, admin):
    register(conference)
    services.erase_person(_person("0912000001"), actor=admin, now=NOW)
    db.session.commit()
    person = _person("0912000001")
    assert not person.found


def test_withdrawing_news_consent_stops_news(conference, register, admin):
    registration = register(conference, consent_news=True)
    assert registration.consent_news_at is not None
    changed = services.withdraw_news(_person("0912000001"), actor=admin, now=NOW)
    db.session.commit()
    db.session.refresh(registration)
    assert changed == 1
    assert registration.consent_news_at is None
    assert registration.consent_news_withdrawn_at == NOW


def test_a_request_tracks_its_deadlines_without_storing_the_contact(admin):
    contact = services.parse_contact("0912 000 001")
    # Friday 6/11/2026: two working days later is Tuesday 10/11
    request = services.open_request(
        "erasure",
        contact,
        received_on=dt.date(2026, 11, 6),
        secret="s" * 32,
        response_days=30,
        acknowledge_working_days=2,
        actor=admin,
        now=dt.datetime(2026, 11, 6, 3, tzinfo=dt.UTC),
    )
    db.session.commit()
    assert request.acknowledge_by == dt.date(2026, 11, 10)
    assert request.due_on == dt.date(2026, 12, 6)
    assert request.subject_display == "09xx xxx 001"
    assert "912000001" not in request.subject_hash
    assert services.requests_for(contact, secret="s" * 32) == [request]
    assert services.requests_for(contact, secret="t" * 32) == []
    services.complete_request(request, outcome={"registrations": 1}, actor=admin, now=NOW)
    with pytest.raises(services.RequestClosed):
        services.complete_request(request, outcome={}, actor=admin, now=NOW)


def test_a_request_received_in_the_future_is_refused(admin):
    with pytest.raises(services.PrivacyError) as caught:
        services.open_request(
            "access",
            services.parse_contact("0912000001"),
            received_on=dt.date(2027, 1, 1),
            secret="s" * 32,
            response_days=30,
            acknowledge_working_days=2,
            actor=admin,
            now=NOW,
        )
    assert caught.value.field == "received_on"
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Registration)) == 0
