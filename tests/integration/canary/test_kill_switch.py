"""Kill-switch flags are turned off in a real flags store (file and Redis) when a rollout is rolled back."""

from __future__ import annotations

import json

from rollwise.cli import main
from rollwise.flags import service

FLAGS = """\
version: rollwise/flags/v1
flags:
  new-checkout: {default: true}
  search-v2: {default: true}
"""


def half_done_state(tmp_path, store):
    state = {"schema": "rollwise/canary-state/v1", "status": "running", "weight": 25, "started": "x",
             "router": {"type": "command", "options": {"command": "echo {weight}"}}, "base_dir": str(tmp_path),
             "commands": {"rollback": None, "timeout": 30},
             "kill_switch": {"store": store, "flags": ["new-checkout"]}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    return tmp_path / "state.json"


def enabled(store_url):
    flags = service.read(service.open_store(store_url)).raw_flags
    return {key: flag.get("enabled", True) for key, flag in flags.items()}


def test_rollback_turns_kill_switch_flags_off_in_a_file_store(tmp_path):
    (tmp_path / "flags.yml").write_text(FLAGS)
    state = half_done_state(tmp_path, "file://flags.yml")
    assert main(["canary", "rollback", "--state-file", str(state)]) == 0
    assert enabled(f"file://{tmp_path}/flags.yml") == {"new-checkout": False, "search-v2": True}
    audit = (tmp_path / "flags.yml.audit.jsonl").read_text()
    assert "rollwise-canary" in audit and "canary rolled back" in audit


def test_rollback_turns_kill_switch_flags_off_in_redis(tmp_path, redis_server):
    (tmp_path / "flags.yml").write_text(FLAGS)
    service.sync(service.open_store(redis_server.url), tmp_path / "flags.yml", service.Audit(actor="test"))
    state = half_done_state(tmp_path, redis_server.url)
    assert main(["canary", "rollback", "--state-file", str(state)]) == 0
    assert enabled(redis_server.url)["new-checkout"] is False


def test_an_unreachable_flags_store_leaves_the_rollback_incomplete(tmp_path, capsys):
    state = half_done_state(tmp_path, "redis://127.0.0.1:9/0")
    assert main(["canary", "rollback", "--state-file", str(state)]) == 1
    saved = json.loads(state.read_text())
    assert saved["status"] == "rollback_failed" and saved["weight"] == 0
    assert saved["rollback_errors"][0].startswith("turning off flag new-checkout:")
    assert "the rollback is incomplete" in capsys.readouterr().err
