"""Locking rules: operations that hold a lock blocking reads or writes while PostgreSQL scans or rewrites a table."""

from __future__ import annotations

import re
from collections.abc import Iterator

from rollwise.migrate.model import CONTRACT, ERROR, EXPAND, WARNING, CallValue, Finding, OpCall, RevisionSource, Symbol
from rollwise.migrate.model.rules.common import (
    Rule,
    created_tables,
    params,
    sql_of,
    sql_statements,
    sql_tables,
    table_of,
    text,
)

CHANGE_TYPE = Rule(
    "change-column-type", ERROR, "locking", CONTRACT, "ACCESS EXCLUSIVE (table rewrite)",
    "most type changes rewrite the whole table and its indexes under a lock that blocks reads and writes, and "
    "the running release may not handle the new type",
    "Add a new column of the new type, write both, backfill in batches, move reads, then drop {column} in a "
    "contract revision. Changes that need no rewrite (varchar -> text, a larger varchar) are safe.",
)
SET_NOT_NULL = Rule(
    "set-not-null", ERROR, "locking", CONTRACT, "ACCESS EXCLUSIVE (full scan)",
    "SET NOT NULL scans the whole table under a lock that blocks reads and writes, and old code that writes "
    "NULL starts failing",
    "`op.create_check_constraint(\"{table}_{column}_not_null\", \"{table}\", \"{column} IS NOT NULL\", "
    "postgresql_not_valid=True)`; in the next revision `op.execute(\"ALTER TABLE {table} VALIDATE CONSTRAINT "
    "{table}_{column}_not_null\")`; then `op.alter_column(\"{table}\", \"{column}\", nullable=False)` (PostgreSQL 12+ "
    "uses the valid check and skips the scan) and drop the check.",
)
ADD_REQUIRED_COLUMN = Rule(
    "add-required-column", ERROR, "locking", EXPAND, "ACCESS EXCLUSIVE",
    "a NOT NULL column without a server default fails on a table that has rows, and the running release "
    "does not fill it in on INSERT",
    "Add it nullable (`sa.Column(\"{column}\", ..., nullable=True)`), or give it a constant "
    "`server_default=` (no rewrite on PostgreSQL 11+); tighten to NOT NULL later with the set-not-null recipe.",
)
VOLATILE_DEFAULT = Rule(
    "add-column-volatile-default", ERROR, "locking", EXPAND, "ACCESS EXCLUSIVE (table rewrite)",
    "a volatile server default (random(), gen_random_uuid(), clock_timestamp(), nextval()) is evaluated per "
    "row, so PostgreSQL rewrites the whole table under lock",
    "Add {column} without a default, then `op.alter_column(\"{table}\", \"{column}\", server_default=...)` for new "
    "rows, and backfill existing rows in batches.",
)
INDEX_NOT_CONCURRENT = Rule(
    "create-index-not-concurrent", ERROR, "locking", EXPAND, "SHARE (blocks writes for the whole build)",
    "CREATE INDEX without CONCURRENTLY blocks every INSERT, UPDATE and DELETE on the table until the index is built",
    "with op.get_context().autocommit_block():\n    op.create_index(\"{index}\", \"{table}\", [...], "
    "postgresql_concurrently=True, if_not_exists=True)",
)
CONCURRENT_IN_TRANSACTION = Rule(
    "concurrent-index-in-transaction", ERROR, "locking", None, None,
    "CONCURRENTLY cannot run inside a transaction block; PostgreSQL rejects the revision",
    "Wrap the call in `with op.get_context().autocommit_block():` (rollwise then applies this revision in "
    "autocommit and rolls back by downgrade instead of by transaction).",
)
DROP_INDEX_NOT_CONCURRENT = Rule(
    "drop-index-not-concurrent", WARNING, "locking", None, "ACCESS EXCLUSIVE",
    "DROP INDEX without CONCURRENTLY blocks reads and writes of the table while it waits for and holds its lock",
    "with op.get_context().autocommit_block():\n    op.drop_index(\"{index}\", table_name=\"{table}\", "
    "postgresql_concurrently=True, if_exists=True)",
)
FOREIGN_KEY_VALIDATING = Rule(
    "add-foreign-key-validating", ERROR, "locking", CONTRACT, "SHARE ROW EXCLUSIVE on both tables",
    "adding a foreign key scans the table to validate it while blocking writes to both tables",
    "`op.create_foreign_key(\"{name}\", \"{table}\", ..., postgresql_not_valid=True)`, then in the next revision "
    "`op.execute(\"ALTER TABLE {table} VALIDATE CONSTRAINT {name}\")` (takes only SHARE UPDATE EXCLUSIVE).",
)
CHECK_VALIDATING = Rule(
    "add-check-validating", ERROR, "locking", CONTRACT, "ACCESS EXCLUSIVE (full scan)",
    "adding a CHECK constraint scans the whole table under a lock that blocks reads and writes",
    "`op.create_check_constraint(\"{name}\", \"{table}\", \"...\", postgresql_not_valid=True)`, then in the next "
    "revision `op.execute(\"ALTER TABLE {table} VALIDATE CONSTRAINT {name}\")`.",
)
UNIQUE_CONSTRAINT = Rule(
    "add-unique-constraint", ERROR, "locking", CONTRACT, "ACCESS EXCLUSIVE (index build)",
    "a UNIQUE constraint builds its index under a lock that blocks reads and writes, and fails on duplicates",
    "with op.get_context().autocommit_block():\n    op.create_index(\"{name}\", \"{table}\", [...], unique=True, "
    "postgresql_concurrently=True)\nthen `op.execute(\"ALTER TABLE {table} ADD CONSTRAINT {name} UNIQUE USING "
    "INDEX {name}\")`.",
)
PRIMARY_KEY = Rule(
    "add-primary-key", ERROR, "locking", CONTRACT, "ACCESS EXCLUSIVE (index build)",
    "adding a primary key builds its index (and sets NOT NULL) under a lock that blocks reads and writes",
    "Build `CREATE UNIQUE INDEX CONCURRENTLY` in an autocommit_block, then `op.execute(\"ALTER TABLE {table} ADD "
    "CONSTRAINT {name} PRIMARY KEY USING INDEX {name}\")`.",
)
VALIDATE_SAME_REVISION = Rule(
    "validate-in-same-revision", WARNING, "locking", None, "SHARE UPDATE EXCLUSIVE held with the DDL locks",
    "the constraint is added NOT VALID and validated in the same transaction, so the scan runs while the "
    "ADD CONSTRAINT lock is still held",
    "Move `ALTER TABLE {table} VALIDATE CONSTRAINT {name}` into the next revision.",
)
RULES = (
    CHANGE_TYPE, SET_NOT_NULL, ADD_REQUIRED_COLUMN, VOLATILE_DEFAULT, INDEX_NOT_CONCURRENT, CONCURRENT_IN_TRANSACTION,
    DROP_INDEX_NOT_CONCURRENT, FOREIGN_KEY_VALIDATING, CHECK_VALIDATING, UNIQUE_CONSTRAINT, PRIMARY_KEY,
    VALIDATE_SAME_REVISION,
)

