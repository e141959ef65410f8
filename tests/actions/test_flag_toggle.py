"""actions/flag-toggle/action.yml run the way a GitHub runner runs it, against a real Redis and a flags.yml."""

from __future__ import annotations

import json

import pytest

from rollwise.flags import service
from rollwise.flags.model.changes import Audit
from support.actionrunner import run_action

FLAGS = """\
version: rollwise/flags/v1
flags:
  checkout: {default: true}
  rollout:
    default: {rollout: {true: 10, false: 90}}
"""


@pytest.fixture()
def action(repo_root):
    return repo_root / "actions" / "flag-toggle"


@pytest.fixture()
def redis_store(redis_server, tmp_path):
    (tmp_path / "flags.yml").write_text(FLAGS)
    store = service.open_store(redis_server.url)
    service.sync(store, tmp_path / "flags.yml", Audit(actor="seed"))
    yield store
    store.close()


def test_kill_switch_writes_outputs_summary_and_audit(action, redis_server, redis_store, tmp_path):
    result = run_action(action, {"command": "kill", "store": redis_server.url, "flag": "checkout",
                                 "reason": "canary rolled back"}, workdir=tmp_path)
    assert result.exit_code == 0, result.log
    assert result.outputs["status"] == "changed" and result.outputs["changed"] == "true"
    assert result.outputs["version"] == "2" and result.outputs["exit-code"] == "0"
    assert json.loads(result.outputs["changes"])[0]["fields"] == [{"field": "enabled", "before": None, "after": False}]
    assert "kill switch on `checkout`" in result.summary and "canary rolled back" in result.summary
    assert "| flag | `checkout` | update | enabled |" in result.summary
    assert redis_store.load().flagset.flags["checkout"].enabled is False
    [entry] = service.history(redis_store, "checkout", limit=1)
    assert entry.audit.actor == "octocat" and "/actions/runs/" in entry.audit.run_url and entry.audit.sha
    assert json.loads((tmp_path / result.outputs["report"]).read_text())["status"] == "changed"


def test_rollout_and_conflict(action, redis_server, redis_store, tmp_path):
    result = run_action(action, {"command": "rollout", "store": redis_server.url, "flag": "rollout",
                                 "percentage": "35"}, workdir=tmp_path)
    assert result.exit_code == 0, result.log
    assert redis_store.load().raw_flags["rollout"]["default"]["rollout"] == {"true": 35, "false": 65}
    stale = run_action(action, {"command": "set", "store": redis_server.url, "flag": "rollout", "enabled": "false",
                                "expect-version": "1"}, workdir=tmp_path)
    assert stale.exit_code == 1 and stale.outputs["exit-code"] == "3" and stale.outputs["status"] == "conflict"


def test_sync_refuses_an_invalid_file_with_exit_2_and_an_annotation(action, redis_server, redis_store, tmp_path):
    (tmp_path / "flags.yml").write_text(FLAGS + "  loop:\n    prerequisites: [{flag: loop}]\n")
    result = run_action(action, {"command": "sync", "store": redis_server.url}, workdir=tmp_path)
    assert result.outputs["exit-code"] == "2" and result.outputs["status"] == "invalid"
    assert any(level == "error" and "prerequisite cycle" in message for level, _, message in result.annotations)
    assert redis_store.load().version == 1


def test_sync_dry_run_on_the_file_store(action, tmp_path):
    (tmp_path / "flags.yml").write_text(FLAGS)
    (tmp_path / "next.yml").write_text(FLAGS.replace("checkout: {default: true}", "checkout: {default: false}"))
    result = run_action(action, {"command": "sync", "store": "file://flags.yml", "file": "next.yml",
                                 "dry-run": "true"}, workdir=tmp_path)
    assert result.exit_code == 0, result.log
    assert result.outputs["status"] == "dry-run" and [c["key"] for c in json.loads(result.outputs["changes"])] == ["checkout"]
    assert (tmp_path / "flags.yml").read_text() == FLAGS
    assert "Dry run" in result.summary


def test_history_output_lists_the_audit_log(action, redis_server, redis_store, tmp_path):
    service.kill(redis_store, "checkout", Audit(actor="oncall", reason="incident"))
    result = run_action(action, {"command": "history", "store": redis_server.url, "flag": "checkout"}, workdir=tmp_path)
    assert result.exit_code == 0, result.log
    entries = json.loads(result.outputs["history"])
    assert [(e["version"], e["actor"], e["reason"]) for e in entries] == [(2, "oncall", "incident"), (1, "seed", "")]
    assert "Flag history of `checkout`" in result.summary


def test_unknown_command_exits_2(action, tmp_path):
    result = run_action(action, {"command": "toggle", "store": "file://flags.yml"}, workdir=tmp_path)
    assert result.outputs["exit-code"] == "2"
    assert any("unknown command 'toggle'" in message for _, _, message in result.annotations)
