"""Check-in fixtures: delegates registered through the real service, doors, and times."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest

from outreach.checkin import services as checkin
from outreach.database import db
from outreach.registration import services as registration

#: registration time, well before the conference of ``create_conference`` (10/12/2026 08:00)
REGISTERED_AT = dt.datetime(2026, 12, 1, 2, 0, tzinfo=dt.UTC)
#: 07:30 in Hà Nội on the day: the doors are open (they open at 06:00)
DOORS_OPEN = dt.datetime(2026, 12, 10, 0, 30, tzinfo=dt.UTC)
#: 05:00 in Hà Nội: before the doors open
TOO_EARLY = dt.datetime(2026, 12, 9, 22, 0, tzinfo=dt.UTC)

_phones = itertools.count(1)


@pytest.fixture
def register(app):
    """``register(conference, names=(...), cooperative="...")`` → the Registration, committed.

    A tổ hợp tác (no tax code needed) with one delegate per name, each with a fresh phone.
    """

    def _register(conference, names=("Nguyễn Văn Hùng",), *, cooperative=None):
        serial = next(_phones)
        data = registration.RegistrationInput(
            cooperative=registration.CooperativeInput(
                kind="to_hop_tac",
                name=cooperative or f"Tổ hợp tác Nuôi ong Tây Yên Tử {serial}",
                tax_code="",
                province_code=24,
                ward_code=7616,
            ),
            contact_name=names[0],
            contact_phone=f"0912{serial:06d}",
            contact_email="",
            delegates=[
                registration.DelegateInput(
                    full_name=name, phone=f"09{(serial * 10 + i) % 10**8:08d}", position="Tổ trưởng"
                )
                for i, name in enumerate(names)
            ],
            needs={},
            consent_participation=True,
        )
        result = registration.register_cooperative(
            conference, data, submission_id=f"sub-{serial}-{id(conference)}", now=REGISTERED_AT
        )
        db.session.commit()
        return result.registration

    return _register


@pytest.fixture
def delegate(create_conference, register):
    """One confirmed delegate of a fresh conference."""
    conference = create_conference()
    return register(conference).delegates[0]


@pytest.fixture
def door_link(app):
    """``door_link(conference, station="Cửa chính")`` → (link, token), committed."""

    def _make(conference, station="Cửa chính", *, now=DOORS_OPEN):
        link, token = checkin.create_door_link(conference, station, created_by=None, now=now)
        db.session.commit()
        return link, token

    return _make
