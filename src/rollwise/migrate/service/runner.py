"""Running revisions safely on one connection: options, steps in their own transaction with lock-timeout
retries, the before-snapshot and backup of one moment, the verify command, and the rollback ladder.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from rollwise import clock as clocks
from rollwise import shell
from rollwise.clock import Clock
from rollwise.errors import ConfigError, InconclusiveError
from rollwise.migrate.adapters.alembic import Project
from rollwise.migrate.adapters.dialects import snapshot
from rollwise.migrate.config import Options
from rollwise.migrate.model import RevisionSource, TableChecksum, TableComparison, integrity
from rollwise.migrate.model.scan import scan_source
from rollwise.migrate.ports import Dialect, Timeouts

log = logging.getLogger(__name__)


def masked(url: str | sa.URL | None) -> str:
    if url is None:
        return "<none>"
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except sa.exc.ArgumentError:
        return "<unparseable URL>"


def scan_file(path: str) -> RevisionSource:
    return scan_source(Path(path).read_text(encoding="utf-8"), path)


@contextmanager
def connect(dialect: Dialect, timeouts: Timeouts | None = None) -> Iterator[tuple[sa.Engine, sa.Connection]]:
    """A connection with the migration timeouts set; an unreachable database is inconclusive (exit 3)."""
    engine = dialect.engine()
    try:
        conn = engine.connect()
    except sa.exc.DBAPIError as exc:
        raise InconclusiveError(
            f"cannot reach the database {masked(dialect.url)}: {str(exc.orig).strip().splitlines()[0]}; nothing was "
            "changed. Check the URL, network and credentials, then rerun.") from None
    try:
        if timeouts is not None:
            with conn.begin():
                dialect.set_timeouts(conn, timeouts)
        yield engine, conn
    finally:
        conn.close()
        engine.dispose()


@dataclass
class Step:
    revision: str
    mode: str  # "transaction" or "autocommit"
    status: str = "pending"
    attempts: int = 0
    seconds: float = 0.0
    error: str | None = None


class StepFailed(Exception):
    def __init__(self, step: Step, exc: BaseException, lock_timeout: bool) -> None:
        super().__init__(step.error)
        self.step, self.exc, self.lock_timeout = step, exc, lock_timeout


class VerificationFailed(Exception):
    pass


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip() or type(exc).__name__
    return f"{type(getattr(exc, 'orig', None) or exc).__name__}: {text.splitlines()[0]}"


def revision_label(rev: str | None) -> str:
    return rev or "base"


class Runner:
    """One apply or rollback run on one connection."""

    def __init__(self, project: Project, options: Options, dialect: Dialect, engine: sa.Engine,
                 conn: sa.Connection, clock: Clock | None = None) -> None:
        self.project, self.options, self.dialect, self.engine, self.conn = project, options, dialect, engine, conn
        #: retry backoff sleeps and step durations
        self.clock = clocks.current(clock)
        self.replaced: list[sa.Connection] = []

    def ensure_connection(self) -> None:
        """Reconnect when the run's connection died (network, a killed backend) so the rollback can still run."""
        try:
            if self.conn.in_transaction():
                self.conn.rollback()
            with self.conn.begin():
                self.conn.exec_driver_sql("SELECT 1")
            return
        except sa.exc.DBAPIError:
            pass
        log.info("the connection was lost; reconnecting for the rollback")
        self.replaced.append(self.conn)
        self.conn = self.engine.connect()
        timeouts = Timeouts(self.options.lock_timeout_s, self.options.statement_timeout_s)
        with self.conn.begin():
            self.dialect.set_timeouts(self.conn, timeouts)

    def close(self) -> None:
        for conn in [*self.replaced, self.conn]:
            conn.close()

    # a revision, in its own transaction (or in autocommit when it needs it), retried on lock timeouts
    def run_step(self, step: Step, action: Callable[[], None], check: Callable[[], None] | None = None) -> None:
        delay = self.options.retry_backoff_s
        while True:
            step.attempts += 1
            started = self.clock.monotonic()
            try:
                if step.mode == "autocommit":
                    action()
                    if self.conn.in_transaction():
                        self.conn.commit()
                else:
                    with self.conn.begin():
                        action()
                        if check is not None:
                            check()  # raising here rolls the revision back with its transaction
                step.seconds += self.clock.monotonic() - started
                step.status = "done"
                return
            except VerificationFailed:
                step.seconds += self.clock.monotonic() - started
                step.status = "rolled back"
                raise
            except Exception as exc:
                step.seconds += self.clock.monotonic() - started
                if self.conn.in_transaction():
                    self.conn.rollback()
                lock = self.dialect.is_lock_timeout(exc)
                step.error = first_line(exc)
                if lock and step.attempts <= self.options.lock_retries:
                    log.info(f"  {step.revision}: lock timeout (attempt {step.attempts}); retrying in {delay:.1f}s")
                    self.clock.sleep(delay)
                    delay = min(delay * 2, self.options.retry_backoff_max_s)
                    continue
                step.status = "failed"
                raise StepFailed(step, exc, lock) from exc

    def snapshot(self) -> dict[str, TableChecksum]:
        if self.conn.in_transaction():
            return self._snapshot()
        with self.conn.begin():
            return self._snapshot()

    def _snapshot(self) -> dict[str, TableChecksum]:
        tables = [t for t in self.dialect.tables(self.conn) if t not in self.options.skip_tables]
        return snapshot(self.conn, self.dialect, tables)

    def current(self) -> str | None:
        with self.conn.begin():
            heads = self.project.current(self.conn)
        return heads[0] if heads else None

    def snapshot_and_backup(self, label: str) -> tuple[dict[str, TableChecksum], Path | None]:
        """Checksums and backup of the same moment: on PostgreSQL pg_dump imports the snapshot the checksums
        were read in, so the backup's manifest describes exactly what the backup holds."""
        with self.conn.begin():
            snapshot_id = self.dialect.export_snapshot(self.conn)
            log.info(f"integrity snapshot before ({self.dialect.name})")
            before = self._snapshot()
            if not self.options.backup:
                return before, None
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            name = Path(self.dialect.url.database or "database").stem
            path = (self.options.backup_dir / f"{name}-{label}-{stamp}{self.dialect.backup_suffix()}").resolve()
            path.parent.mkdir(parents=True, exist_ok=True)
            log.info(f"backup -> {path}")
            try:
                self.dialect.backup(self.engine, path, snapshot_id)
            except (ConfigError, InconclusiveError):
                raise
            except Exception as exc:
                raise InconclusiveError(f"the backup failed, so nothing was changed: {first_line(exc)}. Check disk "
                                        f"space in {self.options.backup_dir} and the database's locks, then rerun.") \
                    from None
        manifest = {"schema": "rollwise/migrate-backup/v1", "revision": label if label != "base" else None,
                    "dialect": self.dialect.name, "database": masked(self.dialect.url),
                    "tables": {t: c.as_dict() for t, c in before.items()}}
        Path(f"{path}.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        return before, path

    def _undo_partial(self, revision: str, start: str | None) -> dict[str, Any]:
        """A revision that failed outside a transaction (autocommit_block) may have left work behind, e.g. an
        INVALID index: stamp it as applied and run its downgrade, whose IF EXISTS guards skip what never ran."""
        if scan_file(self.project.revision(revision).path).downgrade_state != "ok":
            return {"method": "downgrade", "ok": False,
                    "detail": f"{revision} failed outside a transaction and has no working downgrade()"}

        def undo() -> None:
            self.project.stamp(self.conn, revision)
            self.project.downgrade(self.conn, start)

        try:
            self.run_step(Step(f"{revision} (partly applied) -> {revision_label(start)}", "autocommit"), undo)
        except StepFailed as exc:
            return {"method": "downgrade", "ok": False, "detail": f"{exc.step.revision}: {exc.step.error}"}
        return {"method": "downgrade", "ok": True,
                "detail": f"{revision} failed outside a transaction; its downgrade() undid what it had done"}

    def recover(self, start: str | None, before: dict[str, TableChecksum], backup: Path | None,
                partial: str | None = None) -> dict[str, Any]:
        """Bring the database back to ``start`` with equal checksums: downgrade if needed, else restore.

        ``partial`` names a revision that failed while running outside a transaction."""
        ladder: list[dict[str, Any]] = []
        self.ensure_connection()
        current = self.current()
        if current == start and partial is not None:
            ladder.append(self._undo_partial(partial, start))
        elif current == start:
            ladder.append({"method": "transaction", "ok": True, "detail": "the failing revision's transaction "
                                                                          "was rolled back"})
        else:
            undo = list(reversed(self.project.path_between(start, current)))
            missing = [r.id for r in undo if scan_file(r.path).downgrade_state != "ok"]
            if missing:
                ladder.append({"method": "downgrade", "ok": False,
                               "detail": f"revision {', '.join(missing)} has no working downgrade()"})
            else:
                try:
                    for rev in undo:
                        parent = rev.down[0] if rev.down else None
                        mode = "autocommit" if scan_file(rev.path).uses_autocommit else "transaction"
                        step = Step(f"{rev.id} -> {revision_label(parent)}", mode)
                        self.run_step(step, lambda p=parent: self.project.downgrade(self.conn, p))
                    ladder.append({"method": "downgrade", "ok": True, "detail": f"downgraded to "
                                                                                 f"{revision_label(start)}"})
                except StepFailed as exc:
                    ladder.append({"method": "downgrade", "ok": False, "detail": f"{exc.step.revision}: "
                                                                                 f"{exc.step.error}"})
        comparisons: list[TableComparison] = []
        if ladder[-1]["ok"]:
            comparisons = integrity.identical(before, self.snapshot())
            if not integrity.all_ok(comparisons) or self.current() != start:
                ladder[-1]["ok"] = False
                ladder[-1]["detail"] += "; but the checksums differ from before"
        if not ladder[-1]["ok"] and self.options.restore_on_failure and backup is not None:
            try:
                log.info(f"restoring {backup}")
                self.dialect.restore(self.engine, backup)
                comparisons = integrity.identical(before, self.snapshot())
                ok = integrity.all_ok(comparisons) and self.current() == start
                ladder.append({"method": "restore", "ok": ok, "detail": f"restored {backup}" +
                               ("" if ok else "; but the checksums still differ")})
            except Exception as exc:
                ladder.append({"method": "restore", "ok": False, "detail": first_line(exc)})
        elif not ladder[-1]["ok"]:
            reason = "no backup was taken" if backup is None else "restore-on-failure is off"
            ladder.append({"method": "restore", "ok": False, "detail": f"not attempted: {reason}"})
        return {"ok": ladder[-1]["ok"], "method": ladder[-1]["method"], "ladder": ladder,
                "comparisons": comparisons}


def run_verify(command: str, url: str, timeout_s: float) -> dict[str, Any]:
    """The user's verify command, with DATABASE_URL pointing at the migrated database."""
    done = shell.run(command, env={"DATABASE_URL": url, "ROLLWISE_DATABASE_URL": url}, timeout=timeout_s)
    if done.timed_out:
        code, output = 124, f"timed out after {timeout_s:.0f}s\n{done.stdout}"
    else:
        code, output = done.returncode, done.stdout + done.stderr
    return {"command": command, "exit_code": code, "seconds": round(done.seconds, 2), "output_tail": output[-2000:]}
