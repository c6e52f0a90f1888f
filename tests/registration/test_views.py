"""The registration pages through the test client: form, self-service, lost link, staff lists."""

import re

import pytest
import sqlalchemy as sa

from outreach.database import db
from outreach.registration.models import Registration


@pytest.fixture
def conference(create_conference):
    conference = create_conference(
        capacity=5, delegates_per_cooperative=2, themes=["st_projects", "branding"]
    )
    db.session.commit()
    return conference


def _form(**overrides):
    data = {
        "submission_id": "sub-1",
        "cooperative-kind": "hop_tac_xa",
        "cooperative-name": "HTX Nông sản Lục Ngạn",
        "cooperative-tax_code": "2407196800",
        "cooperative-province_code": "24",
        "cooperative-ward_code": "7582",
        "cooperative-member_count": "25",
        "contact_name": "Nguyễn Văn Hùng",
        "contact_phone": "0912 000 001",
        "contact_email": "htx@example.vn",
        "delegates-0-full_name": "Nguyễn Văn Hùng",
        "delegates-0-phone": "0912 000 001",
        "delegates-0-gender": "male",
        "delegates-1-full_name": "",
        "delegates-1-phone": "",
        "delegates-1-gender": "unspecified",
        "needs-st_projects-interested": "y",
        "needs-st_projects-choices": ["funding", "training"],
        "needs-st_projects-text": "Cần hỗ trợ máy sấy vải",
        "consent_participation": "y",
    }
    data.update(overrides)
    return data


def _token(location: str) -> str:
    return re.search(r"/r/([^/?]+)", location).group(1)


def test_form_is_vietnamese_with_unticked_consent(client, conference):
    page = client.get(f"/conferences/{conference.slug}/register").get_data(as_text=True)
    assert "Đăng ký tham dự" in page
    assert "Xã Lục Ngạn" in page
    assert re.search(r'<input[^>]*name="consent_participation"[^>]*>', page)
    assert "checked" not in re.search(r'<input[^>]*name="consent_participation"[^>]*>', page).group(
        0
    )
    assert 'name="submission_id"' in page
    assert 'inputmode="numeric"' in page


def test_form_in_english(client, conference):
    client.post("/lang", data={"lang": "en"})
    page = client.get(f"/conferences/{conference.slug}/register").get_data(as_text=True)
    assert "Submit registration" in page


def test_register_shows_tickets_and_stores_needs(client, conference):
    response = client.post(f"/conferences/{conference.slug}/register", data=_form())
    assert response.status_code == 302
    token = _token(response.headers["Location"])
    page = client.get(f"/r/{token}")
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert page.headers["Cache-Control"] == "no-store"
    text = page.get_data(as_text=True)
    assert "Đã xác nhận" in text
    assert text.count('class="ticket"') == 1
    registration = db.session.scalar(sa.select(Registration))
    assert registration.needs == {
        "st_projects": {"choices": ["funding", "training"], "text": "Cần hỗ trợ máy sấy vải"}
    }
    pdf = client.get(f"/r/{token}/tickets.pdf")
    assert pdf.data.startswith(b"%PDF")
    ics = client.get(f"/r/{token}/invite.ics")
    assert b"BEGIN:VCALENDAR" in ics.data
    code = registration.delegates[0].ticket_code
    assert client.get(f"/r/{token}/tickets/{code}.png").data.startswith(b"\x89PNG")


