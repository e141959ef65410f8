"""actions/canary-deploy run the way a runner runs it, on real nginx, Prometheus, k6 and the example app."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from support.actionrunner import run_action

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "canary"))
import canary_stack  # noqa: E402


@pytest.fixture()
def stacks(tmp_path):
    with canary_stack.stacks(tmp_path) as make:
        yield make


def deploy(repo_root, stack, **inputs):
    return run_action(repo_root / "actions" / "canary-deploy", {
        "config": str(stack.config), "report": str(stack.report_path), "workdir": str(stack.workdir / "k6"),
        **inputs}, workdir=stack.workdir, timeout=180)


def test_healthy_canary_is_promoted_through_the_action(repo_root, stacks):
    stack = stacks()
    result = deploy(repo_root, stack)
    assert result.exit_code == 0, result.log[-3000:]
    assert result.outputs["decision"] == "proceed"
    assert result.outputs["phase-reached"] == "100"
    assert result.outputs["report"] == str(stack.report_path)
    data = json.loads(stack.report_path.read_text())
    assert (data["schema"], data["decision"], data["phase_reached"]) == ("rollwise/canary/v1", "proceed", 100)
    # what happened, not how fast: every phase passed its analyses (a busy machine may add an inconclusive one,
    # which extends the phase; it never counts as a pass)
    assert [(p["weight"], p["weight_set"], p["outcome"], sum(a["decision"] == "proceed" for a in p["analyses"]))
            for p in data["phases"]] == [(10, 10, "passed", 2), (50, 50, "passed", 1), (100, 100, "passed", 1)]
    assert all(a["decision"] in ("proceed", "inconclusive") for p in data["phases"] for a in p["analyses"])
    assert all(p["k6"]["tracks"]["canary"]["requests"] > 50 for p in data["phases"])
    assert "canary: phase 2 analysis 1: proceed" in result.log
    assert stack.weight() == "100"
    assert "## ✅ canary-deploy: proceed" in result.summary
    assert "xychart-beta" in result.summary and "| 3 | 100 % | 100 % |" in result.summary
    assert stack.tracks_served(20) == {"canary": 20}
    assert json.loads((stack.workdir / "state.json").read_text())["status"] == "promoted"


def test_regressed_canary_is_rolled_back_through_the_action(repo_root, stacks):
    stack = stacks({"error_rate": 0.03})
    result = deploy(repo_root, stack)
    assert result.exit_code == 1, result.log[-3000:]
    # caught in the first phase whose analysis had enough data (10 %, or 50 % on a slow machine), never promoted
    assert result.outputs["decision"] == "rollback" and result.outputs["phase-reached"] in ("10", "50")
    last = json.loads(stack.report_path.read_text())["phases"][-1]
    assert last["outcome"] == "rolled back" and last["analyses"][-1]["decision"] == "rollback"
    assert "## ⏪ canary-deploy: rollback" in result.summary
    assert any(level == "warning" and "critical SLO availability" in message
               for level, _, message in result.annotations)
    assert stack.tracks_served(60) == {"baseline": 60}


def test_rollback_command_undoes_a_rollout_whose_runner_died(repo_root, stacks):
    """A runner lost mid-phase (SIGKILL: no chance to clean up) leaves weight 10; the manual rollback undoes it."""
    stack = stacks(overrides={"analysis": {"interval": "60s"}, "commands": {"rollback": "touch rolled-back"}})
    data = canary_stack.yaml.safe_load(stack.config.read_text())
    del data["canary"]["warmup"]  # no k6 child outliving the killed process
    stack.config.write_text(canary_stack.yaml.safe_dump(data))
    process = subprocess.Popen([str(canary_stack.ROLLWISE), "canary", "run", "--config", str(stack.config)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=stack.workdir,
                               env={**os.environ, "ROLLWISE_WORKDIR": str(stack.workdir / "k6")})
    deadline = time.monotonic() + 30
    state_file = stack.workdir / "state.json"
    while not (state_file.exists() and json.loads(state_file.read_text()).get("weight") == 10):
        assert time.monotonic() < deadline and process.poll() is None, "phase 1 never started"
        time.sleep(0.1)
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    state = json.loads(state_file.read_text())
    assert (state["status"], state["weight"], state["target_weight"]) == ("running", 10, 10)
    assert stack.weight() == "10"

    result = deploy(repo_root, stack, command="rollback", **{"state-file": str(stack.workdir / "state.json")})
    assert result.exit_code == 0, result.log[-3000:]
    assert (result.outputs["decision"], result.outputs["status"]) == ("proceed", "rolled_back")
    assert stack.weight() == "0"
    assert stack.tracks_served(30) == {"baseline": 30}
    assert (stack.config.parent / "rolled-back").exists()  # the rollback command ran in the config's directory
    assert json.loads((stack.workdir / "state.json").read_text())["status"] == "rolled_back"
    again = deploy(repo_root, stack, command="rollback", **{"state-file": str(stack.workdir / "state.json")})
    assert again.exit_code == 0 and "already rolled back" in again.log
