"""Drop a column the running release still reads."""
import sqlalchemy as sa
from alembic import op

revision = "d01"
down_revision = None


def upgrade():  # expect: contract-step
    op.drop_column("users", "legacy_name")  # expect: drop-column


def downgrade():
    op.add_column("users", sa.Column("legacy_name", sa.String(80), nullable=True))