def test_double_submit_shows_the_first_result(client, conference):
    first = client.post(f"/conferences/{conference.slug}/register", data=_form())
    second = client.post(f"/conferences/{conference.slug}/register", data=_form())
    assert _token(second.headers["Location"]) == _token(first.headers["Location"])
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_a_double_submit_that_races_past_the_look_up_shows_the_first_result(
    client, conference, monkeypatch
):
    """On PostgreSQL two requests with one submission id can both miss the look-up; the second
    then meets the unique index at its INSERT, which must roll back (seats too) and show the
    first result, not an error page."""
    from outreach.registration import services

    first = client.post(f"/conferences/{conference.slug}/register", data=_form())
    real = services.find_by_submission_id
    calls = []

    def missed_once(submission_id):
        calls.append(submission_id)
        return None if len(calls) == 1 else real(submission_id)

    monkeypatch.setattr(services, "find_by_submission_id", missed_once)
    other_people = _form(
        **{
            "cooperative-kind": "to_hop_tac",
            "cooperative-tax_code": "",
            "contact_phone": "0912 000 009",
            "delegates-0-phone": "0912 000 009",
        }
    )
    second = client.post(f"/conferences/{conference.slug}/register", data=other_people)
    assert second.status_code == 302
    assert _token(second.headers["Location"]) == _token(first.headers["Location"])
    assert len(calls) == 2
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1
    db.session.refresh(conference)
    assert conference.seats_taken == 1


def test_bad_input_is_shown_on_its_field_and_nothing_is_saved(client, conference):
    response = client.post(
        f"/conferences/{conference.slug}/register",
        data=_form(
            **{
                "cooperative-tax_code": "2407196801",
                "delegates-0-phone": "12345",
                "consent_participation": "",
            }
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Mã số HTX/MST chưa đúng" in page
    assert "Số điện thoại chưa đúng" in page
    assert "Cần đồng ý xử lý dữ liệu cá nhân" in page
    assert 'value="HTX Nông sản Lục Ngạn"' in page  # what was typed stays
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_numbers_that_are_not_numbers_and_overlong_text_are_refused(client, conference):
    # the sign-up is read straight from the posted fields: the service says what is wrong
    response = client.post(
        f"/conferences/{conference.slug}/register",
        data=_form(
            **{
                "cooperative-member_count": "hai mươi",
                "cooperative-province_code": "Bắc Ninh",
                "cooperative-name": "H" * 201,
                "delegates-0-position": "Giám đốc " * 30,
            }
        ),
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Số thành viên không hợp lệ." in page
    assert "Vui lòng chọn tỉnh, thành phố." in page
    assert "Tối đa 200 ký tự." in page
    assert 'value="hai mươi"' in page  # what was typed stays, to be corrected
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_the_delegate_rows_posted_are_the_ones_read(client, conference):
    form = _form(
        **{
            "delegates-1-full_name": "Trần Thị Lan",
            "delegates-1-phone": "0912 000 002",
            "delegates-1-gender": "female",
        }
    )
    response = client.post(f"/conferences/{conference.slug}/register", data=form)
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration))
    people = sorted((d.full_name, d.phone_e164, d.gender) for d in registration.delegates)
    assert people == [
        ("Nguyễn Văn Hùng", "+84912000001", "male"),
        ("Trần Thị Lan", "+84912000002", "female"),
    ]
    assert registration.cooperative.member_count == 25


def test_made_up_delegate_rows_are_not_read_and_answer_no_error_page(client, conference):
    # rows a browser never posts: an index past 99, a superscript digit, more rows than allowed
    made_up = _form(
        **{
            "delegates-5000-full_name": "Người thứ năm nghìn",
            "delegates-5000-phone": "0912 000 050",
            "delegates-²-full_name": "Người mũ hai",
        }
    )
    response = client.post(f"/conferences/{conference.slug}/register", data=made_up)
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration))
    assert [d.full_name for d in registration.delegates] == ["Nguyễn Văn Hùng"]

    too_many = _form(submission_id="sub-2", **{"cooperative-tax_code": "0100233488"})
    for index in range(60):
        too_many[f"delegates-{index}-full_name"] = f"Người {index}"
        too_many[f"delegates-{index}-phone"] = f"0913 000 {index:03d}"
    too_many["delegates-²-phone"] = "0913 999 999"
    response = client.post(f"/conferences/{conference.slug}/register", data=too_many)
    assert response.status_code == 422
    assert "Mỗi hợp tác xã cử tối đa 2 người tham dự." in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_made_up_delegate_rows_on_the_self_service_page_answer_no_error_page(client, conference):
    token = _token(
        client.post(f"/conferences/{conference.slug}/register", data=_form()).headers["Location"]
    )
    response = client.post(
        f"/r/{token}/delegates",
        data={
            "delegates-0-full_name": "Nguyễn Văn Hùng",
            "delegates-0-phone": "0912 000 001",
            "delegates-²-full_name": "Người mũ hai",
        },
    )
    assert response.status_code == 302
    registration = db.session.scalar(sa.select(Registration))
    assert [d.full_name for d in registration.active_delegates] == ["Nguyễn Văn Hùng"]


