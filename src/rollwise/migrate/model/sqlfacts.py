"""What a raw SQL text in a revision does, read with PostgreSQL's own parser (libpg_query through pglast):
one ``Statement`` per statement with its kind, table, lock-relevant options and ALTER TABLE actions.

The lint rules and the expand/contract classifier read these facts instead of matching text. Pure.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from pglast import ast, enums, parse_sql
from pglast.parser import ParseError

#: LOCK TABLE modes from SHARE upwards block writes (SHARE) or reads and writes (ACCESS EXCLUSIVE)
LOCK_MODES = {1: "ACCESS SHARE", 2: "ROW SHARE", 3: "ROW EXCLUSIVE", 4: "SHARE UPDATE EXCLUSIVE", 5: "SHARE",
              6: "SHARE ROW EXCLUSIVE", 7: "EXCLUSIVE", 8: "ACCESS EXCLUSIVE"}
BLOCKING_LOCK = 5
#: ALTER TABLE sub-commands that rewrite the whole table under ACCESS EXCLUSIVE (type changes have their own rule)
REWRITES = {"SetTableSpace": "SET TABLESPACE", "SetLogged": "SET LOGGED", "SetUnLogged": "SET UNLOGGED",
            "SetAccessMethod": "SET ACCESS METHOD", "DropOids": "SET WITHOUT OIDS"}
#: statements that change rows or statistics, not the schema
DATA_KINDS = {"update", "delete", "insert", "insert_select", "select", "set", "analyze", "vacuum", "vacuum_full",
              "reindex", "cluster", "lock_table", "comment", "truncate"}
_VOLATILE = ("random", "gen_random_uuid", "uuid_generate_v1", "uuid_generate_v4", "clock_timestamp", "nextval",
             "timeofday", "statement_timestamp")


_SERIAL = ("serial", "bigserial", "smallserial", "serial4", "serial8", "serial2")


@dataclass(frozen=True)
class Action:
    """One ALTER TABLE sub-command."""

    kind: str  # AlterTableType name without AT_: AddColumn, DropColumn, SetNotNull, AlterColumnType, ...
    column: str | None = None
    constraint: str | None = None  # CHECK, FOREIGN, UNIQUE, PRIMARY, NOT NULL ... for AddConstraint
    name: str | None = None  # constraint name
    not_valid: bool = False
    using_index: bool = False
    type_name: str | None = None  # target type of AlterColumnType / type of AddColumn
    type_mods: tuple[int, ...] = ()
    not_null: bool = False  # AddColumn ... NOT NULL
    has_default: bool = False
    volatile_default: bool = False
    not_null_check: str | None = None  # CHECK (col IS NOT NULL): the column


@dataclass(frozen=True)
class Statement:
    """One SQL statement as the parser sees it."""

    kind: str
    text: str
    table: str | None = None
    concurrent: bool = False
    where: bool = False  # UPDATE/DELETE with a WHERE clause
    batched: bool = False  # UPDATE/DELETE limited by a LIMIT subquery or a ctid range
    lock_mode: int | None = None  # LOCK TABLE
    actions: tuple[Action, ...] = field(default=())
    new_name: str | None = None  # RENAME ... TO
    column: str | None = None  # RENAME COLUMN: the old name
    enum_type: str | None = None  # ALTER TYPE ... ADD/RENAME VALUE
    cascade: bool = False
    index: str | None = None  # CREATE/DROP INDEX, REINDEX INDEX: the index name
    if_exists: bool = False


def _name(value: object) -> str | None:
    if isinstance(value, ast.RangeVar):
        return value.relname
    if isinstance(value, tuple) and value:
        last = value[-1]
        return getattr(last, "sval", None) if not isinstance(last, tuple) else _name(last)
    return None


def _type(type_name: ast.TypeName | None) -> tuple[str | None, tuple[int, ...]]:
    if type_name is None:
        return None, ()
    names = [n.sval for n in type_name.names or ()]
    mods = tuple(m.val.ival for m in type_name.typmods or () if isinstance(m, ast.A_Const)
                 and isinstance(m.val, ast.Integer))
    return (names[-1] if names else None), mods


def _walk(node: object):
    """Every pglast node under ``node`` (depth first)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, tuple):
            stack.extend(current)
        elif isinstance(current, ast.Node):
            yield current
            stack.extend(getattr(current, attr) for attr in current.__slots__ if getattr(current, attr, None)
                         is not None)


