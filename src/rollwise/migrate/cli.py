"""``rollwise migrate lint|plan|apply|rollback``: parse options (each also read from a ROLLWISE_* variable, so
the action passes its inputs through env:), call a service, render report/summary/outputs, return the exit code.
"""

from __future__ import annotations

from pathlib import Path

import click


def _opt(*decls: str, env: str, **kwargs):
    """A click option that reads ``env`` too (action inputs arrive as ROLLWISE_* variables) and says so in --help."""
    return click.option(*decls, envvar=env, show_envvar=True, **kwargs)


COMMON = [
    _opt("--alembic-config", "alembic_config", env="ROLLWISE_ALEMBIC_CONFIG", default="alembic.ini",
         show_default=True, type=click.Path(dir_okay=False), help="Path of alembic.ini."),
    _opt("--database-url", env="ROLLWISE_DATABASE_URL", default=None,
         help="SQLAlchemy URL (default: sqlalchemy.url of alembic.ini)."),
    _opt("--schema", env="ROLLWISE_SCHEMA", default=None,
         help="Schema to checksum and back up (PostgreSQL default: public)."),
    _opt("--report", env="ROLLWISE_REPORT", default=None, type=click.Path(dir_okay=False),
         help="Write the JSON report here."),
    _opt("--allow-contract", env="ROLLWISE_ALLOW_CONTRACT", default="",
         help="Revisions (space/comma separated, or 'all') allowed to contract the schema in this deploy."),
]
SMALL = _opt("--small-table-rows", env="ROLLWISE_SMALL_TABLE_ROWS", default=0, show_default=True, type=int,
             help="Locking errors on tables with fewer rows (catalog estimate) become warnings; 0 never.")
RUN = [
    _opt("--lock-timeout", env="ROLLWISE_LOCK_TIMEOUT", default=2.0, show_default=True, type=float,
         help="Seconds a statement may wait for a lock (PostgreSQL lock_timeout, SQLite busy_timeout)."),
    _opt("--statement-timeout", env="ROLLWISE_STATEMENT_TIMEOUT", default=900.0, show_default=True,
         type=float, help="Seconds a statement may run (PostgreSQL statement_timeout)."),
    _opt("--lock-retries", env="ROLLWISE_LOCK_RETRIES", default=3, show_default=True, type=int,
         help="Retries of a revision after a lock timeout (exponential backoff)."),
    _opt("--retry-backoff", env="ROLLWISE_RETRY_BACKOFF", default=1.0, show_default=True, type=float,
         help="First backoff in seconds (doubles, capped at 60s)."),
    _opt("--backup/--no-backup", env="ROLLWISE_BACKUP", default=True, show_default=True,
         help="Back up first (pg_dump -Fc / SQLite backup API)."),
    _opt("--backup-dir", env="ROLLWISE_BACKUP_DIR", default="rollwise-backups", show_default=True,
         type=click.Path(file_okay=False), help="Where backups (and their checksum manifests) go."),
    _opt("--skip-table", "skip_tables", env="ROLLWISE_SKIP_TABLES", default="",
         help="Tables (space/comma separated) left out of the integrity checks, e.g. busy append-only logs."),
    _opt("--restore-on-failure/--no-restore-on-failure", env="ROLLWISE_RESTORE_ON_FAILURE", default=False,
         show_default=True, help="Restore the backup when the downgrade is missing or fails."),
]


def _apply(options: list) -> callable:
    def decorate(fn):
        for option in reversed(options):
            fn = option(fn)
        return fn

    return decorate


def _options(allow_contract: str, schema: str | None, **run) -> "object":
    from rollwise.migrate.config import Options

    allowed = frozenset(x for x in allow_contract.replace(",", " ").split() if x)
    kwargs = {"allow_contract": allowed, "schema": schema}
    if run:
        kwargs.update(
            lock_timeout_s=run["lock_timeout"], statement_timeout_s=run["statement_timeout"],
            lock_retries=run["lock_retries"], retry_backoff_s=run["retry_backoff"], backup=run["backup"],
            backup_dir=Path(run["backup_dir"]), restore_on_failure=run["restore_on_failure"],
            skip_tables=frozenset(x for x in run["skip_tables"].replace(",", " ").split() if x),
        )
    return Options(**kwargs)


def _project(alembic_config: str, database_url: str | None):
    from rollwise.ghactions import mask
    from rollwise.migrate.adapters.alembic import Project

    if database_url:
        import sqlalchemy as sa

        try:
            mask(sa.make_url(database_url).password)
        except sa.exc.ArgumentError:
            pass
    return Project(alembic_config, database_url)


@click.group()
def migrate() -> None:
    """Lint, plan, apply or roll back Alembic migrations (safe-migrate).

    Exit codes: 0 clean/applied, 1 unsafe or rolled back, 2 bad input (nothing changed), 3 lock not
    obtained or database unreachable, 4 internal error (after the rollback ladder ran).
    """


@migrate.command()
@_apply(COMMON)
@_opt("--range", "range_text", env="ROLLWISE_RANGE", default=None,
      help="FROM:TO revisions (ids, base, head); lints without a database.")
@_opt("--squawk/--no-squawk", "use_squawk", env="ROLLWISE_SQUAWK", default=None,
      help="SQL-level lint with squawk (default: on for PostgreSQL projects).")
@_opt("--github-status/--no-github-status", env="ROLLWISE_GITHUB_STATUS", default=False,
      help="Set the commit status rollwise/safe-migrate (needs GITHUB_TOKEN).")
