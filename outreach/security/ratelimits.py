"""Rate limits from configuration, applied by endpoint name after every blueprint is registered.

``RATELIMITS`` maps endpoint patterns (``fnmatch``: ``checkin.*scan*``) to Flask-Limiter limit
strings. Features do not decorate their own views: a route added later under a matching name is
limited too. The limit is read from the running app's configuration on each request, so tests
and deployments may change it without re-registering anything.
"""

from __future__ import annotations

import fnmatch

from flask import Flask
from flask import current_app

from outreach.extensions import limiter

#: what an endpoint gets when the running app configures no limit for it
UNLIMITED = "1000000 per second"

#: one decorator per endpoint for the life of the process: Flask-Limiter keeps its registry on the
#: (global) limiter object, so a second app must reuse the same limit, not add another
_DECORATORS: dict[str, object] = {}


def limit_for(endpoint: str, config: dict) -> str | None:
    """The configured limit of ``endpoint``: an exact name wins over a pattern."""
    table = config.get("RATELIMITS") or {}
    if endpoint in table:
        return table[endpoint] or None
    for pattern, value in table.items():
        if fnmatch.fnmatchcase(endpoint, pattern):
            return value or None
    return None


def _decorator(endpoint: str):
    if endpoint not in _DECORATORS:

        def current_limit() -> str:
            return limit_for(endpoint, current_app.config) or UNLIMITED

        _DECORATORS[endpoint] = limiter.limit(current_limit, per_method=False)
    return _DECORATORS[endpoint]


def apply(app: Flask) -> list[str]:
    """Wrap every view whose endpoint has a configured limit; return those endpoints."""
    limited = []
    for endpoint, view in list(app.view_functions.items()):
        if endpoint == "static" or limit_for(endpoint, app.config) is None:
            continue
        if getattr(view, "_outreach_rate_limited", False):
            continue
        wrapped = _decorator(endpoint)(view)
        wrapped._outreach_rate_limited = True
        app.view_functions[endpoint] = wrapped
        limited.append(endpoint)
    return limited
