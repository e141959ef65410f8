"""actions/slo-gate run the way a runner runs it, against a real Prometheus and a fake GitHub API on loopback."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
from integration.gate import gate_data

from support import services
from support.actionrunner import run_action


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """Prometheus with the gate scenarios (see tests/integration/gate/gate_data.py)."""
    workdir = tmp_path_factory.mktemp("slo-gate-action-prometheus")
    end = int(time.time() // 60 * 60) - 120
    (workdir / "series.om").write_text(gate_data.generate(end))
    subprocess.run([services.find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics",
                    str(workdir / "series.om"), str(workdir / "tsdb")], check=True, capture_output=True)
    service = services.start_prometheus(workdir, storage=workdir / "tsdb")
    yield service.url, end
    service.stop()


def gate(repo_root, tmp_path, prometheus, scenario: str, event=None, api_url: str | None = None, **inputs):
    url, end = prometheus
    env = dict(os.environ)
    if event:
        env["GITHUB_EVENT_PATH"] = str(event)
    return run_action(repo_root / "actions" / "slo-gate", {
        "config": str(repo_root / "examples" / "gate" / "rollwise.yml"),
        "prometheus-url": url,
        "baseline": f'{{scenario="{scenario}",track="baseline"}}',
        "canary": f'{{scenario="{scenario}",track="canary"}}',
        "start": str(end - gate_data.WINDOW), "end": str(end),
        "report": str(tmp_path / f"{scenario}.json"),
        **inputs,
    }, env=env, workdir=tmp_path, github={"api_url": api_url or "http://127.0.0.1:9", "event_name": "pull_request",
                                          "repository": "acme/shop"})


def test_healthy_canary_proceeds_and_reports_status_and_sticky_comment(repo_root, tmp_path, prometheus, github):
    fake, event = github
    first = gate(repo_root, tmp_path, prometheus, "healthy", event, fake.url, **{"github-status": "true",
                                                                                  "github-comment": "true"})
    assert first.exit_code == 0, first.log
    assert first.outputs["decision"] == "proceed" and first.outputs["score"] == "100.0"
    assert json.loads(open(first.outputs["report"]).read())["decision"] == "proceed"
    assert "slo-gate: **proceed**" in first.summary and "| availability ★ |" in first.summary
    status = next(r for r in fake.requests if "/statuses/" in r[1])
    assert status[1] == "/repos/acme/shop/statuses/" + "a" * 40
    assert status[2]["state"] == "success" and status[2]["context"] == "rollwise/slo-gate"
    assert len(status[2]["description"]) <= 140 and status[2]["target_url"].endswith("/acme/shop/actions/runs/1")
    assert status[3] == "Bearer ghs_test_token"
    assert "ghs_test_token" in first.masks
    assert len(fake.comments) == 1 and "<!-- rollwise:slo-gate -->" in fake.comments[0]["body"]
    # a second run edits the same comment in place
    second = gate(repo_root, tmp_path, prometheus, "error_regression", event, fake.url,
                  **{"github-status": "true", "github-comment": "true"})
    assert second.exit_code == 1 and second.outputs["decision"] == "rollback"
    assert len(fake.comments) == 1 and "**rollback**" in fake.comments[0]["body"]
    assert [r[0] for r in fake.requests if "/comments" in r[1]] == ["GET", "POST", "GET", "PATCH"]
    assert [r[2]["state"] for r in fake.requests if "/statuses/" in r[1]] == ["success", "failure"]


def test_rollback_fails_the_step_with_annotations(repo_root, tmp_path, prometheus):
    result = gate(repo_root, tmp_path, prometheus, "latency_regression")
    assert result.exit_code == 1 and result.step("run").exit_code == 1
    assert result.outputs == {**result.outputs, "decision": "rollback", "exit-code": "1"}
    assert any(level == "error" and "latency-p95" in props for level, props, _ in result.annotations)
    assert "```mermaid" in result.summary


@pytest.mark.parametrize("fail_on_inconclusive,exit_code", [("true", 1), ("false", 0)], ids=["fails", "passes"])
def test_inconclusive_fails_the_step_unless_told_otherwise(repo_root, tmp_path, prometheus, fail_on_inconclusive,
                                                           exit_code):
    result = gate(repo_root, tmp_path, prometheus, "no_canary", **{"fail-on-inconclusive": fail_on_inconclusive})
    assert result.exit_code == exit_code
    assert result.outputs["decision"] == "inconclusive" and result.outputs["exit-code"] == "3"
    if fail_on_inconclusive == "false":
        assert any("fail-on-inconclusive is false" in message for _, _, message in result.annotations)


def test_fork_pr_without_write_access_degrades_to_a_warning(repo_root, tmp_path, prometheus, github):
    fake, event = github
    fake.deny = True
    result = gate(repo_root, tmp_path, prometheus, "healthy", event, fake.url,
                  **{"github-status": "true", "github-comment": "true"})
    assert result.exit_code == 0 and result.outputs["decision"] == "proceed"
    warnings = [message for level, _, message in result.annotations if level == "warning"]
    assert any("HTTP 403" in w and "fork" in w for w in warnings)
    assert fake.requests  # it did try


def test_bad_config_is_exit_2(repo_root, tmp_path, prometheus):
    config = tmp_path / "rollwise.yml"
    config.write_text("version: rollwise/v1\nslos: []\n")
    result = gate(repo_root, tmp_path, prometheus, "healthy", config=str(config))
    assert result.exit_code == 1 and result.outputs["exit-code"] == "2"
    assert "should be non-empty" in result.log or "minItems" in result.log or "too short" in result.log


def test_budget_mode_blocks_a_deploy_while_the_budget_burns(repo_root, tmp_path, prometheus, github):
    url, end = prometheus
    fake, event = github
    result = run_action(repo_root / "actions" / "slo-gate", {
        "config": str(repo_root / "examples" / "gate" / "rollwise.yml"), "prometheus-url": url, "mode": "budget",
        "selector": '{scenario="environmental",track="baseline"}', "end": str(end),
        "report": str(tmp_path / "budget.json"), "github-status": "true", "github-comment": "true"},
        env={**os.environ, "GITHUB_EVENT_PATH": str(event)}, workdir=tmp_path,
        github={"api_url": fake.url, "event_name": "pull_request", "repository": "acme/shop"})
    assert result.exit_code == 1 and result.outputs["decision"] == "rollback"
    assert float(result.outputs["budget-remaining"]) < 0
    assert "error budget: **rollback**" in result.summary
    status = next(r for r in fake.requests if "/statuses/" in r[1])
    assert status[2]["state"] == "failure" and status[2]["context"] == "rollwise/slo-gate"
    assert fake.comments[0]["body"].startswith("<!-- rollwise:slo-gate-budget -->")
