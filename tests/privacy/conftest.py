"""A registered cooperative with two delegates and its outbox messages."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
import sqlalchemy as sa

from outreach.database import db
from outreach.mail import services as mail_services
from outreach.registration import services as registration_services

NOW = dt.datetime(2026, 11, 1, 3, 0, tzinfo=dt.UTC)


@pytest.fixture
def register(make_input):
    """``register(conference, delegates=..., now=..., **overrides)`` → the Registration, with a
    confirmation message in the outbox naming everyone."""

    def _register(conference, *, now=NOW, **overrides):
        overrides.setdefault(
            "delegates", (("Trần Thị Mai", "0912000001"), ("Lê Văn Nam", "0987000002"))
        )
        overrides.setdefault("contact_name", "Trần Thị Mai")
        overrides.setdefault("contact_phone", "0912 000 001")
        overrides.setdefault("contact_email", "mai.tran@example.vn")
        tax_code = overrides.pop("tax_code", None)
        data = make_input(cooperative={"tax_code": tax_code} if tax_code else {}, **overrides)
        result = registration_services.register_cooperative(
            conference, data, submission_id=secrets.token_hex(8), now=now
        )
        registration = result.registration
        names = ", ".join(d.full_name for d in registration.delegates)
        mail_services.queue_message(
            to=registration.contact_email or "x@example.vn",
            subject=f"Xác nhận đăng ký – {registration.contact_name}",
            text=f"Kính gửi {registration.contact_name}. Người tham dự: {names}. "
            f"Mã vé: {', '.join(d.ticket_code for d in registration.delegates)}",
            dedupe_key=f"test-confirmation:{registration.id}",
            now=now,
            registration_id=registration.id,
            conference_id=conference.id,
        )
        db.session.commit()
        return registration

    return _register


def all_text(session) -> str:
    """Every string and JSON value in every table, joined: for "nothing of the person left"."""
    chunks = []
    for table in db.metadata.sorted_tables:
        columns = [c for c in table.columns if isinstance(c.type, sa.String | sa.Text | sa.JSON)]
        if not columns:
            continue
        for row in session.execute(sa.select(*columns)).all():
            chunks.extend(str(value) for value in row if value is not None)
    return "\n".join(chunks)
