"""`rollwise gate` against a real Prometheus: each scenario's decision, exit code and reason."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main
from support import services

CONFIG = "examples/gate/rollwise.yml"


def run(repo_root, tmp_path, prom_url: str, scenario: str, *extra: str, start: int, end: int,
        config: str = CONFIG) -> tuple[int, dict]:
    report = tmp_path / f"{scenario}.json"
    code = main(["gate", "--config", str(repo_root / config), "--prometheus-url", prom_url,
                 "--baseline", f'{{scenario="{scenario}",track="baseline"}}',
                 "--canary", f'{{scenario="{scenario}",track="canary"}}',
                 "--start", str(start), "--end", str(end), "--report", str(report), *extra])
    return code, (json.loads(report.read_text()) if report.exists() else {})


SCENARIOS = [
    ("healthy", 0, "proceed", {"availability": "ok", "latency-p95": "ok", "slow-requests": "ok"},
     "proceed: all 3 SLOs pass"),
    ("latency_regression", 1, "rollback", {"availability": "ok", "latency-p95": "regression",
                                            "slow-requests": "regression"}, "worse than the baseline"),
    ("latency_spread", 1, "rollback", {"availability": "ok", "latency-p95": "regression"}, "latency-p95"),
    ("error_regression", 1, "rollback", {"availability": "regression"}, "rollback: critical SLO availability"),
    ("canary_better", 0, "proceed", {"availability": "better", "latency-p95": "better"}, "proceed"),
    ("environmental", 3, "inconclusive", {"availability": "environmental"}, "environmental cause"),
    ("low_traffic", 3, "inconclusive", {"availability": "low_traffic"}, "fewer than min_requests 200"),
    ("no_canary", 3, "inconclusive", {"availability": "no_canary_data", "latency-p95": "no_canary_data"},
     "receiving traffic"),
]


@pytest.mark.parametrize("scenario,code,decision,codes,words", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_scenario(gate_prometheus, repo_root, tmp_path, capsys, scenario, code, decision, codes, words):
    got, report = run(repo_root, tmp_path, gate_prometheus.url, scenario, start=gate_prometheus.start,
                      end=gate_prometheus.end)
    by_name = {s["name"]: s for s in report["slos"]}
    assert (got, report["decision"]) == (code, decision), report["reason"]
    assert words in report["reason"]
    assert {name: by_name[name]["reason_code"] for name in codes} == codes
    assert report["schema"] == "rollwise/gate/v1"
    # the exact queries sent are in the report, with the track matchers injected
    assert all(f'scenario="{scenario}"' in q for s in report["slos"] for q in s["canary"]["queries"])
    assert report["reason"] in capsys.readouterr().out


def test_prometheus_unreachable_is_inconclusive_never_proceed(repo_root, tmp_path):
    closed = f"http://127.0.0.1:{services.free_port()}"
    code, report = run(repo_root, tmp_path, closed, "healthy", start=1_700_000_000, end=1_700_001_800)
    assert (code, report["decision"]) == (3, "inconclusive")
    assert "could not read" in report["reason"] and "ConnectError" in report["reason"]
    assert all(s["reason_code"] == "source_error" for s in report["slos"])


def test_bad_promql_is_exit_2_before_any_query(repo_root, tmp_path, capsys):
    config = tmp_path / "rollwise.yml"
    config.write_text((repo_root / CONFIG).read_text().replace('code=~"5.."}', 'code=~"5.."'))
    # the URL is closed: had a query been sent, the run would take retries and end inconclusive instead
    code, report = run(repo_root, tmp_path, f"http://127.0.0.1:{services.free_port()}", "healthy",
                       start=1_700_000_000, end=1_700_001_800, config=str(config))
    err = capsys.readouterr().err
    assert code == 2 and report == {}
    assert "rollwise.yml:15: slos[0].sli.ratio.errors: not valid PromQL" in err and "http_requests_total{" in err


def test_bad_config_is_exit_2_with_a_suggestion(repo_root, tmp_path, capsys):
    config = tmp_path / "rollwise.yml"
    config.write_text((repo_root / CONFIG).read_text().replace("    critical: true", "    criticl: true"))
    code, _ = run(repo_root, tmp_path, "http://127.0.0.1:1", "healthy", start=1, end=2, config=str(config))
    err = capsys.readouterr().err
    assert code == 2 and "rollwise.yml:18: slos[0].criticl: unknown key 'criticl'" in err
    assert "did you mean 'critical'?" in err


def test_query_rejected_by_prometheus_is_exit_2_naming_the_slo(gate_prometheus, repo_root, tmp_path, capsys):
    config = tmp_path / "rollwise.yml"
    # parses offline, but Prometheus refuses to run it: many-to-many matching
    config.write_text("version: rollwise/v1\nslos:\n  - name: weird\n    sli:\n      promql: "
                      "'http_requests_total / on(job) http_requests_total'\n    objective: {max: 1}\n")
    code, _ = run(repo_root, tmp_path, gate_prometheus.url, "healthy", start=gate_prometheus.start,
                  end=gate_prometheus.end, config=str(config))
    err = capsys.readouterr().err
    assert code == 2 and "Prometheus rejected a query of SLO 'weird'" in err and "rollwise.yml:5" in err


def test_budget_mode_on_real_prometheus(gate_prometheus, repo_root, tmp_path):
    def budget(scenario: str) -> tuple[int, dict]:
        report = tmp_path / f"budget-{scenario}.json"
        code = main(["gate", "--mode", "budget", "--config", str(repo_root / CONFIG), "--prometheus-url",
                     gate_prometheus.url, "--selector", f'{{scenario="{scenario}",track="baseline"}}',
                     "--end", str(gate_prometheus.end), "--report", str(report)])
        return code, json.loads(report.read_text())

    code, healthy = budget("healthy")
    assert (code, healthy["decision"]) == (0, "proceed"), healthy["reason"]
    assert healthy["schema"] == "rollwise/gate-budget/v1"
    assert 0.4 < healthy["slos"][0]["remaining"] < 1
    code, burning = budget("environmental")
    assert (code, burning["decision"]) == (1, "rollback"), burning["reason"]
    assert "availability" in burning["reason"]


def test_imported_sloth_and_openslo_slos_judge_on_prometheus(gate_prometheus, repo_root, tmp_path):
    code, report = run(repo_root, tmp_path, gate_prometheus.url, "error_regression", start=gate_prometheus.start,
                       end=gate_prometheus.end, config="examples/gate/rollwise-imports.yml")
    verdicts = {s["name"]: (s["verdict"], s["reason_code"]) for s in report["slos"]}
    assert code == 1 and report["decision"] == "rollback"
    assert verdicts == {"latency-p95": ("pass", "ok"), "requests-availability": ("fail", "regression"),
                        "latency-under-500ms": ("pass", "ok")}


def test_slower_than_off_the_bucket_bounds_is_inconclusive_not_pass(gate_prometheus, repo_root, tmp_path):
    config = tmp_path / "rollwise.yml"
    config.write_text((repo_root / CONFIG).read_text().replace("slower_than: 500ms", "slower_than: 400ms"))
    code, report = run(repo_root, tmp_path, gate_prometheus.url, "healthy", start=gate_prometheus.start,
                       end=gate_prometheus.end, config=str(config))
    slow = next(s for s in report["slos"] if s["name"] == "slow-requests")
    assert code == 3 and slow["reason_code"] == "missing_bucket"


def test_good_over_total_with_no_good_series_counts_every_request_as_bad(gate_prometheus, repo_root, tmp_path):
    config = tmp_path / "rollwise.yml"
    config.write_text("version: rollwise/v1\nslos:\n  - name: good\n    sli:\n      ratio:\n"
                      '        good: http_requests_total{code="201"}\n        total: http_requests_total\n'
                      "    objective: 99%\n")
    code, report = run(repo_root, tmp_path, gate_prometheus.url, "healthy", start=gate_prometheus.start,
                       end=gate_prometheus.end, config=str(config))
    slo = report["slos"][0]
    assert slo["canary"]["bad"] == slo["canary"]["total"] > 0
    # both tracks are "all bad", so the breach is shared: environmental, not a pass
    assert slo["objective_breached"] is True and (code, slo["reason_code"]) == (3, "environmental")
