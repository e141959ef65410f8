"""The small interface each database speaks for safe-migrate, and the parts every dialect shares.

A dialect knows how to open an engine that really runs DDL in transactions, set timeouts, recognise a
lock timeout, checksum a table inside the database, size tables from the catalog, and back up/restore.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rollwise.migrate.model import TableChecksum
from rollwise.migrate.ports import Backup, Timeouts

#: width of a checksum chunk in primary-key values: each chunk is one bounded aggregate query, and a differing
#: chunk names the id range to look at
CHUNK_ROWS = 10_000_000
VERSION_TABLE = "alembic_version"


class Dialect:
    """Base class of the :class:`rollwise.migrate.ports.Dialect` implementations; subclasses fill in the database-specific SQL and tools."""

    name = "generic"
    offline_url = "sqlite://"  # dialect used to render offline SQL
    uses_squawk = False

    def __init__(self, url: sa.URL, schema: str | None = None) -> None:
        self.url = url
        self.schema = schema

    # -- connections --------------------------------------------------------------------------------------
    def engine(self) -> sa.Engine:
        return sa.create_engine(self.url, poolclass=sa.pool.NullPool)

    def set_timeouts(self, conn: sa.Connection, timeouts: Timeouts) -> None:
        """Timeouts for the migration session (no-op where the database has none)."""

    def is_lock_timeout(self, exc: BaseException) -> bool:
        return False

    def blockers(self, conn: sa.Connection) -> list[str]:
        """Who holds the locks a migration waits for (for the lock-timeout message)."""
        return []

    # -- integrity ----------------------------------------------------------------------------------------
    def tables(self, conn: sa.Connection) -> list[str]:
        names = sa.inspect(conn).get_table_names(schema=self.schema)
        return sorted(n for n in names if n != VERSION_TABLE)

    def checksum(self, conn: sa.Connection, table: str) -> TableChecksum:
        """Row count and checksum of ``table``, aggregated in the database one primary-key range at a time."""
        inspector = sa.inspect(conn)
        columns = inspector.get_columns(table, schema=self.schema)
        pk = inspector.get_pk_constraint(table, schema=self.schema).get("constrained_columns") or []
        names = tuple(c["name"] for c in columns)
        query = self.aggregate_sql(table, columns)
        int_pk = None
        if len(pk) == 1 and isinstance(next(c["type"] for c in columns if c["name"] == pk[0]), sa.Integer):
            int_pk = self.quote(pk[0])
        bounds = None
        if int_pk:
            bounds = conn.exec_driver_sql(f"SELECT min({int_pk}), max({int_pk}) FROM {self.qualified(table)}").one()
        chunks = []
        if bounds is None or bounds[0] is None:
            rows, total = conn.exec_driver_sql(query).one()
            chunks.append((0, int(rows), str(total)))
        else:
            first, last = int(bounds[0]) // CHUNK_ROWS, int(bounds[1]) // CHUNK_ROWS
            for chunk in range(first, last + 1):
                rows, total = conn.execute(
                    sa.text(f"{query} WHERE {int_pk} >= :lo AND {int_pk} < :hi"),
                    {"lo": chunk * CHUNK_ROWS, "hi": (chunk + 1) * CHUNK_ROWS},
                ).one()
                chunks.append((chunk, int(rows), str(total)))
        total_rows = sum(c[1] for c in chunks)
        return TableChecksum(table, names, total_rows, self.combine([c[2] for c in chunks]), tuple(chunks))

    def aggregate_sql(self, table: str, columns: list[dict[str, Any]]) -> str:
        """``SELECT count(*), <order-independent sum of row hashes> FROM table`` (a WHERE may be appended)."""
        raise NotImplementedError

    def combine(self, chunk_sums: list[str]) -> str:
        raise NotImplementedError

    def quote(self, name: str) -> str:
        return self.engine_dialect().identifier_preparer.quote(name)

    def qualified(self, table: str) -> str:
        return f"{self.quote(self.schema)}.{self.quote(table)}" if self.schema else self.quote(table)

    def engine_dialect(self) -> sa.Dialect:
        return self.url.get_dialect()()

    def table_sizes(self, conn: sa.Connection, tables: list[str]) -> dict[str, dict[str, Any]]:
        return {}

    # -- backup ---------------------------------------------------------------------------------------------
    def check_backup_tool(self, conn: sa.Connection) -> None:
        """Raise ConfigError before anything changes when the backup tool is missing."""

    def export_snapshot(self, conn: sa.Connection) -> str | None:
        """Start the transaction in a snapshot another session (the backup tool) can share; None if unsupported."""
        return None

    def backup(self, engine: sa.Engine, path: Path, snapshot_id: str | None = None) -> Backup:
        raise NotImplementedError

    def restore(self, engine: sa.Engine, path: Path) -> str:
        """Replace the live data with the backup's in one step, keeping the replaced data aside; return where.

        A backup that cannot be read raises before anything changes. The data set aside stays until
        :meth:`finish_restore` drops it or puts it back."""
        raise NotImplementedError

    def finish_restore(self, engine: sa.Engine, aside: str, keep: bool) -> None:
        """``keep``: drop the data set aside by :meth:`restore`; else put it back in place of the restored data."""
        raise NotImplementedError

    def restore_verified(self, engine: sa.Engine, path: Path, verify: Callable[[], bool]) -> bool:
        """Restore ``path`` and keep it only if ``verify()`` says so; otherwise (or if ``verify`` raises) the
        database is put back as it was before the restore. Returns what ``verify`` said."""
        aside = self.restore(engine, path)
        try:
            ok = verify()
        except BaseException:
            self.finish_restore(engine, aside, keep=False)
            raise
        self.finish_restore(engine, aside, keep=ok)
        return ok

    def backup_suffix(self) -> str:
        return ".backup"


def snapshot(conn: sa.Connection, dialect: Dialect, tables: list[str] | None = None) -> dict[str, TableChecksum]:
    """Checksums of ``tables`` (default: every table but alembic_version), computed in the database."""
    return {t: dialect.checksum(conn, t) for t in (tables if tables is not None else dialect.tables(conn))}