def test_a_phone_taken_elsewhere_is_shown_on_its_own_row(client, conference):
    first = client.post(f"/conferences/{conference.slug}/register", data=_form())
    assert first.status_code == 302
    conference.delegates_per_cooperative = 3
    db.session.commit()
    second = _form(
        submission_id="sub-2",
        **{
            "cooperative-tax_code": "0100233488",
            "contact_phone": "0912 000 009",
            "delegates-0-full_name": "Lê Văn Tám",
            "delegates-0-phone": "0912 000 008",
            "delegates-2-full_name": "Nguyễn Văn Hùng",
            "delegates-2-phone": "0912 000 001",  # already holds a ticket to this conference
        },
    )
    response = client.post(f"/conferences/{conference.slug}/register", data=second)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="delegates-2-phone-error"' in page
    assert 'id="delegates-1-phone-error"' not in page


@pytest.fixture
def csrf_on(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_missing_csrf_token_keeps_the_typed_data(csrf_on, client, conference):
    response = client.post(f"/conferences/{conference.slug}/register", data=_form())
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Thông tin bạn đã nhập vẫn còn nguyên" in page
    assert 'value="HTX Nông sản Lục Ngạn"' in page
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_a_valid_csrf_token_is_accepted_and_a_wrong_one_is_not(csrf_on, client, conference):
    page = client.get(f"/conferences/{conference.slug}/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    refused = client.post(
        f"/conferences/{conference.slug}/register", data=_form(csrf_token=token[:-2] + "xx")
    )
    assert "Thông tin bạn đã nhập vẫn còn nguyên" in refused.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0
    accepted = client.post(f"/conferences/{conference.slug}/register", data=_form(csrf_token=token))
    assert accepted.status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 1


def test_a_place_on_the_waiting_list_shows_no_tickets_until_confirmed(client, create_conference):
    from outreach.registration import services

    conference = create_conference(capacity=1, delegates_per_cooperative=2)
    db.session.commit()
    form = _form(**{"delegates-1-full_name": "Trần Thị Lan", "delegates-1-phone": "0912 000 002"})
    token = _token(
        client.post(f"/conferences/{conference.slug}/register", data=form).headers["Location"]
    )
    registration = db.session.scalar(sa.select(Registration))
    assert registration.status == "waitlisted"
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Danh sách chờ" in page
    assert "Trần Thị Lan" in page
    assert 'class="ticket"' not in page
    assert "tickets.pdf" not in page
    code = registration.delegates[0].ticket_code
    for path in ("tickets.pdf", f"tickets/{code}.png", "invite.ics"):
        assert client.get(f"/r/{token}/{path}").status_code == 404, path
    # confirmed: the tickets are there
    conference.capacity = 2
    services.promote_from_waitlist(conference, now=conference.starts_at)
    db.session.commit()
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert page.count('class="ticket"') == 2
    assert client.get(f"/r/{token}/tickets.pdf").status_code == 200


def test_draft_conferences_answer_404(client, create_conference):
    conference = create_conference(status="draft")
    db.session.commit()
    assert client.get(f"/conferences/{conference.slug}/register").status_code == 404


@pytest.mark.parametrize("status", ["closed", "cancelled"])
def test_closed_conference_shows_the_state_and_saves_nothing(client, create_conference, status):
    conference = create_conference(status=status)
    db.session.commit()
    page = client.get(f"/conferences/{conference.slug}/register").get_data(as_text=True)
    assert "Gửi đăng ký" not in page
    response = client.post(f"/conferences/{conference.slug}/register", data=_form())
    assert response.status_code == 422
    assert db.session.scalar(sa.select(sa.func.count(Registration.id))) == 0


def test_unknown_token_is_404(client):
    assert client.get("/r/not-a-token").status_code == 404
    assert client.get("/r/not-a-token/tickets.pdf").status_code == 404


def test_cancel_through_the_link(client, conference):
    token = _token(
        client.post(f"/conferences/{conference.slug}/register", data=_form()).headers["Location"]
    )
    assert "Hủy đăng ký?" in client.get(f"/r/{token}/cancel").get_data(as_text=True)
    client.post(f"/r/{token}/cancel")
    registration = db.session.scalar(sa.select(Registration))
    assert registration.status == "cancelled"
    db.session.refresh(conference)
    assert conference.seats_taken == 0


def test_change_delegates_through_the_link(client, conference):
    token = _token(
        client.post(f"/conferences/{conference.slug}/register", data=_form()).headers["Location"]
    )
    registration = db.session.scalar(sa.select(Registration))
    person = registration.delegates[0]
    response = client.post(
        f"/r/{token}/delegates",
        data={
            "delegates-0-id": str(person.id),
            "delegates-0-full_name": "Nguyễn Văn Hùng",
            "delegates-0-phone": "0912000001",
            "delegates-0-gender": "male",
            "delegates-1-full_name": "Lê Minh Đức",
            "delegates-1-phone": "0912000002",
            "delegates-1-gender": "male",
        },
    )
    assert response.status_code == 302
    db.session.refresh(conference)
    assert conference.seats_taken == 2
    assert client.get(f"/r/{token}").get_data(as_text=True).count('class="ticket"') == 2
    # the new tickets come with "the list was updated", not the waiting list's "a seat was found"
    from outreach.mail.models import OutboxMessage

    mail = db.session.scalar(sa.select(OutboxMessage).filter_by(kind="delegates_changed"))
    assert "đã được cập nhật" in mail.body_text
    assert "Đã có chỗ" not in mail.body_text


def test_lost_link_mails_a_new_link_and_answers_the_same_either_way(client, conference, app):
    old = _token(
        client.post(f"/conferences/{conference.slug}/register", data=_form()).headers["Location"]
    )
    known = client.post("/lost-link", data={"contact": "0912 000 001"}, follow_redirects=True)
    unknown = client.post("/lost-link", data={"contact": "0912 999 999"}, follow_redirects=True)
    message = "Nếu thông tin này khớp với một đăng ký"
    assert message in known.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert client.get(f"/r/{old}").status_code == 404
    from pathlib import Path

    mails = list(Path(app.config["MAIL_FOLDER"]).glob("*lost_link.eml"))
    assert len(mails) == 1
    import email
    import email.policy

    body = (
        email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default)
        .get_body()
        .get_content()
    )
    new = re.search(r"/r/([A-Za-z0-9_\-]+)", body).group(1)
    assert client.get(f"/r/{new}").status_code == 200


