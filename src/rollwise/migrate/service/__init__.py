"""Orchestration of lint, plan, apply and rollback.

A run ends applied-and-verified, or at its start revision with every table's checksum equal to before, or as
a loud failure naming the backup. The ladder on failure: transaction rollback -> downgrade -> restore.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from rollwise import clock as clocks
from rollwise.errors import ConfigError, Crashed, InconclusiveError
from rollwise.migrate.adapters import backup as backup_tools
from rollwise.migrate.adapters.alembic import Project, Revision, sql_by_line
from rollwise.migrate.adapters.dialects import for_url
from rollwise.migrate.adapters.schema import Shape, differences, shape
from rollwise.migrate.config import Options
from rollwise.migrate.model import (
    ERROR,
    WARNING,
    Finding,
    RevisionSource,
    RevisionVerdict,
    TableChecksum,
    TableComparison,
    integrity,
)
from rollwise.migrate.model.history import with_history
from rollwise.migrate.model.lint import judge_deploy, judge_revision, relax_small_tables
from rollwise.migrate.model.rules.operations import check_env
from rollwise.migrate.model.rules.reversibility import DOWNGRADE_INCOMPLETE
from rollwise.migrate.model.scan import with_rendered_sql
from rollwise.migrate.ports import Dialect, Timeouts
from rollwise.migrate.service.runner import (
    Runner,
    Step,
    StepFailed,
    VerificationFailed,
    connect,
    first_line,
    revision_label,
    run_verify,
    scan_file,
)
from rollwise.outcome import ERROR as INTERNAL_ERROR
from rollwise.outcome import INCONCLUSIVE, PROCEED, ROLLBACK, exit_code

# statuses of apply/rollback and the decision each means (exit codes: rollwise.outcome)
APPLIED, UP_TO_DATE, REFUSED, ROLLED_BACK, RESTORED, LOCK_TIMEOUT, FAILED = (
    "applied", "up-to-date", "refused", "rolled-back", "restored", "lock-timeout", "failed")
DECISION = {APPLIED: PROCEED, UP_TO_DATE: PROCEED, REFUSED: ROLLBACK, ROLLED_BACK: ROLLBACK, RESTORED: ROLLBACK,
            LOCK_TIMEOUT: INCONCLUSIVE, FAILED: ROLLBACK}

log = logging.getLogger(__name__)


# -- shared helpers ----------------------------------------------------------------------------------------------
def _need_url(project: Project) -> str:
    if not project.database_url:
        raise ConfigError("no database URL", file=str(project.ini), key="sqlalchemy.url",
                          fix="pass --database-url (env ROLLWISE_DATABASE_URL) or set sqlalchemy.url in alembic.ini")
    return project.database_url


def _start_revision(project: Project, conn: sa.Connection) -> str | None:
    try:
        with conn.begin():
            heads = project.current(conn)
    except sa.exc.DBAPIError as exc:
        raise InconclusiveError(f"could not read the database's revision: {first_line(exc)}; nothing was changed. "
                                "Rerun when the database is reachable and not locked by another session.") from None
    if len(heads) > 1:
        raise ConfigError(f"the database is at {len(heads)} revisions ({', '.join(heads)})", key="alembic_version",
                          fix="merge the heads with `alembic merge` and apply the merge revision")
    start = heads[0] if heads else None
    if start is not None:
        project.resolve(start, "database revision")
    return start


def scan_range(project: Project, lower: str | None, revisions: list[Revision]) -> dict[str, RevisionSource]:
    """The scanned revisions of a range, each with what the revisions before it guarantee (validated NOT NULL
    checks); the history below ``lower`` is read from the files too."""
    earlier = [scan_file(rev.path) for rev in project.path_between(None, lower)] if lower else []
    sources = with_history(earlier, [scan_file(rev.path) for rev in revisions])
    return {rev.id: source for rev, source in zip(revisions, sources)}


def _judge(source: RevisionSource, options: Options, extra: list[Finding] | None = None) -> RevisionVerdict:
    return judge_revision(source, options.allows_contract(source.revision), extra, today=date.today())


# -- lint --------------------------------------------------------------------------------------------------------
@dataclass
class LintResult:
    revisions: list[RevisionVerdict]
    env_findings: list[Finding]
    range: tuple[str | None, str | None]
    squawk: str  # "ran", "off" or why it did not run
    #: why Alembic could not import the revisions (the graph was read from the files), else None
    load_error: str | None = None

    @property
    def not_rendered(self) -> list[RevisionVerdict]:
        return [v for v in self.revisions if v.not_rendered]

    @property
    def findings(self) -> list[Finding]:
        return [f for v in self.revisions for f in v.findings] + self.env_findings

    @property
    def status(self) -> str:
        severities = {f.severity for f in self.findings}
        return "errors" if ERROR in severities else "warnings" if WARNING in severities else "clean"

    @property
    def decision(self) -> str:
        return ROLLBACK if self.status == "errors" else PROCEED

    @property
    def exit_code(self) -> int:
        return exit_code(self.decision)


def parse_range(project: Project, text: str) -> tuple[str | None, str | None]:
    if ":" not in text:
        raise ConfigError(f"range '{text}' is not FROM:TO", key="range", fix="e.g. --range base:head or 0003:0005")
    lower, upper = text.split(":", 1)
    start, end = project.resolve(lower, "range start"), project.resolve(upper or "head", "range end")
    if end is None or start == end:
        # head:base or 0003:0003 holds no revision: reporting it "clean" would pass a lint that read nothing
        raise ConfigError(f"range '{text}' holds no revision to lint (FROM is the older end, TO the newer)",
                          key="range", fix=f"write it oldest first, e.g. --range {upper or 'base'}:{lower or 'head'}"
                          if end is None else "widen it, e.g. --range base:head")
    return start, end


def pending_range(project: Project, range_text: str | None, options: Options) -> tuple[str | None, str | None]:
    if range_text:
        return parse_range(project, range_text)
    dialect = for_url(_need_url(project), options.schema)
    with connect(dialect) as (_, conn):
        return _start_revision(project, conn), project.single_head()


def lint(project: Project, range_text: str | None, options: Options, use_squawk: bool | None = None) -> LintResult:
    """Lint each revision in the range (or the database's pending ones) on its own."""
    lower, upper = pending_range(project, range_text, options)
    revisions = project.path_between(lower, upper)
    squawk_state = "off"
    sql_dialect = None
    if use_squawk is not False:
        url = project.database_url
        sql_dialect = for_url(url, options.schema) if url else None
        if use_squawk is None and (sql_dialect is None or not sql_dialect.uses_squawk):
            squawk_state, sql_dialect = "off (not a PostgreSQL project; --squawk forces it)", None
        elif sql_dialect is None or not sql_dialect.uses_squawk:
            from rollwise.migrate.adapters.dialects.postgres import PostgresDialect

            sql_dialect = PostgresDialect(make_url("postgresql://"))
    from rollwise.migrate.adapters import squawk

    rendering = squawk.Rendering()
    if sql_dialect is not None:
        rendering = squawk.lint_revisions(project, revisions, sql_dialect.offline_url)
    found, notes, problem = rendering.findings, rendering.notes, rendering.problem
    pairs = []
    sources = scan_range(project, lower, revisions)
    for rev in revisions:
        source = sources[rev.id]
        if rev.id in rendering.sql:  # computed SQL: judge what Alembic rendered for the line
            source = with_rendered_sql(source, sql_by_line(rendering.sql[rev.id]))
        verdict = _judge(source, options, squawk_dedupe(source, found.get(rev.id, [])))
        verdict.not_rendered = notes.get(rev.id)
        pairs.append((source, verdict))
    judge_deploy(pairs)
    verdicts = [verdict for _, verdict in pairs]
    if sql_dialect is not None:
        squawk_state = "ran" if not problem else f"did not run: {problem}"
        if notes:
            squawk_state += f" ({len(notes)} of {len(revisions)} revision(s) not rendered, see not_rendered)"
    env_findings = []
    if project.env_path.exists():
        env_findings = list(check_env(project.env_path.read_text(encoding="utf-8"), str(project.env_path)))
    return LintResult(verdicts, env_findings, (lower, upper), squawk_state, project.load_error)


def squawk_dedupe(source: RevisionSource, found: list[Finding]) -> list[Finding]:
    """Drop squawk findings that an Alembic-level rule already reports on the same line."""
    from rollwise.migrate.adapters.squawk import EQUIVALENT
    from rollwise.migrate.model.rules import check_revision

    ours = {(f.line, f.rule) for f in check_revision(source)}
    return [f for f in found if (f.line, EQUIVALENT.get(f.rule, "")) not in ours]


# -- plan --------------------------------------------------------------------------------------------------------
@dataclass
class PlannedRevision:
    revision: Revision
    verdict: RevisionVerdict
    sql: str | None
    sql_error: str | None
    sizes: dict[str, dict[str, Any]]
    trial: dict[str, Any]
    preflight: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PlanResult:
    current: str | None
    target: str | None
    revisions: list[PlannedRevision]
    dialect: str

    @property
    def findings(self) -> list[Finding]:
        return [f for r in self.revisions for f in r.verdict.findings]

    @property
    def decision(self) -> str:
        bad_lint = any(f.severity == ERROR for f in self.findings)
        bad_trial = any(r.trial.get("status") == "failed" for r in self.revisions)
        bad_data = any((c.get("count") or 0) > 0 for r in self.revisions for c in r.preflight)
        return ROLLBACK if bad_lint or bad_trial or bad_data else PROCEED

    @property
    def exit_code(self) -> int:
        return exit_code(self.decision)


def plan(project: Project, target: str | None, options: Options, trial: bool = True) -> PlanResult:
    """Current and target revision, SQL, findings, sizes of touched tables, and a trial run rolled back."""
    from rollwise.migrate.adapters.alembic import strip_markers

    url = _need_url(project)
    project.require_imports()
    dialect = for_url(url, options.schema)
    target_id = project.resolve(target or "head", "to")
    timeouts = Timeouts(options.lock_timeout_s, options.statement_timeout_s)
    with connect(dialect, timeouts) as (_, conn):
        start = _start_revision(project, conn)
        revisions = project.path_between(start, target_id)
        planned: list[PlannedRevision] = []
        sources: list[RevisionSource] = []
        scanned = scan_range(project, start, revisions)
        for rev in revisions:
            source = scanned[rev.id]
            verdict = _judge(source, options)
            sql, sql_error = None, None
            try:
                sql = strip_markers(project.offline_sql(rev, dialect.offline_url))
            except Exception as exc:  # offline mode cannot render every migration (batch ops, data reads)
                sql_error = f"{type(exc).__name__}: {exc}"
            with conn.begin():
                sizes = dialect.table_sizes(conn, list(verdict.tables))
            planned.append(PlannedRevision(rev, verdict, sql, sql_error, sizes, {"status": "skipped"}))
            sources.append(source)
        judge_deploy(list(zip(sources, [p.verdict for p in planned])))
        rows = {t: s["rows_estimate"] for p in planned for t, s in p.sizes.items() if s["rows_estimate"] is not None}
        relax_small_tables([p.verdict for p in planned], rows, options.small_table_rows)
        if trial and planned:
            _trial(project, dialect, conn, planned)
        elif planned:
            with conn.begin() as tx:
                for item in planned:
                    item.preflight = _preflight(dialect, conn, item)
                tx.rollback()
    return PlanResult(start, target_id, planned, dialect.name)


def _trial(project: Project, dialect: Dialect, conn: sa.Connection, planned: list[PlannedRevision]) -> None:
    """Apply the revisions in one transaction on the real database, time them, then roll everything back."""
    with conn.begin() as tx:
        try:
            for item in planned:
                if scan_file(item.revision.path).uses_autocommit:
                    item.trial = {"status": "skipped", "reason": "uses autocommit_block (cannot run in a transaction)"}
                    for later in planned[planned.index(item) + 1:]:
                        later.trial = {"status": "skipped", "reason": f"follows {item.revision.id}, not trialled"}
                    break
                # count the rows that would make it fail, in the state the earlier revisions left
                item.preflight = _preflight(dialect, conn, item)
                before = shape(conn, dialect.schema)
                started = clocks.current().monotonic()
                try:
                    with conn.begin_nested():
                        project.upgrade(conn, item.revision.id)
                except Exception as exc:
                    item.trial = {"status": "failed", "seconds": round(clocks.current().monotonic() - started, 3),
                                  "error": first_line(exc), "lock_timeout": dialect.is_lock_timeout(exc)}
                    for later in planned[planned.index(item) + 1:]:
                        later.trial = {"status": "skipped", "reason": f"follows {item.revision.id}, which failed"}
                    break
                item.trial = {"status": "ok", "seconds": round(clocks.current().monotonic() - started, 3)}
                item.trial["round_trip"] = _round_trip(project, dialect, conn, item, before)
                if item.trial["round_trip"]["status"] == "failed-upgrade":
                    for later in planned[planned.index(item) + 1:]:
                        later.trial = {"status": "skipped", "reason": f"follows {item.revision.id}, whose upgrade "
                                                                      "failed after its downgrade"}
                    break
        finally:
            tx.rollback()


def _round_trip(project: Project, dialect: Dialect, conn: sa.Connection, item: PlannedRevision,
                before: Shape) -> dict[str, Any]:
    """upgrade -> downgrade -> upgrade of one revision inside the trial transaction: the schema after the downgrade
    must equal the one before the upgrade, and the second upgrade must succeed and give the same schema again.
    A difference becomes a downgrade-incomplete error on the revision."""
    source = scan_file(item.revision.path)
    if source.downgrade_state != "ok":
        return {"status": "skipped", "reason": "no working downgrade()"}
    if len(item.revision.down) > 1:
        return {"status": "skipped", "reason": "a merge revision"}
    parent = item.revision.down[0] if item.revision.down else None
    after = shape(conn, dialect.schema)
    try:
        with conn.begin_nested():
            project.downgrade(conn, parent)
    except Exception as exc:
        result = {"status": "failed-downgrade", "error": first_line(exc), "differences": []}
    else:
        left = [f"after downgrade: {d}" for d in differences(before, shape(conn, dialect.schema))]
        try:
            with conn.begin_nested():
                project.upgrade(conn, item.revision.id)
        except Exception as exc:
            result = {"status": "failed-upgrade", "error": first_line(exc), "differences": left}
        else:
            again = [f"after upgrade again: {d}" for d in differences(after, shape(conn, dialect.schema))]
            result = {"status": "differs" if left or again else "ok", "differences": left + again}
    if result["status"] != "ok":
        what = "; ".join(result["differences"][:5]) or result.get("error", "")
        item.verdict.findings.append(DOWNGRADE_INCOMPLETE.finding(
            source, source.downgrade_line or 1, f"trial upgrade -> downgrade -> upgrade on {dialect.name} "
            f"({result['status']}): {what}"))
    return result


def _preflight(dialect: Dialect, conn: sa.Connection, item: PlannedRevision) -> list[dict[str, Any]]:
    from rollwise.migrate.model.preflight import checks

    results = []
    for check in checks(scan_file(item.revision.path), dialect.quote):
        entry: dict[str, Any] = {"line": check.line, "table": check.table, "check": check.what, "count": None}
        try:
            with conn.begin_nested():
                entry["count"] = int(conn.exec_driver_sql(check.sql).scalar() or 0)
        except sa.exc.DBAPIError as exc:
            entry["error"] = first_line(exc)
        results.append(entry)
    return results


def _start_run(project: Project, options: Options, dialect: Dialect, engine: sa.Engine, conn: sa.Connection,
               start: str | None, result: RunResult) -> tuple[Runner, Path | None]:
    """Check the backup tool, then take the before-snapshot and the backup into ``result``; nothing changes here."""
    if options.backup:
        with conn.begin():
            dialect.check_backup_tool(conn)
    runner = Runner(project, options, dialect, engine, conn)
    result.before, backup = _before(runner, start)
    result.backup_path = str(backup) if backup else None
    return runner, backup


def _before(runner: Runner, start: str | None) -> tuple[dict[str, TableChecksum], Path | None]:
    """The before-snapshot and backup; a database that cannot be read yet is inconclusive, nothing changed."""
    try:
        return runner.snapshot_and_backup(revision_label(start))
    except sa.exc.DBAPIError as exc:
        raise InconclusiveError(f"could not read the before-snapshot: {first_line(exc)}; nothing was changed. "
                                "Rerun when the database is not locked by another session.") from None


# -- apply -------------------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    """Outcome of apply or rollback, rendered to JSON, summary and outputs."""

    command: str
    status: str
    from_revision: str | None
    to_revision: str | None
    target: str | None
    message: str
    backup_path: str | None = None
    steps: list[Step] = field(default_factory=list)
    before: dict[str, TableChecksum] = field(default_factory=dict)
    comparisons: list[TableComparison] = field(default_factory=list)
    recovery: dict[str, Any] | None = None
    verify: dict[str, Any] | None = None
    verdicts: list[RevisionVerdict] = field(default_factory=list)
    blockers: list[str] = field(default_factory=list)

    #: set when an unexpected exception ended the run (after the rollback ladder ran)
    crashed: bool = False

    @property
    def decision(self) -> str:
        if self.crashed:
            return INTERNAL_ERROR
        # a requested rollback that ends verified is a success; an apply that had to roll back is not
        if self.command == "rollback" and self.status in (ROLLED_BACK, RESTORED):
            return PROCEED
        return DECISION[self.status]

    @property
    def exit_code(self) -> int:
        return exit_code(self.decision)


def apply(project: Project, target: str | None, options: Options) -> RunResult:
    """Upgrade to ``target`` (default head) with lint gate, backup, integrity checks, verify and auto-rollback."""
    url = _need_url(project)
    project.require_imports()
    dialect = for_url(url, options.schema)
    project.check_env_shares_connection()
    target_id = project.resolve(target or "head", "to")
    timeouts = Timeouts(options.lock_timeout_s, options.statement_timeout_s)
    with connect(dialect, timeouts) as (engine, conn):
        start = _start_revision(project, conn)
        try:
            pending = project.path_between(start, target_id)
        except ConfigError:
            raise ConfigError(f"the database is at {revision_label(start)}, which is not below {target_id}; "
                              "apply only upgrades", key="to",
                              fix="use `rollwise migrate rollback --to <revision>` to go back") from None
        result = RunResult("apply", UP_TO_DATE, start, start, target_id, "")
        if not pending:
            result.message = f"the database is already at {revision_label(start)}; nothing to do"
            return result
        sources = scan_range(project, start, pending)
        pairs = [(sources[r.id], _judge(sources[r.id], options)) for r in pending]
        judge_deploy(pairs)
        result.verdicts = [verdict for _, verdict in pairs]
        if options.small_table_rows:
            with conn.begin():
                sizes = dialect.table_sizes(conn, sorted({t for v in result.verdicts for t in v.tables}))
            known = {t: s["rows_estimate"] for t, s in sizes.items() if s["rows_estimate"] is not None}
            relax_small_tables(result.verdicts, known, options.small_table_rows)
        errors = [f for v in result.verdicts for f in v.findings if f.severity == ERROR]
        if options.lint and errors:
            result.status = REFUSED
            first = errors[0]
            result.message = (f"refused: {len(errors)} lint error(s) in the pending revisions, e.g. {first.rule} at "
                              f"{first.file}:{first.line}; nothing was changed. Fix them, suppress with a reason, "
                              "or allow a contract step with --allow-contract")
            return result
        runner, backup = _start_run(project, options, dialect, engine, conn, start, result)
        before = result.before
        touched = {t for v in result.verdicts for t in v.tables}
        rows_change = {t for s in sources.values() for t in s.rows_change}

        def verify_integrity() -> None:
            comparisons = integrity.after_migration(before, runner.snapshot(), touched, rows_change)
            result.comparisons = comparisons
            heads = project.current(conn)
            if heads != (target_id,):
                raise VerificationFailed(f"head check: the database is at {heads}, expected {target_id}")
            bad = [c for c in comparisons if not c.ok]
            if bad:
                raise VerificationFailed(f"integrity: {bad[0].table} {bad[0].note}")

        try:
            for index, rev in enumerate(pending):
                mode = "autocommit" if sources[rev.id].uses_autocommit else "transaction"
                step = Step(rev.id, mode)
                result.steps.append(step)
                last = index == len(pending) - 1
                log.info(f"upgrade {revision_label(rev.down[0] if rev.down else None)} -> {rev.id} ({mode})")
                check = verify_integrity if last and mode == "transaction" else None
                runner.run_step(step, lambda r=rev.id: project.upgrade(conn, r), check)
            if result.steps[-1].mode == "autocommit":
                with conn.begin():
                    verify_integrity()
            if options.verify_command:
                log.info(f"verify: {options.verify_command}")
                result.verify = run_verify(options.verify_command, dialect.url.render_as_string(hide_password=False),
                                           options.verify_timeout_s)
                if result.verify["exit_code"] != 0:
                    raise VerificationFailed(f"verify command exited {result.verify['exit_code']}")
        except Exception as failure:  # noqa: BLE001 - a crash (a bug) runs the same rollback ladder, then exits 4
            result.crashed = not isinstance(failure, (StepFailed, VerificationFailed, sa.exc.SQLAlchemyError))
            lock = isinstance(failure, StepFailed) and failure.lock_timeout
            if lock:
                runner.ensure_connection()
                with runner.conn.begin():
                    result.blockers = dialect.blockers(runner.conn)
            if isinstance(failure, StepFailed):
                step = failure.step
                reason = f"{step.revision} failed after {step.attempts} attempt(s): {step.error}"
            elif isinstance(failure, VerificationFailed):
                reason = str(failure)
            elif result.crashed:
                reason = f"internal error: {type(failure).__name__}: {failure}"
            else:
                reason = f"verification could not run: {first_line(failure)}"
            log.info(f"failure: {reason}; rolling back to {revision_label(start)}")
            partial = None
            if isinstance(failure, StepFailed) and failure.step.mode == "autocommit":
                partial = failure.step.revision
            try:
                recovery = runner.recover(start, before, backup, partial)
            except sa.exc.SQLAlchemyError as exc:
                recovery = {"ok": False, "method": "none", "comparisons": [],
                            "ladder": [{"method": "recover", "ok": False, "detail": first_line(exc)}]}
            result.recovery = {k: v for k, v in recovery.items() if k != "comparisons"}
            result.comparisons = recovery["comparisons"] or result.comparisons
            try:
                result.to_revision = runner.current()
            except sa.exc.SQLAlchemyError:
                result.to_revision = "unknown (database unreachable)"
            finally:
                runner.close()
            where = f"backup: {backup}" if backup else "no backup was taken"
            if recovery["ok"]:
                result.status = LOCK_TIMEOUT if lock else (RESTORED if recovery["method"] == "restore" else ROLLED_BACK)
                result.message = (f"{reason}. Rolled back by {recovery['method']} to {revision_label(start)}; every "
                                  f"table's checksum equals its value before the run ({where}).")
                if lock:
                    result.message += (f" Lock not obtained within {options.lock_timeout_s:g}s after "
                                       f"{options.lock_retries} retries; rerun when the blocking sessions are done" +
                                       (": " + "; ".join(result.blockers[:3]) if result.blockers else "."))
            else:
                result.status = FAILED
                result.message = (f"{reason}. ROLLBACK FAILED: the database is at {revision_label(result.to_revision)}"
                                  f", not verified equal to before. {where}. Follow docs/safe-migrate/runbook.md.")
            if result.crashed:
                raise Crashed(result) from failure
            return result
        result.status = APPLIED
        result.to_revision = target_id
        result.message = (f"applied {len(pending)} revision(s) {revision_label(start)} -> {target_id} and verified"
                          f" (integrity{', verify command' if options.verify_command else ''}, head check)")
        return result


# -- rollback ----------------------------------------------------------------------------------------------------
def rollback(project: Project, to: str | None, backup_file: Path | None, options: Options) -> RunResult:
    """Downgrade to a revision, or restore a backup, with integrity checks either way."""
    url = _need_url(project)
    dialect = for_url(url, options.schema)
    timeouts = Timeouts(options.lock_timeout_s, options.statement_timeout_s)
    if backup_file is not None:
        return _restore_backup(project, dialect, timeouts, backup_file, options)
    project.require_imports()
    project.check_env_shares_connection()
    if to is None:
        raise ConfigError("rollback needs --to REVISION or --backup-file PATH", key="to",
                          fix="e.g. rollwise migrate rollback --to 0003, or --backup-file <backup-path output>")
    target_id = project.resolve(to, "to")
    with connect(dialect, timeouts) as (engine, conn):
        start = _start_revision(project, conn)
        try:
            undo = list(reversed(project.path_between(target_id, start)))
        except ConfigError:
            raise ConfigError(f"{target_id} is not below the database's revision {revision_label(start)}",
                              key="to", fix="pick an older revision from `alembic history`") from None
        result = RunResult("rollback", UP_TO_DATE, start, start, target_id, "")
        if not undo:
            result.message = f"the database is already at {revision_label(start)}; nothing to do"
            return result
        sources = {rev.id: scan_file(rev.path) for rev in undo}
        missing = [r for r, s in sources.items() if s.downgrade_state != "ok"]
        if missing:
            raise ConfigError(f"revision {', '.join(missing)} has no working downgrade(); nothing was changed",
                              file=sources[missing[0]].path, key="downgrade",
                              fix="restore a backup instead: rollwise migrate rollback --backup-file PATH")
        runner, backup = _start_run(project, options, dialect, engine, conn, start, result)
        before = result.before
        touched = {t for s in sources.values() for t in judge_revision(s).tables}
        rows_change = {t for s in sources.values() for t in s.rows_change}
        try:
            for rev in undo:
                parent = rev.down[0] if rev.down else None
                step = Step(f"{rev.id} -> {revision_label(parent)}",
                            "autocommit" if sources[rev.id].uses_autocommit else "transaction")
                result.steps.append(step)
                log.info(f"downgrade {step.revision}")
                runner.run_step(step, lambda p=parent: project.downgrade(conn, p))
            result.comparisons = integrity.after_migration(before, runner.snapshot(), touched, rows_change)
            if not integrity.all_ok(result.comparisons):
                bad = next(c for c in result.comparisons if not c.ok)
                raise VerificationFailed(f"integrity: {bad.table} {bad.note}")
        except (StepFailed, VerificationFailed) as failure:
            reason = failure.step.error if isinstance(failure, StepFailed) else str(failure)
            result.to_revision = runner.current()
            result.status = FAILED
            result.message = (f"rollback stopped: {reason}. The database is at {revision_label(result.to_revision)}."
                              f" {'Backup: ' + str(backup) if backup else 'No backup was taken'}; restore it with "
                              "rollwise migrate rollback --backup-file PATH.")
            return result
        result.status = ROLLED_BACK
        result.to_revision = runner.current()
        result.message = (f"rolled back {revision_label(start)} -> {revision_label(target_id)}; integrity "
                          "checked: tables the downgrades do not touch are identical")
        return result


def _restore_backup(project: Project, dialect: Dialect, timeouts: Timeouts, path: Path,
                    options: Options) -> RunResult:
    manifest_path = Path(f"{path}.json")
    manifest = _read_manifest(manifest_path) if manifest_path.is_file() else None
    _check_archive_file(path, manifest, manifest_path)
    with connect(dialect, timeouts) as (engine, conn):
        start = _start_revision(project, conn)
        runner = Runner(project, options, dialect, engine, conn)
        result = RunResult("rollback", RESTORED, start, None, manifest.get("revision") if manifest else None, "",
                           backup_path=str(path))
        log.info(f"restoring {path}")
        if manifest is None:
            dialect.restore_verified(engine, path, lambda: True)
            result.to_revision = runner.current()
            result.message = (f"restored {path} (no manifest {manifest_path.name} beside it, so the data could not be "
                              f"compared with the checksums taken at backup time); now at "
                              f"{revision_label(result.to_revision)}")
            return result
        expected = {t: TableChecksum(t, tuple(v["columns"]), v["rows"], v["checksum"])
                    for t, v in manifest["tables"].items()}
        result.before = expected

        def matches_manifest() -> bool:
            after = runner.snapshot()
            result.comparisons = integrity.identical(expected, {t: TableChecksum(t, c.columns, c.rows, c.checksum)
                                                               for t, c in after.items()})
            result.to_revision = runner.current()
            return integrity.all_ok(result.comparisons) and result.to_revision == manifest.get("revision")

        if dialect.restore_verified(engine, path, matches_manifest):
            result.message = (f"restored {path}: at {revision_label(result.to_revision)}, every table's checksum "
                              "equals the one taken at backup time")
        else:
            result.status = FAILED
            result.to_revision = runner.current()
            result.message = (f"restored {path} but it does not match its manifest {manifest_path}, so the database "
                              f"was put back as it was before the restore (at {revision_label(result.to_revision)}); "
                              "investigate the backup")
        return result


def _read_manifest(manifest_path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"the backup's manifest cannot be read ({exc}); nothing was changed",
                          file=str(manifest_path), key="backup-file",
                          fix="restore the manifest written next to the backup, or move it away to restore "
                              "without the integrity comparison") from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("tables"), dict):
        raise ConfigError("the backup's manifest has no tables; nothing was changed", file=str(manifest_path),
                          key="tables", fix="restore the manifest written next to the backup")
    return manifest


