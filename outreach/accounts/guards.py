"""Access guards for views. Every route carries one; ``tests/test_guards.py`` checks that.

``view.access`` records the guard: ``"public"`` for pages anyone may open, ``"staff"`` for pages
behind login (with ``view.roles`` naming who may enter), or another word a feature defines
(the door link of the check-in desk).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import abort
from flask_login import current_user

from outreach.accounts.models import Role


def public(view: Callable) -> Callable:
    """Mark a view as open to everyone, on purpose."""
    view.access = "public"
    return view


def staff_required(*roles: str) -> Callable[[Callable], Callable]:
    """Require a logged-in, active staff user with one of ``roles`` (any role when empty).

    Admins pass every check. Anonymous users are sent to the login page; users without the
    role get 403.
    """

    def decorator(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args, **kwargs):
            from outreach.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if roles and not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.access = "staff"
        wrapped.roles = tuple(roles) or tuple(r.value for r in Role)
        return wrapped

    return decorator


admin_required = staff_required(Role.ADMIN)
