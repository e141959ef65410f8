"""New tables with their indexes and constraints: nothing else can be using them yet."""
import sqlalchemy as sa
from alembic import op

revision = "s01"
down_revision = None


def upgrade():
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(80), nullable=False),
    )
    op.create_index("ix_projects_owner", "projects", ["owner_id"])
    op.create_unique_constraint("uq_projects_name", "projects", ["owner_id", "name"])


def downgrade():
    op.drop_constraint("uq_projects_name", "projects", type_="unique")
    op.drop_index("ix_projects_owner", table_name="projects", postgresql_concurrently=False)
    op.drop_table("projects")
