"""Suppressions: one with a reason (applies), one without (invalid), one that matches nothing."""
from alembic import op

revision = "d12"
down_revision = None


def upgrade():
    # rollwise: ignore[create-index-not-concurrent] audit_log has under 1000 rows and no writers during deploys
    op.create_index("ix_audit_at", "audit_log", ["at"])
    op.create_index("ix_audit_user", "audit_log", ["user_id"])  # rollwise: ignore[create-index-not-concurrent]  # expect: invalid-directive, create-index-not-concurrent
    op.create_index("ix_audit_kind", "audit_log", ["kind"], postgresql_concurrently=True)  # expect: concurrent-index-in-transaction
    # rollwise: ignore[drop-column] kept from an earlier draft  # expect: unused-suppression


def downgrade():
    op.drop_index("ix_audit_kind", table_name="audit_log")
    op.drop_index("ix_audit_user", table_name="audit_log")
    op.drop_index("ix_audit_at", table_name="audit_log")
