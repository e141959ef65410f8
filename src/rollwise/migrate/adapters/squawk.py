"""SQL-level lint with squawk (the ``squawk-cli`` wheel ships the binary) over one revision's offline SQL,
each finding mapped back to the ``op.*`` line of the revision file that produced the statement.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from rollwise import shell
from rollwise.migrate.adapters.alembic import Project, Revision, import_failure, sql_line_map
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


def render(project: Project, rev: Revision, offline_url: str) -> tuple[str | None, str | None]:
    """The offline SQL of one revision, or why it could not be rendered (``ModuleNotFoundError: ...``)."""
    if project.load_error is not None:
        return None, not_rendered(project, rev)
    try:
        return project.offline_sql(rev, offline_url), None
    except Exception as exc:  # offline rendering cannot handle every migration (batch mode, reads, app imports)
        return None, import_failure(exc, project.version_dirs())


def not_rendered(project: Project, rev: Revision) -> str:
    """Why a revision has no SQL when the script directory did not import: its own import error if it has one,
    else the file that stopped Alembic."""
    return import_problem(rev.path) or f"the script directory did not import: {project.load_error}"


def import_problem(path: str) -> str | None:
    """Import one revision file on its own; the error it raises (first line), or None when it imports."""
    name = f"_rollwise_probe_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        return f"cannot import {path}"
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:  # user code may raise anything at import, sys.exit() included
        text = str(exc).splitlines()[0] if str(exc) else ""
        return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    finally:
        sys.modules.pop(name, None)
    return None


@dataclass
class Rendering:
    """What rendering the revisions to offline SQL and running squawk on it gave."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)  # squawk's, by revision id
    notes: dict[str, str] = field(default_factory=dict)  # why a revision was not rendered, by revision id
    sql: dict[str, str] = field(default_factory=dict)  # the rendered SQL (with line markers), by revision id
    problem: str | None = None  # why squawk itself did not run


def lint_revisions(project: Project, revisions: list[Revision], offline_url: str) -> Rendering:
    """Render every revision, then one squawk process judges every rendered one."""
    notes: dict[str, str] = {}
    rendered: list[tuple[str, Revision]] = []
    for rev in revisions:
        sql, note = render(project, rev, offline_url)
        if sql is None:
            notes[rev.id] = note or "not rendered"
        else:
            rendered.append((sql, rev))
    sql = {rev.id: text for text, rev in rendered}
    exe = binary()
    if exe is None:
        return Rendering({}, notes, sql, "squawk is not installed (pip install squawk-cli)")
    return Rendering(run_many(exe, rendered), notes, sql)


def lint_revision(project: Project, rev: Revision, offline_url: str) -> tuple[list[Finding], str | None]:
    """squawk findings for one revision, and a problem text when squawk could not judge it."""
    done = lint_revisions(project, [rev], offline_url)
    note = done.notes.get(rev.id)
    return done.findings.get(rev.id, []), done.problem or (
        f"{rev.id}: offline SQL not renderable ({note})" if note else None)


def run(exe: str, sql: str, rev: Revision) -> list[Finding]:
    return run_many(exe, [(sql, rev)]).get(rev.id, [])


def run_many(exe: str, items: list[tuple[str, Revision]]) -> dict[str, list[Finding]]:
    if not items:
        return {}
    with tempfile.TemporaryDirectory(prefix="rollwise-squawk-") as tmp:
        files: dict[str, tuple[Revision, list[int | None]]] = {}
        for index, (sql, rev) in enumerate(items):
            path = Path(tmp) / f"{index:05d}.sql"
            path.write_text(sql, encoding="utf-8")
            files[path.name] = (rev, sql_line_map(sql))
        done = shell.run([exe, "--reporter", "json", f"--exclude={','.join(EXCLUDED)}", *sorted(files)],
                         timeout=600, cwd=tmp)
    try:
        records = json.loads(done.stdout or "[]")
    except json.JSONDecodeError:
        rev = items[0][1]
        return {rev.id: [Finding("squawk-error", WARNING, rev.path, 1,
                                 f"squawk output unreadable: {done.stderr.strip()[:200]}",
                                 "Run squawk on `alembic upgrade <down>:<rev> --sql` by hand to see why.", rev.id,
                                 "squawk")]}
    findings: dict[str, list[Finding]] = {rev.id: [] for _, rev in items}
    for record in records:
        rev, lines = files.get(Path(str(record.get("file", ""))).name, (items[0][1], []))
        index = int(record.get("line", 0))
        line = lines[index] if 0 <= index < len(lines) else None
        if line is None:
            continue  # a statement Alembic itself emits (alembic_version bookkeeping)
        rule = record.get("rule_name", "squawk")
        fix = record.get("help") or f"See {SQUAWK_DOCS}{rule}"
        findings[rev.id].append(Finding(rule, WARNING, rev.path, line, f"{record.get('message', '').strip()} (squawk)",
                                        f"{fix} ({SQUAWK_DOCS}{rule})", rev.id, "squawk"))
    return findings
