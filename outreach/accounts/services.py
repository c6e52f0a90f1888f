"""Rules for staff accounts: creating users, roles, the last admin, authentication."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from werkzeug.security import check_password_hash
from werkzeug.security import generate_password_hash

from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import Role
from outreach.accounts.models import User
from outreach.database import db
from outreach.errors import OutreachError

MIN_PASSWORD_LENGTH = 8
# Checked against when the e-mail is unknown, so a wrong address costs as long as a wrong
# password and the timing does not tell which one it was.
_DUMMY_HASH = generate_password_hash("not-a-real-password-0f3c")


class AccountError(OutreachError):
    code = "account_error"


class LastAdmin(AccountError):
    code = "last_admin"


class DuplicateEmail(AccountError):
    code = "duplicate_email"


class InvalidRole(AccountError):
    code = "invalid_role"


class DivisionRequired(AccountError):
    code = "division_required"


class WeakPassword(AccountError):
    code = "weak_password"


class DuplicateDivision(AccountError):
    code = "duplicate_division"


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def find_division_by_code(code: str) -> Division | None:
    return db.session.scalar(sa.select(Division).where(Division.code == code.strip().upper()))


def _check_role(role: str, division: Division | None) -> None:
    if role not in {r.value for r in Role}:
        raise InvalidRole(_("Vai trò không hợp lệ."), field="role")
    if role == Role.DIVISION_STAFF and division is None:
        raise DivisionRequired(_("Cán bộ phòng phải thuộc một phòng."), field="division_id")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPassword(
            _("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH), field="password"
        )


def create_user(
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    division: Division | None = None,
    organization: Organization | None = None,
) -> User:
    """Add a staff user.

    :raises DuplicateEmail: when the address is taken.
    :raises InvalidRole: for an unknown role.
    :raises DivisionRequired: for division staff without a division.
    :raises WeakPassword: for a password shorter than ``MIN_PASSWORD_LENGTH``.
    """
    _check_role(role, division)
    _check_password(password)
    if find_user_by_email(email) is not None:
        raise DuplicateEmail(_("Địa chỉ thư này đã có tài khoản."), field="email")
    if organization is None and division is not None:
        organization = division.organization
    user = User(
        email=normalise_email(email),
        name=name.strip(),
        role=role,
        password_hash=generate_password_hash(password),
        division=division,
        organization=organization,
    )
    db.session.add(user)
    db.session.flush()
    return user


def active_admin_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.role == Role.ADMIN, User.is_active)
    )


def update_user(
    user: User,
    *,
    name: str,
    role: str,
    is_active: bool,
    division: Division | None,
    organization: Organization | None,
    password: str | None = None,
) -> User:
    """Change a user's details; a new password or disabling ends their sessions.

    :raises LastAdmin: when this would leave no active admin.
    :raises InvalidRole: for an unknown role.
    :raises DivisionRequired: for division staff without a division.
    :raises WeakPassword: for a too short new password.
    """
    _check_role(role, division)
    was_active_admin = user.role == Role.ADMIN and user.is_active
    stays_active_admin = role == Role.ADMIN and is_active
    if was_active_admin and not stays_active_admin and active_admin_count() <= 1:
        raise LastAdmin(_("Không thể khóa hoặc hạ quyền quản trị viên cuối cùng."), field="role")
    if password:
        _check_password(password)
        user.password_hash = generate_password_hash(password)
        user.session_version += 1
    if user.is_active and not is_active:
        user.session_version += 1
    user.name = name.strip()
    user.role = role
    user.is_active = is_active
    user.division = division
    user.organization = organization or (division.organization if division else None)
    db.session.flush()
    return user


def delete_user(user: User) -> None:
    """Remove a user.

    :raises LastAdmin: when the user is the last active admin.
    """
    if user.role == Role.ADMIN and user.is_active and active_admin_count() <= 1:
        raise LastAdmin(_("Không thể xóa quản trị viên cuối cùng."))
    db.session.delete(user)
    db.session.flush()


def authenticate(email: str, password: str, *, now: dt.datetime) -> User | None:
    """The active user with this e-mail and password, or None.

    Unknown e-mail, wrong password and disabled account all give None, so the caller
    cannot tell them apart.
    """
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.is_active:
        return None
    user.last_login_at = now
    db.session.flush()
    return user


def load_user_for_session(session_id: str) -> User | None:
    """The user a session cookie names, if it is still valid (active, same session version)."""
    try:
        user_id, version = (int(part) for part in session_id.split("."))
    except ValueError:
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


def save_division(
    division: Division | None,
    *,
    organization: Organization,
    name: str,
    code: str,
    is_active: bool = True,
) -> Division:
    """Create (``division=None``) or change a division.

    :raises DuplicateDivision: when the code is taken by another division.
    """
    code = code.strip().upper()
    other = find_division_by_code(code)
    if other is not None and other is not division:
        raise DuplicateDivision(_("Mã phòng này đã được dùng."), field="code")
    if division is None:
        division = Division()
        db.session.add(division)
    division.organization = organization
    division.name = name.strip()
    division.code = code
    division.is_active = is_active
    db.session.flush()
    return division


def save_organization(
    organization: Organization | None, *, name: str, short_name: str, kind: str
) -> Organization:
    """Create (``organization=None``) or change an organization."""
    if organization is None:
        organization = Organization()
        db.session.add(organization)
    organization.name = name.strip()
    organization.short_name = short_name.strip()
    organization.kind = kind
    db.session.flush()
    return organization


def list_users() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .options(sa.orm.joinedload(User.division), sa.orm.joinedload(User.organization))
            .order_by(User.role, User.name)
        )
    )


def list_organizations() -> list[Organization]:
    return list(
        db.session.scalars(
            sa.select(Organization)
            .options(sa.orm.selectinload(Organization.divisions))
            .order_by(Organization.kind, Organization.name)
        )
    )


def list_divisions(*, active_only: bool = False) -> list[Division]:
    query = sa.select(Division).options(sa.orm.joinedload(Division.organization))
    if active_only:
        query = query.where(Division.is_active)
    return list(db.session.scalars(query.order_by(Division.name)))
