"""Destructive rules: drops, renames and truncation break the release that is still running (contract steps)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rollwise.migrate.model import CONTRACT, ERROR, Finding, RevisionSource
from rollwise.migrate.model.rules.common import Rule, params, sql_of, sql_statements, sql_tables, table_of, text

DROP_TABLE = Rule(
    "drop-table", ERROR, "destructive", CONTRACT, "ACCESS EXCLUSIVE",
    "the running release still reads and writes this table, and its data is gone for good",
    "Expand/contract: release code that no longer uses {table}, then drop it in a later revision deployed with "
    "--allow-contract <revision>, after a backup: `op.drop_table(\"{table}\")`.",
)
DROP_COLUMN = Rule(
    "drop-column", ERROR, "destructive", CONTRACT, "ACCESS EXCLUSIVE",
    "the running release still selects and inserts this column (ORMs list every mapped column), so its "
    "queries fail until the new code is everywhere",
    "Release a version that stops using {table}.{column} first (remove it from the model, or "
    "`deferred()`/exclude it), then drop it in a separate contract revision deployed with "
    "--allow-contract <revision>.",
)
RENAME_TABLE = Rule(
    "rename-table", ERROR, "destructive", CONTRACT, "ACCESS EXCLUSIVE",
    "the running release still uses the old name and fails at once",
    "Create the new table (or `op.execute(\"CREATE VIEW {name} AS SELECT * FROM {table}\")`), write to both, "
    "move reads, and drop the old name in a later contract revision.",
)
RENAME_COLUMN = Rule(
    "rename-column", ERROR, "destructive", CONTRACT, "ACCESS EXCLUSIVE",
    "the running release still uses the old column name and fails at once",
    "Expand/contract: `op.add_column(\"{table}\", sa.Column(\"{name}\", ...))`, write both columns, backfill in "
    "batches, move reads to {name}, then drop {column} in a later contract revision.",
)
TRUNCATE = Rule(
    "truncate-table", ERROR, "destructive", CONTRACT, "ACCESS EXCLUSIVE",
    "it deletes every row (and with CASCADE every row of the tables referencing it)",
    "Delete only the rows that must go, in batches, in a data migration that says why: "
    "`DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE ... LIMIT 1000)`.",
)
RULES = (DROP_TABLE, DROP_COLUMN, RENAME_TABLE, RENAME_COLUMN, TRUNCATE)

_DROP_TABLE_SQL = re.compile(r"^\s*DROP\s+TABLE", re.IGNORECASE)
_DROP_COLUMN_SQL = re.compile(r"\bDROP\s+(?:COLUMN\s+)?(?:IF\s+EXISTS\s+)?\"?(\w+)\"?", re.IGNORECASE)
_RENAME_COLUMN_SQL = re.compile(r"\bRENAME\s+(?:COLUMN\s+)?\"?(\w+)\"?\s+TO\s+\"?(\w+)", re.IGNORECASE)
_RENAME_TABLE_SQL = re.compile(r"^\s*ALTER\s+TABLE\s+[\w.\"]+\s+RENAME\s+TO\s+\"?(\w+)", re.IGNORECASE)
_TRUNCATE_SQL = re.compile(r"^\s*(TRUNCATE|DELETE\s+FROM\s+[\w.\"]+\s*$)", re.IGNORECASE)


def check(rev: RevisionSource) -> Iterator[Finding]:
    for call in rev.upgrade:
        p = params(call)
        table = table_of(call)
        if call.name == "drop_table":
            yield DROP_TABLE.finding(rev, call.line, f"drop_table({table!r})", table=table)
        elif call.name == "drop_column":
            column = text(p.get("column_name"))
            yield DROP_COLUMN.finding(rev, call.line, f"drop_column {table}.{column}", table=table, column=column)
        elif call.name == "rename_table":
            new = text(p.get("new_table_name"))
            yield RENAME_TABLE.finding(rev, call.line, f"rename_table {table} -> {new}", table=table, name=new)
        elif call.name == "alter_column" and p.get("new_column_name"):
            column, new = text(p.get("column_name")), text(p.get("new_column_name"))
            yield RENAME_COLUMN.finding(
                rev, call.line, f"alter_column renames {table}.{column} to {new}", table=table, column=column, name=new
            )
        elif call.name == "execute":
            yield from _raw(rev, call.line, sql_of(call) or "")


def _raw(rev: RevisionSource, line: int, sql: str) -> Iterator[Finding]:
    for statement in sql_statements(sql):
        tables = sql_tables(statement)
        table = tables[0] if tables else None
        if _DROP_TABLE_SQL.match(statement):
            yield DROP_TABLE.finding(rev, line, "raw SQL DROP TABLE", table=table)
        elif _RENAME_TABLE_SQL.match(statement):
            new = _RENAME_TABLE_SQL.match(statement)[1]
            yield RENAME_TABLE.finding(rev, line, f"raw SQL renames {table} to {new}", table=table, name=new)
        elif (m := _RENAME_COLUMN_SQL.search(statement)) and statement.upper().lstrip().startswith("ALTER TABLE"):
            yield RENAME_COLUMN.finding(
                rev, line, f"raw SQL renames {table}.{m[1]} to {m[2]}", table=table, column=m[1], name=m[2]
            )
        elif (m := _DROP_COLUMN_SQL.search(statement)) and statement.upper().lstrip().startswith("ALTER TABLE") and \
                not re.search(r"DROP\s+(CONSTRAINT|DEFAULT|NOT\s+NULL|INDEX)", statement, re.IGNORECASE):
            yield DROP_COLUMN.finding(rev, line, f"raw SQL drops {table}.{m[1]}", table=table, column=m[1])
        elif _TRUNCATE_SQL.match(statement):
            yield TRUNCATE.finding(rev, line, f"raw SQL `{statement[:60]}`", table=table)
