"""Create users and the plans reference table.

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    plans = op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False, unique=True),
        sa.Column("monthly_cents", sa.Integer(), nullable=False),
    )
    op.bulk_insert(plans, [
        {"id": 1, "name": "free", "monthly_cents": 0},
        {"id": 2, "name": "team", "monthly_cents": 1900},
        {"id": 3, "name": "business", "monthly_cents": 9900},
    ])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("email", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("plan_id", sa.Integer(), sa.ForeignKey("plans.id"), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("users")
    op.drop_table("plans")