_VOLATILE = re.compile(r"random\(|gen_random_uuid|uuid_generate|clock_timestamp|nextval|timeofday", re.IGNORECASE)
_SAFE_TARGET_TYPES = ("Text", "TEXT", "text")


def _type_name(value: object) -> str:
    if isinstance(value, CallValue):
        return value.func.split(".")[-1]
    if isinstance(value, Symbol):
        return value.name.split(".")[-1]
    return str(value)


def _column_info(column: object) -> tuple[str | None, bool, object, bool]:
    """(name, nullable, server_default, primary_key) of an ``sa.Column(...)`` argument."""
    if not isinstance(column, CallValue):
        return None, True, None, False
    name = column.args[0] if column.args and isinstance(column.args[0], str) else None
    return name, column.kw("nullable", True), column.kw("server_default"), bool(column.kw("primary_key", False))


def check(rev: RevisionSource) -> Iterator[Finding]:
    new_tables = created_tables(rev)
    not_valid: dict[str, str | None] = {}
    for call in rev.upgrade:
        p = params(call)
        table = table_of(call)
        is_new = table in new_tables
        if call.name == "alter_column":
            column = text(p.get("column_name"))
            if p.get("type_") is not None and _type_name(p["type_"]) not in _SAFE_TARGET_TYPES:
                yield CHANGE_TYPE.finding(
                    rev, call.line, f"alter_column {table}.{column} to {_type_name(p['type_'])}",
                    table=table, column=column)
            if p.get("nullable") is False and not is_new:
                yield SET_NOT_NULL.finding(rev, call.line, f"alter_column {table}.{column} nullable=False",
                                           table=table, column=column)
        elif call.name == "add_column" and not is_new:
            name, nullable, default, primary = _column_info(p.get("column"))
            if nullable is False and default is None and not primary:
                yield ADD_REQUIRED_COLUMN.finding(rev, call.line, f"add_column {table}.{name} NOT NULL without a "
                                                  "server_default", table=table, column=name)
            column_call = p.get("column")
            if isinstance(column_call, CallValue) and column_call.kw("unique") is True:
                yield UNIQUE_CONSTRAINT.finding(rev, call.line, f"add_column {table}.{name} unique=True",
                                                table=table, name=f"uq_{table}_{name}")
            if isinstance(column_call, CallValue) and column_call.kw("index") is True:
                yield INDEX_NOT_CONCURRENT.finding(rev, call.line, f"add_column {table}.{name} index=True",
                                                   table=table, index=f"ix_{table}_{name}")
            default_sql = default.args[0] if isinstance(default, CallValue) and default.args else default
            if isinstance(default_sql, str) and _VOLATILE.search(default_sql):
                yield VOLATILE_DEFAULT.finding(rev, call.line, f"add_column {table}.{name} server_default "
                                               f"{default_sql!r}", table=table, column=name)
        elif call.name == "create_index":
            index = text(p.get("index_name"))
            concurrent = p.get("postgresql_concurrently") is True
            if concurrent and not call.in_autocommit:
                yield CONCURRENT_IN_TRANSACTION.finding(rev, call.line, f"create_index {index}")
            elif not concurrent and not is_new:
                yield INDEX_NOT_CONCURRENT.finding(rev, call.line, f"create_index {index} on {table}",
                                                   table=table, index=index)
        elif call.name == "drop_index":
            index = text(p.get("index_name"))
            concurrent = p.get("postgresql_concurrently") is True
            if concurrent and not call.in_autocommit:
                yield CONCURRENT_IN_TRANSACTION.finding(rev, call.line, f"drop_index {index}")
            elif not concurrent:
                yield DROP_INDEX_NOT_CONCURRENT.finding(rev, call.line, f"drop_index {index}", table=table, index=index)
        elif call.name in ("create_foreign_key", "create_check_constraint"):
            name = text(p.get("constraint_name"))
            if p.get("postgresql_not_valid") is True:
                not_valid[name or ""] = table
            elif not is_new:
                rule = FOREIGN_KEY_VALIDATING if call.name == "create_foreign_key" else CHECK_VALIDATING
                yield rule.finding(rev, call.line, f"{call.name} {name} on {table}", table=table, name=name)
        elif call.name == "create_unique_constraint" and not is_new:
            name = text(p.get("constraint_name"))
            yield UNIQUE_CONSTRAINT.finding(rev, call.line, f"create_unique_constraint {name} on {table}",
                                            table=table, name=name)
        elif call.name == "create_primary_key" and not is_new:
            name = text(p.get("constraint_name"))
            yield PRIMARY_KEY.finding(rev, call.line, f"create_primary_key {name} on {table}", table=table, name=name)
        elif call.name == "execute":
            yield from _raw(rev, call, new_tables, not_valid)


