"""Django settings for the pretix peer benchmark: pretix's own settings, plus the floor route.

Imported by the pretix virtualenv's Python only (``DJANGO_SETTINGS_MODULE``), with this folder on
``PYTHONPATH`` and ``PRETIX_CONFIG_FILE`` pointing at the ``pretix.cfg`` that bench/peer_pretix.py
writes into its temporary folder (SQLite, no Redis, no Celery: pretix's defaults for that).
"""

from pretix.settings import *  # noqa: F403
from pretix.settings import MIDDLEWARE

# Right after pretix's MultiDomainMiddleware (which picks the URL configuration for the host):
# only a request for /bench/floor is routed to the bare view of pretix_bench_urls, so the
# middleware after it (slash redirects, sessions, CSRF, auth, locale, event, API scope …) resolves
# that route; every other request (the check-in API) keeps pretix's stock URL configuration.
_AFTER = MIDDLEWARE.index("pretix.multidomain.middlewares.MultiDomainMiddleware") + 1
MIDDLEWARE = [*MIDDLEWARE[:_AFTER], "pretix_bench_urls.FloorRouteMiddleware", *MIDDLEWARE[_AFTER:]]
