"""Plan fixtures: a plan with items, and registered / checked-in delegates made directly."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest

from outreach.database import db

#: 28/11/2026 09:00 in Hà Nội
NOW = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def make_plan(app):
    """``make_plan(monitoring_division=None)``: plan 64/KH-KHCN issued 17/07/2026."""
    from outreach.plans import services

    def _make(monitoring_division=None, number="64/KH-KHCN"):
        plan = services.create_plan(
            services.PlanInput(
                number=number,
                title="Hỗ trợ Hợp tác xã ứng dụng khoa học, kỹ thuật và công nghệ",
                issuing_body="Sở Khoa học và Công nghệ",
                issued_on=dt.date(2026, 7, 17),
                signer="Nguyễn Đức Kiên",
            ),
            actor=None,
            now=NOW,
        )
        plan.monitoring_division = monitoring_division
        db.session.flush()
        return plan

    return _make


@pytest.fixture
def make_item(app):
    """``make_item(plan, section, division=None, due_on=None, status='not_started', **kw)``."""
    from outreach.plans import services

    def _make(plan, section, *, status="not_started", **kwargs):
        kwargs.setdefault("title", f"Công việc {section}")
        item = services.add_item(
            plan, services.ItemInput(section=section, **kwargs), actor=None, now=NOW
        )
        item.status = status
        db.session.flush()
        return item

    return _make


@pytest.fixture
def add_delegates(app):
    """``add_delegates(conference, count, checked_in=0, status='confirmed', revoked=0)``: one
    cooperative registration with ``count`` delegates, the first ``checked_in`` checked in."""
    from outreach.registration.models import Cooperative
    from outreach.registration.models import Delegate
    from outreach.registration.models import Registration

    def _add(conference, count, *, checked_in=0, status="confirmed", revoked=0):
        cooperative = Cooperative(
            kind="hop_tac_xa",
            name=f"HTX {secrets.token_hex(3)}",
            name_key="htx",
            province_code=24,
            ward_code=7582,
        )
        registration = Registration(
            conference_id=conference.id,
            cooperative=cooperative,
            status=status,
            manage_token_hash=secrets.token_hex(32),
            submission_id=secrets.token_hex(16),
            contact_name="Nguyễn Văn Hùng",
            contact_phone="+84912000001",
            consent_participation_at=NOW,
            consent_notice_version="1",
            seats_held=count if status == "confirmed" else 0,
        )
        db.session.add(registration)
        for index in range(count):
            db.session.add(
                Delegate(
                    registration=registration,
                    conference_id=conference.id,
                    full_name=f"Người {index}",
                    name_key=f"nguoi {index}",
                    phone_e164=f"+8491{secrets.randbelow(10**7):07d}",
                    ticket_code=secrets.token_hex(16).upper(),
                    checked_in_at=NOW if index < checked_in else None,
                    revoked_at=NOW if index >= count - revoked else None,
                )
            )
        db.session.flush()
        return registration

    return _add
