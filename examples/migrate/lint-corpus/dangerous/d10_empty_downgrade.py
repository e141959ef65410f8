"""A downgrade that does nothing."""
import sqlalchemy as sa
from alembic import op

revision = "d10"
down_revision = None


def upgrade():
    op.create_table("tags", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade():  # expect: empty-downgrade
    pass
