"""Destructive rules: drops, renames and truncation break the release that is still running (contract steps)."""

from __future__ import annotations

from collections.abc import Iterator

from rollwise.migrate.model import CONTRACT, ERROR, Finding, OpCall, RevisionSource
from rollwise.migrate.model.rules.common import Rule, params, sql_facts, table_of, text

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
            yield from _raw(rev, call)


def _raw(rev: RevisionSource, call: OpCall) -> Iterator[Finding]:
    line = call.line
    for st in sql_facts(call) or ():
        table = st.table
        if st.kind == "drop_table":
            yield DROP_TABLE.finding(rev, line, "raw SQL DROP TABLE", table=table)
        elif st.kind == "rename_table":
            yield RENAME_TABLE.finding(rev, line, f"raw SQL renames {table} to {st.new_name}", table=table,
                                       name=st.new_name)
        elif st.kind == "rename_column":
            yield RENAME_COLUMN.finding(rev, line, f"raw SQL renames {table}.{st.column} to {st.new_name}",
                                        table=table, column=st.column, name=st.new_name)
        elif st.kind == "truncate" or (st.kind == "delete" and not st.where):
            yield TRUNCATE.finding(rev, line, f"raw SQL `{st.text[:60]}`", table=table)
        for action in st.actions:
            if action.kind == "DropColumn":
                yield DROP_COLUMN.finding(rev, line, f"raw SQL drops {table}.{action.column}", table=table,
                                          column=action.column)