def test_staff_list_search_ignores_diacritics_and_exports(client, auth, conference, organizer):
    conference.host_id = organizer.organization_id
    db.session.commit()
    client.post(
        f"/conferences/{conference.slug}/register",
        data=_form(**{"delegates-0-full_name": '=HYPERLINK("x")'}),
    )
    client.post(
        f"/conferences/{conference.slug}/register",
        data=_form(
            **{
                "submission_id": "sub-2",
                "cooperative-tax_code": "2404224023",
                "cooperative-name": "HTX Gà đồi",
                "delegates-0-full_name": "Nguyễn Văn Hùng",
                "delegates-0-phone": "0912000005",
            }
        ),
    )
    auth.login()
    page = client.get(f"/staff/conferences/{conference.id}/registrations?q=nguyen+van+hung")
    text = page.get_data(as_text=True)
    assert "HTX Gà đồi" in text
    assert "HTX Nông sản Lục Ngạn" not in text
    csv_text = client.get(f"/staff/conferences/{conference.id}/registrations/export.csv").get_data(
        as_text=True
    )
    assert "'=HYPERLINK" in csv_text
    assert "HTX Gà đồi" in csv_text
    xlsx = client.get(f"/staff/conferences/{conference.id}/registrations/export.xlsx")
    assert xlsx.data.startswith(b"PK")
    from outreach.audit.models import AuditEntry

    entries = db.session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.action, e.row_count, e.detail["format"]) for e in entries] == [
        ("registrations.export", 2, "csv"),
        ("registrations.export", 2, "xlsx"),
    ]


