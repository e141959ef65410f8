"""The gate's statistics on a real Prometheus (backfilled by promtool): a regression hidden in a wide histogram
bucket is not a pass, an error burst both tracks share is not a regression, and a canary worse in every step is
caught through the burst."""

from __future__ import annotations

import json

from rollwise.cli import main

P99 = """\
version: rollwise/v1
gate: {warmup: 2m, min_requests: 200}
slos:
  - name: latency-p99
    sli:
      latency:
        histogram: http_request_duration_seconds{job="api"}
        quantile: 0.99
    objective: {max: 1s}
    tolerance: 10%
"""


def gate(gate_prometheus, tmp_path, scenario: str, config: str) -> tuple[int, dict]:
    report = tmp_path / f"{scenario}.json"
    code = main(["gate", "--config", config, "--prometheus-url", gate_prometheus.url,
                 "--baseline", f'{{scenario="{scenario}",track="baseline"}}',
                 "--canary", f'{{scenario="{scenario}",track="canary"}}',
                 "--start", str(gate_prometheus.start), "--end", str(gate_prometheus.end), "--report", str(report)])
    return code, json.loads(report.read_text())


def test_a_regression_hidden_in_a_wide_bucket_is_inconclusive_not_proceed(gate_prometheus, tmp_path):
    config = tmp_path / "rollwise.yml"
    config.write_text(P99)
    code, report = gate(gate_prometheus, tmp_path, "wide_bucket", str(config))
    slo = report["slos"][0]
    assert (code, report["decision"]) == (3, "inconclusive"), report["reason"]
    assert slo["reason_code"] == "histogram_resolution", slo["reason"]
    assert "(0.25, 0.5]" in slo["reason"] and 'le="0.3"' in slo["reason"]
    assert 0.25 < slo["baseline"]["value"] < slo["canary"]["value"] <= 0.5


def test_an_error_burst_both_tracks_share_does_not_roll_back(gate_prometheus, repo_root, tmp_path):
    code, report = gate(gate_prometheus, tmp_path, "shared_burst", str(repo_root / "examples/gate/rollwise.yml"))
    availability = next(s for s in report["slos"] if s["name"] == "availability")
    assert report["decision"] != "rollback" and code != 1, report["reason"]
    assert availability["comparison"]["test"] == "cochran-mantel-haenszel"
    assert not availability["comparison"]["significant"]
    # the burst breaches the objective on both tracks: held as environmental, not blamed on the canary
    assert (code, availability["reason_code"]) == (3, "environmental")


def test_a_canary_worse_in_every_step_is_rolled_back_through_the_burst(gate_prometheus, repo_root, tmp_path):
    code, report = gate(gate_prometheus, tmp_path, "burst_worse_canary", str(repo_root / "examples/gate/rollwise.yml"))
    availability = next(s for s in report["slos"] if s["name"] == "availability")
    assert (code, report["decision"]) == (1, "rollback"), report["reason"]
    assert (availability["reason_code"], availability["comparison"]["test"]) == ("regression",
                                                                                "cochran-mantel-haenszel")
