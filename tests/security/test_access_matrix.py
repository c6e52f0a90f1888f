"""The access matrix (B2-20..24, B3-42): every route × every role → the expected class of answer.

Expectations come from each view's guard (``view.access`` and ``view.roles``, see
outreach/accounts/guards.py) plus a table for object-scoped routes. A route added later is
covered automatically: GET routes are opened with every role, POST routes with the roles that
must be turned away before anything changes, and an unknown guard must at least keep anonymous
visitors out of /staff.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest

from outreach.accounts.models import Role
from outreach.checkin import services as checkin
from outreach.database import db
from outreach.mail import services as mail_services
from outreach.registration import services as registration_services

ROLES = (
    "anonymous",
    "cooperative_link",
    "door_link",
    "door_staff",
    "division_staff_other",
    "organizer_other",
    "admin",
)
#: ids for objects of features this test does not create: nobody finds them
MISSING = 999_999
#: values for URL arguments that are not object ids
PLAIN_ARGUMENTS = {
    "fmt": "csv",
    "action": "confirm",
    "direction": "up",
    "nonce": "n-1",
    "province_code": "24",
}
#: endpoints whose ``fmt`` takes another value
FORMATS = {
    "documents.public_pack": "zip",
    "documents.registrant_pack": "zip",
    "documents.staff_pack": "zip",
}

LOGIN = "login"
OK = "ok"
FORBIDDEN = "forbidden"
NOT_FOUND = "not_found"
UNAUTHORIZED = "unauthorized"
PUBLIC = "public"  # anything a stranger may get: not a 5xx, not a staff page
NOT_FOR_YOU = "not_for_you"  # 403 or 404, and nothing else


@pytest.fixture
def world(
    app, create_conference, create_organization, create_division, create_user, create_session
):
    host = create_organization(name="Sở KH&CN Bắc Ninh")
    other_host = create_organization(name="Sở KH&CN Lạng Sơn")
    own_division = create_division(organization=host, code="QLKH")
    other_division = create_division(organization=host, code="VP")
    conference = create_conference(host=host, capacity=50)
    create_conference(host=other_host, slug="hoi-nghi-lang-son")
    session = create_session(conference, division=own_division)
    db.session.commit()
    users = {
        "door_staff": create_user(role="door_staff", email="door@example.vn"),
        "division_staff_other": create_user(
            role="division_staff", division=other_division, email="div@example.vn"
        ),
        "organizer_other": create_user(
            role="organizer", organization=other_host, email="org-b@example.vn"
        ),
        "admin": create_user(role="admin", email="admin@example.vn"),
    }
    result = registration_services.register_cooperative(
        conference,
        registration_services.RegistrationInput(
            cooperative=registration_services.CooperativeInput(
                kind="to_hop_tac",
                name="Tổ hợp tác Chè",
                tax_code="",
                province_code=24,
                ward_code=7582,
            ),
            contact_name="Nguyễn Văn Hùng",
            contact_phone="0912000001",
            contact_email="hung@example.vn",
            delegates=[registration_services.DelegateInput("Nguyễn Văn Hùng", "0912000001")],
            needs={},
            consent_participation=True,
        ),
        submission_id="matrix-1",
        now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
    )
    registration = result.registration
    manage_token = registration_services.reissue_token(registration)
    message = mail_services.queue_message(
        to="hung@example.vn",
        subject="x",
        text="x",
        dedupe_key="matrix",
        now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
        registration_id=registration.id,
    )
    _link, door_token = checkin.create_door_link(
        conference, "Cửa chính", created_by=None, now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    )
    db.session.commit()
    return {
        "users": users,
        "ids": {
            "conference_id": conference.id,
            "registration_id": registration.id,
            "session_id": session.id,
            "message_id": message.id,
            "user_id": users["admin"].id,
            "org_id": host.id,
            "division_id": own_division.id,
            "slug": conference.slug,
            "code": registration.delegates[0].ticket_code,
            "delegate_id": registration.delegates[0].id,
        },
        "manage_token": manage_token,
        "door_token": door_token,
    }


def _routes(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint == "static":
            continue
        yield rule, app.view_functions[rule.endpoint]


def _path(rule, world, role) -> str:
    path = rule.rule
    for argument in rule.arguments:
        spec = _spec(rule, argument)
        if spec is None:  # a default, not part of the path
            continue
        if argument == "token":
            if rule.rule.startswith("/door/"):
                value = world["door_token"] if role == "door_link" else "forged-door-token"
            else:
                value = world["manage_token"] if role == "cooperative_link" else "forged-token"
        elif argument == "fmt":
            value = FORMATS.get(rule.endpoint, PLAIN_ARGUMENTS["fmt"])
        elif argument in world["ids"]:
            value = world["ids"][argument]
        elif argument in PLAIN_ARGUMENTS:
            value = PLAIN_ARGUMENTS[argument]
        else:
            value = MISSING
        if spec.startswith("any("):
            value = spec[4:].split(")")[0].split(",")[0].strip()
        path = path.replace(f"<{spec}>", str(value))
    return path


def _spec(rule, argument) -> str | None:
    match = re.search(r"<([^<>]*:)?" + re.escape(argument) + r">", rule.rule)
    return match.group(0)[1:-1] if match else None


def _client(app, world, role):
    client = app.test_client()
    if role in world["users"]:
        response = client.post(
            "/login",
            data={"email": world["users"][role].email, "password": "correct-horse-1"},
        )
        assert response.status_code == 302, role
    return client


def _headers(rule, world, role) -> dict:
    if role == "door_link" and rule.rule.startswith("/api/checkin/"):
        return {"Authorization": f"Bearer {world['door_token']}"}
    return {}


def _classify(response) -> str:
    status = response.status_code
    if status == 302 and "/login" in response.headers.get("Location", ""):
        return LOGIN
    if status == 401:
        return UNAUTHORIZED
    if status == 403:
        return FORBIDDEN
    if status == 404:
        return NOT_FOUND
    if status >= 500:
        return f"error {status}"
    return OK if status < 400 else f"status {status}"


#: the staff roles of this matrix, as accounts roles
USER_ROLES = {
    "door_staff": Role.DOOR_STAFF,
    "division_staff_other": Role.DIVISION_STAFF,
    "organizer_other": Role.ORGANIZER,
    "admin": Role.ADMIN,
}
#: URL arguments naming objects of the conference under test (none belongs to the "other" users)
SCOPED = {"conference_id", "registration_id", "session_id", "message_id"}

#: object-scoped answers that the guard alone cannot tell, by (endpoint, role)
TABLE = {
    # door staff serve the desk of every conference (the check-in design: no per-event assignment)
    ("checkin.desk", "door_staff"): OK,
    # ... and so print a walk-in's badge or the blank sign-in sheet there (no phones or e-mails)
    ("checkin.badge", "door_staff"): OK,
    ("checkin.sign_in_sheet_blank", "door_staff"): OK,
    # budgets are the finance division's (and organizers'); other divisions get 404 there, and
    # the norms page also answers 404 to an admin who is not in the finance division
    ("plans.budgets", "division_staff_other"): NOT_FOUND,
    ("plans.norms", "division_staff_other"): NOT_FOUND,
    ("plans.norms", "admin"): NOT_FOUND,
    # the outbox shows an organizer only the messages of conferences they manage
    ("mail.detail", "organizer_other"): NOT_FOUND,
}
#: POSTs known to be let through for a role that should be refused (reported; see TABLE)
POST_GAPS: set[tuple[str, str]] = set()


def _arguments(rule) -> set[str]:
    return {a for a in rule.arguments if _spec(rule, a) is not None}


def _names_missing_object(rule, world) -> bool:
    return any(
        a not in world["ids"] and a not in PLAIN_ARGUMENTS and a != "token"
        for a in _arguments(rule)
    )


def expected(rule, view, role, world) -> str | None:
    """The class of answer ``role`` must get from GET ``rule`` (None: not decided here)."""
    if (rule.endpoint, role) in TABLE:
        return TABLE[(rule.endpoint, role)]
    access = getattr(view, "access", None)
    arguments = _arguments(rule)
    missing = _names_missing_object(rule, world)
    if access == "staff":
        if role not in USER_ROLES:
            return LOGIN
        if role != "admin" and USER_ROLES[role] not in view.roles:
            return FORBIDDEN
        if missing:
            return NOT_FOUND
        if role != "admin" and arguments & SCOPED:
            return NOT_FOUND  # not theirs: the same answer as for a missing id (B2-21)
        return OK
    if access == "door":
        if rule.rule.startswith("/door/"):
            return OK if role == "door_link" else UNAUTHORIZED
        if role in ("anonymous", "cooperative_link"):
            return UNAUTHORIZED
        if role in ("door_link", "door_staff", "admin"):
            return NOT_FOUND if missing else OK
        return NOT_FOUND  # staff of another conference or division
    if access == "public":
        if missing:
            return NOT_FOUND
        if rule.rule.startswith("/r/"):
            return OK if role == "cooperative_link" else NOT_FOUND  # B2-29
        if "token" in arguments:
            return NOT_FOUND  # a forged token
        return OK
    return None


def expected_post(rule, view, role) -> str | None:
    """For POST-only routes, only refusals are checked: nothing may change before them."""
    access = getattr(view, "access", None)
    if access == "staff":
        if role not in USER_ROLES:
            return LOGIN
        if role != "admin" and USER_ROLES[role] not in view.roles:
            return FORBIDDEN
        if role in ("organizer_other", "division_staff_other") and _arguments(rule) & SCOPED:
            if (rule.endpoint, role) in POST_GAPS:
                return None
            return NOT_FOUND
        return None
    if access == "door" and role in ("anonymous", "cooperative_link"):
        return UNAUTHORIZED
    if access == "door" and role in ("organizer_other", "division_staff_other"):
        return NOT_FOUND
    return None


def _cases(app):
    for rule, view in _routes(app):
        method = "GET" if "GET" in rule.methods else "POST"
        yield rule, view, method


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_expected(app, world, role):
    client = _client(app, world, role)
    wrong = []
    checked = 0
    for rule, view, method in _cases(app):
        if rule.endpoint == "accounts.logout":
            continue  # it would end this role's session for the routes after it
        if method == "GET":
            want = expected(rule, view, role, world)
        else:
            want = expected_post(rule, view, role)
            if want is None:
                continue  # an allowed POST would change data: not sent
        path = _path(rule, world, role)
        response = client.open(path, method=method, headers=_headers(rule, world, role))
        got = _classify(response)
        assert not got.startswith("error"), f"{method} {path}: {response.status_code}"
        if want is None:
            # an unknown guard (or an allowed POST): at least keep strangers out of /staff
            if rule.rule.startswith("/staff") and role in ("anonymous", "cooperative_link"):
                assert got != OK, f"{method} {rule.rule} is open to {role}"
            continue
        checked += 1
        if got != want:
            wrong.append(f"{method} {rule.rule} ({rule.endpoint}): want {want}, got {got}")
    assert wrong == []
    assert checked > 40


def test_anonymous_users_never_get_a_staff_page(app, world):
    """The floor for routes added later with a guard this test does not know."""
    client = app.test_client()
    for rule, _view, method in _cases(app):
        if not rule.rule.startswith(("/staff", "/admin")):
            continue
        response = client.open(_path(rule, world, "anonymous"), method=method)
        assert response.status_code in (302, 401, 403, 404), rule.rule
        if response.status_code == 302:
            assert "/login" in response.headers["Location"], rule.rule


def test_every_route_has_a_known_guard(app):
    unknown = [
        rule.rule
        for rule, view in _routes(app)
        if getattr(view, "access", None) not in ("public", "staff", "door")
    ]
    assert unknown == []


def test_the_guard_table_is_built_from_the_views(app, world):
    """The matrix really reads the guards: an admin-only page refuses every other role."""
    view = app.view_functions["privacy.index"]
    assert view.access == "staff"
    assert tuple(view.roles) == (Role.ADMIN,)
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == "privacy.index")
    assert [expected(rule, view, role, world) for role in ROLES] == [
        LOGIN,
        LOGIN,
        LOGIN,
        FORBIDDEN,
        FORBIDDEN,
        FORBIDDEN,
        OK,
    ]
