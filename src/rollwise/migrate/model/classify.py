"""Expand/contract classification of a revision, and the tables it touches.

expand: adds what the new release needs and the old one ignores (tables, nullable columns, indexes, loosening).
contract: removes, renames or tightens what the old release may use (drops, renames, type changes, NOT NULL,
constraints on existing tables). A revision with both is mixed; one with neither (data only) is neutral.
"""

from __future__ import annotations

import re

from rollwise.migrate.model import CONTRACT, EXPAND, MIXED, NEUTRAL, OpCall, RevisionSource
from rollwise.migrate.model.rules.common import created_tables, params, sql_of, sql_statements, sql_tables, table_of

_EXPAND_OPS = {"create_table", "add_column", "create_index"}
_CONTRACT_OPS = {"drop_table", "drop_column", "rename_table"}
_TIGHTENING_OPS = {"create_check_constraint", "create_foreign_key", "create_unique_constraint", "create_primary_key"}
_SQL_CONTRACT = re.compile(
    r"^\s*(DROP\s+TABLE|TRUNCATE|ALTER\s+TABLE\s+.*\b(DROP\s+COLUMN|RENAME|SET\s+NOT\s+NULL|TYPE\s+\w+|"
    r"ADD\s+CONSTRAINT(?!.*USING\s+INDEX))|ALTER\s+TYPE\s+.*\b(RENAME|DROP)\b)",
    re.IGNORECASE | re.DOTALL,
)
_SQL_EXPAND = re.compile(
    r"^\s*(CREATE\s|ALTER\s+TABLE\s+.*\bADD\s+(COLUMN\s+)?(?!CONSTRAINT)|ALTER\s+TYPE\s+.*ADD\s+VALUE)",
    re.IGNORECASE | re.DOTALL,
)


def op_kind(call: OpCall, new_tables: set[str]) -> str:
    """expand, contract or neutral for one op call."""
    if call.name in _EXPAND_OPS:
        return EXPAND
    if call.name in _CONTRACT_OPS:
        return CONTRACT
    if call.name in _TIGHTENING_OPS:
        return EXPAND if table_of(call) in new_tables else CONTRACT
    if call.name == "alter_column":
        p = params(call)
        if p.get("new_column_name") or p.get("type_") is not None or p.get("nullable") is False:
            return CONTRACT
        return EXPAND if p.get("nullable") is True else NEUTRAL
    if call.name == "execute":
        kinds = set()
        for statement in sql_statements(sql_of(call) or ""):
            if _SQL_CONTRACT.match(statement):
                tables = sql_tables(statement)
                tightening_new = "ADD CONSTRAINT" in statement.upper() and tables and tables[0] in new_tables
                kinds.add(EXPAND if tightening_new else CONTRACT)
            elif _SQL_EXPAND.match(statement):
                kinds.add(EXPAND)
        return CONTRACT if CONTRACT in kinds else EXPAND if EXPAND in kinds else NEUTRAL
    return NEUTRAL


def classify(rev: RevisionSource) -> str:
    """expand, contract, mixed or neutral for a whole revision's upgrade()."""
    new_tables = created_tables(rev)
    kinds = {op_kind(call, new_tables) for call in rev.upgrade} - {NEUTRAL}
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
