"""No double admission under real parallelism: 8 threads, each with its own connection, on a
SQLite file (and on PostgreSQL in its tier, with OUTREACH_TEST_POSTGRES_URL)."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from outreach.checkin import services
from outreach.checkin.models import CheckIn
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.registration.models import Delegate

from .conftest import DOORS_OPEN

THREADS = 8


def _at_once(app, jobs):
    """Run every job in its own thread and app context, released together by a barrier."""
    db.session.commit()
    db.session.close()
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            try:
                barrier.wait(timeout=10)
                result = job()
                db.session.commit()
                return result
            except Exception as error:  # the test asserts that none happened
                db.session.rollback()
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(run, jobs))


def _scan_job(conference_id, code, nonce, station):
    def job():
        conference = db.session.get(Conference, conference_id)
        return services.scan(
            conference,
            services.ScanRequest(nonce=nonce, code=code),
            door=services.Door(station=station),
            now=DOORS_OPEN,
        )

    return job


def test_the_same_code_eight_times_at_once_admits_once(app, delegate):
    conference_id, code, delegate_id = delegate.conference_id, delegate.ticket_code, delegate.id
    jobs = [
        _scan_job(conference_id, code, secrets.token_hex(8), f"Cửa {i}") for i in range(THREADS)
    ]
    answers = _at_once(app, jobs)
    assert [a for a in answers if isinstance(a, Exception)] == []
    results = [a.result for a in answers]
    assert results.count("ok") == 1
    assert results.count("already_checked_in") == THREADS - 1
    winner = next(a for a in answers if a.result == "ok")
    # every loser names the winner's door and time
    assert {(a.station, a.checked_in_at) for a in answers} == {
        (winner.station, winner.checked_in_at)
    }
    rows = list(db.session.scalars(sa.select(CheckIn).where(CheckIn.result == "ok")))
    assert len(rows) == 1
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == THREADS
    assert db.session.get(Delegate, delegate_id).checked_in_at == DOORS_OPEN


def test_the_same_nonce_eight_times_at_once_is_one_answer_and_one_row(app, delegate):
    nonce = secrets.token_hex(8)
    conference_id, code = delegate.conference_id, delegate.ticket_code
    jobs = [_scan_job(conference_id, code, nonce, "Cửa chính") for _ in range(THREADS)]
    answers = _at_once(app, jobs)
    assert [a for a in answers if isinstance(a, Exception)] == []
    assert {(a.result, a.checked_in_at, a.station) for a in answers} == {
        ("ok", DOORS_OPEN, "Cửa chính")
    }
    assert sum(not a.replay for a in answers) == 1
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 1
