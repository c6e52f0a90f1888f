"""Turning an outbox row into a MIME message: bodies, inline QR images, PDF tickets, invitation.

Layout (what calendar apps and mail clients expect for an invitation):

    multipart/mixed
      multipart/alternative
        text/plain
        multipart/related
          text/html
          image/png (one per ticket, Content-ID referenced from the HTML)
        text/calendar; method=REQUEST|CANCEL
      application/pdf (the tickets)
      application/ics (the same invitation as a file, for clients that ignore the inline part)
"""

from __future__ import annotations

import datetime as dt
import email.policy
from email.message import EmailMessage
from email.utils import format_datetime
from email.utils import make_msgid

import icalendar

from outreach.checkin import pdf
from outreach.checkin import qr
from outreach.conferences import ics
from outreach.conferences.models import Conference
from outreach.database import db
from outreach.mail.models import OutboxMessage
from outreach.registration import lists
from outreach.registration.models import Registration


def invitation_ical(
    conference: Conference,
    *,
    method: str,
    attendees: list[dict],
    uid_host: str,
    organizer_email: str,
    now: dt.datetime,
) -> bytes:
    """The conference as an iTIP message: same UID and the conference's SEQUENCE, so calendars
    move or remove the event they already hold instead of adding a second one."""
    raw = ics.conference_to_ical(
        conference,
        host=uid_host,
        now=now,
        method=method,
        include_sessions=False,
        organizer_email=organizer_email,
    )
    calendar = icalendar.Calendar.from_ical(raw)
    for event in calendar.walk("VEVENT"):
        for attendee in attendees:
            address = icalendar.vCalAddress(f"mailto:{attendee['email']}")
            # the name goes through icalendar's parameter quoting; CR/LF were removed on queueing
            address.params["CN"] = icalendar.vText(attendee.get("name", ""))
            address.params["ROLE"] = icalendar.vText("REQ-PARTICIPANT")
            address.params["PARTSTAT"] = icalendar.vText("NEEDS-ACTION")
            address.params["RSVP"] = icalendar.vText("FALSE")
            event.add("attendee", address, encode=0)
    return calendar.to_ical()


#: SMTP's policy with lines up to RFC 5322's 998 characters: folding a long Vietnamese subject at
#: 78 made Python 3.11 drop the space between two encoded words ("phổbiến"), so a subject is kept
#: on one line (a conference title is at most a few hundred characters)
MAIL_POLICY = email.policy.SMTP.clone(max_line_length=998)


def build_email(
    message: OutboxMessage,
    *,
    sender: str,
    uid_host: str,
    organizer_email: str,
    now: dt.datetime,
) -> EmailMessage:
    mail = EmailMessage(policy=MAIL_POLICY)
    mail["From"] = sender
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    mail["Date"] = format_datetime(now)
    mail["Message-ID"] = f"<outbox-{message.id}@{uid_host}>"
    mail["Auto-Submitted"] = "auto-generated"
    for name, value in (message.headers or {}).items():
        mail[name] = value
    mail.set_content(message.body_text)

    inline_images = []
    attachments = []
    calendar_part = None
    for part in message.parts or []:
        kind = part.get("type")
        if kind == "qr":
            inline_images.append((part["cid"], qr.make_qr_png(part["code"], box_size=6)))
        elif kind == "tickets_pdf":
            registration = db.session.get(Registration, part["registration_id"])
            infos = lists.ticket_infos(registration) if registration else []
            if infos:
                attachments.append(
                    ("ve-hoi-nghi.pdf", "application", "pdf", pdf.render_tickets_pdf(infos))
                )
        elif kind == "calendar":
            conference = db.session.get(Conference, part["conference_id"])
            if conference is not None:
                calendar_part = (
                    part["method"],
                    invitation_ical(
                        conference,
                        method=part["method"],
                        attendees=part.get("attendees", []),
                        uid_host=uid_host,
                        organizer_email=organizer_email,
                        now=now,
                    ),
                )

    if message.body_html:
        mail.add_alternative(message.body_html, subtype="html")
        html_part = mail.get_payload()[-1]
        for cid, png in inline_images:
            html_part.add_related(
                png,
                maintype="image",
                subtype="png",
                cid=f"<{cid}>",
                filename=f"{cid.split('@')[0]}.png",
                disposition="inline",
            )
    if calendar_part is not None:
        method, body = calendar_part
        mail.add_alternative(body.decode("utf-8"), subtype="calendar", params={"method": method})
    for filename, maintype, subtype, data in attachments:
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    if calendar_part is not None:
        mail.add_attachment(
            calendar_part[1], maintype="application", subtype="ics", filename="thu-moi.ics"
        )
    return mail


def new_content_id(domain: str) -> str:
    return make_msgid(domain=domain)[1:-1]