def _volatile(expr: object) -> bool:
    return any(isinstance(n, ast.FuncCall) and n.funcname and n.funcname[-1].sval in _VOLATILE for n in _walk(expr))


def _batched(where: object) -> bool:
    """A WHERE that bounds the rows: a LIMIT subquery, or a ctid / primary key range with parameters."""
    for node in _walk(where):
        if isinstance(node, ast.SelectStmt) and node.limitCount is not None:
            return True
        if isinstance(node, ast.ColumnRef) and any(getattr(f, "sval", None) == "ctid" for f in node.fields):
            return True
    return False


def volatile_expression(sql: str) -> bool:
    """Whether a default expression calls a volatile function (evaluated per row, so ADD COLUMN rewrites)."""
    try:
        stmt = parse_sql(f"SELECT {sql}")[0].stmt
    except ParseError:
        return False
    return _volatile(stmt.targetList)


def not_null_column(expr: object) -> str | None:
    """``col IS NOT NULL`` (alone) -> "col"."""
    if isinstance(expr, ast.NullTest) and expr.nulltesttype == enums.NullTestType.IS_NOT_NULL and \
            isinstance(expr.arg, ast.ColumnRef):
        return getattr(expr.arg.fields[-1], "sval", None)
    return None


def check_condition_column(condition: str) -> str | None:
    """The column of a CHECK condition written as ``col IS NOT NULL``, else None."""
    try:
        stmt = parse_sql(f"SELECT 1 WHERE {condition}")[0].stmt
    except ParseError:
        return None
    return not_null_column(stmt.whereClause)


def _action(cmd: ast.AlterTableCmd) -> Action:
    kind = enums.AlterTableType(cmd.subtype).name.removeprefix("AT_")
    definition = cmd.def_
    if isinstance(definition, ast.Constraint):
        contype = enums.ConstrType(definition.contype).name.removeprefix("CONSTR_")
        return Action(kind, cmd.name, contype, definition.conname, bool(definition.skip_validation),
                      bool(definition.indexname), not_null_check=not_null_column(definition.raw_expr)
                      if contype == "CHECK" else None)
    if isinstance(definition, ast.ColumnDef):
        type_name, mods = _type(definition.typeName)
        constraints = [c for c in definition.constraints or () if isinstance(c, ast.Constraint)]
        types = {enums.ConstrType(c.contype).name for c in constraints}
        default = next((c.raw_expr for c in constraints if c.contype == enums.ConstrType.CONSTR_DEFAULT), None)
        column = definition.colname or cmd.name
        return Action(kind, column, type_name=type_name, type_mods=mods,
                      not_null="CONSTR_NOTNULL" in types or "CONSTR_PRIMARY" in types,
                      has_default=default is not None or bool(types & {"CONSTR_IDENTITY", "CONSTR_GENERATED"}),
                      # identity, stored generated and serial columns are filled in row by row: a rewrite too
                      volatile_default=(default is not None and _volatile(default)) or bool(
                          types & {"CONSTR_IDENTITY", "CONSTR_GENERATED"}) or type_name in _SERIAL)
    if kind == "ValidateConstraint":
        return Action(kind, name=cmd.name)
    if kind == "DropConstraint":
        return Action(kind, name=cmd.name)
    return Action(kind, cmd.name)


