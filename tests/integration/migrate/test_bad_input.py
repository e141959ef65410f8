"""Bad input: each case exits 2 or 3 with a message naming the file or revision and the fix, and changes nothing."""

from __future__ import annotations

import shutil

import pytest

from rollwise.migrate.adapters import backup


def _unchanged(project, checksums, tmp_path):
    assert project.revision() == "0005"
    assert project.checksums() == checksums
    assert not (tmp_path / "b").exists()


def test_broken_alembic_ini_names_file_and_line(sqlite_project, tmp_path, capsys):
    project = sqlite_project
    project.seed()
    checksums = project.checksums()
    (project.dir / "alembic.ini").write_text("[alembic]\nscript_location = %(here)s/migrations\nthis is not ini\n")
    assert project.rollwise("apply", "--backup-dir", str(tmp_path / "b")) == 2
    err = capsys.readouterr().err
    assert "alembic.ini:3" in err and "fix:" in err
    _unchanged(project, checksums, tmp_path)


def test_missing_script_location(sqlite_project, tmp_path, capsys):
    (sqlite_project.dir / "alembic.ini").write_text("[alembic]\nsqlalchemy.url = sqlite://\n")
    assert sqlite_project.rollwise("lint", "--range", "base:head") == 2
    assert "script_location" in capsys.readouterr().err


def test_unknown_revision(sqlite_project, tmp_path, capsys):
    project = sqlite_project
    project.seed()
    checksums = project.checksums()
    assert project.rollwise("apply", "--to", "9999", "--backup-dir", str(tmp_path / "b")) == 2
    err = capsys.readouterr().err
    assert "'9999'" in err and "alembic history" in err
    _unchanged(project, checksums, tmp_path)


def test_multiple_heads(sqlite_project, tmp_path, capsys):
    project = sqlite_project
    project.seed()
    checksums = project.checksums()
    for rev in ("0006a", "0006b"):
        (project.dir / "migrations" / "versions" / f"{rev}.py").write_text(
            f'from alembic import op\nrevision = "{rev}"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
            f'    op.execute("SELECT 1")\n\n\ndef downgrade():\n    op.execute("SELECT 1")\n'
        )
    assert project.rollwise("apply", "--backup-dir", str(tmp_path / "b")) == 2
    err = capsys.readouterr().err
    assert "2 heads" in err and "alembic merge" in err
    _unchanged(project, checksums, tmp_path)


def test_unreachable_database_is_inconclusive(sqlite_project, capsys):
    from support.services import free_port

    url = f"postgresql+psycopg://rollwise:secret@127.0.0.1:{free_port()}/nothing"
    code = sqlite_project.rollwise("apply", "--database-url", url)
    assert code == 3
    err = capsys.readouterr().err
    assert "cannot reach the database" in err and "nothing was changed" in err and "secret" not in err


def test_missing_pg_dump_exits_2_before_touching(pg_project, tmp_path, capsys, monkeypatch):
    project = pg_project
    project.seed()
    project.add_fault("0006_locks_users.py")
    checksums = project.checksums()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(backup, "DEBIAN_BINDIRS", str(tmp_path / "none"))
    assert project.rollwise("apply", "--backup-dir", str(tmp_path / "b")) == 2
    err = capsys.readouterr().err
    assert "no pg_dump for PostgreSQL" in err and "--no-backup" in err
    _unchanged(project, checksums, tmp_path)


def test_env_py_without_shared_connection_is_refused(sqlite_project, tmp_path, capsys):
    project = sqlite_project
    project.seed()
    env = project.dir / "migrations" / "env.py"
    env.write_text(env.read_text().replace('config.attributes.get("connection")', "None"))
    assert project.rollwise("apply", "--backup-dir", str(tmp_path / "b")) == 2
    assert "env.py" in capsys.readouterr().err


def test_pg_tools_match_the_server_major(postgres_server):
    found = backup.pg_tools(15)
    assert found.major >= 15 and found.pg_dump.exists() and found.pg_restore.exists()
    assert shutil.which("pg_dump") or str(found.pg_dump).startswith("/usr/lib/postgresql/")


@pytest.mark.parametrize("text", ["0003", "base:nope"], ids=["no-colon", "unknown-end"])
def test_bad_range(sqlite_project, capsys, text):
    assert sqlite_project.rollwise("lint", "--range", text) == 2
    assert "range" in capsys.readouterr().err


def test_apply_to_an_older_revision_is_refused(sqlite_project, tmp_path, capsys):
    project = sqlite_project
    project.seed()
    checksums = project.checksums()
    assert project.rollwise("apply", "--to", "0003", "--backup-dir", str(tmp_path / "b")) == 2
    assert "rollwise migrate rollback --to" in capsys.readouterr().err
    _unchanged(project, checksums, tmp_path)
    assert project.rollwise("rollback", "--to", "0005") == 0 and project.revision() == "0005"
