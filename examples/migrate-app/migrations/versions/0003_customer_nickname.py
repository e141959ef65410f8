"""Expand: a nullable nickname, and an index built without blocking writes."""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade():
    op.add_column("customers", sa.Column("nickname", sa.String(80), nullable=True))
    with op.get_context().autocommit_block():
        op.create_index("ix_customers_nickname", "customers", ["nickname"], postgresql_concurrently=True,
                        if_not_exists=True)


def downgrade():
    with op.get_context().autocommit_block():
        op.drop_index("ix_customers_nickname", table_name="customers", postgresql_concurrently=True,
                      if_exists=True)
    op.drop_column("customers", "nickname")
