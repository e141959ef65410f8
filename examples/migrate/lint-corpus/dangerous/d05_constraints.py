"""Constraints that validate under lock on existing tables."""
from alembic import op

revision = "d05"
down_revision = None


def upgrade():  # expect: contract-step
    op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"])  # expect: add-foreign-key-validating
    op.create_check_constraint("ck_total", "orders", "total >= 0")  # expect: add-check-validating
    op.create_unique_constraint("uq_users_email", "users", ["email"])  # expect: add-unique-constraint
    op.create_primary_key("pk_events", "events", ["id"])  # expect: add-primary-key


def downgrade():
    op.drop_constraint("pk_events", "events", type_="primary")
    op.drop_constraint("uq_users_email", "users", type_="unique")
    op.drop_constraint("ck_total", "orders", type_="check")
    op.drop_constraint("fk_orders_user", "orders", type_="foreignkey")
