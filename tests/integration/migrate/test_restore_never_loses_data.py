"""A restore never leaves the database worse than it was: a damaged or wrong backup file is refused before
anything changes, and a restore that fails or does not match its manifest puts the previous data back.
Runs on SQLite and on the session's real PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa


def _backup(project, tmp_path) -> Path:
    """Seed the project, take a backup through apply, then change data so a restore has something to undo."""
    project.seed()
    project.add_fault("0006_locks_users.py")
    report = tmp_path / "apply.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 0
    return Path(json.loads(report.read_text())["backup_path"])


def _change_data(project) -> None:
    engine = project.engine()
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM orders WHERE id > 250"))
    engine.dispose()


def _state(project):
    return project.revision(), project.checksums(), project.contents()


def test_a_truncated_backup_is_refused_and_nothing_changes(project, tmp_path, capsys):
    backup = _backup(project, tmp_path)
    _change_data(project)
    before = _state(project)
    truncated = tmp_path / f"truncated{backup.suffix}"
    truncated.write_bytes(backup.read_bytes()[: backup.stat().st_size * 2 // 3])
    assert project.rollwise("rollback", "--backup-file", str(truncated)) == 2
    assert "nothing was changed" in capsys.readouterr().err
    assert _state(project) == before


def test_a_backup_that_differs_from_its_manifest_is_refused_before_the_database_is_touched(project, tmp_path,
                                                                                          capsys):
    backup = _backup(project, tmp_path)
    _change_data(project)
    before = _state(project)
    with backup.open("ab") as handle:  # still a readable archive, but not the one the manifest describes
        handle.write(b"\0" * 16)
    assert project.rollwise("rollback", "--backup-file", str(backup)) == 2
    err = capsys.readouterr().err
    assert "not the file its manifest describes" in err and "archive" in err
    assert _state(project) == before


def test_passing_the_manifest_instead_of_the_backup_is_refused(project, tmp_path, capsys):
    backup = _backup(project, tmp_path)
    _change_data(project)
    before = _state(project)
    assert project.rollwise("rollback", "--backup-file", f"{backup}.json") == 2
    err = capsys.readouterr().err
    assert "is the manifest of a backup" in err and f"fix: pass the backup itself: {backup}" in err
    assert _state(project) == before


def test_a_foreign_file_without_manifest_is_refused(project, tmp_path, capsys):
    _backup(project, tmp_path)
    before = _state(project)
    foreign = tmp_path / "notes.dump"
    foreign.write_text("not a backup\n")
    assert project.rollwise("rollback", "--backup-file", str(foreign)) == 2
    assert "is not a readable" in capsys.readouterr().err
    assert _state(project) == before


def test_a_restore_that_does_not_match_its_manifest_is_put_back(project, tmp_path):
    backup = _backup(project, tmp_path)
    manifest = Path(f"{backup}.json")
    recorded = json.loads(manifest.read_text())
    recorded["tables"]["orders"]["checksum"] = "0" * 16  # the restored data cannot match this
    manifest.write_text(json.dumps(recorded))
    _change_data(project)
    before = _state(project)
    out = tmp_path / "restore.json"
    assert project.rollwise("rollback", "--backup-file", str(backup), "--report", str(out)) == 1
    payload = json.loads(out.read_text())
    assert payload["status"] == "failed" and "put back as it was before the restore" in payload["message"]
    assert _state(project) == before
    _assert_nothing_left_aside(project, tmp_path)


def test_a_postgres_restore_that_fails_midway_leaves_the_database_as_it_was(pg_project, tmp_path, capsys):
    project = pg_project
    engine = project.engine()
    role = f"reader_{Path(project.url).name}"
    with engine.begin() as conn:  # a grant is restored after the data: the dump fails at its very end
        conn.exec_driver_sql(f'CREATE ROLE "{role}"')
        project_tables = ("users", "orders")
    engine.dispose()
    project.seed()
    engine = project.engine()
    with engine.begin() as conn:
        for table in project_tables:
            conn.exec_driver_sql(f'GRANT SELECT ON "{table}" TO "{role}"')
    engine.dispose()
    project.add_fault("0006_locks_users.py")
    report = tmp_path / "apply.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 0
    backup = json.loads(report.read_text())["backup_path"]
    _change_data(project)
    engine = project.engine()
    with engine.begin() as conn:
        for table in project_tables:
            conn.exec_driver_sql(f'REVOKE ALL ON "{table}" FROM "{role}"')
        conn.exec_driver_sql(f'DROP ROLE "{role}"')
    engine.dispose()
    before = _state(project)
    assert project.rollwise("rollback", "--backup-file", backup) == 1
    err = capsys.readouterr().err
    assert "nothing of it was committed" in err and role in err
    assert _state(project) == before
    _assert_nothing_left_aside(project, tmp_path)


def test_a_good_restore_still_restores_and_keeps_nothing_aside(project, tmp_path):
    project.seed()
    expected = _state(project)
    project.add_fault("0006_locks_users.py")
    report = tmp_path / "apply.json"
    assert project.rollwise("apply", "--report", str(report), "--backup-dir", str(tmp_path / "b")) == 0
    backup = json.loads(report.read_text())["backup_path"]
    _change_data(project)
    assert project.rollwise("rollback", "--backup-file", str(backup)) == 0
    assert _state(project) == expected
    _assert_nothing_left_aside(project, tmp_path)


def _assert_nothing_left_aside(project, tmp_path) -> None:
    if project.backend == "sqlite":
        assert not list(tmp_path.glob("*.rollwise-prev-*"))
        return
    engine = project.engine()
    with engine.connect() as conn:
        schemas = conn.execute(sa.text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rollwise_prev_%'")).all()
    engine.dispose()
    assert schemas == []

