"""The address that links in e-mails point to, never taken from an untrusted Host header.

A forged ``Host`` header must not turn a lost-link e-mail into a link to an attacker's site
(host header poisoning). ``BASE_URL`` is preferred; without it, the request's host is used only
when it is listed in ``TRUSTED_HOSTS`` (Flask 3.1 checks that list on every ``request.host``
read); with neither configured, a production app refuses to build links.
"""

from __future__ import annotations

from flask import current_app
from flask import request
from werkzeug.exceptions import SecurityError
from werkzeug.sansio.utils import host_is_trusted


class UntrustedHost(SecurityError):
    description = "Host not allowed"


def link_base_url() -> str:
    """``BASE_URL``, else this request's host when trusted.

    :raises UntrustedHost: (400) for a Host header outside ``TRUSTED_HOSTS``, or in production
        when neither ``BASE_URL`` nor ``TRUSTED_HOSTS`` is set.
    """
    from outreach.settings import is_production

    configured = current_app.config.get("BASE_URL") or ""
    if configured:
        return configured
    trusted = current_app.config.get("TRUSTED_HOSTS")
    if not trusted:
        if is_production(current_app):
            raise UntrustedHost()
        return request.host_url
    if not host_is_trusted(request.environ.get("HTTP_HOST") or "", trusted):
        raise UntrustedHost()
    return request.host_url
