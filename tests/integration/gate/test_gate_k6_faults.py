"""A real k6 run's NDJSON, then bent: a point of the wrong shape is exit 2 at its line; a NaN or negative value
(which k6 never writes) makes the SLOs that read it inconclusive, never a decision."""

from __future__ import annotations

import json

import pytest
from test_gate_k6 import k6_results  # noqa: F401 - the fixture: one real k6 run

from rollwise.cli import main


def _bend(source, target, metric: str, change) -> int:
    """Copy the results with ``change`` applied to the first canary point of ``metric``; return its line number."""
    lines = source.read_text().splitlines()
    for number, line in enumerate(lines, 1):
        if f'"metric":"{metric}"' in line and '"type":"Point"' in line and '"track":"canary"' in line:
            lines[number - 1] = change(line)
            target.write_text("\n".join(lines) + "\n")
            return number
    raise AssertionError(f"no canary {metric} point")


def gate(repo_root, tmp_path, results, case: str = "healthy") -> tuple[int, dict]:
    report = tmp_path / "report.json"
    code = main(["gate", "--config", str(repo_root / "examples/gate/rollwise.yml"), "--k6-results", str(results),
                 "--baseline", f'{{case="{case}",track="baseline"}}', "--canary", f'{{case="{case}",track="canary"}}',
                 "--warmup", "0", "--report", str(report)])
    return code, (json.loads(report.read_text()) if report.exists() else {})


def _value(new: str):
    return lambda line: json.dumps({**json.loads(line), "data": {**json.loads(line)["data"], "value": "@"}}) \
        .replace('"@"', new)


@pytest.mark.parametrize("metric,value", [("http_req_duration", "-5"), ("http_req_duration", "NaN"),
                                          ("http_req_failed", "Infinity")], ids=["negative", "nan", "infinite"])
def test_k6_value_that_k6_never_writes_is_unusable_data(k6_results, repo_root, tmp_path, metric, value):  # noqa: F811
    bent = tmp_path / "results.json"
    number = _bend(k6_results, bent, metric, _value(value))
    code, report = gate(repo_root, tmp_path, bent, "failing" if metric == "http_req_failed" else "healthy")
    assert (code, report["decision"]) == (3, "inconclusive"), report["reason"]
    assert f"line {number} of results.json" in report["reason"]
    # the SLOs the bent line feeds are unusable; others may be inconclusive on their own account (underpowered)
    assert "unusable_data" in {s["reason_code"] for s in report["slos"] if s["verdict"] == "inconclusive"}
    assert not any(s["verdict"] == "fail" for s in report["slos"])


@pytest.mark.parametrize("change", [
    lambda line: json.dumps({**json.loads(line), "data": []}),
    lambda line: json.dumps({**json.loads(line), "data": {**json.loads(line)["data"], "value": "fast"}}),
    lambda line: json.dumps({**json.loads(line), "data": {**json.loads(line)["data"], "time": 12}}),
    lambda line: json.dumps({**json.loads(line), "data": {**json.loads(line)["data"], "tags": "canary"}}),
], ids=["data-not-an-object", "value-not-a-number", "time-not-a-time", "tags-not-an-object"])
def test_k6_line_of_the_wrong_shape_is_exit_2_at_its_line(k6_results, repo_root, tmp_path, capsys, change):  # noqa: F811
    bent = tmp_path / "results.json"
    number = _bend(k6_results, bent, "http_req_duration", change)
    code, report = gate(repo_root, tmp_path, bent)
    assert (code, report) == (2, {})
    assert f"results.json:{number}: data:" in capsys.readouterr().err
