"""SQL the source does not spell out (a module constant, an f-string, a SQLAlchemy expression) is judged from
what Alembic renders for its line when the revision imports; without the import it stays a raw-sql warning."""

from __future__ import annotations

import json

COMPUTED = '''import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
TABLE = "orders"
REBUILD = f"CLUSTER {TABLE} USING orders_pkey"


def upgrade():
    op.execute(sa.text(REBUILD))
    op.execute(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")


def downgrade():
    op.execute("SELECT 1")  # nothing to undo
'''


def _findings(project, tmp_path) -> list[tuple[str, str, int]]:
    report = tmp_path / "lint.json"
    project.rollwise("lint", "--range", "0005:head", "--squawk", "--report", str(report))
    return [(f["rule"], f["severity"], f["line"]) for f in json.loads(report.read_text())["findings"]
            if f["source"] == "alembic"]


def test_computed_sql_is_judged_from_its_rendering(sqlite_project, tmp_path):
    (sqlite_project.dir / "migrations" / "versions" / "0006_computed.py").write_text(COMPUTED)
    assert _findings(sqlite_project, tmp_path) == [("cluster-table", "error", 11), ("lock-table", "error", 12)]


def test_without_the_import_it_is_a_raw_sql_warning(sqlite_project, tmp_path):
    path = sqlite_project.dir / "migrations" / "versions" / "0006_computed.py"
    path.write_text("import app_not_installed\n" + COMPUTED)
    assert _findings(sqlite_project, tmp_path) == [("raw-sql", "warning", 12), ("raw-sql", "warning", 13)]
