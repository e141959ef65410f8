"""Pre-flight data checks: the rows that would make a tightening revision fail, counted before it runs.

Pure: builds the counting queries from a scanned revision; ``services.plan`` runs them on the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rollwise.migrate.model import CallValue, RevisionSource
from rollwise.migrate.model.rules.common import created_tables, params, table_of, text


@dataclass(frozen=True)
class Check:
    """One counting query; ``count`` rows above zero mean the revision will fail on this data."""

    line: int
    table: str
    what: str
    sql: str


def checks(rev: RevisionSource, quote: Callable[[str], str]) -> list[Check]:
    """Queries for SET NOT NULL, NOT NULL columns without default, UNIQUE and CHECK on existing tables."""
    new_tables = created_tables(rev)
    out: list[Check] = []
    for call in rev.upgrade:
        table = table_of(call)
        if not table or table in new_tables or table.startswith("<"):
            continue
        p = params(call)
        t = quote(table)
        if call.name == "alter_column" and p.get("nullable") is False and text(p.get("column_name")):
            column = text(p["column_name"])
            out.append(Check(call.line, table, f"rows where {table}.{column} IS NULL (SET NOT NULL fails)",
                             f"SELECT count(*) FROM {t} WHERE {quote(column)} IS NULL"))
        elif call.name == "add_column":
            column = p.get("column")
            if isinstance(column, CallValue) and column.kw("nullable", True) is False and \
                    column.kw("server_default") is None:
                out.append(Check(call.line, table, f"rows in {table} (a NOT NULL column without default fails)",
                                 f"SELECT count(*) FROM {t}"))
        elif (call.name == "create_unique_constraint" or (call.name == "create_index" and p.get("unique") is True)):
            columns = p.get("columns")
            names = [text(c) for c in columns] if isinstance(columns, tuple) else []
            if names and all(names):
                cols = ", ".join(quote(n) for n in names)
                present = " AND ".join(f"{quote(n)} IS NOT NULL" for n in names)
                out.append(Check(call.line, table, f"duplicate ({', '.join(names)}) groups in {table} (UNIQUE fails)",
                                 f"SELECT count(*) FROM (SELECT 1 FROM {t} WHERE {present} GROUP BY {cols} "
                                 "HAVING count(*) > 1) AS duplicates"))
        elif call.name == "create_check_constraint" and isinstance(p.get("condition"), str) and \
                p.get("postgresql_not_valid") is not True:
            condition = p["condition"]
            out.append(Check(call.line, table, f"rows in {table} violating CHECK ({condition})",
                             f"SELECT count(*) FROM {t} WHERE NOT ({condition})"))
    return out
