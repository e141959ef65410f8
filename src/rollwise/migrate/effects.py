"""The schema objects a list of op calls creates and drops (tables, columns, indexes, constraints), read
statically, so a ``downgrade()`` can be compared with its ``upgrade()``. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rollwise.migrate import sqlfacts
from rollwise.migrate.model import OpCall
from rollwise.migrate.rules.common import params, sql_facts, table_of, text

#: (kind, table or None, name): indexes and constraints are named without their table (drop_index often omits it)
Obj = tuple[str, "str | None", str]


@dataclass
class Effects:
    created: dict[Obj, int] = field(default_factory=dict)  # object -> line
    dropped: dict[Obj, int] = field(default_factory=dict)
    opaque: list[str] = field(default_factory=list)  # why some effects cannot be known

    def create(self, obj: Obj | None, line: int) -> None:
        if obj is not None and obj[2]:
            self.created.setdefault(obj, line)

    def drop(self, obj: Obj | None, line: int) -> None:
        if obj is not None and obj[2]:
            self.dropped.setdefault(obj, line)

    def dropped_tables(self) -> set[str]:
        return {name for kind, _, name in self.dropped if kind == "table"}

    def created_tables(self) -> set[str]:
        return {name for kind, _, name in self.created if kind == "table"}


def _obj(kind: str, table: str | None, name: object) -> Obj | None:
    label = text(name)
    return (kind, table if kind == "column" else None, label) if label else None


def effects(calls: list[OpCall]) -> Effects:
    out = Effects()
    for call in calls:
        p = params(call)
        table = table_of(call)
        name = call.name
        if name == "create_table":
            out.create(_obj("table", None, table), call.line)
        elif name == "drop_table":
            out.drop(_obj("table", None, table), call.line)
        elif name == "add_column":
            out.create(_obj("column", table, p.get("column")), call.line)
        elif name == "drop_column":
            out.drop(_obj("column", table, p.get("column_name")), call.line)
        elif name == "create_index":
            out.create(_obj("index", table, p.get("index_name")), call.line)
        elif name == "drop_index":
            out.drop(_obj("index", table, p.get("index_name")), call.line)
        elif name in ("create_foreign_key", "create_check_constraint", "create_unique_constraint",
                      "create_primary_key"):
            out.create(_obj("constraint", table, p.get("constraint_name")), call.line)
        elif name == "drop_constraint":
            out.drop(_obj("constraint", table, p.get("constraint_name")), call.line)
        elif name == "rename_table":
            out.drop(_obj("table", None, table), call.line)
            out.create(_obj("table", None, p.get("new_table_name")), call.line)
        elif name == "alter_column" and p.get("new_column_name"):
            out.drop(_obj("column", table, p.get("column_name")), call.line)
            out.create(_obj("column", table, p.get("new_column_name")), call.line)
        elif name == "execute":
            facts = sql_facts(call)
            if facts is None:
                out.opaque.append(f"op.execute with SQL rollwise cannot read (line {call.line})")
            for statement in facts or ():
                _raw(out, statement, call.line)
    return out


def _raw(out: Effects, st: sqlfacts.Statement, line: int) -> None:
    if st.kind == "create_table":
        out.create(("table", None, st.table or ""), line)
    elif st.kind == "drop_table":
        out.drop(("table", None, st.table or ""), line)
    elif st.kind == "create_index":
        out.create(("index", None, st.index or ""), line)
    elif st.kind == "drop_index":
        out.drop(("index", None, st.index or ""), line)
    elif st.kind == "rename_table":
        out.drop(("table", None, st.table or ""), line)
        out.create(("table", None, st.new_name or ""), line)
    elif st.kind == "rename_column":
        out.drop(("column", st.table, st.column or ""), line)
        out.create(("column", st.table, st.new_name or ""), line)
    for action in st.actions:
        if action.kind == "AddColumn":
            out.create(("column", st.table, action.column or ""), line)
        elif action.kind == "DropColumn":
            out.drop(("column", st.table, action.column or ""), line)
        elif action.kind == "AddConstraint" and action.name:
            out.create(("constraint", None, action.name), line)
        elif action.kind == "DropConstraint":
            out.drop(("constraint", None, action.name or ""), line)


def describe(obj: Obj) -> str:
    kind, table, name = obj
    return f"{kind} {table}.{name}" if table else f"{kind} {name}"


def not_undone(upgrade: Effects, downgrade: Effects) -> list[tuple[str, Obj, int]]:
    """What downgrade leaves different: ("created", obj, line) for objects upgrade creates and downgrade does not
    drop, ("dropped", obj, line) for objects upgrade drops and downgrade does not create again."""
    gone_tables = downgrade.dropped_tables()
    back_tables = downgrade.created_tables()
    new_tables = upgrade.created_tables()
    problems = []
    for obj, line in upgrade.created.items():
        kind, table, name = obj
        if obj in downgrade.dropped or (kind == "column" and table in gone_tables):
            continue
        if kind in ("index", "constraint") and (gone_tables or any(k == kind and n == name
                                                                   for k, _, n in downgrade.dropped)):
            continue  # dropped with its table (indexes and constraints go with it) or named without the table
        problems.append(("created", obj, line))
    for obj, line in upgrade.dropped.items():
        kind, table, name = obj
        if obj in downgrade.created or (kind == "column" and table in back_tables):
            continue
        if kind in ("index", "constraint") and (back_tables or any(k == kind and n == name
                                                                   for k, _, n in downgrade.created)):
            continue
        if table in new_tables:
            continue
        problems.append(("dropped", obj, line))
    return problems
