"""plan runs upgrade -> downgrade -> upgrade of each revision in its trial transaction and compares the schemas:
a downgrade that leaves something behind is an error even where the source cannot show it. Nothing is changed."""

from __future__ import annotations

import json

LEAKY = '''"""Adds a column; the downgrade helper drops an index that never existed, so the column stays."""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade():
    op.add_column("users", sa.Column("score", sa.Integer(), nullable=True))


def _undo(table):
    op.execute(f"DROP INDEX IF EXISTS ix_{table}_scores")


def downgrade():
    _undo("users")
'''


def test_a_downgrade_that_leaves_a_column_fails_the_plan(project, tmp_path):
    project.seed()
    (project.dir / "migrations" / "versions" / "0006_leaky.py").write_text(LEAKY)
    checksums = project.checksums()
    report = tmp_path / "plan.json"
    assert project.rollwise("lint", "--range", "0005:head", "--no-squawk") == 0  # the source cannot show it
    assert project.rollwise("plan", "--report", str(report)) == 1
    [rev] = json.loads(report.read_text())["revisions"]
    trip = rev["trial"]["round_trip"]
    assert rev["trial"]["status"] == "ok" and trip["status"] == "failed-upgrade"
    assert trip["differences"] == ["after downgrade: column users.score is left over"]
    [finding] = [f for f in json.loads(report.read_text())["findings"] if f["rule"] == "downgrade-incomplete"]
    assert finding["severity"] == "error" and finding["line"] == 17
    assert project.revision() == "0005" and project.checksums() == checksums


def test_revisions_whose_downgrade_undoes_them_round_trip_cleanly(sqlite_project, tmp_path):
    project = sqlite_project
    project.seed()
    assert project.rollwise("rollback", "--to", "0003", "--no-backup") == 0
    report = tmp_path / "plan.json"
    assert project.rollwise("plan", "--to", "0004", "--report", str(report)) == 0
    [rev] = json.loads(report.read_text())["revisions"]
    assert rev["trial"]["round_trip"] == {"status": "ok", "differences": []}
    assert project.revision() == "0003"
