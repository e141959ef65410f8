"""Rename a table and a column in place."""
from alembic import op

revision = "d02"
down_revision = None


def upgrade():  # expect: contract-step
    op.rename_table("customers", "clients")  # expect: rename-table
    op.alter_column("orders", "cust_id", new_column_name="client_id")  # expect: rename-column


def downgrade():
    op.alter_column("orders", "client_id", new_column_name="cust_id")
    op.rename_table("clients", "customers")
