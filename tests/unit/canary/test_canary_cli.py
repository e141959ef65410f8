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
    # the rollback asked for is done: the command succeeded (proceed); status says what it did
    assert (data["decision"], data["status"], data["weight"]) == ("proceed", "rolled_back", 0)
    assert data["reason"] == "manual rollback of the rollout started x (running at weight 25 %)"
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "rolled_back"


def _held_state(tmp_path, weight_file, promote="touch promoted"):
    return {"schema": "rollwise/canary-state/v1", "status": "held", "weight": 25, "started": "x",
            "router": {"type": "command", "options": {"command": f"echo {{weight}} > {weight_file}"}},
            "base_dir": str(tmp_path), "commands": {"rollback": "touch undone", "promote": promote, "timeout": 30},
            "kill_switch": {"store": None, "flags": []}}


def test_promote_finishes_a_held_rollout_and_is_safe_to_repeat(tmp_path):
    weight = tmp_path / "weight"
    (tmp_path / "state.json").write_text(json.dumps(_held_state(tmp_path, weight)))
    report = tmp_path / "report.json"
    args = ["canary", "promote", "--state-file", str(tmp_path / "state.json"), "--report", str(report)]
    assert main(args) == 0
    assert weight.read_text() == "100\n" and (tmp_path / "promoted").exists()
    assert json.loads(report.read_text())["decision"] == "proceed"
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "promoted"
    weight.unlink()
    assert main(args) == 0  # already promoted: nothing moves
    assert not weight.exists()


def test_a_failing_promote_command_rolls_back(tmp_path):
    weight = tmp_path / "weight"
    (tmp_path / "state.json").write_text(json.dumps(_held_state(tmp_path, weight, promote="exit 7")))
    report = tmp_path / "report.json"
    assert main(["canary", "promote", "--state-file", str(tmp_path / "state.json"), "--report", str(report)]) == 1
    assert weight.read_text() == "0\n" and (tmp_path / "undone").exists()
    assert "promotion failed: promote failed" in json.loads(report.read_text())["reason"]


def test_only_a_held_rollout_can_be_promoted(tmp_path, capsys):
    state = {**_held_state(tmp_path, tmp_path / "weight"), "status": "rolled_back", "weight": 0}
    (tmp_path / "state.json").write_text(json.dumps(state))
    assert main(["canary", "promote", "--state-file", str(tmp_path / "state.json")]) == 2
    assert "only a held rollout can be promoted; this one is rolled_back" in capsys.readouterr().err


def test_rollback_from_the_config_when_the_state_is_lost_twice_in_a_row(tmp_path, capsys):
    weight = tmp_path / "weight"
    config = CONFIG.replace('"echo {weight}"', f'"echo {{weight}} > {weight}"') + \
        "  commands: {rollback: 'echo undone >> rollback.log'}\n"
    (tmp_path / "rollwise.yml").write_text(config)
    for _ in range(2):
        assert main(["canary", "rollback", "--config", str(tmp_path / "rollwise.yml")]) == 0
    assert weight.read_text() == "0\n"
    assert "rolling back from the configuration" in capsys.readouterr().err
    # the first run left a state file, so the second one found nothing left to undo
    assert (tmp_path / "rollback.log").read_text() == "undone\n"
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "rolled_back"


def test_kill_switch_store_can_come_from_the_environment(tmp_path, monkeypatch, capsys):
    flags = tmp_path / "flags.yml"
    flags.write_text("version: rollwise/flags/v1\nflags:\n  new-checkout: {default: true}\n")
    config = CONFIG.replace('"echo {weight}"', f'"echo {{weight}} > {tmp_path}/weight"') + \
        "  kill_switch: {flags: [new-checkout]}\n"
    (tmp_path / "rollwise.yml").write_text(config)
    assert main(["canary", "rollback", "--config", str(tmp_path / "rollwise.yml")]) == 2
    assert "kill_switch lists flags but names no store" in capsys.readouterr().err
    monkeypatch.setenv("ROLLWISE_FLAGS_STORE", f"file://{flags}")
    assert main(["canary", "rollback", "--config", str(tmp_path / "rollwise.yml")]) == 0
    assert main(["flags", "get", "new-checkout", "--store", f"file://{flags}"]) == 0
    assert '"enabled": false' in capsys.readouterr().out.replace(": False", ": false")


def test_a_crash_in_the_rollout_returns_traffic_to_the_baseline_and_exits_4(tmp_path, monkeypatch, capsys):
    weight = tmp_path / "weight"
    (tmp_path / "rollwise.yml").write_text(CONFIG.replace('"echo {weight}"', f'"echo {{weight}} > {weight}"'))
    outputs, report = tmp_path / "out", tmp_path / "report.json"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    seen = []

    def boom(self, index, phase, record, run):
        seen.append(weight.read_text())  # the canary had traffic when the bug struck
        raise KeyError("injected")

    monkeypatch.setattr("rollwise.canary.service.Rollout._analyse", boom)
    code = main(["canary", "run", "--config", str(tmp_path / "rollwise.yml"), "--prometheus-url", "http://127.0.0.1:9",
                 "--report", str(report)])
    assert code == 4
    assert seen and seen[0] != "0\n" and weight.read_text() == "0\n"
    err = capsys.readouterr().err
    assert "internal error in `rollwise canary run`: KeyError: 'injected'" in err and "Traceback" in err
    data = json.loads(report.read_text())
    assert (data["decision"], data["status"], data["weight"]) == ("error", "rolled_back", 0)
    text = outputs.read_text()
    assert "\nerror\n" in text and "rollback" not in text
    assert json.loads((tmp_path / "state.json").read_text())["status"] == "rolled_back"
