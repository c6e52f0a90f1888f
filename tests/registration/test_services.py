"""Registration rules, called directly: capacity, waiting list, idempotency, self-service."""

import datetime as dt

import pytest
import sqlalchemy as sa

from outreach.checkin.tickets import hash_token
from outreach.database import db
from outreach.registration import services
from outreach.registration.models import Delegate
from outreach.registration.models import Registration

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
SPARE_TAX_CODES = ["2404224023", "2400118024", "2405846700", "2403432165", "2407301607"]


def _register(conference, make_input, *, submission_id="s1", **kwargs):
    return services.register_cooperative(
        conference, make_input(**kwargs), submission_id=submission_id, now=NOW
    )


def test_register_confirms_and_takes_one_seat_per_delegate(create_conference, make_input):
    conference = create_conference(capacity=10)
    result = _register(
        conference,
        make_input,
        delegates=[("Nguyễn Văn Hùng", "0912000001"), ("Trần Thị Hà", "0912000002")],
    )
    registration = result.registration
    assert registration.status == "confirmed"
    assert registration.seats_held == 2
    db.session.refresh(conference)
    assert conference.seats_taken == 2
    assert services.seats_invariant_holds(conference)
    assert {d.phone_e164 for d in registration.delegates} == {"+84912000001", "+84912000002"}
    assert all(len(d.ticket_code) == 26 for d in registration.delegates)
    assert registration.manage_token_hash == hash_token(result.token)
    assert registration.consent_notice_version == services.CONSENT_NOTICE_VERSION
    assert registration.consent_participation_at == NOW
    assert registration.consent_news_at is None


def test_delegates_are_searchable_without_diacritics(create_conference, make_input):
    result = _register(
        create_conference(), make_input, delegates=[("Đỗ Thị Hồng Nhung", "0912000009")]
    )
    assert result.registration.delegates[0].name_key == "do thi hong nhung"


def test_when_full_the_registration_waits(create_conference, make_input):
    conference = create_conference(capacity=1)
    _register(conference, make_input)
    second = _register(
        conference,
        make_input,
        submission_id="s2",
        cooperative={"tax_code": "2404224023", "name": "HTX B"},
        delegates=[("Lê Minh Đức", "0912000003")],
    )
    assert second.registration.status == "waitlisted"
    assert second.registration.seats_held == 0
    assert services.waitlist_position(second.registration) == 1
    db.session.refresh(conference)
    assert conference.seats_taken == 1


def test_when_full_without_waitlist_it_is_refused(create_conference, make_input):
    conference = create_conference(capacity=1, has_waitlist=False)
    _register(conference, make_input)
    with pytest.raises(services.ConferenceFull) as excinfo:
        _register(
            conference,
            make_input,
            submission_id="s2",
            cooperative={"tax_code": "2404224023"},
            delegates=[("Lê Minh Đức", "0912000003")],
        )
    assert excinfo.value.code == "conference_full"


