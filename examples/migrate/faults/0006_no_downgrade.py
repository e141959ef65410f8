"""Fault injection: a revision without a working downgrade (restore from the backup is the only way back).

Revision ID: 0006
Revises: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("coupons", sa.Column("id", sa.Integer(), primary_key=True), sa.Column("code", sa.String(20)))
    op.add_column("orders", sa.Column("coupon_id", sa.Integer(), nullable=True))


# rollwise: ignore[missing-downgrade] fault injection: proves the restore path of the rollback ladder
def downgrade() -> None:
    raise NotImplementedError("one-way")
