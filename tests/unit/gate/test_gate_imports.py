"""Sloth and OpenSLO SLO files imported into rollwise.yml."""

from __future__ import annotations

import pytest

from rollwise.errors import ConfigError
from rollwise.gate.config import load_config
from rollwise.gate.model import LatencySli, PromqlSli, RatioSli, promql


def test_example_imports_become_slos(repo_root):
    config = load_config(repo_root / "examples" / "gate" / "rollwise-imports.yml")
    by_name = {s.name: s for s in config.slos}
    sloth = by_name["requests-availability"]
    assert isinstance(sloth.sli, RatioSli) and sloth.objective.target == pytest.approx(0.995)
    assert sloth.sli.errors == 'http_requests_total{job="api",code=~"(5..|429)"}'
    openslo = by_name["latency-under-500ms"]
    assert openslo.sli.good == 'http_request_duration_seconds_bucket{job="api",le="0.5"}'
    assert openslo.objective.target == pytest.approx(0.99)
    assert isinstance(by_name["latency-p95"].sli, LatencySli)
    assert [s.index for s in config.slos] == [0, 1, 2]
    # good/total becomes bad = total − good, with the track injected into both
    queries = promql.queries_for(openslo, 1800, 60).injected(promql.track_matchers('{track="canary"}'))
    assert queries.bad.count('track="canary"') == 2 and " - " in queries.bad


def write(tmp_path, sloth: str) -> str:
    (tmp_path / "sloth.yml").write_text(sloth)
    path = tmp_path / "rollwise.yml"
    path.write_text("version: rollwise/v1\nimport:\n  - sloth.yml\n")
    return path


def test_sloth_raw_sli_becomes_promql_with_step(tmp_path):
    path = write(tmp_path, "version: prometheus/v1\nservice: x\nslos:\n  - name: raw\n    objective: 99\n"
                           "    sli:\n      raw:\n        error_ratio_query: sum(rate(e[{{.window}}])) / "
                           "sum(rate(t[{{.window}}]))\n")
    slo = load_config(path).slos[0]
    assert isinstance(slo.sli, PromqlSli) and "$step" in slo.sli.query
    assert slo.objective.max == pytest.approx(0.01)


@pytest.mark.parametrize("body,message", [
    ("version: prometheus/v1\nslos:\n  - name: a\n    objective: 99\n    sli:\n      events:\n"
     "        error_query: sum(rate(a[{{.window}}])) + sum(rate(b[{{.window}}]))\n        total_query: t\n",
     "2 metric selectors"),
    ("version: prometheus/v1\nslos:\n  - name: a\n    objective: 99\n    sli:\n      plugin: {id: x}\n",
     "not plugins"),
    ("kind: Something\n", "neither a Sloth"),
], ids=["two-selectors", "plugin", "unknown"])
def test_imports_that_cannot_be_expressed_are_refused(tmp_path, body, message):
    with pytest.raises(ConfigError, match=message) as info:
        load_config(write(tmp_path, body))
    assert "sloth.yml" in str(info.value)


def test_missing_import_is_located(tmp_path):
    path = tmp_path / "rollwise.yml"
    path.write_text("version: rollwise/v1\nimport:\n  - nope.yml\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.location.line == 3 and "does not exist" in info.value.problem
