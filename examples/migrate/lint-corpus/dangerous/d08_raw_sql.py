"""Raw SQL: a destructive statement, an enum change and an opaque statement."""
from alembic import op

revision = "d08"
down_revision = None


def upgrade():  # expect: mixed-expand-contract
    op.execute("ALTER TABLE users DROP COLUMN nickname")  # expect: drop-column
    op.execute("ALTER TYPE order_status ADD VALUE 'refunded'")  # expect: enum-change
    op.execute("CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql")  # expect: raw-sql
    op.execute("TRUNCATE audit_log")  # expect: truncate-table


def downgrade():
    op.execute("ALTER TABLE users ADD COLUMN nickname text")
