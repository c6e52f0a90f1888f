"""gunicorn settings for outreach: ``gunicorn -c outreach/deploy/gunicorn.conf.py``.

Every value can be overridden from the environment, so one file serves a laptop and a province.
"""

import gc
import multiprocessing
import os

bind = os.environ.get("OUTREACH_BIND", "127.0.0.1:8000")
# Sync workers: each request is one short database transaction. Two per core plus one is
# gunicorn's usual starting point; the check-in burst at the door is the peak to size for.
workers = int(os.environ.get("OUTREACH_WORKERS", multiprocessing.cpu_count() * 2 + 1))
worker_class = "sync"
# Upload requests stream up to UPLOAD_MAX_BYTES; give slow 4G phones time.
timeout = int(os.environ.get("OUTREACH_WORKER_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Restart workers now and then so a slow leak cannot grow without bound.
max_requests = int(os.environ.get("OUTREACH_MAX_REQUESTS", 2000))
max_requests_jitter = max_requests // 10
# Build the app once in the master; workers fork with it ready (faster start, shared pages).
preload_app = True
wsgi_app = "outreach:create_app()"
accesslog = os.environ.get("OUTREACH_ACCESS_LOG", "-") or None  # empty: no access log
errorlog = "-"
# The log filter of outreach masks phones, e-mails and tokens in these lines too.
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
forwarded_allow_ips = os.environ.get("OUTREACH_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_fork(server, worker):
    """Each worker opens its own database connections: never share a pool across a fork."""
    from outreach.database import db

    app = server.app.wsgi()
    with app.app_context():
        db.engine.dispose(close=False)


def post_worker_init(worker):
    """Move everything the app allocated at start-up out of the collector's reach.

    The app's modules, templates and compiled statements live as long as the worker; without
    this, every full collection walks all of them again, and a request that triggers one waits
    several milliseconds (bench/checkin.py saw it in p99). ``gc.freeze()`` keeps them in a
    permanent generation; what requests allocate is still collected as usual.
    """
    gc.collect()
    gc.freeze()
