"""actions/safe-migrate run the way a runner runs it, on the example project and a SQLite database."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
from pathlib import Path

from support.actionrunner import run_action

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "migrate"


def _project(tmp_path: Path) -> Path:
    work = tmp_path / "repo"
    work.mkdir()
    shutil.copy(EXAMPLE / "alembic.ini", work)
    shutil.copytree(EXAMPLE / "migrations", work / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    return work


def test_lint_range_without_database_reports_clean(repo_root, tmp_path):
    work = _project(tmp_path)
    result = run_action(repo_root / "actions" / "safe-migrate", {"command": "lint", "range": "base:head"},
                        workdir=work)
    assert result.exit_code == 0, result.log
    assert result.outputs["status"] == "clean" and result.outputs["exit-code"] == "0"
    assert result.outputs["to-revision"] == "0005"
    assert json.loads(Path(result.outputs["report"]).read_text())["findings"] == []
    assert "safe-migrate lint: clean" in result.summary


def test_apply_rolls_back_a_failing_revision_and_reports_it(repo_root, tmp_path):
    work = _project(tmp_path)
    url = f"sqlite:///{work / 'app.db'}"
    action = repo_root / "actions" / "safe-migrate"
    first = run_action(action, {"command": "apply", "database-url": url}, workdir=work)
    assert first.exit_code == 0 and first.outputs["status"] == "applied", first.log
    with sqlite3.connect(work / "app.db") as db:
        db.executemany("INSERT INTO users (id, email, name, plan_id) VALUES (?, ?, ?, 1)",
                       [(i, f"u{i}@example.com", f"User {i}") for i in range(1, 51)])
    shutil.copy(EXAMPLE / "faults" / "0006_fails_on_second_statement.py", work / "migrations" / "versions")

    result = run_action(action, {"command": "apply", "database-url": url, "backup-dir": str(tmp_path / "backups")},
                        workdir=work)
    assert result.exit_code == 1
    assert result.outputs["status"] == "rolled-back" and result.outputs["exit-code"] == "1"
    assert result.outputs["from-revision"] == "0005" and result.outputs["to-revision"] == "0005"
    assert Path(result.outputs["backup-path"]).is_file()
    assert "| `users` | 50 | 50 |" in result.summary and "Rollback:** transaction ✅" in result.summary
    report = json.loads(Path(result.outputs["report"]).read_text())
    assert report["schema"] == "rollwise/migrate-apply/v1" and all(c["ok"] for c in report["integrity"])


def test_unknown_command_is_a_usage_error(repo_root, tmp_path):
    result = run_action(repo_root / "actions" / "safe-migrate", {"command": "upgrade"}, workdir=_project(tmp_path))
    assert result.exit_code == 1 and result.outputs["exit-code"] == "2"
    assert any("use lint, plan, apply or rollback" in message for _, _, message in result.annotations)


def test_lint_annotates_revision_lines_relative_to_the_workspace(repo_root, tmp_path):
    work = _project(tmp_path)
    app = work / "app"
    app.mkdir()
    for name in ("alembic.ini", "migrations"):
        shutil.move(str(work / name), str(app / name))
    (app / "migrations" / "versions" / "0006_drop.py").write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    op.drop_column("users", "nickname")\n\n\ndef downgrade():\n    pass\n'
    )
    result = run_action(repo_root / "actions" / "safe-migrate",
                        {"command": "lint", "range": "0005:head", "working-directory": "app"}, workdir=work)
    assert result.exit_code == 1 and result.outputs["status"] == "errors"
    errors = [(props, message) for level, props, message in result.annotations if level == "error"]
    assert any("file=app/migrations/versions/0006_drop.py" in props and "line=7" in props
               and "title=drop-column" in props for props, _ in errors), errors


def test_lint_on_a_pull_request_sets_a_status_and_one_sticky_comment(repo_root, tmp_path, github):
    fake, event = github
    work = _project(tmp_path)
    (work / "migrations" / "versions" / "0006_drop.py").write_text(
        'from alembic import op\nrevision = "0006"\ndown_revision = "0005"\n\n\ndef upgrade():\n'
        '    op.drop_column("users", "nickname")\n\n\ndef downgrade():\n    pass\n'
    )
    env = {**os.environ, "GITHUB_EVENT_PATH": str(event)}
    inputs = {"command": "lint", "range": "0005:head", "github-status": "true", "github-comment": "true"}
    context = {"api_url": fake.url, "event_name": "pull_request", "repository": "acme/shop"}
    for _ in range(2):  # a second push edits the same comment
        result = run_action(repo_root / "actions" / "safe-migrate", inputs, env=env, workdir=work, github=context)
        assert result.exit_code == 1 and result.outputs["status"] == "errors"
    statuses = [r for r in fake.requests if "/statuses/" in r[1]]
    assert statuses[-1][2]["state"] == "failure" and statuses[-1][2]["context"] == "rollwise/safe-migrate"
    assert statuses[-1][2]["description"] == "1 revision(s): 3 error(s), 0 warning(s)"  # drop-column, empty-downgrade, contract-step
    assert len(fake.comments) == 1 and "<!-- rollwise:safe-migrate -->" in fake.comments[0]["body"]
    assert "drop-column" in fake.comments[0]["body"]
    assert [r[0] for r in fake.requests if "/comments" in r[1]].count("PATCH") == 1


def test_lint_on_a_fork_pull_request_warns_instead(repo_root, tmp_path, github):
    fake, event = github
    fake.deny = True
    work = _project(tmp_path)
    result = run_action(repo_root / "actions" / "safe-migrate",
                        {"command": "lint", "range": "base:head", "github-status": "true"},
                        env={**os.environ, "GITHUB_EVENT_PATH": str(event)}, workdir=work,
                        github={"api_url": fake.url, "event_name": "pull_request", "repository": "acme/shop"})
    assert result.exit_code == 0 and result.outputs["status"] == "clean"
    assert any(level == "warning" and "HTTP 403" in message for level, _, message in result.annotations)
