"""A small reference table with its rows."""
import sqlalchemy as sa
from alembic import op

revision = "s06"
down_revision = None


def upgrade():
    plans = op.create_table(
        "plans",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(40), nullable=False),
    )
    op.bulk_insert(plans, [{"id": 1, "name": "free"}, {"id": 2, "name": "team"}])


def downgrade():
    op.drop_table("plans")
