"""What the rules share: the rule catalogue entry, argument names of each ``op.*`` call, and raw-SQL helpers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from rollwise.migrate.model import UNKNOWN, CallValue, Finding, OpCall, RevisionSource, Symbol


@dataclass(frozen=True)
class Rule:
    """A lint rule: id, default severity, group (docs page), expand/contract kind, the lock and the safe recipe."""

    id: str
    severity: str
    group: str
    kind: str | None  # "expand" / "contract" when the op changes the schema's compatibility, else None
    lock: str | None
    why: str
    fix: str

    def finding(self, rev: RevisionSource, line: int, subject: str, **names: Any) -> Finding:
        values = {"table": "<table>", "column": "<column>", "index": "<index>", "name": "<name>", **names}
        return Finding(
            rule=self.id,
            severity=self.severity,
            file=rev.path,
            line=line,
            message=f"{subject}: {self.why}" if subject else self.why,
            fix=self.fix.format(**{k: ("<?>" if v is None else v) for k, v in values.items()}),
            revision=rev.revision,
            lock=self.lock,
            table=names.get("table") if isinstance(names.get("table"), str) else None,
        )


Check = Callable[[RevisionSource], Iterator[Finding]]

#: argument names of the op calls the rules read; batch_op calls omit the table argument
SIGNATURES: dict[str, tuple[str, ...]] = {
    "add_column": ("table_name", "column"),
    "drop_column": ("table_name", "column_name"),
    "alter_column": ("table_name", "column_name"),
    "create_index": ("index_name", "table_name", "columns"),
    "drop_index": ("index_name", "table_name"),
    "create_foreign_key": ("constraint_name", "source_table", "referent_table", "local_cols", "remote_cols"),
    "create_check_constraint": ("constraint_name", "table_name", "condition"),
    "create_unique_constraint": ("constraint_name", "table_name", "columns"),
    "create_primary_key": ("constraint_name", "table_name", "columns"),
    "drop_constraint": ("constraint_name", "table_name"),
    "create_table": ("table_name",),
    "drop_table": ("table_name",),
    "rename_table": ("old_table_name", "new_table_name"),
    "execute": ("sqltext",),
    "bulk_insert": ("table", "rows"),
}
TABLE_PARAMS = ("table_name", "source_table", "old_table_name")


def params(call: OpCall) -> dict[str, Any]:
    """The call's arguments by name (positional and keyword), with the batch table filled in."""
    names = SIGNATURES.get(call.name, ())
    if call.batch_table is not None:
        names = tuple(n for n in names if n not in TABLE_PARAMS)
    out: dict[str, Any] = dict(zip(names, call.args))
    out.update(dict(call.kwargs))
    if call.batch_table is not None:
        for table_param in TABLE_PARAMS:
            if table_param in SIGNATURES.get(call.name, ()):
                out[table_param] = call.batch_table
                break
    return out


def text(value: Any) -> str | None:
    """A readable name for a literal argument (None when it is computed at run time)."""
    if isinstance(value, str):
        return value
    if isinstance(value, Symbol):
        return value.name
    if isinstance(value, CallValue) and value.args and isinstance(value.args[0], str):
        return value.args[0]  # sa.Column("name", ...), sa.text("...")
    return None


def table_of(call: OpCall) -> str | None:
    p = params(call)
    for key in (*TABLE_PARAMS, "table"):
        if key in p and p[key] is not UNKNOWN:
            return text(p[key])
    if call.name == "execute":
        return next(iter(sql_tables(sql_of(call) or "")), None)
    return None


def sql_of(call: OpCall) -> str | None:
    """The SQL text of an execute call (a string, ``sa.text("...")`` or an f-string), or None."""
    value = params(call).get("sqltext", call.args[0] if call.args else None)
    if isinstance(value, CallValue) and value.func.split(".")[-1] == "text" and value.args:
        value = value.args[0]
    return value if isinstance(value, str) else None


_TABLE_REFS = re.compile(
    r"\b(?:UPDATE|INSERT\s+INTO|DELETE\s+FROM|ALTER\s+TABLE(?:\s+ONLY)?(?:\s+IF\s+EXISTS)?|TRUNCATE(?:\s+TABLE)?|"
    r"DROP\s+TABLE(?:\s+IF\s+EXISTS)?|CREATE\s+TABLE(?:\s+IF\s+NOT\s+EXISTS)?|"
    r"CREATE\s+(?:UNIQUE\s+)?INDEX(?:\s+CONCURRENTLY)?(?:\s+IF\s+NOT\s+EXISTS)?\s+\S+\s+ON(?:\s+ONLY)?)\s+"
    r"(?P<table>[\w.\"]+)",
    re.IGNORECASE,
)


def sql_tables(sql: str) -> list[str]:
    """Tables a raw SQL text writes or alters (a best effort used for integrity scoping and table sizes)."""
    found = []
    for match in _TABLE_REFS.finditer(sql):
        name = match["table"].strip('"').split(".")[-1].strip('"')
        if name not in found:
            found.append(name)
    return found


def sql_statements(sql: str) -> list[str]:
    return [s.strip() for s in sql.split(";") if s.strip()]


def column_name(value: Any) -> str | None:
    return text(value)


def is_false(value: Any) -> bool:
    return value is False


def created_tables(rev: RevisionSource) -> set[str]:
    """Tables created by this revision: locks on them hurt nobody, so index/constraint rules skip them."""
    tables = {table_of(c) for c in rev.upgrade if c.name == "create_table"}
    for call in rev.upgrade:
        sql = sql_of(call) if call.name == "execute" else None
        if sql and re.match(r"\s*CREATE\s+TABLE", sql, re.IGNORECASE):
            tables.update(sql_tables(sql)[:1])
    return {t for t in tables if t}
