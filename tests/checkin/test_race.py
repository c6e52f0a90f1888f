"""No double admission under real parallelism: 8 threads, each with its own connection, on a
SQLite file (and on PostgreSQL in its tier, with OUTREACH_TEST_POSTGRES_URL)."""

from __future__ import annotations

import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from outreach.checkin import services
from outreach.checkin.models import CheckIn
from outreach.database import db
from outreach.database import driver_transaction
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


def _scan_job(conference_id, code, nonce, station, *, own_transaction=False):
    """One scan: through the ORM session, or (``own_transaction``) as a door link's request
    runs it, in a driver_transaction() on a connection of its own."""

    def job():
        conference = services.conference_info(conference_id)
        db.session.commit()  # a door link's scan reads its conference before, elsewhere
        request = services.ScanRequest(nonce=nonce, code=code)
        door = services.Door(station=station)
        if not own_transaction:
            return services.scan(conference, request, door=door, now=DOORS_OPEN)
        with driver_transaction():
            return services.scan(conference, request, door=door, now=DOORS_OPEN)

    return job


@pytest.mark.parametrize("own_transaction", [False, True], ids=["session", "driver"])
def test_the_same_code_eight_times_at_once_admits_once(app, delegate, own_transaction):
    conference_id, code, delegate_id = delegate.conference_id, delegate.ticket_code, delegate.id
    jobs = [
        _scan_job(
            conference_id, code, secrets.token_hex(8), f"Cửa {i}", own_transaction=own_transaction
        )
        for i in range(THREADS)
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


@pytest.mark.parametrize("own_transaction", [False, True], ids=["session", "driver"])
def test_the_same_nonce_eight_times_at_once_is_one_answer_and_one_row(
    app, delegate, own_transaction
):
    nonce = secrets.token_hex(8)
    conference_id, code = delegate.conference_id, delegate.ticket_code
    jobs = [
        _scan_job(conference_id, code, nonce, "Cửa chính", own_transaction=own_transaction)
        for _ in range(THREADS)
    ]
    answers = _at_once(app, jobs)
    assert [a for a in answers if isinstance(a, Exception)] == []
    assert {(a.result, a.checked_in_at, a.station) for a in answers} == {
        ("ok", DOORS_OPEN, "Cửa chính")
    }
    assert sum(not a.replay for a in answers) == 1
    assert db.session.scalar(sa.select(sa.func.count(CheckIn.id))) == 1
