"""A held rollout's state file, bent by hand or by a bad download: `rollwise canary rollback` says so (exit 2,
naming the file and key) and touches nothing, instead of a traceback halfway through an undo."""

from __future__ import annotations

import json

import pytest
from test_hold import CONFIG

from rollwise.cli import main
from support import services


@pytest.fixture()
def held(tmp_path):
    config = tmp_path / "rollwise.yml"
    config.write_text(CONFIG.format(port=services.free_port()))  # Prometheus down: the rollout holds at 5 %
    assert main(["canary", "run", "--config", str(config), "--report", str(tmp_path / "run.json")]) == 3
    assert (tmp_path / "weight").read_text() == "5\n"
    return tmp_path / "state.json"


@pytest.mark.parametrize("bend,key", [
    (lambda s: [s], None),
    (lambda s: {**s, "router": ["command"]}, "router"),
    (lambda s: {**s, "router": {"options": {}}}, "router"),
    (lambda s: {**s, "weight": "five"}, "weight"),
    (lambda s: {**s, "commands": {**s["commands"], "timeout": -1}}, "commands.timeout"),
    (lambda s: {**s, "kill_switch": {"flags": "checkout"}}, "kill_switch.flags"),
], ids=["not-an-object", "router-not-an-object", "router-without-type", "weight-not-a-number", "negative-timeout",
        "flags-not-a-list"])
def test_state_file_of_the_wrong_shape_is_exit_2_and_changes_nothing(held, capsys, bend, key):
    held.write_text(json.dumps(bend(json.loads(held.read_text()))))
    capsys.readouterr()
    assert main(["canary", "rollback", "--state-file", str(held)]) == 2
    err = capsys.readouterr().err
    assert f"{held}:" in err and "fix:" in err and (key is None or f": {key}:" in err), err
    assert (held.parent / "weight").read_text() == "5\n" and not (held.parent / "rollback.log").exists()


def test_state_file_with_a_nan_weight_is_exit_2(held, capsys):
    held.write_text(held.read_text().replace('"weight": 5', '"weight": NaN'))
    assert main(["canary", "rollback", "--state-file", str(held)]) == 2
    assert "NaN" in capsys.readouterr().err
    assert (held.parent / "weight").read_text() == "5\n"
