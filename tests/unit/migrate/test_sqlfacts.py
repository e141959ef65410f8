"""Raw SQL as PostgreSQL's parser reads it: statement kinds, tables and the options the lock rules depend on."""

from __future__ import annotations

import pytest

from rollwise.migrate.model import sqlfacts


@pytest.mark.parametrize("sql, kind, table, flags", [
    ("CREATE INDEX CONCURRENTLY ix ON public.t (a)", "create_index", "t", {"concurrent": True, "index": "ix"}),
    ("drop index if exists ix", "drop_index", None, {"concurrent": False, "index": "ix", "if_exists": True}),
    ("CLUSTER t USING ix", "cluster", "t", {}),
    ("VACUUM (FULL, ANALYZE) t", "vacuum_full", "t", {}),
    ("VACUUM t", "vacuum", "t", {}),
    ("REINDEX TABLE CONCURRENTLY t", "reindex", "t", {"concurrent": True}),
    ("LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE", "lock_table", "t", {"lock_mode": 6}),
    ("UPDATE t SET a = 1", "update", "t", {"where": False, "batched": False}),
    ("UPDATE t SET a = 1 WHERE id IN (SELECT id FROM t WHERE a IS NULL LIMIT 500)", "update", "t",
     {"where": True, "batched": True}),
    ("DELETE FROM t WHERE created < now() - interval '1 day'", "delete", "t", {"where": True, "batched": False}),
    ('ALTER TABLE "Orders" RENAME COLUMN a TO b', "rename_column", "Orders", {"column": "a", "new_name": "b"}),
    ("TRUNCATE t CASCADE", "truncate", "t", {"cascade": True}),
    ("ALTER TYPE mood ADD VALUE IF NOT EXISTS 'meh'", "enum_add_value", None, {"enum_type": "mood"}),
], ids=lambda v: v if isinstance(v, str) and len(v) < 20 else None)
def test_statement_facts(sql, kind, table, flags):
    [statement] = sqlfacts.statements(sql)
    assert (statement.kind, statement.table) == (kind, table)
    assert {k: getattr(statement, k) for k in flags} == flags


def test_alter_table_actions():
    [statement] = sqlfacts.statements(
        "ALTER TABLE t ADD CONSTRAINT ck CHECK (email IS NOT NULL) NOT VALID, ALTER COLUMN a TYPE varchar(20), "
        "SET TABLESPACE slow, ADD COLUMN b uuid NOT NULL DEFAULT gen_random_uuid(), VALIDATE CONSTRAINT other")
    check, retype, tablespace, column, validate = statement.actions
    assert (check.constraint, check.name, check.not_valid, check.not_null_check) == ("CHECK", "ck", True, "email")
    assert (retype.kind, retype.column, retype.type_name, retype.type_mods) == ("AlterColumnType", "a", "varchar",
                                                                                (20,))
    assert tablespace.kind in sqlfacts.REWRITES
    assert (column.not_null, column.has_default, column.volatile_default) == (True, True, True)
    assert (validate.kind, validate.name) == ("ValidateConstraint", "other")


def test_several_statements_keep_their_text():
    found = sqlfacts.statements("SET lock_timeout = '1s'; UPDATE t SET a = 1;\nANALYZE t")
    assert [(s.kind, s.text) for s in found] == [("set", "SET lock_timeout = '1s'"), ("update", "UPDATE t SET a = 1"),
                                                 ("analyze", "ANALYZE t")]


@pytest.mark.parametrize("sql", ["UPDATE t SET a = {…}", "SELECT FROM WHERE", "UPDATE t SET a = 1 LIMIT 5"])
def test_sql_postgresql_rejects_is_none(sql):
    assert sqlfacts.statements(sql) is None


def test_not_null_check_and_volatile_defaults():
    assert sqlfacts.check_condition_column("email IS NOT NULL") == "email"
    assert sqlfacts.check_condition_column("email IS NOT NULL AND a > 0") is None
    assert sqlfacts.volatile_expression("gen_random_uuid()") and not sqlfacts.volatile_expression("now()")
