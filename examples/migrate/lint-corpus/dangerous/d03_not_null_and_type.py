"""Tighten a column and change a type on an existing table."""
import sqlalchemy as sa
from alembic import op

revision = "d03"
down_revision = None


def upgrade():  # expect: mixed-expand-contract
    op.alter_column("orders", "total", nullable=False)  # expect: set-not-null
    op.alter_column("orders", "code", type_=sa.Integer(), existing_type=sa.String(10))  # expect: change-column-type
    op.alter_column("orders", "note", type_=sa.Text(), existing_type=sa.String(200))


def downgrade():
    op.alter_column("orders", "note", type_=sa.String(200), existing_type=sa.Text())
    op.alter_column("orders", "code", type_=sa.String(10), existing_type=sa.Integer())
    op.alter_column("orders", "total", nullable=True)
