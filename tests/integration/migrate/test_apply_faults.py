"""apply on real SQLite and PostgreSQL with fault injection. Every case asserts the final revision and that every
table's checksum (computed by the database) and every row (read back independently) equal their values before."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support.clock import FakeClock

ROLLWISE = str(Path(sys.executable).with_name("rollwise"))


def test_apply_applies_and_verifies_with_backup(project, tmp_path):
    project.seed()
    project.add_fault("0006_locks_users.py")
    before = project.contents()
    report = tmp_path / "apply.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 0
    assert project.revision() == "0006"
    payload = json.loads(report.read_text())
    assert payload["status"] == "applied" and payload["from_revision"] == "0005" and payload["to_revision"] == "0006"
    assert Path(payload["backup_path"]).is_file() and Path(payload["backup_path"] + ".json").is_file()
    verdicts = {c["table"]: c for c in payload["integrity"]}
    assert verdicts["orders"]["checksum_before"] == verdicts["orders"]["checksum_after"]
    assert verdicts["users"]["rows_before"] == verdicts["users"]["rows_after"] == 120
    # users gained a column; the rows over the old columns are unchanged
    old_columns = {t: tuple(c for c in payload["before"][t]["columns"]) for t in payload["before"]}
    assert project.contents(old_columns) == before


def test_revision_failing_on_second_statement_rolls_back_by_transaction(project, tmp_path):
    project.seed()
    project.add_fault("0006_fails_on_second_statement.py")
    checksums, rows = project.checksums(), project.contents()
    report = tmp_path / "r.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 1
    payload = json.loads(report.read_text())
    assert payload["status"] == "rolled-back" and payload["recovery"]["method"] == "transaction"
    assert "audit_events" in payload["steps"][0]["error"]
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows


def test_failing_verify_command_downgrades_to_start(project, tmp_path):
    project.seed()
    project.add_fault("0006_locks_users.py")
    checksums, rows = project.checksums(), project.contents()
    report = tmp_path / "r.json"
    verify = f"{sys.executable} -c \"import os, sys; print(os.environ['DATABASE_URL'][:5]); sys.exit(4)\""
    code = project.rollwise("apply", "--report", str(report), "--verify", verify, "--backup-dir", str(tmp_path / "b"))
    assert code == 1
    payload = json.loads(report.read_text())
    assert payload["verify"]["exit_code"] == 4
    assert payload["status"] == "rolled-back" and payload["recovery"]["method"] == "downgrade"
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows


def test_revision_without_downgrade_is_restored_from_backup(project, tmp_path):
    project.seed()
    project.add_fault("0006_no_downgrade.py")
    checksums, rows = project.checksums(), project.contents()
    report = tmp_path / "r.json"
    code = project.rollwise("apply", "--report", str(report), "--verify", "false", "--restore-on-failure",
                            "--backup-dir", str(tmp_path / "b"))
    assert code == 1
    payload = json.loads(report.read_text())
    assert [s["method"] for s in payload["recovery"]["ladder"]] == ["downgrade", "restore"]
    assert payload["status"] == "restored"
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows


def test_revision_without_downgrade_and_no_restore_fails_loudly_with_the_backup(project, tmp_path, capsys):
    project.seed()
    project.add_fault("0006_no_downgrade.py")
    report = tmp_path / "r.json"
    assert project.rollwise("apply", "--report", str(report), "--verify", "false",
                            "--backup-dir", str(tmp_path / "b")) == 1
    payload = json.loads(report.read_text())
    assert payload["status"] == "failed" and project.revision() == "0006"
    assert payload["backup_path"] in payload["message"] and "ROLLBACK FAILED" in payload["message"]


def test_sigkill_mid_migration_leaves_the_start_state_and_a_rerun_applies(project, tmp_path):
    project.seed()
    project.add_fault("0006_waits_for_signal.py")
    checksums, rows = project.checksums(), project.contents()
    signals = tmp_path / "signals"
    signals.mkdir()
    env = {**os.environ, "ROLLWISE_FAULT_DIR": str(signals)}
    cmd = [ROLLWISE, "migrate", "apply", "--alembic-config", project.ini, "--database-url", project.url,
           "--backup-dir", str(tmp_path / "b")]
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (signals / "reached").exists():
        assert process.poll() is None, process.stderr.read().decode()
        assert time.monotonic() < deadline, "the revision never reached its wait point"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows

    (signals / "continue").write_text("go")
    rerun = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert project.revision() == "0006"
    columns = {t: cols for t, (cols, _, _) in checksums.items()}
    assert project.contents(columns) == rows


def test_lock_held_by_another_session_times_out_retries_and_exits_3(pg_project, tmp_path, monkeypatch):
    project = pg_project
    clock = FakeClock()  # the backoff sleeps are recorded, not waited
    monkeypatch.setattr("rollwise.clock.SYSTEM", clock)
    project.seed()
    project.add_fault("0006_locks_users.py")
    checksums, rows = project.checksums(), project.contents()
    engine = project.engine()
    holder = engine.connect()
    holder.exec_driver_sql("BEGIN")
    holder.exec_driver_sql("LOCK TABLE users IN ACCESS SHARE MODE")
    holder.exec_driver_sql("SELECT count(*) FROM users").all()
    report = tmp_path / "r.json"
    try:
        code = project.rollwise("apply", "--report", str(report), "--lock-timeout", "0.2", "--lock-retries", "2",
                                "--retry-backoff", "0.1", "--backup-dir", str(tmp_path / "b"))
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()
    assert code == 3
    payload = json.loads(report.read_text())
    assert payload["status"] == "lock-timeout"
    assert payload["steps"][0]["attempts"] == 3 and "lock timeout" in payload["steps"][0]["error"]
    assert any("users" in b for b in payload["blockers"])
    assert clock.sleeps == [0.1, 0.2]  # exponential backoff between the three attempts
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows


def test_lock_released_during_backoff_lets_the_retry_succeed(pg_project, tmp_path):
    project = pg_project
    project.seed()
    project.add_fault("0006_locks_users.py")
    engine = project.engine()
    holder = engine.connect()
    holder.exec_driver_sql("BEGIN")
    holder.exec_driver_sql("LOCK TABLE users IN ACCESS SHARE MODE")
    release = threading.Timer(0.6, lambda: (holder.rollback(), holder.close()))
    release.start()
    try:
        code = project.rollwise("apply", "--lock-timeout", "0.2", "--lock-retries", "5", "--retry-backoff", "0.2",
                                "--backup-dir", str(tmp_path / "b"))
    finally:
        release.join()
        engine.dispose()
    assert code == 0 and project.revision() == "0006"


@pytest.mark.parametrize("flag", ["--no-lint", "--lint"], ids=["lint-off", "lint-on"])
def test_lint_errors_refuse_apply_before_anything_changes(sqlite_project, tmp_path, flag):
    project = sqlite_project
    project.seed()
    revision = project.dir / "migrations" / "versions" / "0006_drop.py"
    revision.write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    op.drop_column("users", "nickname")\n\n\ndef downgrade():\n    pass\n'
    )
    checksums = project.checksums()
    code = project.rollwise("apply", flag, "--backup-dir", str(tmp_path / "b"))
    if flag == "--lint":
        assert code == 1 and project.revision() == "0005" and not (tmp_path / "b").exists()
        assert project.checksums() == checksums
    else:
        assert code == 0 and project.revision() == "0006"


HIDDEN_WRITE = '''"""Changes plans through a statement rollwise cannot attribute to a table."""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"

# rollwise: ignore-file[raw-sql] test revision
_SQL = {statements}


def upgrade():
    op.add_column("users", sa.Column("locale", sa.String(10), nullable=True))
    op.execute(_SQL)


def downgrade():
    op.drop_column("users", "locale")
'''


@pytest.mark.parametrize("skip", [False, True], ids=["checked", "skipped"])
def test_change_to_an_untouched_table_is_caught_and_rolled_back(project, tmp_path, skip):
    project.seed()
    statement = {"sqlite": "WITH x AS (SELECT 1) UPDATE plans SET monthly_cents = monthly_cents + 1",
                 "postgres": "DO $$ BEGIN EXECUTE 'UP' || 'DATE plans SET monthly_cents = monthly_cents + 1'; END $$"}
    path = project.dir / "migrations" / "versions" / "0006_hidden.py"
    path.write_text(HIDDEN_WRITE.replace("{statements}", repr(statement[project.backend])))
    checksums = project.checksums()
    report = tmp_path / "r.json"
    args = ["apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")]
    code = project.rollwise(*args, *(["--skip-table", "plans"] if skip else []))
    payload = json.loads(report.read_text())
    if skip:
        assert code == 0 and project.revision() == "0006"
        assert "plans" not in {c["table"] for c in payload["integrity"]}
    else:
        assert code == 1 and payload["status"] == "rolled-back"
        assert "plans changed, but no revision touches it" in payload["message"]
        assert payload["recovery"]["method"] == "transaction"
        assert project.revision() == "0005" and project.checksums() == checksums


def test_autocommit_revision_failing_midway_is_undone_by_its_downgrade(pg_project, tmp_path):
    project = pg_project
    project.seed()
    (project.dir / "migrations" / "versions" / "0006_concurrent.py").write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.create_index("ix_users_name", "users", ["name"], postgresql_concurrently=True,\n'
        '                        if_not_exists=True)\n'
        '        op.execute("SELECT no_such_function()")\n\n\n'
        'def downgrade():\n    with op.get_context().autocommit_block():\n'
        '        op.drop_index("ix_users_name", table_name="users", postgresql_concurrently=True, if_exists=True)\n'
    )
    checksums, rows = project.checksums(), project.contents()
    report = tmp_path / "r.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 1
    payload = json.loads(report.read_text())
    assert payload["status"] == "rolled-back" and payload["recovery"]["method"] == "downgrade"
    assert payload["steps"][0]["mode"] == "autocommit"
    engine = project.engine()
    with engine.connect() as conn:
        indexes = conn.exec_driver_sql("SELECT indexname FROM pg_indexes WHERE tablename = 'users'").scalars().all()
    engine.dispose()
    assert "ix_users_name" not in indexes
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows


def test_small_tables_relax_locking_errors_only_when_asked(pg_project, tmp_path):
    project = pg_project
    project.seed()
    (project.dir / "migrations" / "versions" / "0006_index.py").write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    op.create_index("ix_users_name", "users", ["name"])\n\n\n'
        'def downgrade():\n    op.drop_index("ix_users_name", table_name="users")\n'
    )
    engine = project.engine()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE users")
    engine.dispose()
    report = tmp_path / "r.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b"),
                            "--small-table-rows", "100") == 1
    assert json.loads(report.read_text())["status"] == "refused"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b"),
                            "--small-table-rows", "1000") == 0
    [finding] = json.loads(report.read_text())["findings"]
    assert finding["severity"] == "warning" and "about 120 rows" in finding["message"]


def test_failure_after_committed_revisions_downgrades_them_all(project, tmp_path):
    project.seed()
    assert project.rollwise("rollback", "--to", "0003", "--no-backup") == 0
    project.add_fault("0006_fails_on_second_statement.py")
    checksums, rows = project.checksums(), project.contents()
    report = tmp_path / "r.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 1
    payload = json.loads(report.read_text())
    assert [(s["revision"], s["status"]) for s in payload["steps"]] == [
        ("0004", "done"), ("0005", "done"), ("0006", "failed")]
    assert payload["status"] == "rolled-back" and payload["recovery"]["method"] == "downgrade"
    assert project.revision() == "0003"
    assert project.checksums() == checksums and project.contents() == rows


KILL_OTHERS = (
    "import os, psycopg; "
    "url = os.environ['DATABASE_URL'].replace('postgresql+psycopg', 'postgresql'); "
    "conn = psycopg.connect(url, autocommit=True); "
    "conn.execute('SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()'); "
    "raise SystemExit(1)"
)


def test_connection_killed_during_verify_reconnects_and_rolls_back(pg_project, tmp_path, capsys):
    project = pg_project
    project.seed()
    project.add_fault("0006_locks_users.py")
    checksums, rows = project.checksums(), project.contents()
    report = tmp_path / "r.json"
    code = project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b"),
                            "--verify", f'{sys.executable} -c "{KILL_OTHERS}"')
    assert code == 1
    payload = json.loads(report.read_text())
    assert payload["status"] == "rolled-back" and payload["recovery"]["method"] == "downgrade"
    assert "the connection was lost; reconnecting" in capsys.readouterr().err
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows


def test_sqlite_writer_lock_times_out_retries_and_exits_3(sqlite_project, tmp_path):
    import sqlite3

    project = sqlite_project
    project.seed()
    project.add_fault("0006_locks_users.py")
    checksums, rows = project.checksums(), project.contents()
    holder = sqlite3.connect(project.url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # a writer: readers go on, other writers wait
    holder.execute("UPDATE plans SET name = name")
    report = tmp_path / "r.json"
    try:
        code = project.rollwise("apply", "--report", str(report), "--lock-timeout", "0.2", "--lock-retries", "1",
                                "--retry-backoff", "0.1", "--backup-dir", str(tmp_path / "b"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 3
    payload = json.loads(report.read_text())
    assert payload["status"] == "lock-timeout" and payload["steps"][0]["attempts"] == 2
    assert "database is locked" in payload["steps"][0]["error"]
    assert project.revision() == "0005"
    assert project.checksums() == checksums and project.contents() == rows


def test_exclusively_locked_database_is_inconclusive_before_anything_changes(sqlite_project, tmp_path, capsys):
    import sqlite3

    project = sqlite_project
    project.seed()
    project.add_fault("0006_locks_users.py")
    holder = sqlite3.connect(project.url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code = project.rollwise("apply", "--lock-timeout", "0.2", "--backup-dir", str(tmp_path / "b"))
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 3
    assert "nothing was changed" in capsys.readouterr().err
    assert project.revision() == "0005"