def test_staff_of_another_organization_get_404(client, auth, conference, organizer):
    auth.login()
    assert client.get(f"/staff/conferences/{conference.id}/registrations").status_code == 404


def test_staff_register_on_behalf_and_confirm_from_waitlist(
    client, auth, create_conference, organizer
):
    conference = create_conference(capacity=1, host_id=organizer.organization_id)
    db.session.commit()
    auth.login()
    client.post(f"/conferences/{conference.slug}/register", data=_form())
    response = client.post(
        f"/staff/conferences/{conference.id}/registrations/new",
        data=_form(
            **{
                "submission_id": "sub-3",
                "cooperative-tax_code": "2404224023",
                "delegates-0-phone": "0912000007",
            }
        ),
    )
    assert response.status_code == 302
    waiting = db.session.scalar(sa.select(Registration).where(Registration.status == "waitlisted"))
    assert waiting.entered_by_id == organizer.id
    conference.capacity = 2
    db.session.commit()
    client.post(f"/staff/conferences/{conference.id}/registrations/{waiting.id}/confirm")
    db.session.refresh(waiting)
    assert waiting.status == "confirmed"


def test_raising_capacity_promotes_the_waiting_list(client, auth, create_conference, organizer):
    conference = create_conference(capacity=1, host_id=organizer.organization_id)
    db.session.commit()
    client.post(f"/conferences/{conference.slug}/register", data=_form())
    client.post(
        f"/conferences/{conference.slug}/register",
        data=_form(
            **{
                "submission_id": "sub-4",
                "cooperative-tax_code": "2404224023",
                "delegates-0-phone": "0912000008",
            }
        ),
    )
    waiting = db.session.scalar(sa.select(Registration).where(Registration.status == "waitlisted"))
    assert waiting is not None
    from outreach.registration import services

    conference.capacity = 2
    services.promote_from_waitlist(conference, now=conference.starts_at)
    db.session.commit()
    db.session.refresh(waiting)
    assert waiting.status == "confirmed"


def test_the_form_error_summary_is_english_for_an_english_reader(client, conference):
    client.post("/lang", data={"lang": "en"})
    response = client.post(
        f"/conferences/{conference.slug}/register", data=_form(consent_participation="")
    )
    page = response.get_data(as_text=True)
    assert "Please correct the fields marked below." in page
    assert "Vui lòng sửa" not in page


def test_the_mailed_link_opens_in_the_language_of_the_registration(app, client, conference):
    from outreach.mail.models import OutboxMessage

    client.post("/lang", data={"lang": "en"})
    assert client.post(f"/conferences/{conference.slug}/register", data=_form()).status_code == 302
    mail = db.session.scalar(sa.select(OutboxMessage).filter_by(kind="confirmation"))
    path = re.search(r"/r/[A-Za-z0-9_-]+\?lang=en", mail.body_text).group(0)
    # another device, where nobody chose a language yet
    page = app.test_client().get(path).get_data(as_text=True)
    assert "Confirmed" in page
