"""squawk (the squawk-cli binary) on one revision's offline PostgreSQL SQL, mapped back to the op.* lines."""

from __future__ import annotations

from rollwise.migrate.adapters import squawk
from rollwise.migrate.adapters.alembic import MARKER, sql_line_map


def test_offline_sql_carries_a_marker_per_op_line(sqlite_project):
    from rollwise.migrate.adapters.alembic import Project

    project = Project(sqlite_project.ini)
    sql = project.offline_sql(project.revision("0004"), "postgresql+psycopg://")
    assert f"{MARKER}16" in sql  # the op.add_column line of 0004
    lines = sql.splitlines()
    mapping = sql_line_map(sql)
    alter = next(i for i, line in enumerate(lines) if line.startswith("ALTER TABLE orders ADD COLUMN status"))
    assert mapping[alter] == 16
    update = next(i for i, line in enumerate(lines) if line.startswith("UPDATE alembic_version"))
    assert mapping[update] is None


def test_squawk_findings_map_to_revision_lines(sqlite_project):
    from rollwise.migrate.adapters.alembic import Project

    path = sqlite_project.dir / "migrations" / "versions" / "0006_sql.py"
    path.write_text(
        'import sqlalchemy as sa\nfrom alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\n'
        'def upgrade():\n'
        '    op.add_column("users", sa.Column("score", sa.Integer(), nullable=True))\n'
        '    op.execute("ALTER TABLE orders ALTER COLUMN total_cents DROP NOT NULL")\n'
        '    op.drop_column("users", "nickname")\n\n\n'
        'def downgrade():\n    pass\n'
    )
    project = Project(sqlite_project.ini)
    found, problem = squawk.lint_revision(project, project.revision("0006"), "postgresql+psycopg://")
    assert problem is None
    got = {(f.rule, f.line) for f in found}
    assert ("ban-drop-not-null", 9) in got and ("ban-drop-column", 10) in got
    assert all(f.source == "squawk" and f.file == str(path) for f in found)
    assert not any(rule.startswith("require-") and "timeout" in rule for rule, _ in got)
