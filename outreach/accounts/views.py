"""Login, logout and the admin pages for users, divisions and organizations."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint
from flask import current_app
from flask import flash
from flask import redirect
from flask import render_template
from flask import request
from flask import session
from flask import url_for
from flask_babel import gettext as _
from flask_login import login_user
from flask_login import logout_user
from wtforms import SelectChoice

from outreach.accounts import services
from outreach.accounts.forms import ORGANIZATION_KIND_LABELS
from outreach.accounts.forms import ROLE_LABELS
from outreach.accounts.forms import DivisionForm
from outreach.accounts.forms import LoginForm
from outreach.accounts.forms import OrganizationForm
from outreach.accounts.forms import UserForm
from outreach.accounts.guards import admin_required
from outreach.accounts.guards import public
from outreach.accounts.models import Division
from outreach.accounts.models import Organization
from outreach.accounts.models import User
from outreach.database import db
from outreach.database import utcnow
from outreach.errors import OutreachError
from outreach.extensions import limiter
from outreach.forms import apply_error
from outreach.security.hooks import mark_login

bp = Blueprint("accounts", __name__)


def safe_next_url(target: str | None) -> str | None:
    """Only a path on this site; anything with a scheme or host (or ``//``) is dropped."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    return target


def _login_email_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))[:254]


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _login_account_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN_ACCOUNT"]


def _failed(response) -> bool:
    # Only failed attempts count: a successful login redirects.
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(
    _login_account_limit, methods=["POST"], key_func=_login_email_key, deduct_when=_failed
)
@public
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next_url(request.args.get("next"))
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data, now=utcnow())
        if user is not None:
            db.session.commit()
            lang = session.get("lang")
            session.clear()  # a fresh session at login: nothing from before carries over
            if lang:
                session["lang"] = lang
            session.permanent = True
            login_user(user)
            mark_login()  # the session ends PERMANENT_SESSION_LIFETIME after this, renewed or not
            flash(_("Đã đăng nhập."), "success")
            return redirect(safe_next_url(form.next.data) or url_for("site.staff_home"))
        flash(_("Thư điện tử hoặc mật khẩu không đúng."), "error")
        return render_template("accounts/login.html", form=form), 200
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    logout_user()
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Bạn đã đăng xuất."), "success")
    return redirect(url_for("site.index"))


# --- admin: users -------------------------------------------------------------------------


def _fill_user_choices(form: UserForm) -> None:
    form.organization_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(o.id, o.name) for o in services.list_organizations()
    ]
    form.division_id.choices = [SelectChoice(0, "—")] + [
        SelectChoice(d.id, f"{d.name} ({d.code})") for d in services.list_divisions()
    ]


@bp.route("/staff/admin/users")
@admin_required
def users():
    return render_template(
        "accounts/users.html", users=services.list_users(), role_labels=ROLE_LABELS
    )


@bp.route("/staff/admin/users/new", methods=["GET", "POST"])
@admin_required
def user_create():
    form = UserForm()
    _fill_user_choices(form)
    if form.validate_on_submit():
        if not form.password.data:
            form.password.errors = [_("Nhập mật khẩu cho tài khoản mới.")]
        else:
            try:
                user = services.create_user(
                    email=form.email.data,
                    name=form.name.data,
                    role=form.role.data,
                    password=form.password.data,
                    division=db.session.get(Division, form.division_id.data or 0),
                    organization=db.session.get(Organization, form.organization_id.data or 0),
                )
            except OutreachError as error:
                db.session.rollback()
                apply_error(form, error)
            else:
                db.session.commit()
                flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
                return redirect(url_for("accounts.users"))
    return render_template("accounts/user_edit.html", form=form, user=None)


@bp.route("/staff/admin/users/<int:user_id>/edit", methods=["GET", "POST"])
@admin_required
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user)
    _fill_user_choices(form)
    if request.method == "GET":
        form.division_id.data = user.division_id or 0
        form.organization_id.data = user.organization_id or 0
    if form.validate_on_submit():
        try:
            services.update_user(
                user,
                name=form.name.data,
                role=form.role.data,
                is_active=form.is_active.data,
                division=db.session.get(Division, form.division_id.data or 0),
                organization=db.session.get(Organization, form.organization_id.data or 0),
                password=form.password.data or None,
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu tài khoản %(email)s.", email=user.email), "success")
            return redirect(url_for("accounts.users"))
    return render_template("accounts/user_edit.html", form=form, user=user)


@bp.route("/staff/admin/users/<int:user_id>/delete", methods=["POST"])
@admin_required
def user_delete(user_id: int):
    user = db.get_or_404(User, user_id)
    email = user.email
    try:
        services.delete_user(user)
    except OutreachError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("Đã xóa tài khoản %(email)s.", email=email), "success")
    return redirect(url_for("accounts.users"))


# --- admin: organizations and divisions -------------------------------------------------


@bp.route("/staff/admin/organizations")
@admin_required
def organizations():
    return render_template(
        "accounts/organizations.html",
        organizations=services.list_organizations(),
        kind_labels=ORGANIZATION_KIND_LABELS,
    )


@bp.route("/staff/admin/organizations/new", methods=["GET", "POST"], defaults={"org_id": None})
@bp.route("/staff/admin/organizations/<int:org_id>/edit", methods=["GET", "POST"])
@admin_required
def organization_edit(org_id: int | None):
    organization = db.get_or_404(Organization, org_id) if org_id else None
    form = OrganizationForm(obj=organization)
    if form.validate_on_submit():
        services.save_organization(
            organization, name=form.name.data, short_name=form.short_name.data, kind=form.kind.data
        )
        db.session.commit()
        flash(_("Đã lưu cơ quan."), "success")
        return redirect(url_for("accounts.organizations"))
    return render_template("accounts/organization_edit.html", form=form, organization=organization)


@bp.route("/staff/admin/divisions/new", methods=["GET", "POST"], defaults={"division_id": None})
@bp.route("/staff/admin/divisions/<int:division_id>/edit", methods=["GET", "POST"])
@admin_required
def division_edit(division_id: int | None):
    division = db.get_or_404(Division, division_id) if division_id else None
    form = DivisionForm(obj=division)
    form.organization_id.choices = [
        SelectChoice(o.id, o.name) for o in services.list_organizations()
    ]
    if form.validate_on_submit():
        try:
            services.save_division(
                division,
                organization=db.get_or_404(Organization, form.organization_id.data),
                name=form.name.data,
                code=form.code.data,
                is_active=form.is_active.data,
            )
        except OutreachError as error:
            db.session.rollback()
            apply_error(form, error)
        else:
            db.session.commit()
            flash(_("Đã lưu phòng."), "success")
            return redirect(url_for("accounts.organizations"))
    return render_template("accounts/division_edit.html", form=form, division=division)
