"""Locking rules: operations that hold a lock blocking reads or writes while PostgreSQL scans or rewrites a table."""

from __future__ import annotations

from collections.abc import Iterator

from rollwise.migrate.model import (
    CONTRACT,
    ERROR,
    EXPAND,
    WARNING,
    CallValue,
    Finding,
    OpCall,
    RevisionSource,
    Symbol,
    sqlfacts,
)
from rollwise.migrate.model.rules.common import (
    Rule,
    created_tables,
    params,
    sql_facts,
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
    "drop-index-not-concurrent", ERROR, "locking", None, "ACCESS EXCLUSIVE",
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
CLUSTER = Rule(
    "cluster-table", ERROR, "locking", None, "ACCESS EXCLUSIVE (table rewrite)",
    "CLUSTER rewrites the whole table and its indexes while blocking reads and writes",
    "Do not cluster a live table in a migration; use pg_repack (no long lock) from a maintenance job, or "
    "leave physical order to autovacuum and the planner.",
)
VACUUM_FULL = Rule(
    "vacuum-full", ERROR, "locking", None, "ACCESS EXCLUSIVE (table rewrite)",
    "VACUUM FULL rewrites the whole table while blocking reads and writes (and cannot run in a transaction)",
    "Leave space reclaiming to autovacuum, or run pg_repack from a maintenance job; a plain `VACUUM` (no lock "
    "on reads or writes) outside the migration is enough in most cases.",
)
REINDEX = Rule(
    "reindex-not-concurrent", ERROR, "locking", None, "SHARE on the table, ACCESS EXCLUSIVE on the index",
    "REINDEX without CONCURRENTLY blocks writes to the table, and reads that use the index, until it is rebuilt",
    "with op.get_context().autocommit_block():\n    op.execute(\"REINDEX INDEX CONCURRENTLY {index}\")  "
    "# PostgreSQL 12+",
)
LOCK_TABLE = Rule(
    "lock-table", ERROR, "locking", None, "the mode named (SHARE or stronger blocks writes)",
    "an explicit LOCK TABLE in SHARE mode or stronger blocks writes (ACCESS EXCLUSIVE also reads) until the "
    "migration's transaction ends",
    "Drop the explicit lock: each statement takes the lock it needs for as long as it needs it. If the data "
    "must not change while the revision runs, split it so the locked part is one short statement.",
)
TABLE_REWRITE = Rule(
    "table-rewrite", ERROR, "locking", None, "ACCESS EXCLUSIVE (table rewrite)",
    "this ALTER TABLE rewrites the whole table (and its indexes) while blocking reads and writes",
    "Run it in a maintenance window with the application stopped, or create a new table, copy in batches and "
    "switch over (expand/contract).",
)
RULES = (
    CHANGE_TYPE, SET_NOT_NULL, ADD_REQUIRED_COLUMN, VOLATILE_DEFAULT, INDEX_NOT_CONCURRENT, CONCURRENT_IN_TRANSACTION,
    DROP_INDEX_NOT_CONCURRENT, FOREIGN_KEY_VALIDATING, CHECK_VALIDATING, UNIQUE_CONSTRAINT, PRIMARY_KEY,
    VALIDATE_SAME_REVISION, CLUSTER, VACUUM_FULL, REINDEX, LOCK_TABLE, TABLE_REWRITE,
)

_TEXT_TYPES = {"text", "unicodetext"}
_VARCHAR_TYPES = {"string", "varchar", "unicode", "character varying", "nvarchar"}


def widening(new: object, existing: object) -> bool:
    """A type change PostgreSQL does without a rewrite: to text, or varchar(n) to varchar(m >= n) / varchar."""
    target = _type_name(new).lower()
    if target in _TEXT_TYPES:
        return True
    if target not in _VARCHAR_TYPES:
        return False
    if _type_name(existing).lower() not in _VARCHAR_TYPES:
        return False
    return _length(new) is None or (_length(existing) is not None and _length(new) >= _length(existing))


def _length(value: object) -> int | None:
    if isinstance(value, CallValue):
        length = value.args[0] if value.args else value.kw("length")
        return length if isinstance(length, int) else None
    return None


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


def _filled_per_row(column: object) -> str | None:
    """``sa.Identity()`` or a stored ``sa.Computed(...)`` among a column's arguments: PostgreSQL fills every
    existing row, rewriting the table."""
    if not isinstance(column, CallValue):
        return None
    for arg in column.args:
        kind = arg.func.split(".")[-1] if isinstance(arg, CallValue) else None
        if kind == "Identity" or (kind == "Computed" and arg.kw("persisted") is not False):
            return f"sa.{kind}(...)"
    return None


def check(rev: RevisionSource) -> Iterator[Finding]:
    new_tables = created_tables(rev)
    not_valid: dict[str, str | None] = {}
    for call in rev.upgrade:
        p = params(call)
        table = table_of(call)
        is_new = table in new_tables
        if call.name == "alter_column":
            column = text(p.get("column_name"))
            if p.get("type_") is not None and not widening(p["type_"], p.get("existing_type")):
                yield CHANGE_TYPE.finding(
                    rev, call.line, f"alter_column {table}.{column} to {_type_name(p['type_'])}",
                    table=table, column=column)
            if p.get("nullable") is False and not is_new and (table, column) not in rev.not_null_checked:
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
            if isinstance(default_sql, str) and sqlfacts.volatile_expression(default_sql):
                yield VOLATILE_DEFAULT.finding(rev, call.line, f"add_column {table}.{name} server_default "
                                               f"{default_sql!r}", table=table, column=name)
            elif filled := _filled_per_row(column_call):
                yield VOLATILE_DEFAULT.finding(rev, call.line, f"add_column {table}.{name} with {filled}",
                                               table=table, column=name)
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


def _raw(
    rev: RevisionSource, call: OpCall, new_tables: set[str], not_valid: dict[str, str | None]
) -> Iterator[Finding]:
    for st in sql_facts(call) or ():
        table = st.table
        is_new = table in new_tables
        if st.concurrent and not call.in_autocommit:
            yield CONCURRENT_IN_TRANSACTION.finding(rev, call.line, f"raw SQL `{st.text[:60]}`")
        elif st.kind == "create_index" and not st.concurrent and not is_new:
            yield INDEX_NOT_CONCURRENT.finding(rev, call.line, f"raw SQL CREATE INDEX on {table}", table=table,
                                               index=st.index)
        elif st.kind == "drop_index" and not st.concurrent:
            yield DROP_INDEX_NOT_CONCURRENT.finding(rev, call.line, f"raw SQL DROP INDEX {st.index}", index=st.index)
        elif st.kind == "reindex" and not st.concurrent:
            yield REINDEX.finding(rev, call.line, f"`{st.text[:60]}`", table=table, index=st.index)
        elif st.kind == "cluster":
            yield CLUSTER.finding(rev, call.line, f"`{st.text[:60]}`", table=table)
        elif st.kind == "vacuum_full":
            yield VACUUM_FULL.finding(rev, call.line, f"`{st.text[:60]}`", table=table)
        elif st.kind == "lock_table" and (st.lock_mode or 8) >= sqlfacts.BLOCKING_LOCK and not is_new:
            mode = sqlfacts.LOCK_MODES.get(st.lock_mode or 8, "ACCESS EXCLUSIVE")
            yield LOCK_TABLE.finding(rev, call.line, f"LOCK TABLE {table} IN {mode} MODE", table=table)
        for action in st.actions:
            yield from _raw_action(rev, call, st, action, is_new, not_valid)


def _raw_action(rev: RevisionSource, call: OpCall, st: sqlfacts.Statement, action: sqlfacts.Action, is_new: bool,
                not_valid: dict[str, str | None]) -> Iterator[Finding]:
    table, line = st.table, call.line
    if action.kind == "SetNotNull" and not is_new and (table, action.column) not in rev.not_null_checked:
        yield SET_NOT_NULL.finding(rev, line, f"raw SQL SET NOT NULL on {table}.{action.column}", table=table,
                                   column=action.column)
    elif action.kind == "AlterColumnType" and not is_new and not _raw_widening(action):
        yield CHANGE_TYPE.finding(rev, line, f"raw SQL changes {table}.{action.column} to {action.type_name}",
                                  table=table, column=action.column)
    elif action.kind in sqlfacts.REWRITES and not is_new:
        yield TABLE_REWRITE.finding(rev, line, f"ALTER TABLE {table} {sqlfacts.REWRITES[action.kind]}", table=table)
    elif action.kind == "AddColumn" and not is_new:
        if action.not_null and not action.has_default:
            yield ADD_REQUIRED_COLUMN.finding(rev, line, f"raw SQL adds {table}.{action.column} NOT NULL without a "
                                              "default", table=table, column=action.column)
        if action.volatile_default:
            yield VOLATILE_DEFAULT.finding(rev, line, f"raw SQL adds {table}.{action.column} with a volatile default",
                                           table=table, column=action.column)
    elif action.kind == "AddConstraint" and not is_new:
        name = action.name
        if action.constraint in ("FOREIGN", "CHECK") and action.not_valid:
            not_valid[name or ""] = table
        elif action.constraint == "FOREIGN":
            yield FOREIGN_KEY_VALIDATING.finding(rev, line, f"raw SQL adds foreign key {name}", table=table, name=name)
        elif action.constraint == "CHECK":
            yield CHECK_VALIDATING.finding(rev, line, f"raw SQL adds check {name}", table=table, name=name)
        elif action.constraint in ("UNIQUE", "EXCLUSION") and not action.using_index:
            yield UNIQUE_CONSTRAINT.finding(rev, line, f"raw SQL adds unique {name}", table=table, name=name)
        elif action.constraint == "PRIMARY" and not action.using_index:
            yield PRIMARY_KEY.finding(rev, line, f"raw SQL adds primary key {name}", table=table, name=name)
    elif action.kind == "ValidateConstraint" and action.name in not_valid:
        yield VALIDATE_SAME_REVISION.finding(rev, line, f"VALIDATE CONSTRAINT {action.name}", table=table,
                                             name=action.name)


def _raw_widening(action: sqlfacts.Action) -> bool:
    """Raw SQL names only the target type: text and unbounded varchar never rewrite."""
    return action.type_name in ("text",) or (action.type_name == "varchar" and not action.type_mods)
