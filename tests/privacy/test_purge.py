"""B7-89: registrations of old conferences are anonymised; the job is idempotent and keeps the
statistics."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from outreach.audit.models import AuditEntry
from outreach.database import db
from outreach.mail.models import OutboxMessage
from outreach.privacy import services
from outreach.privacy.purge import purge_expired
from outreach.registration.models import Cooperative
from outreach.registration.models import Delegate
from outreach.registration.models import Registration
from tests.privacy.conftest import all_text

#: "today" for the job: 15/12/2027
NOW = dt.datetime(2027, 12, 15, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def conferences(create_conference):
    """One conference ended 14 months ago, one 11 months ago."""
    old = create_conference(
        starts_at=dt.datetime(2026, 10, 1, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 10, 1, 4, tzinfo=dt.UTC),
    )
    recent = create_conference(
        starts_at=dt.datetime(2027, 1, 10, 1, tzinfo=dt.UTC),
        ends_at=dt.datetime(2027, 1, 10, 4, tzinfo=dt.UTC),
    )
    db.session.commit()
    return old, recent


def _statistics(conference_id: int):
    """What reports count: registrations by status and cooperative place and kind, delegates by
    gender and check-in."""
    registrations = db.session.execute(
        sa.select(
            Registration.status,
            Cooperative.kind,
            Cooperative.province_code,
            Cooperative.ward_code,
            sa.func.count(),
        )
        .join(Registration.cooperative)
        .where(Registration.conference_id == conference_id)
        .group_by(
            Registration.status, Cooperative.kind, Cooperative.province_code, Cooperative.ward_code
        )
    ).all()
    delegates = db.session.execute(
        sa.select(Delegate.gender, Delegate.checked_in_at.is_not(None), sa.func.count())
        .where(Delegate.conference_id == conference_id)
        .group_by(Delegate.gender, Delegate.checked_in_at.is_not(None))
    ).all()
    return sorted(map(tuple, registrations)), sorted(map(tuple, delegates))


def test_old_registrations_are_anonymised_once_and_statistics_stay(conferences, register):
    old, recent = conferences
    gone = register(old, now=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    gone.delegates[0].checked_in_at = dt.datetime(2026, 10, 1, 1, 10, tzinfo=dt.UTC)
    gone.delegates[1].gender = "female"
    kept = register(
        recent,
        now=dt.datetime(2026, 12, 20, tzinfo=dt.UTC),
        delegates=(("Phạm Văn Long", "0903000003"),),
        contact_name="Phạm Văn Long",
        contact_phone="0903000003",
        contact_email="long@example.vn",
        tax_code="0100109106",
    )
    db.session.commit()
    before = _statistics(old.id)

    dry = purge_expired(now=NOW, months=12, dry_run=True)
    assert (dry.registrations, dry.delegates, dry.messages) == (1, 2, 1)
    db.session.rollback()
    assert "Trần Thị Mai" in all_text(db.session)  # the dry run changed nothing

    first = purge_expired(now=NOW, months=12)
    db.session.commit()
    assert (first.registrations, first.delegates, first.messages) == (1, 2, 1)
    text = all_text(db.session)
    for needle in (
        "Trần Thị Mai",
        "Lê Văn Nam",
        "+84912000001",
        "+84987000002",
        "mai.tran@example.vn",
    ):
        assert needle not in text, needle
    assert "Phạm Văn Long" in text  # 11 months: still inside the period
    assert _statistics(old.id) == before
    db.session.refresh(gone)
    assert gone.status == "confirmed"
    assert services.is_anonymised(gone)
    assert not services.is_anonymised(kept)
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 1

    second = purge_expired(now=NOW, months=12)
    db.session.commit()
    assert (second.registrations, second.delegates, second.messages) == (0, 0, 0)
    assert _statistics(old.id) == before
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "privacy.purge")
    ).all()
    assert len(entries) == 1  # a run with nothing to do leaves no entry
    assert entries[0].row_count == 1


def test_the_period_is_configurable(conferences, register):
    _old, recent = conferences
    register(recent, now=dt.datetime(2026, 12, 20, tzinfo=dt.UTC))
    assert purge_expired(now=NOW, months=12).registrations == 0
    assert purge_expired(now=NOW, months=6).registrations == 1


def test_the_purge_command(app, runner, conferences, register):
    old, _recent = conferences
    register(old, now=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    app.config["RETENTION_MONTHS"] = 1  # by the real clock, only the old conference is that old
    dry = runner.invoke(args=["purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "would anonymise 1 registrations" in dry.output
    assert "Trần Thị Mai" in all_text(db.session)
    done = runner.invoke(args=["purge"])
    assert "anonymised 1 registrations, 2 delegates" in done.output
    db.session.expire_all()
    assert "Trần Thị Mai" not in all_text(db.session)
    again = runner.invoke(args=["purge"])
    assert "anonymised 0 registrations, 0 delegates" in again.output


def test_the_purge_command_deletes_the_mail_files_of_deleted_messages(
    app, runner, conferences, register
):
    from pathlib import Path

    from outreach.mail import sender

    old, recent = conferences
    register(old, now=dt.datetime(2026, 9, 1, tzinfo=dt.UTC))
    register(recent, now=dt.datetime(2026, 11, 1, tzinfo=dt.UTC))
    assert sender.deliver_due() == 2
    folder = Path(app.config["MAIL_FOLDER"])
    (folder / "notes.txt").write_text("not a message")  # other files are left alone
    assert len(list(folder.glob("*.eml"))) == 2
    app.config["RETENTION_MONTHS"] = 1  # by the real clock, only the old conference is that old
    done = runner.invoke(args=["purge"])
    assert done.exit_code == 0, done.output
    assert "1 messages and 1 message files deleted" in done.output
    left = list(folder.glob("*.eml"))
    assert len(left) == 1
    remaining = db.session.scalar(sa.select(OutboxMessage.id))
    assert left[0].name.startswith(f"{remaining:06d}-")
    assert (folder / "notes.txt").exists()
