"""Login, logout, guards and the admin pages, through the test client."""

import pytest

from outreach.accounts.models import User
from outreach.database import db

GENERIC_FAILURE = "Thư điện tử hoặc mật khẩu không đúng."


def test_login_page_is_vietnamese(client):
    page = client.get("/login").get_data(as_text=True)
    assert "Cán bộ đăng nhập" in page
    assert 'name="csrf-token"' in page


def test_organizer_logs_in_and_reaches_the_staff_area(client, auth, organizer):
    response = auth.login()
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    page = client.get("/staff/").get_data(as_text=True)
    assert "Khu vực cán bộ" in page
    assert organizer.name in page


@pytest.mark.parametrize(
    ("email", "password"),
    [("organizer@example.vn", "wrong-password"), ("ghost@example.vn", "correct-horse-1")],
)
def test_failed_login_gives_one_message(client, auth, organizer, email, password):
    page = auth.login(email, password).get_data(as_text=True)
    assert GENERIC_FAILURE in page
    assert client.get("/staff/").status_code == 302


def test_disabled_user_gets_the_same_message(client, auth, organizer):
    organizer.is_active = False
    db.session.commit()
    assert GENERIC_FAILURE in auth.login().get_data(as_text=True)


def test_disabled_user_loses_access_on_the_next_request(client, auth, organizer):
    auth.login()
    assert client.get("/staff/").status_code == 200
    user = db.session.get(User, organizer.id)
    user.is_active = False
    user.session_version += 1
    db.session.commit()
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_renews_the_session(client, auth, organizer):
    with client.session_transaction() as session:
        session["planted"] = "by-an-attacker"
    auth.login()
    with client.session_transaction() as session:
        assert "planted" not in session


def test_next_inside_the_site_is_followed(client, organizer):
    response = client.post(
        "/login",
        data={
            "email": "organizer@example.vn",
            "password": "correct-horse-1",
            "next": "/staff/?tab=1",
        },
    )
    assert response.headers["Location"] == "/staff/?tab=1"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"]
)
def test_next_off_site_is_ignored(client, organizer, target):
    response = client.post(
        "/login",
        data={"email": "organizer@example.vn", "password": "correct-horse-1", "next": target},
    )
    assert response.headers["Location"] == "/staff/"


def test_logout_ends_the_session(client, auth, organizer):
    auth.login()
    auth.logout()
    assert client.get("/staff/").status_code == 302


@pytest.fixture
def csrf_app_config(app_config):
    app_config["WTF_CSRF_ENABLED"] = True
    return app_config


def test_login_without_csrf_token_asks_to_reload(csrf_app_config, app, client, organizer):
    response = client.post(
        "/login", data={"email": "organizer@example.vn", "password": "correct-horse-1"}
    )
    assert response.status_code == 400
    assert "tải lại trang" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_login_with_csrf_token_from_the_page_works(csrf_app_config, app, client, organizer):
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf-token" content="')[1].split('"')[0]
    response = client.post(
        "/login",
        data={"email": "organizer@example.vn", "password": "correct-horse-1", "csrf_token": token},
    )
    assert response.status_code == 302


@pytest.fixture
def limited_app_config(app_config):
    app_config["RATELIMIT_ENABLED"] = True
    return app_config


def test_failed_logins_are_throttled(limited_app_config, app, organizer, client):
    from outreach.extensions import limiter

    try:
        statuses = [
            client.post(
                "/login", data={"email": "organizer@example.vn", "password": "nope-nope"}
            ).status_code
            for _ in range(12)
        ]
        # the right password is refused too while the door is shut
        blocked = client.post(
            "/login", data={"email": "organizer@example.vn", "password": "correct-horse-1"}
        )
    finally:
        limiter.reset()
    assert statuses[:10] == [200] * 10
    assert statuses[-1] == 429
    assert blocked.status_code == 429
    assert "Quá nhiều lần thử" in blocked.get_data(as_text=True)


def test_admin_pages_refuse_organizers(client, auth, organizer):
    auth.login()
    assert client.get("/staff/admin/users").status_code == 403


def test_admin_creates_a_division_staff_user(client, auth, admin, create_division):
    division = create_division(name="Phòng Quản lý Khoa học", code="QLKH")
    db.session.commit()
    auth.login("admin@example.vn")
    response = client.post(
        "/staff/admin/users/new",
        data={
            "email": "new@example.vn",
            "name": "Lê Minh Đức",
            "role": "division_staff",
            "division_id": division.id,
            "organization_id": 0,
            "is_active": "y",
            "password": "a-good-password",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.email == "new@example.vn"))
    assert user.division_id == division.id
    assert "Lê Minh Đức" in client.get("/staff/admin/users").get_data(as_text=True)


def test_admin_cannot_demote_the_last_admin_through_the_form(client, auth, admin):
    auth.login("admin@example.vn")
    response = client.post(
        f"/staff/admin/users/{admin.id}/edit",
        data={
            "email": admin.email,
            "name": admin.name,
            "role": "organizer",
            "organization_id": 0,
            "division_id": 0,
            "is_active": "y",
        },
    )
    assert response.status_code == 200
    assert "quản trị viên cuối cùng" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).role == "admin"


def test_admin_cannot_delete_the_last_admin(client, auth, admin):
    auth.login("admin@example.vn")
    client.post(f"/staff/admin/users/{admin.id}/delete")
    assert db.session.get(User, admin.id) is not None


def test_division_staff_form_without_division_shows_the_error(client, auth, admin):
    auth.login("admin@example.vn")
    response = client.post(
        "/staff/admin/users/new",
        data={
            "email": "x@example.vn",
            "name": "X",
            "role": "division_staff",
            "division_id": 0,
            "organization_id": 0,
            "is_active": "y",
            "password": "a-good-password",
        },
    )
    assert "phải thuộc một phòng" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "x@example.vn")) is None


def test_admin_edits_divisions_and_organizations(client, auth, admin, create_organization):
    organization = create_organization(
        name="Liên minh HTX tỉnh Bắc Ninh", kind="cooperative_alliance"
    )
    db.session.commit()
    auth.login("admin@example.vn")
    response = client.post(
        "/staff/admin/divisions/new",
        data={
            "organization_id": organization.id,
            "name": "Ban Hỗ trợ",
            "code": "bht",
            "is_active": "y",
        },
    )
    assert response.status_code == 302
    page = client.get("/staff/admin/organizations").get_data(as_text=True)
    assert "Ban Hỗ trợ" in page
    assert "BHT" in page
