"""Fault injection: changes users, then waits until the test kills the process (SIGKILL mid-migration).

It writes $ROLLWISE_FAULT_DIR/reached when it is inside its transaction and then waits for
$ROLLWISE_FAULT_DIR/continue (which a rerun creates first, so the rerun passes straight through).

Revision ID: 0006
Revises: 0005
"""
import os
import time
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("last_seen_at", sa.DateTime(), nullable=True))
    signals = Path(os.environ["ROLLWISE_FAULT_DIR"])
    (signals / "reached").write_text(str(os.getpid()))
    deadline = time.monotonic() + 60
    while not (signals / "continue").exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def downgrade() -> None:
    op.drop_column("users", "last_seen_at")