def _statement(stmt: ast.Node, text: str) -> Statement:
    if isinstance(stmt, ast.IndexStmt):
        return Statement("create_index", text, _name(stmt.relation), bool(stmt.concurrent), index=stmt.idxname,
                         if_exists=bool(stmt.if_not_exists))
    if isinstance(stmt, ast.DropStmt):
        kind = {enums.ObjectType.OBJECT_INDEX: "drop_index", enums.ObjectType.OBJECT_TABLE: "drop_table",
                enums.ObjectType.OBJECT_TYPE: "drop_type", enums.ObjectType.OBJECT_VIEW: "drop_view"}.get(
            stmt.removeType, "drop_other")
        name = _name(stmt.objects[0]) if stmt.objects else None
        return Statement(kind, text, name if kind == "drop_table" else None, bool(stmt.concurrent),
                         cascade=stmt.behavior == enums.DropBehavior.DROP_CASCADE,
                         index=name if kind == "drop_index" else None, if_exists=bool(stmt.missing_ok))
    if isinstance(stmt, ast.ClusterStmt):
        return Statement("cluster", text, _name(stmt.relation))
    if isinstance(stmt, ast.VacuumStmt):
        options = {o.defname for o in stmt.options or ()}
        table = _name(stmt.rels[0].relation) if stmt.rels else None
        kind = ("vacuum_full" if "full" in options else "vacuum") if stmt.is_vacuumcmd else "analyze"
        return Statement(kind, text, table)
    if isinstance(stmt, ast.ReindexStmt):
        options = {p.defname for p in stmt.params or ()}
        on_index = stmt.kind == enums.ReindexObjectType.REINDEX_OBJECT_INDEX
        return Statement("reindex", text, None if on_index else _name(stmt.relation), "concurrently" in options,
                         index=_name(stmt.relation) if on_index else None)
    if isinstance(stmt, ast.LockStmt):
        return Statement("lock_table", text, _name(stmt.relations[0]) if stmt.relations else None,
                         lock_mode=stmt.mode)
    if isinstance(stmt, (ast.UpdateStmt, ast.DeleteStmt)):
        kind = "update" if isinstance(stmt, ast.UpdateStmt) else "delete"
        return Statement(kind, text, _name(stmt.relation), where=stmt.whereClause is not None,
                         batched=stmt.whereClause is not None and _batched(stmt.whereClause))
    if isinstance(stmt, ast.InsertStmt):
        kind = "insert_select" if isinstance(stmt.selectStmt, ast.SelectStmt) and stmt.selectStmt.fromClause \
            else "insert"
        return Statement(kind, text, _name(stmt.relation))
    if isinstance(stmt, ast.AlterTableStmt):
        if stmt.objtype not in (enums.ObjectType.OBJECT_TABLE, None):
            return Statement("alter_other", text, _name(stmt.relation))
        return Statement("alter_table", text, _name(stmt.relation), actions=tuple(_action(c) for c in stmt.cmds))
    if isinstance(stmt, ast.RenameStmt):
        if stmt.renameType == enums.ObjectType.OBJECT_TABLE:
            return Statement("rename_table", text, _name(stmt.relation), new_name=stmt.newname)
        if stmt.renameType == enums.ObjectType.OBJECT_COLUMN:
            return Statement("rename_column", text, _name(stmt.relation), new_name=stmt.newname, column=stmt.subname)
        return Statement("rename_other", text, _name(stmt.relation), new_name=stmt.newname)
    if isinstance(stmt, ast.TruncateStmt):
        return Statement("truncate", text, _name(stmt.relations[0]) if stmt.relations else None,
                         cascade=stmt.behavior == enums.DropBehavior.DROP_CASCADE)
    if isinstance(stmt, (ast.CreateStmt, ast.CreateTableAsStmt)):
        relation = stmt.relation if isinstance(stmt, ast.CreateStmt) else stmt.into.rel
        return Statement("create_table", text, _name(relation))
    if isinstance(stmt, ast.AlterEnumStmt):
        action = "rename_value" if stmt.oldVal else "add_value"
        return Statement(f"enum_{action}", text, enum_type=_name(stmt.typeName), if_exists=bool(stmt.skipIfNewValExists))
    known = {ast.VariableSetStmt: "set", ast.SelectStmt: "select", ast.CommentStmt: "comment",
             ast.ViewStmt: "create_view", ast.CreateFunctionStmt: "create_function",
             ast.CreateTrigStmt: "create_trigger", ast.CreateEnumStmt: "create_type", ast.CreateSeqStmt:
             "create_sequence", ast.AlterSeqStmt: "alter_sequence", ast.CreateExtensionStmt: "create_extension",
             ast.GrantStmt: "grant", ast.DoStmt: "do_block", ast.CreateSchemaStmt: "create_schema"}
    return Statement(known.get(type(stmt), "other:" + type(stmt).__name__), text)


@functools.lru_cache(maxsize=4096)
def statements(sql: str) -> tuple[Statement, ...] | None:
    """The statements of ``sql``, or None when PostgreSQL's grammar rejects it (templated or not PostgreSQL)."""
    try:
        parsed = parse_sql(sql)
    except ParseError:
        return None
    encoded = sql.encode("utf-8")
    out = []
    for raw in parsed:
        start = raw.stmt_location or 0
        length = raw.stmt_len or len(encoded) - start
        text = encoded[start:start + length].decode("utf-8", errors="replace").strip()
        out.append(_statement(raw.stmt, text))
    return tuple(out)


def tables(sql: str) -> list[str]:
    """Tables the statements write or alter, in order (empty when the SQL does not parse)."""
    found: list[str] = []
    for statement in statements(sql) or ():
        if statement.table and statement.table not in found:
            found.append(statement.table)
    return found
