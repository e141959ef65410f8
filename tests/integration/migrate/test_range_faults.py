"""`rollwise migrate lint --range` on the shipped Alembic project: a range that holds no revision is exit 2, not a
"clean" lint that read nothing."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main


@pytest.mark.parametrize("text,fix", [("head:base", "--range base:head"), ("0005:base", "--range base:0005"),
                                      ("0003:0003", "widen it")], ids=["reversed", "reversed-ids", "empty"])
def test_lint_range_that_holds_no_revision_is_exit_2(repo_root, tmp_path, monkeypatch, capsys, text, fix):
    monkeypatch.chdir(repo_root / "examples" / "migrate")
    report = tmp_path / "lint.json"
    assert main(["migrate", "lint", "--range", text, "--report", str(report)]) == 2
    err = capsys.readouterr().err
    assert f"range '{text}' holds no revision" in err and fix in err
    assert not report.exists()


def test_lint_range_oldest_first_still_lints(repo_root, tmp_path, monkeypatch):
    monkeypatch.chdir(repo_root / "examples" / "migrate")
    report = tmp_path / "lint.json"
    assert main(["migrate", "lint", "--range", "base:head", "--no-squawk", "--report", str(report)]) == 0
    assert len(json.loads(report.read_text())["revisions"]) == 5
