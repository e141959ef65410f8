"""Orders with amounts in the service's own Money type."""
import sqlalchemy as sa
from alembic import op
from shopapp.types import Money
from sqlalchemy_utils import UUIDType

revision = "0002"
down_revision = "0001"


def upgrade():
    op.create_table(
        "orders",
        sa.Column("id", sa.BigInteger(), primary_key=True),
        sa.Column("customer_id", UUIDType(binary=False), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("total", Money(), nullable=False),
    )
    op.create_index("ix_orders_customer_id", "orders", ["customer_id"])


def downgrade():
    op.drop_index("ix_orders_customer_id", table_name="orders")
    op.drop_table("orders")
