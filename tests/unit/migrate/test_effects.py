"""downgrade() compared with upgrade(): what is reported, and what a computed name or a helper keeps unjudged."""

from __future__ import annotations

import pytest

from rollwise.migrate.model.rules.reversibility import check
from rollwise.migrate.model.scan import scan_source


def incomplete(upgrade: str, downgrade: str) -> list[str]:
    text = ("import sqlalchemy as sa\nfrom alembic import op\nrevision = 'r1'\ndown_revision = None\n\n"
            "def upgrade():\n    " + upgrade.replace("\n", "\n    ") +
            "\n\ndef downgrade():\n    " + downgrade.replace("\n", "\n    ") + "\n")
    return [f.message.split(":")[0] for f in check(scan_source(text, "r1.py")) if f.rule == "downgrade-incomplete"]


@pytest.mark.parametrize("upgrade, downgrade", [
    ('op.add_column("t", sa.Column("a", sa.Text()))', 'op.drop_column("t", "a")'),
    ('op.create_table("n", sa.Column("id", sa.Integer()))\nop.create_index("ix_n", "n", ["id"])', 'op.drop_table("n")'),
    ('op.drop_constraint("fk", "t")\nop.create_foreign_key("fk", "t", "u", ["u_id"], ["id"])', 'pass'),
    ('op.add_column("t", sa.Column("b", sa.Text()))\nop.drop_column("t", "a")\n'
     'op.alter_column("t", "b", new_column_name="a")', 'op.execute("SELECT 1")'),
    ('op.execute("CREATE INDEX CONCURRENTLY ix_a ON t (a)")', 'op.execute("DROP INDEX CONCURRENTLY ix_a")'),
    ('op.add_column("t", sa.Column("a", sa.Text()))', 'for name in ("a",):\n        op.drop_column("t", name)'),
    ('op.add_column("t", sa.Column("a", sa.Text()))', 'drop_everything()'),
    ('op.add_column("t", sa.Column("a", sa.Text()))', 'op.execute(f"ALTER TABLE t DROP COLUMN {name}")'),
    ('op.rename_table("a", "b")', 'op.rename_table("b", "a")'),
], ids=["column", "index-with-its-table", "replaced-constraint", "swapped-column", "raw-index", "loop", "helper",
        "computed-sql", "rename"])
def test_undone_or_unknowable_is_not_reported(upgrade, downgrade):
    assert incomplete(upgrade, downgrade) == []


@pytest.mark.parametrize("upgrade, downgrade, message", [
    ('op.add_column("t", sa.Column("a", sa.Text()))\nop.add_column("t", sa.Column("b", sa.Text()))',
     'op.drop_column("t", "a")', "upgrade() creates column t.b (line 8) and downgrade() does not drop it"),
    ('op.drop_index("ix_old", table_name="t")', 'op.execute("SELECT 1")',
     "upgrade() drops index ix_old (line 7) and downgrade() does not create it again"),
    ('op.execute("ALTER TABLE t ADD CONSTRAINT ck CHECK (a > 0) NOT VALID")', 'op.execute("SELECT 1")',
     "upgrade() creates constraint ck (line 7) and downgrade() does not drop it"),
], ids=["column", "index", "raw-constraint"])
def test_what_downgrade_leaves_is_reported(upgrade, downgrade, message):
    assert incomplete(upgrade, downgrade) == [message]
