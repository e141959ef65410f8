"""Indexes built and dropped under a write lock, and CONCURRENTLY inside a transaction."""
from alembic import op

revision = "d04"
down_revision = None


def upgrade():
    op.create_index("ix_orders_created", "orders", ["created_at"])  # expect: create-index-not-concurrent
    op.create_index("ix_orders_user", "orders", ["user_id"], postgresql_concurrently=True)  # expect: concurrent-index-in-transaction
    op.drop_index("ix_orders_old", table_name="orders")  # expect: drop-index-not-concurrent


def downgrade():
    op.create_index("ix_orders_old", "orders", ["old"])
    op.drop_index("ix_orders_user", table_name="orders")
    op.drop_index("ix_orders_created", table_name="orders")
