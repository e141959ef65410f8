"""The schema objects a list of op calls creates and drops (tables, columns, indexes, constraints), read
statically, so a ``downgrade()`` can be compared with its ``upgrade()``. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rollwise.migrate.model import CallValue, OpCall, sqlfacts
from rollwise.migrate.model.rules.common import params, sql_facts

#: (kind, table or None, name): indexes and constraints are named without their table (drop_index often omits it)
Obj = tuple[str, "str | None", str]


@dataclass
class Effects:
    created: dict[Obj, int] = field(default_factory=dict)  # object -> line
    dropped: dict[Obj, int] = field(default_factory=dict)
    #: the table of each index and constraint, when the call names it
    owners: dict[Obj, str] = field(default_factory=dict)
    #: kinds ("table", "column", ...) some call creates or drops under a name computed at run time
    unknown_created: set[str] = field(default_factory=set)
    unknown_dropped: set[str] = field(default_factory=set)
    opaque: list[str] = field(default_factory=list)  # why some effects cannot be known

    def create(self, obj: Obj | None, line: int, kind: str = "", owner: str | None = None) -> None:
        # dropped and created again within the same function: replaced, no net change
        self._record(obj, line, kind, owner, self.created, self.dropped, self.unknown_created)

    def drop(self, obj: Obj | None, line: int, kind: str = "", owner: str | None = None) -> None:
        # created and dropped again within the same function: temporary, no net change
        self._record(obj, line, kind, owner, self.dropped, self.created, self.unknown_dropped)

    def _record(self, obj: Obj | None, line: int, kind: str, owner: str | None, into: dict[Obj, int],
                opposite: dict[Obj, int], unknown: set[str]) -> None:
        if obj is None or not obj[2]:
            unknown.add(kind or (obj[0] if obj else ""))
            return
        if owner:
            self.owners[obj] = owner
        if opposite.pop(obj, None) is None:
            into.setdefault(obj, line)

    def tables(self, objects: dict[Obj, int]) -> set[str]:
        """Tables among ``objects``, and tables some of whose columns are among them."""
        return {name if kind == "table" else table for kind, table, name in objects if kind in ("table", "column")}


def literal(value: object) -> str | None:
    """A name written as a literal (``"ix_a"``, ``op.f("ix_a")``, ``sa.Column("a", ...)``); None for a variable
    or an f-string."""
    if isinstance(value, CallValue) and value.args:
        value = value.args[0]
    return value if isinstance(value, str) and "{…}" not in value else None


def _obj(kind: str, table: str | None, name: object) -> Obj | None:
    label = literal(name)
    return (kind, table if kind == "column" else None, label) if label else None


def effects(calls: list[OpCall]) -> Effects:
    out = Effects()
    for call in calls:
        # in a loop the names are computed: the objects count as unknown ones of their kind
        p = params(call) if not call.in_loop or call.name == "execute" else {}
        table = next((literal(p[k]) for k in ("table_name", "source_table", "old_table_name") if k in p), None)
        name = call.name
        if name == "create_table":
            out.create(_obj("table", None, table), call.line, "table")
        elif name == "drop_table":
            out.drop(_obj("table", None, table), call.line, "table")
        elif name == "add_column":
            out.create(_obj("column", table, p.get("column")) if table else None, call.line, "column")
        elif name == "drop_column":
            out.drop(_obj("column", table, p.get("column_name")) if table else None, call.line, "column")
        elif name == "create_index":
            out.create(_obj("index", table, p.get("index_name")), call.line, "index", table)
        elif name == "drop_index":
            out.drop(_obj("index", table, p.get("index_name")), call.line, "index", table)
        elif name in ("create_foreign_key", "create_check_constraint", "create_unique_constraint",
                      "create_primary_key"):
            out.create(_obj("constraint", table, p.get("constraint_name")), call.line, "constraint", table)
        elif name == "drop_constraint":
            out.drop(_obj("constraint", table, p.get("constraint_name")), call.line, "constraint", table)
        elif name == "rename_table":
            out.drop(_obj("table", None, table), call.line, "table")
            out.create(_obj("table", None, p.get("new_table_name")), call.line, "table")
        elif name == "alter_column" and p.get("new_column_name"):
            out.drop(_obj("column", table, p.get("column_name")) if table else None, call.line, "column")
            out.create(_obj("column", table, p.get("new_column_name")) if table else None, call.line, "column")
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


def not_undone(upgrade: Effects, downgrade: Effects) -> list[tuple[str, Obj, int]]:
    """What downgrade leaves different: ("created", obj, line) for objects upgrade creates and downgrade does not
    drop, ("dropped", obj, line) for objects upgrade drops and downgrade does not create again. Objects that a
    call with a computed name may cover are not reported."""
    problems = [("created", obj, line) for obj, line in upgrade.created.items()
                if not _covered(obj, upgrade, downgrade.dropped, downgrade.unknown_dropped, downgrade)]
    problems += [("dropped", obj, line) for obj, line in upgrade.dropped.items()
                 if not _covered(obj, upgrade, downgrade.created, downgrade.unknown_created, downgrade)]
    return problems


def _covered(obj: Obj, upgrade: Effects, undone: dict[Obj, int], unknown: set[str], downgrade: Effects) -> bool:
    kind, table, name = obj
    if kind in unknown or "table" in unknown or obj in undone:
        return True
    if kind == "column":
        return ("table", None, table) in undone
    # indexes and constraints go with their table, or with a dropped column of it; drop_index often omits the table
    owner = upgrade.owners.get(obj)
    if any(k == kind and n == name for k, _, n in undone):
        return True
    return owner is None and bool(downgrade.tables(undone)) or owner in downgrade.tables(undone)


def describe(obj: Obj) -> str:
    kind, table, name = obj
    return f"{kind} {table}.{name}" if table else f"{kind} {name}"
