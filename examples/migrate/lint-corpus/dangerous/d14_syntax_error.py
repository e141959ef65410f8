"""A file that does not parse."""
from alembic import op

revision = "d14"
down_revision = None


def upgrade(:  # expect: syntax-error
    op.drop_table("users")
