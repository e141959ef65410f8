"""The root action.yml, run the way a GitHub runner runs it."""

from __future__ import annotations

import time

from support.actionrunner import run_action


def test_runs_a_command_and_reports_its_exit_code(repo_root, tmp_path):
    result = run_action(repo_root, {"args": "--version"}, workdir=tmp_path)
    assert result.exit_code == 0, result.log
    assert result.outputs == {"exit-code": "0"}
    assert "rollwise, version" in result.log


def test_arguments_are_split_without_shell_expansion(repo_root, tmp_path):
    marker = tmp_path / "pwned"
    args = f"no-such-command '$(touch {marker})' ; touch {marker}"
    result = run_action(repo_root, {"args": args}, workdir=tmp_path)
    assert not marker.exists()
    assert result.exit_code == 1  # the step failed ...
    assert result.step("run").exit_code == 2  # ... with rollwise's usage-error code
    assert result.outputs["exit-code"] == "2"
    assert "No such command 'no-such-command'" in result.log


def test_second_action_in_the_same_job_reuses_the_install(repo_root, tmp_path):
    run_action(repo_root, {"args": "--version"}, workdir=tmp_path)  # first install (or already cached)
    started = time.monotonic()
    again = run_action(repo_root, {"args": "--help"}, workdir=tmp_path)
    assert again.exit_code == 0
    assert "using the installed copy" in again.log
    assert "Installing rollwise" not in again.log
    assert time.monotonic() - started < 15
