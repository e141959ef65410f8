"""Killing several flags from the flag-toggle action and the manual rollback workflow, with a bad key among them."""

from __future__ import annotations

import json
from pathlib import Path

from rollwise.flags import service
from rollwise.flags.model.changes import Audit
from support.actionrunner import checkout, run_action, run_workflow

ROOT = Path(__file__).resolve().parents[2]
FLAGS = """\
version: rollwise/flags/v1
flags:
  checkout: {default: true}
  search: {default: true}
  banner: {default: true}
"""


def _seed(redis_server, tmp_path):
    (tmp_path / "flags.yml").write_text(FLAGS)
    store = service.open_store(redis_server.url)
    service.sync(store, tmp_path / "flags.yml", Audit(actor="seed"))
    return store


def _enabled(store) -> dict[str, bool]:
    return {key: flag.enabled for key, flag in store.load().flagset.flags.items()}


def test_the_action_kills_every_valid_key_and_fails_naming_the_bad_ones(repo_root, redis_server, tmp_path):
    store = _seed(redis_server, tmp_path)
    result = run_action(repo_root / "actions" / "flag-toggle",
                        {"command": "kill", "store": redis_server.url, "flag": "checkout --help chekout search"},
                        workdir=tmp_path)
    assert result.exit_code == 1 and result.outputs["exit-code"] == "2", result.log
    assert result.outputs["status"] == "partial"
    assert _enabled(store) == {"checkout": False, "search": False, "banner": True}
    assert "'--help': a flag key cannot start with '-'" in result.log
    assert "'chekout': does not exist (did you mean 'checkout'?)" in result.log
    report = json.loads((tmp_path / result.outputs["report"]).read_text())
    assert sorted(report["refused"]) == ["--help", "chekout"] and len(report["changes"]) == 2
    store.close()


def test_a_key_shaped_like_an_option_is_refused_not_read_as_one(repo_root, redis_server, tmp_path):
    store = _seed(redis_server, tmp_path)
    result = run_action(repo_root / "actions" / "flag-toggle",
                        {"command": "kill", "store": redis_server.url, "flag": "--help"}, workdir=tmp_path)
    assert result.outputs["exit-code"] == "2" and result.outputs["status"] == "invalid", result.log
    assert "Usage:" not in result.log and all(_enabled(store).values())
    store.close()


def test_the_rollback_workflow_kills_the_valid_flags_past_a_mistyped_one(redis_server, tmp_path):
    store = _seed(redis_server, tmp_path)
    workspace = tmp_path / "workspace"
    checkout(ROOT, workspace / ".rollwise")
    (workspace / "service").mkdir(parents=True)
    jobs = run_workflow(ROOT / ".github" / "workflows" / "rollback.yml", workdir=workspace,
                        inputs={"what": "flags", "reason": "incident", "environment": "staging",
                                "flags": "checkout bannr --version search", "working-directory": "service",
                                "rollwise-repository": "acme/rollwise"},
                        secrets={"flag-store-url": redis_server.url})
    assert jobs["flags"].exit_code != 0, jobs["flags"].log[-3000:]
    assert _enabled(store) == {"checkout": False, "search": False, "banner": True}
    assert jobs["flags"].outputs["killed"] == "checkout search"
    assert "'bannr': does not exist (did you mean 'banner'?)" in jobs["flags"].log
    assert "killed: checkout search" in jobs["summary"].summary and "❌" in jobs["summary"].summary
    store.close()
