"""An unbatched backfill in the same transaction as the column it fills."""
import sqlalchemy as sa
from alembic import op

revision = "d07"
down_revision = None


def upgrade():
    op.add_column("orders", sa.Column("currency", sa.String(3), nullable=True))
    op.execute("UPDATE orders SET currency = 'EUR'")  # expect: unbatched-backfill, backfill-in-ddl-transaction


def downgrade():
    op.drop_column("orders", "currency")
