"""Expand/contract classification of a revision, and the tables it touches.

expand: adds what the new release needs and the old one ignores (tables, nullable columns, indexes, loosening).
contract: removes, renames or tightens what the old release may use (drops, renames, rewriting type changes, NOT NULL,
validating constraints on existing tables). A revision with both is mixed; one with neither is neutral: data only,
and the steps of the safe recipes (NOT VALID, VALIDATE, USING INDEX, SET NOT NULL behind a validated check).
"""

from __future__ import annotations

from rollwise.migrate.model import CONTRACT, EXPAND, MIXED, NEUTRAL, OpCall, RevisionSource, sqlfacts
from rollwise.migrate.model.rules.common import created_tables, params, sql_facts, sql_of, sql_tables, table_of, text
from rollwise.migrate.model.rules.locking import widening

_EXPAND_OPS = {"create_table", "add_column", "create_index"}
_CONTRACT_OPS = {"drop_table", "drop_column", "rename_table"}
_TIGHTENING_OPS = {"create_check_constraint", "create_foreign_key", "create_unique_constraint", "create_primary_key"}
#: raw SQL statements by their effect on the running release
_SQL_CONTRACT_KINDS = {"drop_table", "truncate", "rename_table", "rename_column", "enum_rename_value"}
_SQL_EXPAND_KINDS = {"create_table", "create_index", "create_view", "create_type", "create_sequence",
                     "create_function", "enum_add_value", "create_extension"}


def _action_kind(action: sqlfacts.Action, table: str | None, new_tables: set[str],
                 not_null_checked: frozenset) -> str:
    if action.kind in ("DropColumn",):
        return CONTRACT
    if action.kind == "AddColumn":
        return EXPAND
    if action.kind == "SetNotNull":
        return NEUTRAL if table in new_tables or (table, action.column) in not_null_checked else CONTRACT
    if action.kind == "AlterColumnType":
        return EXPAND if action.type_name == "text" or (action.type_name == "varchar" and not action.type_mods) \
            else CONTRACT
    if action.kind == "AddConstraint":
        # NOT VALID (checked only for new writes) and USING INDEX (an index built CONCURRENTLY before) are the
        # steps of the safe recipes, not contractions; a validating constraint on an existing table is
        if action.not_valid or action.using_index or table in new_tables:
            return NEUTRAL if table not in new_tables else EXPAND
        return CONTRACT
    if action.kind == "DropNotNull":
        return EXPAND
    return NEUTRAL


def op_kind(call: OpCall, new_tables: set[str], not_null_checked: frozenset = frozenset()) -> str:
    """expand, contract or neutral for one op call."""
    if call.name in _EXPAND_OPS:
        return EXPAND
    if call.name in _CONTRACT_OPS:
        return CONTRACT
    if call.name in _TIGHTENING_OPS:
        if table_of(call) in new_tables:
            return EXPAND
        return NEUTRAL if params(call).get("postgresql_not_valid") is True else CONTRACT
    if call.name == "alter_column":
        p = params(call)
        table, column = table_of(call), text(p.get("column_name"))
        if p.get("new_column_name"):
            return CONTRACT
        if p.get("type_") is not None and not widening(p["type_"], p.get("existing_type")):
            return CONTRACT
        if p.get("nullable") is False and (table, column) not in not_null_checked and table not in new_tables:
            return CONTRACT
        return EXPAND if p.get("nullable") is True or p.get("type_") is not None else NEUTRAL
    if call.name == "execute":
        kinds = set()
        for statement in sql_facts(call) or ():
            if statement.kind in _SQL_CONTRACT_KINDS:
                kinds.add(CONTRACT)
            elif statement.kind in _SQL_EXPAND_KINDS:
                kinds.add(EXPAND)
            for action in statement.actions:
                kinds.add(_action_kind(action, statement.table, new_tables, not_null_checked))
        return CONTRACT if CONTRACT in kinds else EXPAND if EXPAND in kinds else NEUTRAL
    return NEUTRAL


def classify(rev: RevisionSource) -> str:
    """expand, contract, mixed or neutral for a whole revision's upgrade()."""
    new_tables = created_tables(rev)
    kinds = {op_kind(call, new_tables, rev.not_null_checked) for call in rev.upgrade} - {NEUTRAL}
    if kinds == {EXPAND, CONTRACT}:
        return MIXED
    return kinds.pop() if kinds else NEUTRAL


def touched_tables(rev: RevisionSource) -> tuple[str, ...]:
    """Tables the upgrade changes (op calls and the tables raw SQL names); integrity checks scope by them."""
    tables: list[str] = []
    for call in rev.upgrade:
        names = [table_of(call)] if call.name != "execute" else sql_tables(sql_of(call) or "")
        if call.name == "rename_table":
            names.append(params(call).get("new_table_name"))
        if call.name == "create_foreign_key":
            names.append(params(call).get("referent_table"))
        for name in names:
            if isinstance(name, str) and name not in tables and not name.startswith("<"):
                tables.append(name)
    return tuple(tables)
