"""The invariants under real HTTP load: no overbooking, no double admission, seats equal to
confirmed delegates during a cancellation storm, and zero server errors."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import secrets
from concurrent.futures import ThreadPoolExecutor

import httpx
import sqlalchemy as sa

from outreach.accounts.models import Organization
from outreach.checkin import services as checkin_services
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.registration import services as registration_services
from outreach.registration.models import Delegate
from outreach.registration.models import Registration


def _conference(capacity: int, starts_at: dt.datetime, ends_at: dt.datetime) -> Conference:
    host = Organization(name=f"Sở KH&CN {secrets.token_hex(3)}", short_name="Sở", kind="other")
    conference = Conference(
        slug=f"tai-{secrets.token_hex(3)}", title="Hội nghị thử tải", host=host,
        venue_name="Hội trường", province_code=24, ward_code=7582, starts_at=starts_at,
        ends_at=ends_at, capacity=capacity, delegates_per_cooperative=1, status="published",
        registration_closes_at=ends_at,
    )
    db.session.add(conference)
    db.session.commit()
    return conference


def _run(coroutine):
    """Run the load in its own thread: Playwright's sync API (the browser tier, in the same
    session) keeps an event loop running in the main thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def _form(index: int) -> dict:
    return {
        "submission_id": f"load-{index}", "cooperative-kind": "to_hop_tac",
        "cooperative-name": f"Tổ hợp tác {index}", "cooperative-tax_code": "",
        "cooperative-province_code": "24", "cooperative-ward_code": "7582",
        "contact_name": f"Người {index}", "contact_phone": f"0912{index:06d}",
        "delegates-0-full_name": f"Người {index}", "delegates-0-phone": f"0912{index:06d}",
        "consent_participation": "y",
    }


async def _post_all(base: str, path: str, forms: list[dict], *, concurrency: int = 64):
    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        async def one(form):
            async with semaphore:
                response = await client.post(path, data=form)
                return response.status_code, response.headers.get("location", "")
        return await asyncio.gather(*(one(f) for f in forms))


def _seats_match(server, conference_id: int) -> tuple[int, int]:
    with server.app.app_context():
        conference = db.session.get(Conference, conference_id)
        confirmed = db.session.scalar(
            sa.select(sa.func.count(Delegate.id)).join(Delegate.registration).where(
                Registration.conference_id == conference_id,
                Registration.status == "confirmed", Delegate.revoked_at.is_(None)))
        return conference.seats_taken, confirmed


def test_1000_concurrent_registrations_for_300_seats(server, soon):
    with server.app.app_context():
        conference = _conference(300, *soon)
        slug, conference_id = conference.slug, conference.id
    server.start(workers=4)
    results = _run(_post_all(server.base, f"/conferences/{slug}/register",
                                    [_form(i) for i in range(1000)]))
    statuses = [status for status, _ in results]
    assert [s for s in statuses if s >= 500] == []
    assert statuses.count(302) == 1000
    with server.app.app_context():
        counts = dict(db.session.execute(
            sa.select(Registration.status, sa.func.count()).where(
                Registration.conference_id == conference_id).group_by(Registration.status)).all())
    assert counts == {"confirmed": 300, "waitlisted": 700}
    assert _seats_match(server, conference_id) == (300, 300)


def test_8_doors_scanning_the_same_2000_codes_admit_each_once(server, soon):
    with server.app.app_context():
        conference = _conference(2000, *soon)
        now = dt.datetime.now(dt.UTC)
        codes = []
        for index in range(2000):
            result = registration_services.register_cooperative(
                conference, _input(index), submission_id=f"seed-{index}", now=now)
            codes.append(result.registration.delegates[0].ticket_code)
        tokens = [checkin_services.create_door_link(conference, f"Cửa {n}", created_by=None,
                                                    now=now)[1] for n in range(8)]
        db.session.commit()
        conference_id = conference.id
    server.start(workers=4)

    async def door(token: str, order: list[str]):
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.base, timeout=60, headers=headers) as client:
            answers = []
            for code in order:
                response = await client.post(f"/api/checkin/{conference_id}/scans", json={
                    "code": code, "nonce": secrets.token_hex(12)})
                answers.append((response.status_code, response.json().get("result")))
            return answers

    async def all_doors():
        return await asyncio.gather(*(
            door(token, random.Random(n).sample(codes, len(codes)))
            for n, token in enumerate(tokens)))

    answers = [a for door_answers in _run(all_doors()) for a in door_answers]
    assert [a for a in answers if a[0] >= 500] == []
    results = [result for _, result in answers]
    assert results.count("ok") == 2000
    assert results.count("already_checked_in") == 7 * 2000
    with server.app.app_context():
        admitted = db.session.scalar(sa.select(sa.func.count(Delegate.id)).where(
            Delegate.conference_id == conference_id, Delegate.checked_in_at.is_not(None)))
    assert admitted == 2000


def _input(index: int) -> registration_services.RegistrationInput:
    return registration_services.RegistrationInput(
        cooperative=registration_services.CooperativeInput(
            kind="to_hop_tac", name=f"Tổ hợp tác {index}", tax_code="", province_code=24,
            ward_code=7582),
        contact_name=f"Người {index}", contact_phone=f"0913{index:06d}", contact_email="",
        delegates=[registration_services.DelegateInput(full_name=f"Người {index}",
                                                       phone=f"0913{index:06d}")],
        needs={}, consent_participation=True)


def test_cancellation_storm_keeps_seats_equal_to_confirmed_delegates(server, soon):
    with server.app.app_context():
        conference = _conference(100, *soon)
        slug, conference_id = conference.slug, conference.id
    server.start(workers=4)
    first = _run(_post_all(server.base, f"/conferences/{slug}/register",
                                  [_form(i) for i in range(150)]))
    tokens = [location.rsplit("/r/", 1)[1].split("?")[0] for _, location in first[:80]]

    async def storm():
        limits = httpx.Limits(max_connections=48)
        async with httpx.AsyncClient(base_url=server.base, timeout=60, limits=limits) as client:
            cancels = [client.post(f"/r/{token}/cancel") for token in tokens]
            registers = [client.post(f"/conferences/{slug}/register", data=_form(1000 + i))
                         for i in range(80)]
            jobs = cancels + registers
            random.Random(7).shuffle(jobs)
            return await asyncio.gather(*jobs)

    responses = _run(storm())
    assert [r.status_code for r in responses if r.status_code >= 500] == []
    taken, confirmed = _seats_match(server, conference_id)
    assert taken == confirmed
    assert taken == 100  # 150 waited or held seats; 80 left; 80 more came: every seat is used