def test_same_submission_twice_creates_nothing_new(create_conference, make_input):
    conference = create_conference()
    first = _register(conference, make_input)
    again = _register(conference, make_input)
    assert again.is_repeat
    assert again.registration.id == first.registration.id
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"delegates": [("", "0912000001")]}, "delegates-0-full_name"),
        ({"delegates": [("A" * 101, "0912000001")]}, "delegates-0-full_name"),
        ({"delegates": [("Nguyễn\x00Văn", "0912000001")]}, "delegates-0-full_name"),
        ({"delegates": [("Nguyễn Văn Hùng", "12345")]}, "delegates-0-phone"),
        ({"delegates": [("A B", "0912000001"), ("C D", "0912 000 001")]}, "delegates-1-phone"),
        (
            {
                "delegates": [
                    ("A", "0912000001"),
                    ("B", "0912000002"),
                    ("C", "0912000003"),
                    ("D", "0912000004"),
                ]
            },
            "delegates",
        ),
        ({"delegates": []}, "delegates-0-full_name"),
        ({"cooperative": {"tax_code": "2407196801"}}, "cooperative-tax_code"),
        ({"cooperative": {"tax_code": "2407196800-000"}}, "cooperative-tax_code"),
        ({"cooperative": {"tax_code": ""}}, "cooperative-tax_code"),
        ({"cooperative": {"ward_code": 9999999}}, "cooperative-ward_code"),
        ({"cooperative": {"province_code": 1, "ward_code": 7582}}, "cooperative-ward_code"),
        ({"cooperative": {"name": ""}}, "cooperative-name"),
        ({"contact_email": "not-an-email"}, "contact_email"),
        ({"consent_participation": False}, "consent_participation"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_writes_nothing(
    create_conference, make_input, overrides, field
):
    conference = create_conference(delegates_per_cooperative=3)
    with pytest.raises(services.RegistrationInvalid) as excinfo:
        _register(conference, make_input, **overrides)
    assert field in excinfo.value.errors
    assert excinfo.value.code == "invalid"
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_to_hop_tac_needs_no_tax_code(create_conference, make_input):
    result = _register(
        create_conference(),
        make_input,
        cooperative={"kind": "to_hop_tac", "tax_code": "", "name": "Tổ hợp tác Ong"},
    )
    assert result.registration.cooperative.tax_code is None


@pytest.mark.parametrize("status", ["draft", "cancelled", "finished", "closed"])
def test_unpublished_or_closed_conferences_refuse(create_conference, make_input, status):
    conference = create_conference(status=status)
    with pytest.raises(services.RegistrationClosed):
        _register(conference, make_input)


def test_registration_window_is_respected(create_conference, make_input):
    conference = create_conference(registration_closes_at=NOW - dt.timedelta(minutes=1))
    with pytest.raises(services.RegistrationClosed):
        _register(conference, make_input)
    early = create_conference(registration_opens_at=NOW + dt.timedelta(days=1))
    with pytest.raises(services.RegistrationClosed):
        _register(early, make_input, submission_id="s2")


def test_one_phone_cannot_hold_two_seats(create_conference, make_input):
    conference = create_conference()
    _register(conference, make_input)
    with pytest.raises(services.RegistrationInvalid) as excinfo:
        _register(
            conference,
            make_input,
            submission_id="s2",
            cooperative={"tax_code": "2404224023", "name": "HTX B"},
        )
    assert "delegates-0-phone" in excinfo.value.errors


def test_known_cooperative_is_reused_not_overwritten(create_conference, make_input):
    first = _register(create_conference(), make_input)
    other = create_conference()
    second = _register(
        other,
        make_input,
        submission_id="s2",
        cooperative={"name": "Tên do người lạ nhập"},
        delegates=[("Lê Minh Đức", "0912000003")],
    )
    assert second.cooperative_known
    assert second.registration.cooperative.id == first.registration.cooperative.id
    assert second.registration.cooperative.name == "HTX Nông sản Lục Ngạn"


def test_a_cooperative_registers_once_per_conference(create_conference, make_input):
    conference = create_conference()
    _register(conference, make_input)
    with pytest.raises(services.AlreadyRegistered):
        _register(
            conference, make_input, submission_id="s2", delegates=[("Lê Minh Đức", "0912000003")]
        )


def test_cancel_frees_seats_revokes_tickets_and_promotes(create_conference, make_input):
    conference = create_conference(capacity=2)
    first = _register(
        conference, make_input, delegates=[("A Nguyễn", "0912000001"), ("B Trần", "0912000002")]
    )
    waiting = _register(
        conference,
        make_input,
        submission_id="s2",
        cooperative={"tax_code": "2404224023", "name": "HTX B"},
        delegates=[("C Lê", "0912000003")],
    )
    assert waiting.registration.status == "waitlisted"
    promoted = services.cancel_registration(first.registration, now=NOW)
    assert [r.id for r in promoted] == [waiting.registration.id]
    assert first.registration.status == "cancelled"
    assert all(d.revoked_at == NOW for d in first.registration.delegates)
    assert waiting.registration.status == "confirmed"
    assert services.seats_invariant_holds(conference)
    with pytest.raises(services.RegistrationCancelled):
        services.cancel_registration(first.registration, now=NOW)


def test_promotion_skips_a_delegation_that_does_not_fit(create_conference, make_input):
    conference = create_conference(capacity=2)
    first = _register(conference, make_input, delegates=[("A", "0912000001"), ("B", "0912000002")])
    big = _register(
        conference,
        make_input,
        submission_id="s2",
        cooperative={"tax_code": SPARE_TAX_CODES[0]},
        delegates=[("C", "0912000003"), ("D", "0912000004"), ("E", "0912000005")],
    )
    small = _register(
        conference,
        make_input,
        submission_id="s3",
        cooperative={"tax_code": SPARE_TAX_CODES[1]},
        delegates=[("F", "0912000006")],
    )
    services.cancel_registration(first.registration, now=NOW)
    assert big.registration.status == "waitlisted"
    assert small.registration.status == "confirmed"
    assert services.waitlist_position(big.registration) == 1
    assert services.seats_invariant_holds(conference)


def test_an_admitted_person_stays_on_the_record(create_conference, make_input):
    """Once someone is checked in, neither a change of delegates nor a cancellation removes
    them, so every count of who came agrees (the desk's undo comes first for a mistake)."""
    conference = create_conference(capacity=5)
    result = _register(
        conference, make_input, delegates=[("A Nguyễn", "0912000001"), ("B Trần", "0912000002")]
    )
    registration = result.registration
    admitted, other = registration.delegates
    admitted.checked_in_at = NOW
    db.session.commit()
    with pytest.raises(services.AlreadyAdmitted, match="A Nguyễn đã điểm danh"):
        services.update_delegates(
            registration,
            [services.DelegateInput(id=other.id, full_name="B Trần", phone="0912000002")],
            now=NOW,
        )
    db.session.rollback()
    with pytest.raises(services.AlreadyAdmitted, match="không thể hủy đơn"):
        services.cancel_registration(registration, now=NOW)
    db.session.rollback()
    registration = db.session.get(Registration, registration.id)
    assert registration.status == "confirmed"
    assert all(d.revoked_at is None for d in registration.delegates)
    # removing someone who has not come is still fine
    change = services.update_delegates(
        registration,
        [services.DelegateInput(id=admitted.id, full_name="A Nguyễn", phone="0912000001")],
        now=NOW,
    )
    assert [d.full_name for d in change.removed] == ["B Trần"]


def test_two_people_can_swap_their_phone_numbers(create_conference, make_input):
    conference = create_conference(capacity=5)
    result = _register(
        conference, make_input, delegates=[("A Nguyễn", "0912000001"), ("B Trần", "0912000002")]
    )
    first, second = result.registration.delegates
    services.update_delegates(
        result.registration,
        [
            services.DelegateInput(id=first.id, full_name="A Nguyễn", phone="0912000002"),
            services.DelegateInput(id=second.id, full_name="B Trần", phone="0912000001"),
        ],
        now=NOW,
    )
    assert (first.phone_e164, second.phone_e164) == ("+84912000002", "+84912000001")
    # and a number passed on to someone who stays while its holder leaves
    change = services.update_delegates(
        result.registration,
        [services.DelegateInput(id=first.id, full_name="A Nguyễn", phone="0912000001")],
        now=NOW,
    )
    assert first.phone_e164 == "+84912000001"
    assert change.removed == [second]
    assert services.seats_invariant_holds(conference)


def test_a_smaller_waiting_delegation_that_now_fits_moves_up(create_conference, make_input):
    conference = create_conference(capacity=3)
    _register(conference, make_input, delegates=[("A", "0912000001"), ("B", "0912000002")])
    waiting = _register(
        conference,
        make_input,
        submission_id="s2",
        cooperative={"tax_code": SPARE_TAX_CODES[0]},
        delegates=[("C", "0912000003"), ("D", "0912000004")],
    ).registration
    assert waiting.status == "waitlisted"
    keep = waiting.delegates[0]
    change = services.update_delegates(
        waiting, [services.DelegateInput(id=keep.id, full_name="C", phone="0912000003")], now=NOW
    )
    assert waiting.status == "confirmed"
    assert change.promoted == [waiting]
    db.session.refresh(conference)
    assert conference.seats_taken == 3
    assert services.seats_invariant_holds(conference)


def test_swapping_a_delegate_revokes_the_old_ticket(create_conference, make_input):
    conference = create_conference()
    result = _register(conference, make_input)
    old = result.registration.delegates[0]
    old_code = old.ticket_code
    change = services.update_delegates(
        result.registration,
        [
            services.DelegateInput(id=old.id, full_name="Vũ Thị Lan", phone="0912000010"),
        ],
        now=NOW,
    )
    assert old.revoked_at == NOW
    assert len(change.added) == 1
    assert change.added[0].ticket_code != old_code
    assert services.seats_invariant_holds(conference)


def test_editing_a_delegate_keeps_the_ticket(create_conference, make_input):
    result = _register(create_conference(), make_input)
    person = result.registration.delegates[0]
    code = person.ticket_code
    services.update_delegates(
        result.registration,
        [
            services.DelegateInput(
                id=person.id,
                full_name="Nguyễn Văn Hùng",
                phone="0912000011",
                position="Phó giám đốc",
            ),
        ],
        now=NOW,
    )
    assert person.revoked_at is None
    assert person.ticket_code == code
    assert person.phone_e164 == "+84912000011"


def test_adding_delegates_rechecks_seats(create_conference, make_input):
    conference = create_conference(capacity=2)
    result = _register(conference, make_input)
    _register(
        conference,
        make_input,
        submission_id="s2",
        cooperative={"tax_code": SPARE_TAX_CODES[0]},
        delegates=[("X", "0912000020")],
    )
    keep = result.registration.delegates[0]
    with pytest.raises(services.NotEnoughSeats):
        services.update_delegates(
            result.registration,
            [
                services.DelegateInput(id=keep.id, full_name=keep.full_name, phone="0912000001"),
                services.DelegateInput(full_name="Người mới", phone="0912000021"),
            ],
            now=NOW,
        )


def test_removing_a_delegate_frees_a_seat_for_the_waiting_list(create_conference, make_input):
    conference = create_conference(capacity=2)
    result = _register(conference, make_input, delegates=[("A", "0912000001"), ("B", "0912000002")])
    waiting = _register(
        conference,
        make_input,
        submission_id="s2",
        cooperative={"tax_code": SPARE_TAX_CODES[0]},
        delegates=[("C", "0912000003")],
    )
    keep = result.registration.delegates[0]
    change = services.update_delegates(
        result.registration,
        [
            services.DelegateInput(id=keep.id, full_name=keep.full_name, phone="0912000001"),
        ],
        now=NOW,
    )
    assert [r.id for r in change.promoted] == [waiting.registration.id]
    assert services.seats_invariant_holds(conference)


def test_self_service_changes_stop_when_registration_closes(create_conference, make_input):
    conference = create_conference()
    result = _register(conference, make_input)
    conference.registration_closes_at = NOW
    with pytest.raises(services.RegistrationClosed):
        services.update_delegates(
            result.registration,
            [services.DelegateInput(full_name="X", phone="0912000030")],
            now=NOW,
        )
    services.update_delegates(
        result.registration,
        [services.DelegateInput(full_name="X", phone="0912000030")],
        now=NOW,
        by_staff=True,
    )


def test_reissued_token_replaces_the_old_one(create_conference, make_input):
    result = _register(create_conference(), make_input)
    new = services.reissue_token(result.registration)
    assert services.find_by_token(result.token) is None
    assert services.find_by_token(new).id == result.registration.id
    assert services.find_by_token("x" * 500) is None


def test_find_by_contact_matches_phone_or_email(create_conference, make_input):
    result = _register(create_conference(), make_input)
    assert services.find_registrations_by_contact("0912 000 001", now=NOW) == [result.registration]
    assert services.find_registrations_by_contact("HTX.LucNgan@example.vn", now=NOW) == [
        result.registration
    ]
    assert services.find_registrations_by_contact("0912999999", now=NOW) == []


def test_staff_may_register_after_public_closing(create_conference, make_input, organizer):
    conference = create_conference(registration_closes_at=NOW - dt.timedelta(hours=1))
    result = services.register_cooperative(
        conference, make_input(), submission_id="s9", now=NOW, entered_by=organizer
    )
    assert result.registration.entered_by_id == organizer.id


def test_delegate_phone_index_backs_the_rule(create_conference, make_input):
    conference = create_conference()
    result = _register(conference, make_input)
    other = result.registration.delegates[0]
    db.session.add(
        Delegate(
            registration_id=result.registration.id,
            conference_id=conference.id,
            full_name="Dup",
            name_key="dup",
            phone_e164=other.phone_e164,
            ticket_code="A" * 26,
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()
