"""`rollwise canary` argument handling and the errors that stop before anything changes (exit 2)."""

import json

from rollwise.cli import main

CONFIG = """\
version: rollwise/v1
slos:
  - name: availability
    sli: {ratio: {errors: 'http_requests_total{code=~"5.."}', total: http_requests_total}}
    objective: 99%
canary:
  router: {type: command, command: "echo {weight}"}
  state_file: state.json
"""


def test_no_data_source_is_a_config_error(tmp_path, capsys):
    (tmp_path / "rollwise.yml").write_text(CONFIG)
    code = main(["canary", "run", "--config", str(tmp_path / "rollwise.yml")])
    assert code == 2
    assert "no data to judge the canary with" in capsys.readouterr().err
    assert not (tmp_path / "state.json").exists()


def test_an_unfinished_rollout_blocks_a_new_one(tmp_path, capsys):
    (tmp_path / "rollwise.yml").write_text(CONFIG)
    (tmp_path / "state.json").write_text(json.dumps({"schema": "rollwise/canary-state/v1", "status": "held",
                                                      "weight": 25, "started": "2026-11-25T10:00:00Z"}))
    code = main(["canary", "run", "--config", str(tmp_path / "rollwise.yml"), "--prometheus-url", "http://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert "a previous rollout is held at weight 25 %" in err
    assert "rollwise canary rollback --state-file" in err


def test_rollback_without_a_state_file(tmp_path, capsys):
    code = main(["canary", "rollback", "--state-file", str(tmp_path / "missing.json")])
    assert code == 2
    assert "no state file" in capsys.readouterr().err


def test_rollback_refuses_a_promoted_rollout(tmp_path, capsys):
    (tmp_path / "state.json").write_text(json.dumps({"schema": "rollwise/canary-state/v1", "status": "promoted"}))
    assert main(["canary", "rollback", "--state-file", str(tmp_path / "state.json")]) == 2
    assert "this rollout was promoted" in capsys.readouterr().err


def test_rollback_from_state_sets_weight_zero_and_runs_the_rollback_command(tmp_path, capsys):
    weight = tmp_path / "weight"
    state = {"schema": "rollwise/canary-state/v1", "status": "running", "weight": 25, "started": "x",
             "router": {"type": "command", "options": {"command": f"echo {{weight}} > {weight}"}},
             "base_dir": str(tmp_path), "commands": {"rollback": "touch undone", "timeout": 30},
             "kill_switch": {"store": None, "flags": []}}
    (tmp_path / "state.json").write_text(json.dumps(state))
    report = tmp_path / "report.json"
    assert main(["canary", "rollback", "--state-file", str(tmp_path / "state.json"), "--report", str(report)]) == 0
    assert weight.read_text() == "0\n" and (tmp_path / "undone").exists()
    data = json.loads(report.read_text())
    assert (data["decision"], data["weight"]) == ("ROLLBACK", 0)
    assert data["reason"] == "manual rollback of the rollout started x (running at weight 25 %)"
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "rolled_back"
