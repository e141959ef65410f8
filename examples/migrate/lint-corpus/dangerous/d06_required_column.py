"""NOT NULL column without a default, a volatile default and a json column."""
import sqlalchemy as sa
from alembic import op

revision = "d06"
down_revision = None


def upgrade():
    op.add_column("users", sa.Column("tenant_id", sa.Integer(), nullable=False))  # expect: add-required-column
    op.add_column("users", sa.Column("token", sa.String(36), server_default=sa.text("gen_random_uuid()")))  # expect: add-column-volatile-default
    op.add_column("users", sa.Column("prefs", sa.JSON(), nullable=True))  # expect: add-column-json
    op.add_column("users", sa.Column("handle", sa.String(30), unique=True))  # expect: add-unique-constraint
    op.add_column("users", sa.Column("region", sa.String(2), index=True))  # expect: create-index-not-concurrent


def downgrade():
    op.drop_column("users", "region")
    op.drop_column("users", "handle")
    op.drop_column("users", "prefs")
    op.drop_column("users", "token")
    op.drop_column("users", "tenant_id")
