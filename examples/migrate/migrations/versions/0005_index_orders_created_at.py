"""Expand: an index on orders.created_at, built concurrently outside the transaction.

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        op.create_index("ix_orders_created_at", "orders", ["created_at"], postgresql_concurrently=True,
                        if_not_exists=True)


def downgrade() -> None:
    with op.get_context().autocommit_block():
        op.drop_index("ix_orders_created_at", table_name="orders", postgresql_concurrently=True, if_exists=True)
