"""The scanner: ids, op calls with their lines and arguments, contexts (batch, loop, autocommit), directives."""

from __future__ import annotations

import textwrap

from rollwise.migrate.adapters.alembic import sql_line_map
from rollwise.migrate.model import CallValue
from rollwise.migrate.model.rules.common import params, sql_of, table_of
from rollwise.migrate.model.scan import scan_source

SOURCE = textwrap.dedent('''\
    import sqlalchemy as sa
    from alembic import op

    revision = "abc123"
    down_revision = ("m1", "m2")
    TABLE = "events"


    def upgrade():
        op.add_column("users", sa.Column("x", sa.Integer(), nullable=False, server_default="0"))
        with op.batch_alter_table(TABLE) as batch:
            batch.drop_column("y")
        bind = op.get_bind()
        for table in ("a", "b"):
            bind.execute(sa.text(f"UPDATE {table} SET z = 1"))
        with op.get_context().autocommit_block():
            op.create_index("ix", "users", ["x"], postgresql_concurrently=True)
        # rollwise: rows-change[users, orders] dedupe before the unique index


    def downgrade():
        """Nothing to undo."""
''')


def test_ids_calls_and_contexts():
    rev = scan_source(SOURCE, "v.py")
    assert rev.revision == "abc123" and rev.down_revision == ("m1", "m2")
    assert [(c.name, c.line) for c in rev.upgrade] == [
        ("add_column", 10), ("drop_column", 12), ("execute", 15), ("create_index", 17)]
    add, drop, execute, index = rev.upgrade
    column = params(add)["column"]
    assert isinstance(column, CallValue) and column.kw("nullable") is False and column.kw("server_default") == "0"
    assert drop.batch_table == "<computed>" and table_of(drop) == "<computed>"
    assert execute.in_loop and sql_of(execute) == "UPDATE {…} SET z = 1"
    assert index.in_autocommit and rev.uses_autocommit
    assert rev.rows_change == ("users", "orders")
    assert rev.downgrade_state == "empty" and rev.downgrade_line == 21


def test_syntax_error_is_recorded_with_its_line():
    rev = scan_source("def upgrade(:\n    pass\n", "bad.py")
    assert rev.syntax_error[0] == 1 and rev.upgrade == []


def test_sql_line_map_skips_alembic_bookkeeping():
    sql = ("-- Running upgrade a -> b\n-- rollwise-line: 12\nALTER TABLE t ADD x int;\n\n"
           "UPDATE alembic_version SET v='b';\n")
    assert sql_line_map(sql) == [None, 12, 12, 12, None]
