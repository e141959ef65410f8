"""`rollwise gate` end to end on a k6 results file: exit codes, JSON report, outputs, summary, HTML."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import datetime, timezone

import pytest

from rollwise.cli import main
from rollwise.gate import service

T0 = 1_700_000_000
CONFIG = """\
version: rollwise/v1
gate: {min_requests: 200, min_points: 8}
slos:
  - name: errors
    sli:
      ratio:
        errors: http_requests_total{code=~"5.."}
        total: http_requests_total
    objective: 99%
    critical: true
  - name: p95
    sli:
      latency: {histogram: http_request_duration_seconds, quantile: 0.95}
    objective: {max: 400ms}
"""


def k6_file(path, canary_fail: float, canary_ms: float, canary_rps: int = 5, seed: int = 4):
    rng = random.Random(seed)
    lines = []
    for track, fail, ms, rps in (("baseline", 0.002, 100.0, 5), ("canary", canary_fail, canary_ms, canary_rps)):
        for second in range(600):
            for _ in range(rps):
                t = datetime.fromtimestamp(T0 + second + rng.random(), tz=timezone.utc).isoformat()
                tags = {"track": track}
                lines.append(json.dumps({"type": "Point", "metric": "http_req_duration",
                                         "data": {"time": t, "value": rng.expovariate(1 / ms), "tags": tags}}))
                lines.append(json.dumps({"type": "Point", "metric": "http_req_failed",
                                         "data": {"time": t, "value": int(rng.random() < fail), "tags": tags}}))
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture()
def config(tmp_path):
    path = tmp_path / "rollwise.yml"
    path.write_text(CONFIG)
    return path


@pytest.mark.parametrize("fail,ms,rps,code,decision,words", [
    (0.002, 100.0, 5, 0, "proceed", "all 2 SLOs pass"),
    (0.03, 100.0, 5, 1, "rollback", "critical SLO errors"),
    (0.002, 180.0, 5, 1, "rollback", "p95"),
    (0.002, 100.0, 0, 3, "inconclusive", "no requests"),
], ids=["healthy", "errors", "latency", "no-canary"])
def test_exit_code_report_outputs_and_summary(tmp_path, config, monkeypatch, capsys, fail, ms, rps, code, decision,
                                              words):
    results = k6_file(tmp_path / "k6.json", fail, ms, rps)
    outputs, summary = tmp_path / "out", tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("ROLLWISE_K6_RESULTS", str(results))  # options read ROLLWISE_* like the action passes them
    report = tmp_path / "report.json"
    assert main(["gate", "--config", str(config), "--report", str(report), "--html", str(tmp_path / "r.html")]) == code
    payload = json.loads(report.read_text())
    assert payload["schema"] == "rollwise/gate/v1" and payload["decision"] == decision
    assert words in payload["reason"]
    assert f"\n{decision}\n" in outputs.read_text()
    text = summary.read_text()
    assert text.index(decision) < text.index("| SLO |")  # verdict first
    if decision != "proceed":
        assert "```mermaid" in text
    assert words in capsys.readouterr().out
    assert "<svg" in (tmp_path / "r.html").read_text() or rps == 0


def test_bad_config_is_exit_2_and_names_the_line(tmp_path, capsys):
    path = tmp_path / "rollwise.yml"
    path.write_text(CONFIG.replace("objective: 99%", "objectiv: 99%"))
    assert main(["gate", "--config", str(path), "--k6-results", str(path), "--window", "5m"]) == 2
    err = capsys.readouterr().err
    assert "rollwise.yml:9" in err and "did you mean 'objective'" in err


@pytest.mark.parametrize("args,message", [
    (["--canary", "canary"], "--canary"),
    (["--baseline", '{track="x"}', "--canary", '{track="x"}'], "same series"),
    (["--start", "yesterday"], "--start"),
    (["--warmup", "20m"], "window after warm-up is empty"),
], ids=["bad-selector", "same-tracks", "bad-time", "warmup-too-long"])
def test_bad_options_are_exit_2(tmp_path, config, capsys, args, message):
    results = k6_file(tmp_path / "k6.json", 0.002, 100.0)
    assert main(["gate", "--config", str(config), "--k6-results", str(results), *args]) == 2
    assert message in capsys.readouterr().err


def test_the_service_is_the_python_entry_for_canary_deploy(tmp_path, config):
    source = service.k6_source(k6_file(tmp_path / "k6.json", 0.03, 100.0))
    result = asyncio.run(service.judge(service.load_config(config), source, '{track="baseline"}', '{track="canary"}',
                                       datetime.fromtimestamp(T0, tz=timezone.utc),
                                       datetime.fromtimestamp(T0 + 600, tz=timezone.utc), warmup=60))
    assert result.decision == "rollback"
    assert {s.slo.name: s.verdict for s in result.slos} == {"errors": "fail", "p95": "pass"}
    assert result.window.start == T0 + 60


def test_window_on_k6_results_ends_where_the_results_end(tmp_path, config):
    results = k6_file(tmp_path / "k6.json", 0.002, 100.0)
    report = tmp_path / "report.json"
    assert main(["gate", "--config", str(config), "--k6-results", str(results), "--window", "5m", "--report",
                 str(report)]) == 0
    window = json.loads(report.read_text())["window"]
    assert window["end"].startswith(datetime.fromtimestamp(T0 + 599, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M"))


def test_an_exception_in_the_gate_service_exits_4_not_rollback(tmp_path, config, monkeypatch, capsys):
    results = k6_file(tmp_path / "k6.json", 0.03, 100.0)  # a regressed canary: the bug must not turn into a rollback
    outputs, report = tmp_path / "out", tmp_path / "report.json"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    def boom(*args, **kwargs):
        raise ZeroDivisionError("injected")

    monkeypatch.setattr("rollwise.gate.service.judge_core.judge", boom)
    code = main(["gate", "--config", str(config), "--k6-results", str(results),
                 "--report", str(report)])
    assert code == 4
    err = capsys.readouterr().err
    assert "internal error in `rollwise gate`: ZeroDivisionError: injected" in err and "rollwise 0." in err
    assert "Traceback" in err
    assert outputs.read_text().splitlines()[1] == "error" and "rollback" not in outputs.read_text()
    assert not report.exists()
