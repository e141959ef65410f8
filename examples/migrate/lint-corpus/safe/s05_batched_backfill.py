"""A backfill in batches, outside the DDL transaction."""
import sqlalchemy as sa
from alembic import op

revision = "s05"
down_revision = None


def upgrade():
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        while True:
            done = bind.execute(sa.text(
                "UPDATE orders SET currency = 'EUR' WHERE id IN "
                "(SELECT id FROM orders WHERE currency IS NULL LIMIT 1000)"
            ))
            if not done.rowcount:
                break


def downgrade():
    op.execute("SELECT 1")