def _check_archive_file(path: Path, manifest: dict[str, Any] | None, manifest_path: Path) -> None:
    """Refuse, before anything changes, a backup that is missing, is a manifest, or differs from its manifest."""
    if not path.is_file():
        raise ConfigError(f"backup {path} does not exist", key="backup-file",
                          fix="pass the backup-path output of apply")
    if path.suffix == ".json" and Path(str(path)[:-5]).is_file():
        raise ConfigError(f"{path} is the manifest of a backup, not the backup; nothing was changed",
                          file=str(path), key="backup-file", fix=f"pass the backup itself: {str(path)[:-5]}")
    recorded = (manifest or {}).get("archive")
    if isinstance(recorded, dict):
        actual = backup_tools.digest(path)
        if actual["bytes"] != recorded.get("bytes") or actual["sha256"] != recorded.get("sha256"):
            raise ConfigError(
                f"{path} is not the file its manifest describes ({actual['bytes']} bytes, sha256 "
                f"{str(actual['sha256'])[:12]}..., expected {recorded.get('bytes')} bytes, sha256 "
                f"{str(recorded.get('sha256'))[:12]}...): truncated or replaced; nothing was changed",
                file=str(manifest_path), key="archive",
                fix="copy the backup again from where apply wrote it (compare sha256sum with the manifest)")
