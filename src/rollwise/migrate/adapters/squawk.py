"""SQL-level lint with squawk (the ``squawk-cli`` wheel ships the binary) over one revision's offline SQL,
each finding mapped back to the ``op.*`` line of the revision file that produced the statement.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from rollwise import shell
from rollwise.migrate.adapters.alembic import Project, Revision, sql_line_map
from rollwise.migrate.model import WARNING, Finding

#: rollwise migrate apply sets lock_timeout and statement_timeout itself; env.py is checked by missing-timeouts
EXCLUDED = ("require-lock-timeout", "require-statement-timeout", "require-timeout-settings")
#: squawk rule -> the Alembic-level rule that reports the same danger (the squawk finding is then dropped)
EQUIVALENT = {
    "ban-drop-column": "drop-column",
    "ban-drop-table": "drop-table",
    "renaming-column": "rename-column",
    "renaming-table": "rename-table",
    "changing-column-type": "change-column-type",
    "adding-not-nullable-field": "set-not-null",
    "adding-required-field": "add-required-column",
    "adding-field-with-default": "add-column-volatile-default",
    "require-concurrent-index-creation": "create-index-not-concurrent",
    "require-concurrent-index-deletion": "drop-index-not-concurrent",
    "ban-concurrent-index-creation-in-transaction": "concurrent-index-in-transaction",
    "adding-foreign-key-constraint": "add-foreign-key-validating",
    "constraint-missing-not-valid": "add-check-validating",
    "disallowed-unique-constraint": "add-unique-constraint",
    "adding-serial-primary-key-field": "add-primary-key",
    "ban-truncate-cascade": "truncate-table",
}
SQUAWK_DOCS = "https://squawkhq.com/docs/"


def binary() -> str | None:
    """squawk on PATH, or beside this interpreter (a venv's bin/)."""
    found = shutil.which("squawk")
    if found:
        return found
    sibling = Path(sys.executable).with_name("squawk")
    return str(sibling) if sibling.exists() else None


def lint_revision(project: Project, rev: Revision, offline_url: str) -> tuple[list[Finding], str | None]:
    """squawk findings for one revision, and a problem text when squawk could not judge it."""
    exe = binary()
    if exe is None:
        return [], "squawk is not installed (pip install squawk-cli)"
    try:
        sql = project.offline_sql(rev, offline_url)
    except Exception as exc:  # offline rendering cannot handle every migration (batch mode, reads)
        return [], f"{rev.id}: offline SQL not renderable ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})"
    return run(exe, sql, rev), None


def run(exe: str, sql: str, rev: Revision) -> list[Finding]:
    lines = sql_line_map(sql)
    with tempfile.TemporaryDirectory(prefix="rollwise-squawk-") as tmp:
        path = Path(tmp) / f"{rev.id}.sql"
        path.write_text(sql, encoding="utf-8")
        done = shell.run([exe, "--reporter", "json", f"--exclude={','.join(EXCLUDED)}", str(path)], timeout=120)
    try:
        records = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        return [Finding("squawk-error", WARNING, rev.path, 1, f"squawk output unreadable: {done.stderr.strip()[:200]}",
                        "Run squawk on `alembic upgrade <down>:<rev> --sql` by hand to see why.", rev.id, "squawk")]
    findings = []
    for record in records:
        index = int(record.get("line", 0))
        line = lines[index] if 0 <= index < len(lines) else None
        if line is None:
            continue  # a statement Alembic itself emits (alembic_version bookkeeping)
        rule = record.get("rule_name", "squawk")
        fix = record.get("help") or f"See {SQUAWK_DOCS}{rule}"
        findings.append(Finding(rule, WARNING, rev.path, line, f"{record.get('message', '').strip()} (squawk)",
                                f"{fix} ({SQUAWK_DOCS}{rule})", rev.id, "squawk"))
    return findings