@_opt("--github-comment/--no-github-comment", env="ROLLWISE_GITHUB_COMMENT", default=False,
      help="Create or update one PR comment with the findings (needs GITHUB_TOKEN).")
def lint(alembic_config, database_url, schema, report, allow_contract, range_text, use_squawk, github_status,
         github_comment) -> int:
    """Lint pending revisions (or --range) one by one: lock rules, expand/contract, squawk."""
    from rollwise.migrate import report as rep
    from rollwise.migrate.service import lint as run_lint
    from rollwise.outcome import publish

    project = _project(alembic_config, database_url)
    result = run_lint(project, range_text, _options(allow_contract, schema), use_squawk)
    counts = {s: sum(1 for f in result.findings if f.severity == s) for s in ("error", "warning", "info")}
    published = rep.lint_outcome(result, report)
    code = publish(published, report)
    summary = published.summary
    if github_status or github_comment:
        from rollwise.github import report_to_pull_request

        marker = "<!-- rollwise:safe-migrate -->"
        description = (f"{len(result.revisions)} revision(s): {counts['error']} error(s), {counts['warning']} "
                       f"warning(s)")
        report_to_pull_request("safe-migrate", "failure" if result.exit_code else "success", description,
                               f"{marker}\n{summary}", marker, status=github_status, comment=github_comment)
    click.echo(f"lint {result.status}: {len(result.revisions)} revision(s), {counts['error']} error(s), "
               f"{counts['warning']} warning(s), {counts['info']} info", err=True)
    return code


@migrate.command()
@_apply(COMMON)
@_opt("--to", "target", env="ROLLWISE_TO", default=None, help="Target revision (default: head).")
@_opt("--trial/--no-trial", env="ROLLWISE_TRIAL", default=True, show_default=True,
      help="Run the revisions in a transaction on the database and roll it back.")
@_opt("--lock-timeout", env="ROLLWISE_LOCK_TIMEOUT", default=2.0, show_default=True,
      type=float, help="Seconds the trial run may wait for a lock.")
@SMALL
def plan(alembic_config, database_url, schema, report, allow_contract, target, trial, lock_timeout,
         small_table_rows) -> int:
    """Show current and target revisions, SQL, findings, table sizes and a rolled-back trial run."""
    from rollwise.migrate import report as rep
    from rollwise.migrate.service import plan as run_plan
    from rollwise.outcome import publish

    project = _project(alembic_config, database_url)
    options = _options(allow_contract, schema)
    options.lock_timeout_s = lock_timeout
    options.small_table_rows = small_table_rows
    result = run_plan(project, target, options, trial)
    published = rep.plan_outcome(result, report)
    code = publish(published, report)
    click.echo(f"plan {result.current or 'base'} -> {result.target or 'base'}: {len(result.revisions)} revision(s), "
               f"{published.report['status']}", err=True)
    return code


def _run_result(run, report: str | None) -> int:
    """Run apply or rollback and publish what it did, also when it crashed after its rollback ladder (exit 4)."""
    from rollwise.errors import Crashed
    from rollwise.migrate import report as rep
    from rollwise.outcome import publish

    try:
        result = run()
    except Crashed as crash:
        publish(rep.run_outcome(crash.result, report), report)
        click.echo(f"{crash.result.command} {crash.result.status}: {crash.result.message}", err=True)
        raise
    code = publish(rep.run_outcome(result, report), report)
    click.echo(f"{result.command} {result.status}: {result.message}", err=True)
    return code


@migrate.command()
@_apply(COMMON)
@_apply(RUN)
@_opt("--to", "target", env="ROLLWISE_TO", default=None, help="Target revision (default: head).")
@_opt("--verify", "verify_command", env="ROLLWISE_VERIFY", default=None,
      help="Shell command run after the upgrade (DATABASE_URL is set); non-zero rolls back.")
@_opt("--verify-timeout", env="ROLLWISE_VERIFY_TIMEOUT", default=1800.0, type=float,
      show_default=True, help="Seconds the verify command may run.")
@_opt("--lint/--no-lint", "lint_gate", env="ROLLWISE_LINT", default=True, show_default=True,
      help="Refuse revisions with lint errors.")
@SMALL
def apply(alembic_config, database_url, schema, report, allow_contract, target, verify_command, verify_timeout,
          lint_gate, small_table_rows, **run) -> int:
    """Upgrade with backup, integrity checks, verification and automatic rollback."""
    from rollwise.migrate.service import apply as run_apply

    options = _options(allow_contract, schema, **run)
    options.verify_command = verify_command or None
    options.verify_timeout_s = verify_timeout
    options.lint = lint_gate
    options.small_table_rows = small_table_rows
    return _run_result(lambda: run_apply(_project(alembic_config, database_url), target, options), report)


@migrate.command()
@_apply(COMMON)
@_apply(RUN)
@_opt("--to", "target", env="ROLLWISE_TO", default=None, help="Downgrade to this revision.")
@_opt("--backup-file", "backup_file", env="ROLLWISE_BACKUP_FILE", default=None,
      type=click.Path(dir_okay=False), help="Restore this backup instead (checked against its manifest).")
def rollback(alembic_config, database_url, schema, report, allow_contract, target, backup_file, **run) -> int:
    """Downgrade to a revision, or restore a backup, with the same integrity checks."""
    from rollwise.migrate.service import rollback as run_rollback

    options = _options(allow_contract, schema, **run)
    return _run_result(lambda: run_rollback(_project(alembic_config, database_url), target or None,
                                            Path(backup_file) if backup_file else None, options), report)
