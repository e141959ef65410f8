"""Customers, keyed by UUID, with a validated e-mail type (sqlalchemy-utils)."""
import sqlalchemy as sa
from alembic import op
from sqlalchemy_utils import EmailType, UUIDType

revision = "0001"
down_revision = None


def upgrade():
    op.create_table(
        "customers",
        sa.Column("id", UUIDType(binary=False), primary_key=True),
        sa.Column("email", EmailType(), nullable=False, unique=True),
    )


def downgrade():
    op.drop_table("customers")
