"""The messages cooperatives receive, queued in the outbox in the event's own transaction.

Each function renders the bodies now (in the registrant's language) and describes the parts
(QR images, PDF tickets, the invitation) that the sender builds when it delivers.
"""

from __future__ import annotations

import datetime as dt

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.conferences.models import Conference
from outreach.mail import services
from outreach.mail.building import new_content_id
from outreach.registration import services as registration_services
from outreach.registration.models import Delegate
from outreach.registration.models import Registration
from outreach.registration.models import RegistrationStatus


def _recipients(registration: Registration) -> list[str]:
    """The contact's e-mail first, then delegates' own addresses, each once."""
    seen = []
    for address in [registration.contact_email] + [d.email for d in registration.active_delegates]:
        if address and address.lower() not in seen:
            seen.append(address.lower())
    return seen


def _attendees(delegates: list[Delegate]) -> list[dict]:
    return [
        {"email": d.email, "name": services.clean_header(d.full_name)} for d in delegates if d.email
    ]


def _ticket_parts(registration: Registration, domain: str) -> tuple[list, dict[int, str]]:
    parts, cids = [], {}
    for delegate in registration.active_delegates:
        cid = new_content_id(domain)
        cids[delegate.id] = cid
        parts.append({"type": "qr", "code": delegate.ticket_code, "cid": cid})
    parts.append({"type": "tickets_pdf", "registration_id": registration.id})
    return parts, cids


def _invitation(conference_id: int, method: str, delegates: list[Delegate]) -> dict:
    """The recipe of a calendar part: the sender builds it (same UID, current SEQUENCE)."""
    return {
        "type": "calendar",
        "conference_id": conference_id,
        "method": method,
        "attendees": _attendees(delegates),
    }


def _tickets_and_invitation(registration: Registration, domain: str) -> tuple[list, dict]:
    """QR images, the PDF tickets and a REQUEST for the registration's live delegates."""
    parts, cids = _ticket_parts(registration, domain)
    parts.append(_invitation(registration.conference_id, "REQUEST", registration.active_delegates))
    return parts, cids


def private_link(base_url: str, token: str, language: str | None) -> str:
    """The registration's private link, opening in the language it was made in (on another
    device too, where no language was chosen yet)."""
    link = f"{base_url.rstrip('/')}/r/{token}"
    return f"{link}?lang={language}" if language and language != "vi" else link


def news_opt_out_token(registration: Registration) -> str:
    """A signed token naming the registration, for the news opt-out link (no expiry: it must
    keep working from an old e-mail)."""
    from flask import current_app
    from itsdangerous import URLSafeSerializer

    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="news-opt-out").dumps(
        registration.id
    )