_RAW_INDEX = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)", re.IGNORECASE)
_RAW_CONCURRENT = re.compile(r"\bCONCURRENTLY\b", re.IGNORECASE)
_RAW_NOT_NULL = re.compile(r"ALTER\s+COLUMN\s+\"?(\w+)\"?\s+SET\s+NOT\s+NULL", re.IGNORECASE)
_RAW_TYPE = re.compile(r"ALTER\s+COLUMN\s+\"?(\w+)\"?\s+(?:SET\s+DATA\s+)?TYPE\s+(\w+)", re.IGNORECASE)
_RAW_ADD_CONSTRAINT = re.compile(r"ADD\s+CONSTRAINT\s+\"?(\w+)\"?\s+(FOREIGN\s+KEY|CHECK|UNIQUE|PRIMARY\s+KEY)",
                                 re.IGNORECASE)
_RAW_VALIDATE = re.compile(r"VALIDATE\s+CONSTRAINT\s+\"?(\w+)", re.IGNORECASE)


def _raw(
    rev: RevisionSource, call: OpCall, new_tables: set[str], not_valid: dict[str, str | None]
) -> Iterator[Finding]:
    for statement in sql_statements(sql_of(call) or ""):
        tables = sql_tables(statement)
        table = tables[0] if tables else None
        is_new = table in new_tables
        if _RAW_CONCURRENT.search(statement) and not call.in_autocommit:
            yield CONCURRENT_IN_TRANSACTION.finding(rev, call.line, "raw SQL with CONCURRENTLY")
        elif _RAW_INDEX.match(statement) and not is_new:
            yield INDEX_NOT_CONCURRENT.finding(rev, call.line, f"raw SQL CREATE INDEX on {table}", table=table)
        if (m := _RAW_NOT_NULL.search(statement)) and not is_new:
            yield SET_NOT_NULL.finding(rev, call.line, f"raw SQL SET NOT NULL on {table}.{m[1]}", table=table,
                                       column=m[1])
        if (m := _RAW_TYPE.search(statement)) and m[2].lower() != "text":
            yield CHANGE_TYPE.finding(rev, call.line, f"raw SQL changes {table}.{m[1]} to {m[2]}", table=table,
                                      column=m[1])
        if (m := _RAW_ADD_CONSTRAINT.search(statement)) and not is_new:
            kind = m[2].upper().split()[0]
            if kind in ("FOREIGN", "CHECK") and "NOT VALID" in statement.upper():
                not_valid[m[1]] = table
            elif kind == "FOREIGN":
                yield FOREIGN_KEY_VALIDATING.finding(rev, call.line, f"raw SQL adds foreign key {m[1]}", table=table,
                                                     name=m[1])
            elif kind == "CHECK":
                yield CHECK_VALIDATING.finding(rev, call.line, f"raw SQL adds check {m[1]}", table=table, name=m[1])
            elif kind == "UNIQUE" and "USING INDEX" not in statement.upper():
                yield UNIQUE_CONSTRAINT.finding(rev, call.line, f"raw SQL adds unique {m[1]}", table=table, name=m[1])
            elif kind == "PRIMARY" and "USING INDEX" not in statement.upper():
                yield PRIMARY_KEY.finding(rev, call.line, f"raw SQL adds primary key {m[1]}", table=table, name=m[1])
        if (m := _RAW_VALIDATE.search(statement)) and m[1] in not_valid:
            yield VALIDATE_SAME_REVISION.finding(rev, call.line, f"VALIDATE CONSTRAINT {m[1]}", table=table, name=m[1])
