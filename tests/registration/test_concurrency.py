"""Exact capacity under real parallelism: threads, each with its own connection, on a SQLite
file (and on PostgreSQL in its tier)."""

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from outreach.database import db
from outreach.registration import services
from outreach.registration.models import Registration

NOW = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)


def _one_person(index: int) -> services.RegistrationInput:
    return services.RegistrationInput(
        cooperative=services.CooperativeInput(
            kind="to_hop_tac",
            name=f"Tổ hợp tác số {index}",
            tax_code="",
            province_code=24,
            ward_code=7582,
        ),
        contact_name=f"Người {index}",
        contact_phone=f"0912{index:06d}",
        contact_email="",
        delegates=[services.DelegateInput(full_name=f"Người {index}", phone=f"0912{index:06d}")],
        needs={},
        consent_participation=True,
    )


def _run_in_threads(app, jobs, *, workers=24):
    # The test's own session must hold no transaction (and so no SQLite lock) meanwhile.
    db.session.commit()
    db.session.close()

    def run(job):
        with app.app_context():
            try:
                result = job()
                db.session.commit()
                return result
            except Exception as error:  # the test asserts that none happened
                db.session.rollback()
                return error
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(run, jobs))


def test_1000_simultaneous_registrations_fill_300_seats_exactly(app, create_conference):
    conference = create_conference(capacity=300, delegates_per_cooperative=1)
    conference_id = conference.id

    def job(index):
        def register():
            target = db.session.get(type(conference), conference_id)
            return services.register_cooperative(
                target, _one_person(index), submission_id=f"sub-{index}", now=NOW
            ).registration.status

        return register

    results = _run_in_threads(app, [job(i) for i in range(1000)])
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert results.count("confirmed") == 300
    assert results.count("waitlisted") == 700
    db.session.expire_all()
    conference = db.session.get(type(conference), conference_id)
    assert conference.seats_taken == 300
    assert services.seats_invariant_holds(conference)
    statuses = dict(
        db.session.execute(
            sa.select(Registration.status, sa.func.count()).group_by(Registration.status)
        ).all()
    )
    assert statuses == {"confirmed": 300, "waitlisted": 700}


def test_racing_cancellations_and_registrations_keep_the_seat_count(app, create_conference):
    conference = create_conference(capacity=20, delegates_per_cooperative=1)
    conference_id = conference.id
    first = []
    for index in range(30):
        result = services.register_cooperative(
            conference, _one_person(index), submission_id=f"first-{index}", now=NOW
        )
        first.append(result.registration.id)
    db.session.commit()

    def cancel(registration_id):
        def job():
            registration = db.session.get(Registration, registration_id)
            return services.cancel_registration(registration, now=NOW)

        return job

    def register(index):
        def job():
            target = db.session.get(type(conference), conference_id)
            return services.register_cooperative(
                target, _one_person(index), submission_id=f"late-{index}", now=NOW
            )

        return job

    jobs = []
    for index in range(15):
        jobs.append(cancel(first[index]))
        jobs.append(register(100 + index))
    results = _run_in_threads(app, jobs, workers=12)
    assert [r for r in results if isinstance(r, Exception)] == []
    db.session.expire_all()
    conference = db.session.get(type(conference), conference_id)
    assert services.seats_invariant_holds(conference)
    assert conference.seats_taken == 20  # enough people waited to fill every freed seat
