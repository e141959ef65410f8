"""Constraints added NOT VALID (validated in the next revision): the first step of the safe recipe, not a contract."""
from alembic import op

revision = "s04"
down_revision = None


def upgrade():
    op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"], postgresql_not_valid=True)
    op.create_check_constraint("ck_total", "orders", "total >= 0", postgresql_not_valid=True)


def downgrade():
    op.drop_constraint("ck_total", "orders", type_="check")
    op.drop_constraint("fk_orders_user", "orders", type_="foreignkey")
