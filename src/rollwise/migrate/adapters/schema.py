"""The shape of a database schema (tables, columns with type and nullability, indexes, constraints) as SQLAlchemy's
inspector reports it, and the differences between two shapes: what ``plan`` compares after upgrade -> downgrade
-> upgrade in its trial transaction."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

VERSION_TABLE = "alembic_version"

Shape = dict[str, dict[str, Any]]


def shape(conn: sa.Connection, schema: str | None = None) -> Shape:
    """Every table but alembic_version, read with a fresh inspector (inspectors cache what they read)."""
    inspector = sa.inspect(conn)
    out: Shape = {}
    for table in inspector.get_table_names(schema=schema):
        if table == VERSION_TABLE:
            continue
        out[table] = {
            "columns": {c["name"]: (str(c["type"]), bool(c["nullable"]))
                        for c in inspector.get_columns(table, schema=schema)},
            "indexes": sorted(i["name"] or "" for i in inspector.get_indexes(table, schema=schema)),
            "foreign keys": sorted(f["name"] or "" for f in inspector.get_foreign_keys(table, schema=schema)),
            "unique constraints": sorted(u["name"] or "" for u in
                                         inspector.get_unique_constraints(table, schema=schema)),
            "primary key": tuple(inspector.get_pk_constraint(table, schema=schema).get("constrained_columns")
                                 or ()),
        }
    return out


def differences(before: Shape, after: Shape) -> list[str]:
    """What ``after`` has that ``before`` has not, and the reverse, one readable line each. Pure."""
    out = [f"table {t} is left over" for t in sorted(set(after) - set(before))]
    out += [f"table {t} is missing" for t in sorted(set(before) - set(after))]
    for table in sorted(set(before) & set(after)):
        old, new = before[table], after[table]
        for column in sorted(set(new["columns"]) - set(old["columns"])):
            out.append(f"column {table}.{column} is left over")
        for column in sorted(set(old["columns"]) - set(new["columns"])):
            out.append(f"column {table}.{column} is missing")
        for column in sorted(set(old["columns"]) & set(new["columns"])):
            if old["columns"][column] != new["columns"][column]:
                (t0, n0), (t1, n1) = old["columns"][column], new["columns"][column]
                out.append(f"column {table}.{column} is {t1}{'' if n1 else ' NOT NULL'}, was "
                           f"{t0}{'' if n0 else ' NOT NULL'}")
        for key in ("indexes", "foreign keys", "unique constraints"):
            for name in sorted(set(new[key]) - set(old[key])):
                out.append(f"{key[:-1] if key != 'indexes' else 'index'} {name} on {table} is left over")
            for name in sorted(set(old[key]) - set(new[key])):
                out.append(f"{key[:-1] if key != 'indexes' else 'index'} {name} on {table} is missing")
        if old["primary key"] != new["primary key"]:
            out.append(f"primary key of {table} is {new['primary key'] or 'none'}, was {old['primary key'] or 'none'}")
    return out
