"""`rollwise canary run` end to end on real components: the example app as baseline and canary, nginx splitting
traffic between them, Prometheus scraping both every second, k6 driving warm-up traffic.

The healthy rollout runs through the action (tests/actions/test_canary_deploy.py); here are the rollbacks and faults.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time

import pytest

import canary_stack


@pytest.fixture()
def stack_factory(tmp_path):
    with canary_stack.stacks(tmp_path) as make:
        yield make


def report(stack):
    return json.loads(stack.report_path.read_text())


def start_rollout_until_phase_one(stack) -> subprocess.Popen:
    """`rollwise canary run` in the background, returned once nginx serves phase 1 (10 %)."""
    process = subprocess.Popen(
        [str(canary_stack.ROLLWISE), "canary", "run", "--config", str(stack.config), "--report",
         str(stack.report_path), "--workdir", str(stack.workdir / "k6")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while stack.weight() != "10":
        assert time.monotonic() < deadline and process.poll() is None, "phase 1 never started"
        time.sleep(0.1)
    return process


@pytest.mark.parametrize("regression", [{"latency_ms": 14}, {"error_rate": 0.03}],
                         ids=["p95-latency-plus-50-percent", "three-percent-errors"])
def test_regressed_canary_is_rolled_back_and_gets_no_traffic(stack_factory, regression):
    stack = stack_factory(regression)
    done = stack.run()
    assert done.returncode == 1, done.stderr
    data = report(stack)
    assert data["decision"] == "rollback"
    # what happened, not how fast: caught by an analysis of the first phase that had enough data (10 %; 50 % when a
    # busy machine left the first windows thin), never promoted
    assert data["phase_reached"] in (10, 50)
    phase = data["phases"][-1]
    assert phase["outcome"] == "rolled back" and phase["analyses"][-1]["decision"] == "rollback"
    assert data["weight"] == 0
    assert stack.weight() == "0"
    assert stack.tracks_served(60) == {"baseline": 60}
    assert json.loads((stack.workdir / "state.json").read_text())["status"] == "rolled_back"


def test_sigterm_mid_phase_restores_weight_zero(stack_factory):
    stack = stack_factory(overrides={"analysis": {"interval": "60s"}})
    process = start_rollout_until_phase_one(stack)
    time.sleep(1.5)  # mid-phase: k6 is running, the first analysis window is open
    assert stack.tracks_served(40)["canary"] > 0
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 1, stderr
    assert stack.weight() == "0"
    assert stack.tracks_served(60) == {"baseline": 60}
    data = report(stack)
    assert data["reason"] == "rollout cancelled (received SIGTERM) at weight 10 %"
    assert data["phases"][0]["outcome"] == "cancelled"
    assert data["phases"][0]["analyses"] == []  # acted on at once, not after the minute-long analysis window
    assert data["phases"][0]["k6"]["exit_code"] == 105  # k6 stopped by rollwise, not left running


def test_prometheus_unreachable_mid_phase_never_promotes(stack_factory):
    stack = stack_factory(overrides={"analysis": {"inconclusive_limit": 1}})
    process = start_rollout_until_phase_one(stack)
    stack.prometheus.stop()
    _, stderr = process.communicate(timeout=90)
    assert process.returncode == 1, stderr
    data = report(stack)
    assert data["decision"] == "rollback" and data["phase_reached"] == 10
    assert "2 inconclusive analyses in this phase > inconclusive limit 1" in data["reason"]
    assert all(a["decision"] == "inconclusive" for a in data["phases"][0]["analyses"])
    assert stack.tracks_served(30) == {"baseline": 30}


def test_router_error_rolls_back_and_keeps_the_last_good_nginx_config(stack_factory):
    stack = stack_factory(overrides={"router": {"canary": "127.0.0.1:not-a-port"}})
    before = (stack.workdir / "nginx" / "upstream.conf").read_text()
    done = stack.run()
    assert done.returncode == 1, done.stderr
    data = report(stack)
    assert data["decision"] == "rollback" and data["phase_reached"] == 0
    assert data["reason"].startswith("nginx router: checking the configuration (nginx -t) failed:")
    assert 'invalid port in upstream "127.0.0.1:not-a-port"' in data["reason"]
    assert (stack.workdir / "nginx" / "upstream.conf").read_text() == before
    assert stack.tracks_served(20) == {"baseline": 20}


def test_missing_k6_changes_nothing(stack_factory):
    stack = stack_factory(prometheus=False)
    done = stack.run("--k6", "/nonexistent/k6")
    assert done.returncode == 2
    assert "k6 executable not found: /nonexistent/k6" in done.stderr
    assert not stack.report_path.exists() and not (stack.workdir / "state.json").exists()
    assert stack.weight() == "0"


def test_failing_k6_rolls_back(stack_factory, tmp_path):
    script = tmp_path / "abort.js"
    script.write_text("import exec from 'k6/execution';\n"
                      "export const options = { vus: 1, duration: '1m' };\n"
                      "export default function () { exec.test.abort('backend credentials rejected'); }\n")
    stack = stack_factory(prometheus=False, overrides={"warmup": {"script": str(script), "endpoints": None}})
    # the user's script replaces the generated endpoints
    stack.config.write_text(stack.config.read_text().replace("    endpoints: null\n", ""))
    done = stack.run()
    assert done.returncode == 1, done.stderr
    data = report(stack)
    assert data["decision"] == "rollback"
    assert data["reason"].startswith("k6 warm-up traffic failed: k6 exited with code 108")
    assert stack.weight() == "0"
