"""Nullable columns and a constant default: no rewrite, old code unaffected."""
import sqlalchemy as sa
from alembic import op

revision = "s02"
down_revision = None


def upgrade():
    op.add_column("users", sa.Column("nickname", sa.String(80), nullable=True))
    op.add_column("users", sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.text("true")))
    op.add_column("users", sa.Column("prefs", sa.dialects.postgresql.JSONB(), nullable=True))


def downgrade():
    op.drop_column("users", "prefs")
    op.drop_column("users", "active")
    op.drop_column("users", "nickname")
