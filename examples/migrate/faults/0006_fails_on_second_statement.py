"""Fault injection: the first statement succeeds, the second fails (the audit table it writes to does not exist).

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
    op.add_column("users", sa.Column("referral_code", sa.String(12), nullable=True))
    # rollwise: ignore[raw-sql] a one-row audit insert; it fails on purpose to show the automatic rollback
    op.execute("INSERT INTO audit_events (kind) VALUES ('referral-codes-enabled')")


def downgrade() -> None:
    op.drop_column("users", "referral_code")
