"""What the safe-migrate services need from a database: the :class:`Dialect` each supported database implements.

The implementations (PostgreSQL, SQLite) sit in ``adapters/dialects``; another database is one module there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import sqlalchemy as sa

from rollwise.migrate.model import TableChecksum


@dataclass(frozen=True)
class Timeouts:
    lock_timeout_s: float
    statement_timeout_s: float


@dataclass(frozen=True)
class Backup:
    path: Path
    tool: str


class Dialect(Protocol):
    """Engine, timeouts, lock diagnosis, in-database checksums, table sizes and backup/restore of one database."""

    name: str
    #: dialect used to render offline SQL
    offline_url: str
    uses_squawk: bool
    url: sa.URL
    schema: str | None

    def engine(self) -> sa.Engine: ...

    def set_timeouts(self, conn: sa.Connection, timeouts: Timeouts) -> None: ...

    def is_lock_timeout(self, exc: BaseException) -> bool: ...

    def blockers(self, conn: sa.Connection) -> list[str]: ...

    def tables(self, conn: sa.Connection) -> list[str]: ...

    def checksum(self, conn: sa.Connection, table: str) -> TableChecksum: ...

    def quote(self, name: str) -> str: ...

    def table_sizes(self, conn: sa.Connection, tables: list[str]) -> dict[str, dict[str, Any]]: ...

    def check_backup_tool(self, conn: sa.Connection) -> None: ...

    def export_snapshot(self, conn: sa.Connection) -> str | None: ...

    def backup(self, engine: sa.Engine, path: Path, snapshot_id: str | None = None) -> Backup: ...

    def restore(self, engine: sa.Engine, path: Path) -> str: ...

    def finish_restore(self, engine: sa.Engine, aside: str, keep: bool) -> None: ...

    def restore_verified(self, engine: sa.Engine, path: Path, verify: Callable[[], bool]) -> bool: ...

    def backup_suffix(self) -> str: ...
