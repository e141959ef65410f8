"""Adds a replacement column and drops the old one in one step."""
import sqlalchemy as sa
from alembic import op

revision = "d11"
down_revision = None


def upgrade():  # expect: mixed-expand-contract
    op.add_column("users", sa.Column("display_name", sa.String(80), nullable=True))
    op.drop_column("users", "nickname")  # expect: drop-column


def downgrade():
    op.add_column("users", sa.Column("nickname", sa.String(80), nullable=True))
    op.drop_column("users", "display_name")
