"""``flask --app outreach purge [--dry-run]``, ``backup DEST`` and ``restore SRC [--force]``."""

from __future__ import annotations

import click
from flask import Flask
from flask import current_app

from outreach.database import db
from outreach.database import utcnow


@click.command("purge")
@click.option("--dry-run", is_flag=True, help="only count what would be anonymised")
def purge_command(dry_run):
    """Anonymise registrations of conferences that ended more than RETENTION_MONTHS ago."""
    from outreach.privacy.purge import purge_expired
    from outreach.privacy.purge import remove_stale_message_files

    months = int(current_app.config["RETENTION_MONTHS"])
    result = purge_expired(now=utcnow(), months=months, dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        verb = "would anonymise"
    else:
        db.session.commit()
        verb = "anonymised"
    # the files of messages gone from the outbox (dry run: of those gone already)
    files = remove_stale_message_files(current_app.config["MAIL_FOLDER"], dry_run=dry_run)
    click.echo(
        f"purge: conferences ended before {result.cutoff:%Y-%m-%d} ({months} months): "
        f"{verb} {result.registrations} registrations, {result.delegates} delegates; "
        f"{result.messages} messages and {files} message files "
        f"{'would be ' if dry_run else ''}deleted"
    )


@click.command("backup")
@click.argument("dest", type=click.Path(file_okay=False))
def backup_command(dest):
    """Copy the database and the uploads into DEST (a new folder), with a manifest; encrypted
    with OUTREACH_BACKUP_KEY when it is set."""
    from outreach.audit import services as audit
    from outreach.privacy.backup import BackupError
    from outreach.privacy.backup import create_backup

    try:
        manifest = create_backup(
            dest,
            # the engine's URL: a relative SQLite path in the settings is resolved against the
            # instance folder there, not against the current directory
            database_uri=db.engine.url.render_as_string(hide_password=False),
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            pg_dump=current_app.config["PG_DUMP"],
            passphrase=current_app.config["BACKUP_KEY"],
            now=utcnow(),
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a folder that cannot be written
        where = f": {error.filename}" if error.filename else ""
        raise click.ClickException(f"{error.strerror or error}{where}") from None
    encrypted = bool(manifest["encryption"])
    audit.record(
        "backup.create",
        actor_kind="cli",
        row_count=len(manifest["files"]),
        detail={"encrypted": encrypted},
        now=utcnow(),
    )
    db.session.commit()
    click.echo(
        f"backup: {len(manifest['files'])} files written to {dest}, "
        + ("encrypted" if encrypted else "NOT encrypted: set OUTREACH_BACKUP_KEY to encrypt")
    )


@click.command("restore")
@click.argument("src", type=click.Path(exists=True, file_okay=False))
@click.option("--force", is_flag=True, help="overwrite a database that already holds data")
@click.option(
    "--plain",
    is_flag=True,
    help="accept a backup made without a key while OUTREACH_BACKUP_KEY is set",
)
def restore_command(src, force, plain):
    """Restore a backup made by `backup` into the configured database and upload folder."""
    from outreach.privacy.backup import BackupError
    from outreach.privacy.backup import restore_backup

    db.session.remove()
    try:
        done = restore_backup(
            src,
            engine=db.engine,
            upload_folder=current_app.config["UPLOAD_FOLDER"],
            force=force,
            pg_restore=current_app.config["PG_RESTORE"],
            passphrase=current_app.config["BACKUP_KEY"],
            allow_plain=plain,
        )
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # a full disk, a folder that cannot be written
        where = f": {error.filename}" if error.filename else ""
        raise click.ClickException(f"{error.strerror or error}{where}") from None
    click.echo(
        f"restore: the {done['database']} database and {done['files']} files restored"
        + (" (decrypted)" if done["encrypted"] else "")
    )


def init_app(app: Flask) -> None:
    app.cli.add_command(purge_command)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
