"""A revision that cannot be undone."""
import sqlalchemy as sa
from alembic import op

revision = "d09"
down_revision = None


def upgrade():
    op.add_column("users", sa.Column("bio", sa.Text(), nullable=True))


def downgrade():  # expect: missing-downgrade
    raise NotImplementedError("one-way")
