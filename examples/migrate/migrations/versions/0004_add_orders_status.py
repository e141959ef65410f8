"""Expand: orders.status with a constant default (no table rewrite on PostgreSQL 11+).

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("orders", sa.Column("status", sa.String(20), nullable=False, server_default="placed"))


def downgrade() -> None:
    op.drop_column("orders", "status")
