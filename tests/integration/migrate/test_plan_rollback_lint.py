"""plan (trial run rolled back), rollback (downgrade and restore) and lint against a database, with squawk."""

from __future__ import annotations

import json

import sqlalchemy as sa


def test_plan_trial_runs_and_rolls_back(pg_project, tmp_path):
    project = pg_project
    project.seed()
    assert project.rollwise("rollback", "--to", "0003", "--no-backup") == 0
    checksums = project.checksums()
    report = tmp_path / "plan.json"
    assert project.rollwise("plan", "--report", str(report)) == 0
    payload = json.loads(report.read_text())
    assert payload["current"] == "0003" and payload["target"] == "0005"
    by_rev = {r["revision"]: r for r in payload["revisions"]}
    assert by_rev["0004"]["trial"]["status"] == "ok"
    assert by_rev["0005"]["trial"]["status"] == "skipped"  # CONCURRENTLY cannot run in a transaction
    assert "ALTER TABLE orders ADD COLUMN status" in by_rev["0004"]["sql"]
    assert "CREATE INDEX CONCURRENTLY" in by_rev["0005"]["sql"]
    assert by_rev["0004"]["table_sizes"]["orders"]["bytes"] > 0
    assert project.revision() == "0003" and project.checksums() == checksums


def test_plan_reports_a_failing_trial(sqlite_project, tmp_path):
    project = sqlite_project
    project.seed()
    project.add_fault("0006_fails_on_second_statement.py")
    checksums = project.checksums()
    report = tmp_path / "plan.json"
    assert project.rollwise("plan", "--report", str(report)) == 1
    [rev] = json.loads(report.read_text())["revisions"]
    assert rev["trial"]["status"] == "failed" and "audit_events" in rev["trial"]["error"]
    assert project.revision() == "0005" and project.checksums() == checksums


def test_rollback_to_revision_keeps_untouched_tables_identical(project, tmp_path):
    project.seed()
    before = project.checksums()
    report = tmp_path / "rb.json"
    assert project.rollwise("rollback", "--to", "0003", "--report", str(report),
                            "--backup-dir", str(tmp_path / "b")) == 0
    payload = json.loads(report.read_text())
    assert payload["status"] == "rolled-back" and project.revision() == "0003"
    assert [s["revision"] for s in payload["steps"]] == ["0005 -> 0004", "0004 -> 0003"]
    after = project.checksums()
    assert after["plans"] == before["plans"] and after["users"] == before["users"]
    assert after["orders"][1] == before["orders"][1]


def test_rollback_restores_a_backup_and_checks_its_manifest(project, tmp_path):
    project.seed()
    before = project.checksums()
    report = tmp_path / "apply.json"
    project.add_fault("0006_locks_users.py")
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 0
    backup = json.loads(report.read_text())["backup_path"]
    engine = project.engine()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM orders WHERE id > 100"))
    engine.dispose()
    out = tmp_path / "restore.json"
    assert project.rollwise("rollback", "--backup-file", backup, "--report", str(out)) == 0
    payload = json.loads(out.read_text())
    assert payload["status"] == "restored" and all(c["ok"] for c in payload["integrity"])
    assert project.revision() == "0005" and project.checksums() == before


def test_lint_pending_revisions_from_the_database_with_squawk(pg_project, tmp_path):
    project = pg_project
    project.seed()
    revision = project.dir / "migrations" / "versions" / "0006_relax.py"
    revision.write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    op.execute("ALTER TABLE users ALTER COLUMN name DROP NOT NULL")\n'
        '    op.create_index("ix_users_name", "users", ["name"])\n\n\n'
        'def downgrade():\n    op.drop_index("ix_users_name", table_name="users")\n'
    )
    report = tmp_path / "lint.json"
    assert project.rollwise("lint", "--report", str(report)) == 1
    payload = json.loads(report.read_text())
    assert payload["range"] == {"from": "0005", "to": "0006"} and payload["squawk"] == "ran"
    found = {(f["rule"], f["line"], f["source"]) for f in payload["findings"]}
    assert ("ban-drop-not-null", 7, "squawk") in found
    assert ("create-index-not-concurrent", 8, "alembic") in found
    # squawk's require-concurrent-index-creation is the same danger on the same line: reported once
    assert not any(rule == "require-concurrent-index-creation" for rule, _, _ in found)


def test_plan_counts_the_rows_that_would_make_a_tightening_fail(project, tmp_path):
    project.seed()
    engine = project.engine()
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE users SET nickname = 'n' || id WHERE id > 20"))
        conn.execute(sa.text("UPDATE users SET name = 'Twin' WHERE id IN (1, 2, 3)"))
    engine.dispose()
    (project.dir / "migrations" / "versions" / "0006_tighten.py").write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    op.alter_column("users", "nickname", nullable=False)\n'
        '    op.create_unique_constraint("uq_users_name", "users", ["name"])\n'
        '    op.create_check_constraint("ck_orders_total", "orders", "total_cents < 2000")\n\n\n'
        'def downgrade():\n    op.drop_constraint("ck_orders_total", "orders", type_="check")\n'
        '    op.drop_constraint("uq_users_name", "users", type_="unique")\n'
        '    op.alter_column("users", "nickname", nullable=True)\n'
    )
    report = tmp_path / "plan.json"
    assert project.rollwise("plan", "--report", str(report), "--allow-contract", "0006") == 1
    [rev] = json.loads(report.read_text())["revisions"]
    counts = {(c["line"], c["table"]): c["count"] for c in rev["preflight"]}
    assert counts == {(7, "users"): 20, (8, "users"): 1, (9, "orders"): 15}
    assert project.revision() == "0005"


def test_lint_report_lists_suppressions_with_their_reasons(sqlite_project, tmp_path):
    project = sqlite_project
    (project.dir / "migrations" / "versions" / "0006_reviewed.py").write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    # rollwise: ignore[create-index-not-concurrent] until=2999-01-01 users is tiny in every environment\n'
        '    op.create_index("ix_users_name", "users", ["name"])\n\n\n'
        'def downgrade():\n    op.drop_index("ix_users_name", table_name="users")\n'
    )
    report = tmp_path / "lint.json"
    assert project.rollwise("lint", "--range", "0005:head", "--report", str(report)) == 0
    payload = json.loads(report.read_text())
    assert payload["status"] == "clean" and payload["findings"] == []
    assert payload["suppressed"] == [{"rule": "create-index-not-concurrent", "file": payload["suppressed"][0]["file"],
                                      "line": 8, "reason": "users is tiny in every environment",
                                      "until": "2999-01-01"}]
    assert payload["suppressed"][0]["file"].endswith("migrations/versions/0006_reviewed.py")
