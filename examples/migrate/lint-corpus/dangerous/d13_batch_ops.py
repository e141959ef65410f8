"""Dangerous ops inside batch_alter_table, and a backfill through the bind."""
import sqlalchemy as sa
from alembic import op

revision = "d13"
down_revision = None


def upgrade():  # expect: contract-step
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.drop_column("paid")  # expect: drop-column, batch-table-rebuild
        batch_op.alter_column("amount", nullable=False)  # expect: set-not-null
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM invoices WHERE amount IS NULL"))  # expect: unbatched-backfill, backfill-in-ddl-transaction


def downgrade():
    with op.batch_alter_table("invoices") as batch_op:
        batch_op.alter_column("amount", nullable=True)
        batch_op.add_column(sa.Column("paid", sa.Boolean(), nullable=True))
