"""PostgreSQL: SET LOCAL timeouts, SQLSTATE 55P03 retries, hash_record_extended checksums, pg_dump/pg_restore."""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rollwise.migrate.adapters import backup as tools
from rollwise.migrate.adapters.dialects.base import Backup, Dialect, Timeouts
from rollwise.migrate.model import TableChecksum

#: types without an extended hash function: hashed through their text form
_UNHASHABLE = ("JSON", "XML", "POINT", "LINE", "LSEG", "BOX", "PATH", "POLYGON", "CIRCLE", "TSVECTOR", "NullType")


class PostgresDialect(Dialect):
    name = "postgresql"
    offline_url = "postgresql://"  # renders offline without a driver, on SQLAlchemy 1.4 and 2.x
    uses_squawk = True

    def __init__(self, url: sa.URL, schema: str | None = None) -> None:
        super().__init__(url, schema or "public")

    def set_timeouts(self, conn: sa.Connection, timeouts: Timeouts) -> None:
        # session level, so autocommit blocks (CONCURRENTLY) keep them too
        conn.exec_driver_sql(f"SET lock_timeout = '{int(timeouts.lock_timeout_s * 1000)}ms'")
        conn.exec_driver_sql(f"SET statement_timeout = '{int(timeouts.statement_timeout_s * 1000)}ms'")

    def is_lock_timeout(self, exc: BaseException) -> bool:
        orig = getattr(exc, "orig", exc)
        return getattr(orig, "sqlstate", None) == "55P03" or getattr(orig, "pgcode", None) == "55P03"

    def blockers(self, conn: sa.Connection) -> list[str]:
        rows = conn.execute(sa.text(
            "SELECT DISTINCT a.pid, coalesce(a.usename, ''), a.state, "
            "left(regexp_replace(coalesce(a.query, ''), '\\s+', ' ', 'g'), 80), c.relname, l.mode "
            "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "LEFT JOIN pg_class c ON c.oid = l.relation "
            "WHERE l.granted AND l.relation IS NOT NULL AND a.pid <> pg_backend_pid() AND c.relnamespace = "
            "(SELECT oid FROM pg_namespace WHERE nspname = :schema) ORDER BY a.pid"
        ), {"schema": self.schema}).all()
        return [f"pid {r[0]} ({r[1]}, {r[2]}) holds {r[5]} on {r[4]}: {r[3]}" for r in rows]

    def checksum(self, conn: sa.Connection, table: str) -> TableChecksum:
        # JIT compile time outweighs what it saves on these single-pass aggregates
        conn.exec_driver_sql("SET LOCAL jit = off")
        try:
            return super().checksum(conn, table)
        finally:
            conn.exec_driver_sql("SET LOCAL jit TO DEFAULT")

    def aggregate_sql(self, table: str, columns: list[dict[str, Any]]) -> str:
        values = []
        for column in columns:
            ident = self.quote(column["name"])
            unhashable = type(column["type"]).__name__.upper() in {u.upper() for u in _UNHASHABLE}
            values.append(f"{ident}::text" if unhashable else ident)
        row = f"ROW({', '.join(values)})" if values else "ROW()"
        # hash_record_extended hashes each column with its type's own hash (PG14+): no text formatting per row
        return f"SELECT count(*), coalesce(sum(hash_record_extended({row}, 0)), 0)::text FROM {self.qualified(table)}"

    def combine(self, chunk_sums: list[str]) -> str:
        return format(sum(int(s) for s in chunk_sums) % (1 << 64), "016x")

    def table_sizes(self, conn: sa.Connection, tables: list[str]) -> dict[str, dict[str, Any]]:
        rows = conn.execute(sa.text(
            "SELECT c.relname, c.reltuples::bigint, pg_total_relation_size(c.oid) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = :schema AND c.relkind = 'r' "
            "AND c.relname = ANY(:tables)"
        ), {"schema": self.schema, "tables": list(tables)}).all()
        # reltuples is -1 until the table is first analyzed: unknown, never "small"
        return {r[0]: {"rows_estimate": int(r[1]) if r[1] >= 0 else None, "bytes": int(r[2])} for r in rows}

    def server_major(self, conn: sa.Connection) -> int:
        return int(conn.exec_driver_sql("SHOW server_version_num").scalar()) // 10000

    def check_backup_tool(self, conn: sa.Connection) -> None:
        tools.pg_tools(self.server_major(conn))

    def export_snapshot(self, conn: sa.Connection) -> str | None:
        conn.exec_driver_sql("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        return conn.exec_driver_sql("SELECT pg_export_snapshot()").scalar()

    def backup(self, engine: sa.Engine, path: Path, snapshot_id: str | None = None) -> Backup:
        with engine.connect() as conn:
            found = tools.pg_tools(self.server_major(conn))
        tools.pg_dump(found, self.url, self.schema, path, snapshot_id=snapshot_id)
        return Backup(path, str(found.pg_dump))

    def _tools(self, engine: sa.Engine) -> tools.PgTools:
        with engine.connect() as conn:
            return tools.pg_tools(self.server_major(conn))

    def restore(self, engine: sa.Engine, path: Path) -> str:
        found = self._tools(engine)
        schema = self.quote(self.schema)
        aside = f"rollwise_prev_{time.strftime('%Y%m%d%H%M%S')}_{time.monotonic_ns() % 10**6:06d}"
        with tempfile.TemporaryDirectory(prefix="rollwise-restore-") as tmp:
            script = Path(tmp) / "restore.sql"
            tools.pg_restore_script(found, path, script)
            # The live schema is renamed aside and the dump creates it anew, all in one transaction: a dump that
            # fails halfway leaves the database as it was. Objects the migration created are not in the dump.
            statements = [f"ALTER SCHEMA {schema} RENAME TO {self.quote(aside)}"]
            if not _creates_schema(script, schema):
                statements.append(f"CREATE SCHEMA {schema}")
            tools.psql_transaction(found, self.url, statements, script)
        return aside

    def finish_restore(self, engine: sa.Engine, aside: str, keep: bool) -> None:
        with engine.connect() as conn, conn.begin():
            if not keep:
                conn.exec_driver_sql(f"DROP SCHEMA {self.quote(self.schema)} CASCADE")
                conn.exec_driver_sql(f"ALTER SCHEMA {self.quote(aside)} RENAME TO {self.quote(self.schema)}")
            else:
                conn.exec_driver_sql(f"DROP SCHEMA {self.quote(aside)} CASCADE")

    def backup_suffix(self) -> str:
        return ".dump"


def _creates_schema(script: Path, schema: str) -> bool:
    pattern = re.compile(rf"^CREATE SCHEMA (IF NOT EXISTS )?{re.escape(schema)};$")
    with script.open(encoding="utf-8", errors="replace") as handle:
        return any(pattern.match(line.rstrip("\n")) for line in handle)
