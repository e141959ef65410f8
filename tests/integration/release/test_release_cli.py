"""``rollwise release list|current|revert`` on a local ledger: what they print, and their exit codes."""

from __future__ import annotations

import json

from rollwise.cli import main
from rollwise.release import service
from rollwise.release.adapters.local import LocalLedger

CONTEXT = service.RunContext("https://github.com/acme/shop/actions/runs/9", "9-1", "octocat")


def promote(ledger, version, sha, decision="proceed"):
    new = service.rollout_release("staging", sha, sha, version, router="nginx", digest="sha256:x", context=CONTEXT,
                                  report=f"artifact report-{version}")
    service.Recorder.start(ledger, new, CONTEXT).finish(decision, f"{version} done")


def write_config(directory, canary_extra: str):
    config = directory / "rollwise.yml"
    config.write_text("version: rollwise/v1\nslos: []\ncanary:\n  router: {type: command, command: 'true'}\n"
                      + canary_extra)
    return config


def test_list_and_current_read_the_ledger(tmp_path, capsys):
    ledger = LocalLedger(tmp_path / "releases.json")
    promote(ledger, "v1", "a" * 40)
    promote(ledger, "v2", "b" * 40)
    promote(ledger, "v3", "c" * 40, decision="rollback")
    assert main(["release", "list", "--environment", "staging", "--ledger", str(ledger.path)]) == 0
    table = capsys.readouterr().out
    assert "| 3 | v3 | `ccccccc` | rollout | rolled back |" in table
    assert "| 2 **current** | v2 | `bbbbbbb` | rollout | live |" in table
    assert "[run](https://github.com/acme/shop/actions/runs/9) | artifact report-v1 |" in table
    assert main(["release", "current", "--environment", "staging", "--ledger", str(ledger.path)]) == 0
    current = json.loads(capsys.readouterr().out)
    assert (current["version"], current["outcome"], current["sha"]) == ("v2", "live", "b" * 40)
    assert main(["release", "list", "--environment", "staging", "--ledger", str(ledger.path), "--json"]) == 0
    assert [r["version"] for r in json.loads(capsys.readouterr().out)["releases"]] == ["v3", "v2", "v1"]


def test_current_without_a_promoted_release_is_inconclusive(tmp_path, capsys):
    assert main(["release", "current", "--environment", "staging", "--ledger", str(tmp_path / "none.json")]) == 3
    assert "no promoted release in environment 'staging'" in capsys.readouterr().err


def test_a_revert_while_a_rollout_runs_refuses_with_exit_3_and_a_summary(tmp_path, capsys, monkeypatch):
    ledger = LocalLedger(tmp_path / "releases.json")
    promote(ledger, "v1", "a" * 40)
    promote(ledger, "v2", "b" * 40)
    service.Recorder.start(ledger, service.rollout_release(
        "staging", "c" * 40, "c" * 40, "v3", router="nginx", digest="", context=CONTEXT, report=None), CONTEXT)
    config = write_config(tmp_path, "  revert: {window: 2}\n")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    code = main(["release", "revert", "--config", str(config), "--environment", "staging",
                 "--ledger", str(ledger.path), "--reason", "errors"])
    assert code == 3
    assert "v3 (#3, ccccccc) is still rolling out" in capsys.readouterr().err
    assert "## ⛔ release revert refused in `staging`" in summary.read_text()
    assert len(ledger.releases("staging")) == 3


def test_a_bad_revert_window_is_a_config_error(tmp_path, capsys):
    config = write_config(tmp_path, "  revert: {window: 0}\n")
    assert main(["release", "revert", "--config", str(config), "--ledger", str(tmp_path / "r.json")]) == 2
    assert "canary.revert.window" in capsys.readouterr().err


def test_a_rollback_without_state_marks_the_running_release_failed(tmp_path, capsys):
    """The state file is lost: `canary rollback --config` undoes the rollout and finishes its deployment, so a
    revert that follows is not refused as racing it."""
    ledger = LocalLedger(tmp_path / "state" / "releases.json")
    promote(ledger, "v1", "a" * 40)
    service.Recorder.start(ledger, service.rollout_release(
        "staging", "c" * 40, "c" * 40, "v2", router="command", digest="", context=CONTEXT, report=None), CONTEXT)
    config = write_config(tmp_path, "  state_file: state/canary-state.json\n")
    assert main(["canary", "rollback", "--config", str(config), "--environment", "staging"]) == 0
    assert [s.state for s in ledger.releases("staging")[0].statuses] == ["in_progress", "failure"]
    assert main(["release", "current", "--environment", "staging", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["version"] == "v1"
