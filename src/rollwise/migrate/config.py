"""The knobs of a safe-migrate run (CLI options and action inputs), with their defaults in one place.

The migration files themselves are read by ``adapters.alembic``; this module only holds what the user chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass
class Options:
    """Knobs of apply/rollback (CLI options and action inputs)."""

    lock_timeout_s: float = 2.0
    statement_timeout_s: float = 900.0
    lock_retries: int = 3
    retry_backoff_s: float = 1.0
    retry_backoff_max_s: float = 60.0
    backup: bool = True
    backup_dir: Path = Path("rollwise-backups")
    restore_on_failure: bool = False
    verify_command: str | None = None
    verify_timeout_s: float = 1800.0
    allow_contract: frozenset[str] = frozenset()
    lint: bool = True
    schema: str | None = None
    #: locking errors on tables with fewer rows than this become warnings (0: never)
    small_table_rows: int = 0
    #: tables left out of the integrity checks (busy tables the application writes during the run)
    skip_tables: frozenset[str] = frozenset()

    def allows_contract(self, revision: str | None) -> bool:
        return "all" in self.allow_contract or (revision is not None and revision in self.allow_contract)
