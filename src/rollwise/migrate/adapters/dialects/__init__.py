"""Database dialects behind one small interface (``base.Dialect``); add MySQL by adding a module here."""

from __future__ import annotations

import importlib.util

import sqlalchemy as sa

from rollwise.errors import ConfigError
from rollwise.migrate.adapters.dialects.base import Backup, Dialect, Timeouts, snapshot

__all__ = ["Backup", "Dialect", "Timeouts", "for_url", "snapshot"]


def for_url(url: str | sa.URL, schema: str | None = None) -> Dialect:
    """The dialect for a SQLAlchemy URL; psycopg (v3) is used when the URL names no driver and psycopg2 is absent."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError as exc:
        raise ConfigError(f"database URL is not a SQLAlchemy URL: {exc}", key="database-url",
                          fix="e.g. postgresql+psycopg://user@host/db or sqlite:///app.db") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        from rollwise.migrate.adapters.dialects.postgres import PostgresDialect

        if parsed.drivername == "postgresql" and importlib.util.find_spec("psycopg2") is None:
            parsed = parsed.set(drivername="postgresql+psycopg")
        return PostgresDialect(parsed, schema)
    if backend == "sqlite":
        from rollwise.migrate.adapters.dialects.sqlite import SQLiteDialect

        return SQLiteDialect(parsed, schema)
    raise ConfigError(f"database '{backend}' is not supported by rollwise migrate (yet)", key="database-url",
                      fix="use PostgreSQL or SQLite; other databases need a dialect in rollwise.migrate.adapters.dialects")
