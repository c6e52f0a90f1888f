"""Command-line commands: thin wrappers over services."""

from __future__ import annotations

import click
from flask import Flask

from outreach.accounts import services as account_services
from outreach.database import db
from outreach.errors import OutreachError


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option(
    "--role",
    required=True,
    type=click.Choice(["admin", "organizer", "division_staff", "door_staff"]),
)
@click.option("--division", "division_code", help="division code, for division_staff")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
def create_user_command(email, name, role, division_code, password):
    """Create a staff user (prompts for the password when --password is left out)."""
    division = None
    if division_code:
        division = account_services.find_division_by_code(division_code)
        if division is None:
            raise click.ClickException(f"no division with code {division_code!r}")
    try:
        user = account_services.create_user(
            email=email, name=name, role=role, password=password, division=division
        )
    except OutreachError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"created {user.role} {user.email}")


@click.command("demo")
@click.option(
    "--if-empty",
    is_flag=True,
    help="only load when the database holds no organizations yet (first start)",
)
def demo_command(if_empty):
    """Load the demo data (idempotent) and print the demo logins."""
    from outreach import demo

    if if_empty and not demo.database_is_empty():
        click.echo("demo: the database already holds data; nothing loaded")
        return
    logins = demo.load_demo()
    db.session.commit()
    click.echo("Demo data loaded (all fictional). Staff logins:")
    for role, email, password in logins:
        click.echo(f"  {role:<15} {email:<32} {password}")


@click.command("send-mail")
@click.option("--loop", is_flag=True, help="keep running, delivering what falls due")
@click.option("--interval", default=5.0, show_default=True, help="seconds between rounds")
def send_mail_command(loop, interval):
    """Deliver the outbox (once, or continuously with --loop)."""
    from outreach.mail import sender

    if loop:
        click.echo(f"send-mail: delivering every {interval:g} s; Ctrl+C stops")
        sender.run_loop(interval=interval)
    else:
        click.echo(f"send-mail: {sender.deliver_due(limit=1000)} sent")


@click.command("send-reminders")
def send_reminders_command():
    """Queue the reminders due now (each sent once) and deliver them."""
    from outreach.mail import sender

    queued = queue_due_reminders()
    db.session.commit()
    click.echo(f"send-reminders: {queued} queued, {sender.deliver_due(limit=1000)} sent")


def queue_due_reminders() -> int:
    """Queue every reminder that is due now for confirmed registrations."""
    import sqlalchemy as sa
    from flask import current_app

    from outreach.conferences.models import Conference
    from outreach.database import utcnow
    from outreach.mail import messages
    from outreach.registration.models import Registration

    now = utcnow()
    conferences = db.session.scalars(
        sa.select(Conference).where(
            Conference.status.in_(["published", "closed"]), Conference.starts_at > now
        )
    ).all()

    def confirmed(conference):
        return db.session.scalars(
            sa.select(Registration).where(
                Registration.conference_id == conference.id, Registration.status == "confirmed"
            )
        ).all()

    return messages.queue_reminders(
        list(conferences),
        days_before=current_app.config["MAIL_REMINDER_DAYS"],
        now=now,
        registrations_of=confirmed,
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
    app.cli.add_command(send_mail_command)
    app.cli.add_command(send_reminders_command)
