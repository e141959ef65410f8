"""Data rules: backfills, raw SQL, enum changes and column types that hurt running traffic or hide from review."""

from __future__ import annotations

from collections.abc import Iterator

from rollwise.migrate.model import ERROR, INFO, WARNING, CallValue, Finding, OpCall, RevisionSource, Symbol
from rollwise.migrate.model.rules.common import Rule, params, sql_facts, sql_of, table_of, text

UNBATCHED_BACKFILL = Rule(
    "unbatched-backfill", ERROR, "data", None, "ROW EXCLUSIVE + a row lock on every row touched",
    "one UPDATE/DELETE over the whole table holds row locks on every row until the transaction ends, blocks "
    "concurrent writers and bloats the table",
    "Backfill in batches outside the DDL transaction:\nwith op.get_context().autocommit_block():\n"
    "    while op.get_bind().execute(sa.text(\"UPDATE {table} SET ... WHERE id IN (SELECT id FROM {table} "
    "WHERE ... LIMIT 1000)\")).rowcount:\n        pass",
)
BACKFILL_WITH_DDL = Rule(
    "backfill-in-ddl-transaction", WARNING, "data", None, "the DDL's ACCESS EXCLUSIVE, held for the whole backfill",
    "the revision changes the schema and rewrites data in one transaction, so the DDL lock is held until the "
    "data change finishes",
    "Put the schema change and the backfill in separate revisions (expand, then backfill), or run the backfill "
    "in an autocommit_block.",
)
RAW_SQL = Rule(
    "raw-sql", WARNING, "data", None, None,
    "rollwise cannot see which locks raw SQL takes; only the SQL-level check (squawk) and a review can",
    "Prefer the op.* call that says the same thing; keep raw SQL to statements Alembic has no operation for, "
    "and mark reviewed ones with `# rollwise: ignore[raw-sql] <why it is safe>`.",
)
ENUM_CHANGE = Rule(
    "enum-change", WARNING, "data", None, "ACCESS EXCLUSIVE on the type",
    "a new enum value cannot be used in the transaction that adds it, the running release cannot read rows "
    "that use it, and values cannot be removed or renamed in place",
    "with op.get_context().autocommit_block():\n    op.execute(\"ALTER TYPE {name} ADD VALUE IF NOT EXISTS '...'\")\n"
    "Deploy code that handles the value before writing it; never rename or drop values (add a new one, backfill).",
)
JSON_COLUMN = Rule(
    "add-column-json", INFO, "data", None, None,
    "json has no equality operator, so DISTINCT, UNION and GROUP BY on it fail",
    "Use `postgresql.JSONB` for {table}.{column}.",
)
BULK_INSERT_LARGE = Rule(
    "bulk-insert-in-migration", INFO, "data", None, None,
    "data inserted by a migration is invisible to the running release's caches and hard to roll back with data "
    "written since",
    "Keep reference data small and idempotent; load anything large with a job the deploy calls.",
)
RULES = (UNBATCHED_BACKFILL, BACKFILL_WITH_DDL, RAW_SQL, ENUM_CHANGE, JSON_COLUMN, BULK_INSERT_LARGE)

#: statements other rules read (and squawk checks): raw-sql is for what nothing here understands
_UNDERSTOOD = {"set", "select", "comment", "analyze", "alter_table", "create_index", "create_table", "drop_table",
               "drop_index", "truncate", "rename_table", "rename_column", "insert", "cluster", "vacuum",
               "vacuum_full", "reindex", "lock_table", "create_view", "drop_view", "create_type", "drop_type",
               "create_sequence", "alter_sequence", "create_extension", "grant", "create_schema"}
_DDL_OPS = {"add_column", "drop_column", "alter_column", "create_index", "drop_index", "create_foreign_key",
            "create_check_constraint", "create_unique_constraint", "create_primary_key", "drop_constraint",
            "rename_table", "drop_table"}
#: SQLAlchemy Core statements that change rows: ``t.update()``, ``sa.update(t)``, ``t.delete()``, ``sa.delete(t)``
_WRITES = {"update", "delete"}


def expression_write(value: object) -> tuple[str, bool] | None:
    """("update" | "delete", has a WHERE) for an ``op.execute`` argument built with SQLAlchemy Core."""
    if not isinstance(value, CallValue):
        return None
    parts = [part.removesuffix("()") for part in value.func.split(".")]
    verb = next((part for part in parts if part in _WRITES), None)
    if verb is None:
        return None
    return verb, "where" in parts


def check(rev: RevisionSource) -> Iterator[Finding]:
    has_ddl = any(c.name in _DDL_OPS and not c.in_autocommit for c in rev.upgrade)
    for call in rev.upgrade:
        if call.name == "execute":
            yield from _execute(rev, call, has_ddl)
        elif call.name == "add_column":
            column = params(call).get("column")
            if isinstance(column, CallValue) and len(column.args) > 1 and _is_json(column.args[1]):
                yield JSON_COLUMN.finding(rev, call.line, f"add_column {table_of(call)}.{text(column)} is json",
                                          table=table_of(call), column=text(column))
        elif call.name == "bulk_insert":
            rows = params(call).get("rows")
            if not isinstance(rows, tuple) or len(rows) > 100:
                yield BULK_INSERT_LARGE.finding(rev, call.line, "op.bulk_insert of a computed or large row set")


def _is_json(value: object) -> bool:
    name = value.func if isinstance(value, CallValue) else value.name if isinstance(value, Symbol) else ""
    return name.split(".")[-1] in ("JSON", "json")


def _execute(rev: RevisionSource, call: OpCall, has_ddl: bool) -> Iterator[Finding]:
    written = expression_write(params(call).get("sqltext", call.args[0] if call.args else None))
    if written is not None:
        verb, where = written
        subject = f"op.execute(<table>.{verb}(){'.where(...)' if where else ''}) (SQLAlchemy)"
        if not call.in_loop:
            yield UNBATCHED_BACKFILL.finding(rev, call.line, subject)
        if has_ddl and not call.in_autocommit:
            yield BACKFILL_WITH_DDL.finding(rev, call.line, f"{subject} next to DDL")
        return
    sql = sql_of(call)
    facts = sql_facts(call)
    if sql is None:
        yield RAW_SQL.finding(rev, call.line, "op.execute with SQL computed at run time")
        return
    if facts is None:
        yield RAW_SQL.finding(rev, call.line, f"op.execute(`{sql.strip()[:70]}`) does not parse as PostgreSQL")
        return
    understood = True
    for st in facts:
        if st.kind in ("update", "delete"):
            if not (call.in_loop or st.batched):
                yield UNBATCHED_BACKFILL.finding(rev, call.line, f"`{st.text[:70]}`", table=st.table)
            if has_ddl and not call.in_autocommit:
                yield BACKFILL_WITH_DDL.finding(rev, call.line, f"`{st.text[:70]}` next to DDL", table=st.table)
        elif st.kind.startswith("enum_"):
            action = "RENAME VALUE" if st.kind == "enum_rename_value" else "ADD VALUE"
            yield ENUM_CHANGE.finding(rev, call.line, f"ALTER TYPE {st.enum_type} {action}", name=st.enum_type)
        elif st.kind not in _UNDERSTOOD:
            understood = False
    if not understood:
        yield RAW_SQL.finding(rev, call.line, f"op.execute(`{sql.strip()[:70]}`)")
