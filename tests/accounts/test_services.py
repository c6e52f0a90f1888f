"""Account rules, called directly."""

import datetime as dt

import pytest

from outreach.accounts import services
from outreach.accounts.models import User
from outreach.database import db

NOW = dt.datetime(2026, 11, 28, 1, 0, tzinfo=dt.UTC)


def test_create_user_stores_lowercase_email_and_a_hash(app):
    user = services.create_user(
        email=" Ha.Tran@Example.VN ",
        name="Trần Thị Thu Hà",
        role="organizer",
        password="correct-horse-1",
    )
    assert user.email == "ha.tran@example.vn"
    assert user.password_hash != "correct-horse-1"
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:"))


def test_create_user_with_taken_email_raises_duplicate(app, create_user):
    create_user(email="a@example.vn")
    with pytest.raises(services.DuplicateEmail) as excinfo:
        services.create_user(
            email="A@example.vn", name="x", role="organizer", password="correct-horse-1"
        )
    assert excinfo.value.code == "duplicate_email"


def test_division_staff_without_division_is_refused(app):
    with pytest.raises(services.DivisionRequired) as excinfo:
        services.create_user(
            email="d@example.vn", name="x", role="division_staff", password="correct-horse-1"
        )
    assert excinfo.value.code == "division_required"


def test_unknown_role_is_refused(app):
    with pytest.raises(services.InvalidRole):
        services.create_user(
            email="d@example.vn", name="x", role="king", password="correct-horse-1"
        )


def test_short_password_is_refused(app):
    with pytest.raises(services.WeakPassword):
        services.create_user(email="d@example.vn", name="x", role="organizer", password="short")


def test_authenticate_accepts_the_right_password(app, create_user):
    user = create_user(email="ok@example.vn")
    assert services.authenticate("OK@example.vn", "correct-horse-1", now=NOW) is user
    assert user.last_login_at == NOW


@pytest.mark.parametrize(
    ("email", "password", "active"),
    [
        ("ok@example.vn", "wrong-password", True),
        ("nobody@example.vn", "correct-horse-1", True),
        ("ok@example.vn", "correct-horse-1", False),
    ],
    ids=["wrong-password", "unknown-user", "disabled-user"],
)
def test_authenticate_refuses_without_saying_why(app, create_user, email, password, active):
    user = create_user(email="ok@example.vn")
    user.is_active = active
    assert services.authenticate(email, password, now=NOW) is None


def test_last_admin_cannot_be_demoted_or_disabled(app, admin):
    with pytest.raises(services.LastAdmin) as excinfo:
        services.update_user(
            admin,
            name=admin.name,
            role="organizer",
            is_active=True,
            division=None,
            organization=None,
        )
    assert excinfo.value.code == "last_admin"
    with pytest.raises(services.LastAdmin):
        services.update_user(
            admin, name=admin.name, role="admin", is_active=False, division=None, organization=None
        )
    with pytest.raises(services.LastAdmin):
        services.delete_user(admin)


def test_an_admin_can_be_demoted_while_another_remains(app, admin, create_user):
    create_user(email="admin2@example.vn", role="admin")
    services.update_user(
        admin, name=admin.name, role="organizer", is_active=True, division=None, organization=None
    )
    assert db.session.get(User, admin.id).role == "organizer"


def test_disabling_or_new_password_ends_existing_sessions(app, create_user):
    user = create_user()
    old_session = user.get_id()
    assert services.load_user_for_session(old_session) is user
    services.update_user(
        user,
        name=user.name,
        role=user.role,
        is_active=True,
        division=None,
        organization=None,
        password="a-new-password-9",
    )
    assert services.load_user_for_session(old_session) is None
    current = user.get_id()
    services.update_user(
        user, name=user.name, role=user.role, is_active=False, division=None, organization=None
    )
    assert services.load_user_for_session(current) is None


@pytest.mark.parametrize("session_id", ["", "abc", "1", "1.2.3", "x.y"])
def test_malformed_session_ids_load_nobody(app, session_id):
    assert services.load_user_for_session(session_id) is None


def test_division_codes_are_unique(app, create_division):
    division = create_division(code="QLKH")
    with pytest.raises(services.DuplicateDivision):
        services.save_division(None, organization=division.organization, name="Khác", code="qlkh")
