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


def init_app(app: Flask) -> None:
    app.cli.add_command(create_user_command)
    app.cli.add_command(demo_command)
