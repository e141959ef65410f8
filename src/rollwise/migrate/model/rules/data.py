"""Data rules: backfills, raw SQL, enum changes and column types that hurt running traffic or hide from review."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rollwise.migrate.model import ERROR, INFO, WARNING, CallValue, Finding, RevisionSource, Symbol
from rollwise.migrate.model.rules.common import Rule, params, sql_of, sql_statements, sql_tables, table_of, text

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

_DML = re.compile(r"^\s*(UPDATE|DELETE\s+FROM|INSERT\s+INTO\s+[\w.\"]+\s*(\([^)]*\))?\s*SELECT)", re.IGNORECASE)
_BATCHED = re.compile(r"\bLIMIT\b|\bctid\b", re.IGNORECASE)
_ENUM = re.compile(r"^\s*ALTER\s+TYPE\s+\"?(\w+)\"?\s+(ADD|RENAME|DROP)\s+(VALUE|ATTRIBUTE)", re.IGNORECASE)
#: statements other rules read (and squawk checks): raw-sql is for what nothing here understands
_KNOWN_SQL = re.compile(
    r"^\s*(SET|SELECT|COMMENT|ANALYZE|ALTER\s+TABLE|CREATE\s+(UNIQUE\s+)?INDEX|CREATE\s+TABLE|DROP\s+(TABLE|INDEX)|"
    r"TRUNCATE)\b",
    re.IGNORECASE,
)
_DDL_OPS = {"add_column", "drop_column", "alter_column", "create_index", "drop_index", "create_foreign_key",
            "create_check_constraint", "create_unique_constraint", "create_primary_key", "drop_constraint",
            "rename_table", "drop_table"}


def check(rev: RevisionSource) -> Iterator[Finding]:
    has_ddl = any(c.name in _DDL_OPS and not c.in_autocommit for c in rev.upgrade)
    for call in rev.upgrade:
        if call.name == "execute":
            sql = sql_of(call)
            if sql is None:
                yield RAW_SQL.finding(rev, call.line, "op.execute with SQL computed at run time")
                continue
            understood = False
            for statement in sql_statements(sql):
                tables = sql_tables(statement)
                table = tables[0] if tables else None
                if _DML.match(statement) and not statement.upper().lstrip().startswith("INSERT"):
                    understood = True
                    if not (call.in_loop or _BATCHED.search(statement)):
                        yield UNBATCHED_BACKFILL.finding(rev, call.line, f"`{statement[:70]}`", table=table)
                    if has_ddl and not call.in_autocommit:
                        yield BACKFILL_WITH_DDL.finding(rev, call.line, f"`{statement[:70]}` next to DDL", table=table)
                elif (m := _ENUM.match(statement)) is not None:
                    understood = True
                    yield ENUM_CHANGE.finding(rev, call.line, f"ALTER TYPE {m[1]} {m[2].upper()} VALUE", name=m[1])
                elif _KNOWN_SQL.match(statement):
                    understood = True
            if not understood:
                yield RAW_SQL.finding(rev, call.line, f"op.execute(`{sql.strip()[:70]}`)")
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
