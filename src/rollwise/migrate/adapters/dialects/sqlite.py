"""SQLite: transactional DDL through pysqlite, checksums by a deterministic SQL function, the backup API."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rollwise.errors import ConfigError
from rollwise.migrate.adapters.dialects.base import Backup, Dialect, Timeouts

_MASK32 = 0xFFFFFFFF


def _row_hash(text: str | None) -> int:
    digest = hashlib.blake2b((text or "").encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class SQLiteDialect(Dialect):
    name = "sqlite"
    offline_url = "sqlite://"

    def engine(self) -> sa.Engine:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)

        @sa.event.listens_for(engine, "connect")
        def _connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
            # pysqlite would otherwise commit DDL at once; take over BEGIN so DDL is transactional
            dbapi_connection.isolation_level = None
            # SQLite has no hash function; this deterministic one is called by SQLite while it scans and sums
            dbapi_connection.create_function("rollwise_hash", 1, _row_hash, deterministic=True)
            dbapi_connection.execute("PRAGMA busy_timeout = 5000")

        @sa.event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            if conn.get_isolation_level() != "AUTOCOMMIT":
                conn.exec_driver_sql("BEGIN")

        return engine

    def set_timeouts(self, conn: sa.Connection, timeouts: Timeouts) -> None:
        # SQLite locks the whole database; busy_timeout is how long a statement waits for another writer
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(timeouts.lock_timeout_s * 1000)}")

    def is_lock_timeout(self, exc: BaseException) -> bool:
        return "database is locked" in str(getattr(exc, "orig", exc))

    def aggregate_sql(self, table: str, columns: list[dict[str, Any]]) -> str:
        # quote() keeps NULL, '' and 'NULL' apart; the hash is split in two 32-bit halves so sum() cannot overflow
        row = " || ',' || ".join(f"quote({self.quote(c['name'])})" for c in columns) or "''"
        return (f"SELECT count(*), (coalesce(sum(h & {_MASK32}), 0) || ':' || coalesce(sum((h >> 32) & {_MASK32}), 0))"
                f" FROM (SELECT *, rollwise_hash({row}) AS h FROM {self.qualified(table)})")

    def combine(self, chunk_sums: list[str]) -> str:
        low = sum(int(s.split(":")[0]) for s in chunk_sums)
        high = sum(int(s.split(":")[1]) for s in chunk_sums)
        return format(((high << 32) + low) % (1 << 64), "016x")

    def table_sizes(self, conn: sa.Connection, tables: list[str]) -> dict[str, dict[str, Any]]:
        sizes = {}
        for table in tables:
            if table in self.tables(conn):
                count = conn.exec_driver_sql(f"SELECT count(*) FROM {self.qualified(table)}").scalar()
                sizes[table] = {"rows_estimate": int(count), "bytes": None}
        return sizes

    def _database_file(self) -> Path:
        database = self.url.database
        if not database or database == ":memory:":
            raise ConfigError(f"SQLite database {database or ':memory:'} cannot be backed up or migrated safely",
                              key="database-url", fix="use a file database, e.g. sqlite:///app.db")
        return Path(database)

    def check_backup_tool(self, conn: sa.Connection) -> None:
        self._database_file()

    def backup(self, engine: sa.Engine, path: Path, snapshot_id: str | None = None) -> Backup:
        _copy(self._database_file(), path)
        return Backup(path, "sqlite3 backup API")

    def _check_backup(self, path: Path) -> None:
        """Refuse a file that is not a whole SQLite database before anything changes."""
        problem = None
        try:
            source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                result = source.execute("PRAGMA integrity_check").fetchone()
                problem = None if result and result[0] == "ok" else f"integrity_check says {result[0]!r}"
            finally:
                source.close()
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
        if problem:
            raise ConfigError(f"{path} is not a readable SQLite backup ({problem}); nothing was changed",
                              file=str(path), key="backup-file",
                              fix="pass the .sqlite3 file named by the backup-path output of apply (not its .json "
                                  "manifest), and check that it was copied whole")

    def restore(self, engine: sa.Engine, path: Path) -> str:
        self._check_backup(path)
        live = self._database_file()
        aside = live.with_name(f"{live.name}.rollwise-prev-{time.strftime('%Y%m%d%H%M%S')}-{time.monotonic_ns()}")
        _copy(live, aside)
        _copy(path, live)  # the backup API replaces every page of the live database in one transaction
        return str(aside)

    def finish_restore(self, engine: sa.Engine, aside: str, keep: bool) -> None:
        if not keep:
            _copy(Path(aside), self._database_file())
        Path(aside).unlink()

    def backup_suffix(self) -> str:
        return ".sqlite3"


def _copy(source_path: Path, target_path: Path) -> None:
    source = sqlite3.connect(source_path)
    target = sqlite3.connect(target_path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
