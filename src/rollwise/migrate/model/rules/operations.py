"""Operational rules: timeouts in env.py, batch table rebuilds, and problems with the file itself."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rollwise.migrate.model import ERROR, INFO, WARNING, Finding, RevisionSource
from rollwise.migrate.model.rules.common import Rule

MISSING_TIMEOUTS = Rule(
    "missing-timeouts", WARNING, "operations", None, None,
    "env.py sets no lock_timeout, so a plain `alembic upgrade` waits behind any long transaction while every "
    "query on the table queues behind it (rollwise migrate apply sets the timeouts itself)",
    "In env.py's run_migrations_online, after connecting: `connection.exec_driver_sql(\"SET lock_timeout = "
    "'2s'\")` and `connection.exec_driver_sql(\"SET statement_timeout = '15min'\")` (PostgreSQL only).",
)
BATCH_REBUILD = Rule(
    "batch-table-rebuild", INFO, "operations", None, "the whole database (SQLite) while the copy runs",
    "on SQLite batch_alter_table recreates the table and copies every row",
    "Fine for small tables; for large ones schedule the migration in a quiet window.",
)
SYNTAX_ERROR = Rule(
    "syntax-error", ERROR, "operations", None, None, "the revision file does not parse", "Fix the Python syntax.",
)
INVALID_DIRECTIVE = Rule(
    "invalid-directive", ERROR, "operations", None, None,
    "a `# rollwise:` comment is malformed, so it suppresses nothing",
    "Write `# rollwise: ignore[rule-id] <why this is safe>` (a reason is required).",
)
MIXED = Rule(
    "mixed-expand-contract", ERROR, "expand-contract", None, None,
    "the revision both adds what the new release needs and removes or tightens what the running release uses; "
    "no release can run against it during the deploy",
    "Split it: the expand ops in one revision (deployed with the new code), the contract ops in a later one "
    "deployed after every instance runs the new code.",
)
CONTRACT_STEP = Rule(
    "contract-step", ERROR, "expand-contract", None, None,
    "this revision removes, renames or tightens schema the running release may still use; it is refused "
    "unless this deploy allows it",
    "Ship it only after the release that stopped using the old schema is fully deployed, with "
    "`--allow-contract {name}` (action input `allow-contract`).",
)
CONTRACT_WITH_EXPAND = Rule(
    "contract-in-expand-deploy", ERROR, "expand-contract", None, None,
    "a contract step ships in the same deploy as an expand step, so no release runs against the expanded schema "
    "before the old one is removed",
    "Deploy the expand revisions (and the code that uses them) first; ship this revision in a later deploy.",
)
EXPIRED_SUPPRESSION = Rule(
    "expired-suppression", ERROR, "operations", None, None,
    "this `# rollwise: ignore` has expired, so the findings it covered are reported again",
    "Fix what it covered, or review it again and move its `until=` date.",
)
UNUSED_SUPPRESSION = Rule(
    "unused-suppression", WARNING, "operations", None, None,
    "this `# rollwise: ignore` matched no finding", "Remove it, or fix its rule id or line.",
)
RULES = (MISSING_TIMEOUTS, BATCH_REBUILD, SYNTAX_ERROR, INVALID_DIRECTIVE, MIXED, CONTRACT_STEP, CONTRACT_WITH_EXPAND,
         EXPIRED_SUPPRESSION, UNUSED_SUPPRESSION)


def check(rev: RevisionSource) -> Iterator[Finding]:
    if rev.syntax_error:
        yield SYNTAX_ERROR.finding(rev, rev.syntax_error[0], rev.syntax_error[1])
    for line, problem in rev.directive_errors:
        yield INVALID_DIRECTIVE.finding(rev, line, problem)
    seen: set[str] = set()
    for call in rev.upgrade:
        if call.batch_table and call.batch_table not in seen:
            seen.add(call.batch_table)
            yield BATCH_REBUILD.finding(rev, call.line, f"batch_alter_table({call.batch_table!r})",
                                        table=call.batch_table)


_CONFIGURE = re.compile(r"context\.configure\(")


def check_env(text: str, path: str) -> Iterator[Finding]:
    """Findings for env.py itself: the timeouts that protect plain ``alembic upgrade`` runs."""
    if "lock_timeout" in text:
        return
    line = next((n for n, row in enumerate(text.splitlines(), 1) if _CONFIGURE.search(row)), 1)
    rev = RevisionSource(path=path, revision=None, down_revision=None)
    yield MISSING_TIMEOUTS.finding(rev, line, "env.py")