def _news_headers(registration: Registration, base_url: str | None) -> dict:
    """List-Unsubscribe, for the optional news purpose only: following it withdraws the news
    consent and nothing else (the registration and its messages stay)."""
    if not registration.consent_news_at or not base_url:
        return {}
    link = f"{base_url.rstrip('/')}/news/opt-out/{news_opt_out_token(registration)}"
    return {"List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def _is_contact(registration: Registration, address: str) -> bool:
    contact = (registration.contact_email or "").strip().lower()
    return bool(contact) and address.strip().lower() == contact


def _queue(
    registration: Registration,
    *,
    kind: str,
    key: str,
    subject: str,
    template: str,
    now: dt.datetime,
    parts: list | None = None,
    context: dict | None = None,
    to: list[str] | None = None,
    base_url: str | None = None,
) -> int:
    """Render ``template`` (.txt and .html) and queue one message per recipient."""
    count = 0
    for address in to if to is not None else _recipients(registration):
        with force_locale(registration.language or "vi"):
            values = {
                "registration": registration,
                "conference": registration.conference,
                **(context or {}),
            }
            if not _is_contact(registration, address):
                # the private link can change or cancel the whole registration: it is the
                # contact's; a delegate's copy carries the tickets only
                values["link"] = None
            text = render_template(f"mail/{template}.txt", **values)
            html = render_template(f"mail/{template}.html", **values)
            subject_text = subject if isinstance(subject, str) else str(subject)
        services.queue_message(
            to=address,
            subject=subject_text,
            text=text,
            html=html,
            dedupe_key=f"{key}:{address}",
            now=now,
            kind=kind,
            parts=parts,
            headers=_news_headers(registration, base_url),
            registration_id=registration.id,
            conference_id=registration.conference_id,
        )
        count += 1
    return count


def queue_registration_result(
    registration: Registration,
    *,
    token: str | None,
    base_url: str,
    domain: str,
    now: dt.datetime,
) -> int:
    """The confirmation (tickets, link, invitation) or the waiting-list notice."""
    if not _recipients(registration):
        return 0  # nobody gave an address: the manage page after the form is the confirmation
    link = private_link(base_url, token, registration.language) if token else None
    with force_locale(registration.language or "vi"):
        if registration.status == RegistrationStatus.CONFIRMED:
            parts, cids = _tickets_and_invitation(registration, domain)
            return _queue(
                registration,
                kind="confirmation",
                key=f"confirmation:{registration.id}",
                subject=_("Xác nhận đăng ký: %(title)s", title=registration.conference.title),
                template="confirmation",
                now=now,
                parts=parts,
                context={"link": link, "cids": cids},
                base_url=base_url,
            )
        position = registration_services.waitlist_position(registration)
        return _queue(
            registration,
            kind="waitlist",
            key=f"waitlist:{registration.id}",
            subject=_("Danh sách chờ: %(title)s", title=registration.conference.title),
            template="waitlisted",
            now=now,
            context={"link": link, "position": position},
        )


def queue_promotion(registration: Registration, *, domain: str, now: dt.datetime) -> int:
    """ "A seat is yours": the tickets and the invitation for a registration moved up."""
    with force_locale(registration.language or "vi"):
        parts, cids = _tickets_and_invitation(registration, domain)
        return _queue(
            registration,
            kind="promotion",
            key=f"promotion:{registration.id}",
            subject=_("Đã có chỗ cho hợp tác xã: %(title)s", title=registration.conference.title),
            template="promoted",
            now=now,
            parts=parts,
            context={"cids": cids},
        )


def queue_cancellation(registration: Registration, *, now: dt.datetime) -> int:
    """The registration was cancelled: a notice and a CANCEL for every invitation it held."""
    with force_locale(registration.language or "vi"):
        parts = [_invitation(registration.conference_id, "CANCEL", registration.delegates)]
        return _queue(
            registration,
            kind="cancellation",
            key=f"cancellation:{registration.id}",
            subject=_("Đã hủy đăng ký: %(title)s", title=registration.conference.title),
            template="cancelled",
            now=now,
            parts=parts,
        )


def queue_delegate_changes(
    registration: Registration,
    *,
    added: list[Delegate],
    removed: list[Delegate],
    domain: str,
    now: dt.datetime,
) -> int:
    """New tickets for the delegation; a CANCEL of their own invitation for removed people."""
    count = 0
    stamp = now.strftime("%Y%m%d%H%M%S%f")
    with force_locale(registration.language or "vi"):
        for delegate in removed:
            if delegate.email:
                count += _queue(
                    registration,
                    kind="delegate_removed",
                    key=f"delegate-removed:{delegate.id}",
                    subject=_("Hủy thư mời: %(title)s", title=registration.conference.title),
                    template="delegate_removed",
                    now=now,
                    to=[delegate.email],
                    parts=[_invitation(registration.conference_id, "CANCEL", [delegate])],
                    context={"delegate": delegate},
                )
        if added and registration.status == RegistrationStatus.CONFIRMED:
            parts, cids = _tickets_and_invitation(registration, domain)
            count += _queue(
                registration,
                kind="delegates_changed",
                key=f"delegates:{registration.id}:{stamp}",
                subject=_(
                    "Vé mới sau khi đổi người tham dự: %(title)s",
                    title=registration.conference.title,
                ),
                template="promoted",
                now=now,
                parts=parts,
                # the tickets as after a promotion, with "the list was updated" for a headline
                context={"cids": cids, "changed": True},
            )
    return count


def queue_conference_change(
    conference: Conference, *, now: dt.datetime, active_registrations: list[Registration]
) -> int:
    """A moved or cancelled conference: an updated invitation (same UID, higher SEQUENCE) or a
    CANCEL to everyone holding a seat or waiting."""
    count = 0
    method = "CANCEL" if conference.is_cancelled else "REQUEST"
    for registration in active_registrations:
        with force_locale(registration.language or "vi"):
            subject = (
                _("Hội nghị bị hủy: %(title)s", title=conference.title)
                if conference.is_cancelled
                else _("Thay đổi thời gian, địa điểm: %(title)s", title=conference.title)
            )
        parts = [_invitation(conference.id, method, registration.active_delegates)]
        count += _queue(
            registration,
            kind="conference_change",
            key=f"conference-change:{conference.id}:{conference.ics_sequence}:{registration.id}",
            subject=subject,
            template="conference_changed",
            now=now,
            parts=parts,
        )
    return count


def queue_reminders(
    conferences: list[Conference], *, days_before: list[int], now: dt.datetime, registrations_of
) -> int:
    """Reminders ``days_before`` the start, once each, to confirmed registrations, with the
    venue, the agenda and the tickets again. ``registrations_of(conference)`` lists them."""
    count = 0
    for conference in conferences:
        days_left = (conference.starts_at - now).total_seconds() / 86400
        for days in sorted(days_before):
            if not (0 < days_left <= days):
                continue
            for registration in registrations_of(conference):
                parts = [{"type": "tickets_pdf", "registration_id": registration.id}]
                with force_locale(registration.language or "vi"):
                    subject = _("Nhắc lịch hội nghị: %(title)s", title=conference.title)
                count += _queue(
                    registration,
                    kind="reminder",
                    key=f"reminder:{days}:{registration.id}",
                    subject=subject,
                    template="reminder",
                    now=now,
                    parts=parts,
                    context={"days": days},
                )
            break  # only the nearest reminder that applies
    return count


def notify_conference_changes(conference: Conference, changes: list, *, now: dt.datetime) -> int:
    """Hand recorded time, place or status changes to everyone registered (confirmed or
    waiting), once per change, and mark the changes notified."""
    import sqlalchemy as sa

    from outreach.database import db

    pending = [c for c in changes if getattr(c, "notified_at", None) is None]
    if not pending:
        return 0
    registrations = list(
        db.session.scalars(
            sa.select(Registration).where(
                Registration.conference_id == conference.id,
                Registration.status != RegistrationStatus.CANCELLED,
            )
        )
    )
    count = queue_conference_change(conference, now=now, active_registrations=registrations)
    for change in pending:
        change.notified_at = now
    db.session.flush()
    return count
