"""Create the PostgreSQL database named in a URL if it does not exist yet (``make serve-prod``)."""

from __future__ import annotations

import sys

import sqlalchemy as sa


def ensure_database(url: str) -> bool:
    """Return True when the database had to be created."""
    target = sa.engine.make_url(url).set(drivername="postgresql+psycopg")
    server = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as connection:
            exists = connection.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            ).scalar()
            if not exists:
                connection.exec_driver_sql(f'CREATE DATABASE "{target.database}"')
            return not exists
    finally:
        server.dispose()


if __name__ == "__main__":
    created = ensure_database(sys.argv[1])
    print(f"database {'created' if created else 'exists'}")
