"""An index built concurrently outside the transaction."""
from alembic import op

revision = "s03"
down_revision = None


def upgrade():
    with op.get_context().autocommit_block():
        op.create_index("ix_orders_created", "orders", ["created_at"], postgresql_concurrently=True,
                        if_not_exists=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index("ix_orders_created", table_name="orders", postgresql_concurrently=True, if_exists=True)
