"""Plain data for safe-migrate: parsed revisions, findings, suppressions, checksums and run results.

Nothing here does I/O; the lint rules, the classifier and the integrity comparison work on these values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)

EXPAND, CONTRACT, MIXED, NEUTRAL = "expand", "contract", "mixed", "neutral"


@dataclass(frozen=True)
class Symbol:
    """A name in the revision source that is not a literal (``sa.Integer``, a variable)."""

    name: str


@dataclass(frozen=True)
class CallValue:
    """A call written in the revision source, kept with its literal arguments (``sa.Column("id", ...)``)."""

    func: str
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    def kw(self, name: str, default: Any = None) -> Any:
        return dict(self.kwargs).get(name, default)


class Unknown:
    """A value the scanner cannot evaluate statically (computed at run time)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = Unknown()


@dataclass(frozen=True)
class OpCall:
    """One ``op.*`` (or ``batch_op.*`` / ``bind.execute``) call in ``upgrade()`` or ``downgrade()``."""

    name: str
    line: int
    args: tuple = ()
    kwargs: tuple[tuple[str, Any], ...] = ()
    batch_table: str | None = None
    in_loop: bool = False
    in_autocommit: bool = False

    def kw(self, name: str, default: Any = None) -> Any:
        return dict(self.kwargs).get(name, default)

    def arg(self, index: int, keyword: str | None = None, default: Any = None) -> Any:
        if keyword is not None and keyword in dict(self.kwargs):
            return self.kw(keyword)
        return self.args[index] if len(self.args) > index else default


@dataclass(frozen=True)
class Suppression:
    """``# rollwise: ignore[rule, ...] [until=YYYY-MM-DD] reason`` in a revision file; a reason is required."""

    rules: tuple[str, ...]
    reason: str
    file: str
    line: int
    applies_to: int | None  # source line it covers; None for the whole file
    until: date | None = None  # after this day it no longer applies

    def covers(self, rule: str, line: int) -> bool:
        return (rule in self.rules or "all" in self.rules) and (self.applies_to is None or self.applies_to == line)


@dataclass
class RevisionSource:
    """A revision file as the scanner read it."""

    path: str
    revision: str | None
    down_revision: str | tuple | None
    upgrade: list[OpCall] = field(default_factory=list)
    downgrade: list[OpCall] = field(default_factory=list)
    upgrade_line: int | None = None
    downgrade_line: int | None = None
    #: "ok", "missing" (no function), "empty" (only pass/docstring) or "raises" (NotImplementedError)
    downgrade_state: str = "missing"
    suppressions: list[Suppression] = field(default_factory=list)
    #: tables whose row count the revision declares it changes (``# rollwise: rows-change t1, t2 -- reason``)
    rows_change: tuple[str, ...] = ()
    directive_errors: list[tuple[int, str]] = field(default_factory=list)
    syntax_error: tuple[int, str] | None = None

    @property
    def uses_autocommit(self) -> bool:
        return any(call.in_autocommit for call in self.upgrade)


@dataclass
class Finding:
    """One lint result, mapped to a file and line, with why it is dangerous and the safe recipe."""

    rule: str
    severity: str
    file: str
    line: int
    message: str
    fix: str
    revision: str | None = None
    source: str = "alembic"  # "alembic" (AST of the op calls) or "squawk" (offline SQL)
    lock: str | None = None
    table: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RevisionVerdict:
    """Lint result of one revision: its class (expand/contract/mixed/neutral) and findings."""

    revision: str | None
    file: str
    classification: str
    contract_allowed: bool
    findings: list[Finding]
    suppressed: list[tuple[Finding, Suppression]]
    tables: tuple[str, ...]

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)


@dataclass(frozen=True)
class TableChecksum:
    """Row count and order-independent checksum of one table over ``columns``, per PK chunk and in total."""

    table: str
    columns: tuple[str, ...]
    rows: int
    checksum: str
    chunks: tuple[tuple[int, int, str], ...] = ()  # (chunk number, rows, checksum)

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "columns": list(self.columns), "rows": self.rows, "checksum": self.checksum}


@dataclass(frozen=True)
class TableComparison:
    """Before/after of one table and whether the difference is allowed."""

    table: str
    before: TableChecksum | None
    after: TableChecksum | None
    ok: bool
    note: str
    differing_chunks: tuple[int, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "rows_before": self.before.rows if self.before else None,
            "rows_after": self.after.rows if self.after else None,
            "checksum_before": self.before.checksum if self.before else None,
            "checksum_after": self.after.checksum if self.after else None,
            "ok": self.ok,
            "note": self.note,
            "differing_chunks": list(self.differing_chunks),
        }
