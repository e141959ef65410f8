"""k6 NDJSON results as a source: points split by the track tag, milliseconds to seconds."""

from __future__ import annotations

import asyncio
import json

import pytest

from rollwise.errors import ConfigError
from rollwise.gate.adapters.k6 import K6ResultsSource, quantile
from rollwise.gate.model import LatencySli, Objective, PromqlSli, RatioSli, Slo, Tolerance, Window

T0 = 1_700_000_000


def point(metric: str, t: float, value: float, track: str) -> str:
    from datetime import datetime, timezone

    stamp = datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123+00:00"
    return json.dumps({"type": "Point", "metric": metric,
                       "data": {"time": stamp, "value": value, "tags": {"track": track, "method": "GET"}}})


@pytest.fixture()
def results(tmp_path):
    lines = [json.dumps({"type": "Metric", "metric": "http_req_duration", "data": {"type": "trend"}})]
    for i in range(100):
        t = T0 + i
        lines.append(point("http_req_duration", t, 100.0 + i, "canary"))
        lines.append(point("http_req_failed", t, 1.0 if i % 10 == 0 else 0.0, "canary"))
        lines.append(point("http_req_duration", t, 50.0, "baseline"))
        lines.append(point("http_req_failed", t, 0.0, "baseline"))
    path = tmp_path / "k6.json"
    path.write_text("\n".join(lines) + "\n")
    return path


def measure(source, slo, track):
    return asyncio.run(source.measure(slo, track, Window(T0, T0 + 100), 10))


def test_ratio_latency_and_slow_share_per_track(results):
    source = K6ResultsSource(results)
    assert source.span() == pytest.approx((T0 + 0.000123, T0 + 99.000123), abs=1e-3)
    ratio = Slo("err", RatioSli("a", "b"), Objective(target=0.99), Tolerance())
    canary = measure(source, ratio, '{track="canary"}')
    assert (canary.bad, canary.total) == (10, 100) and len(canary.series) == 10
    baseline = measure(source, ratio, '{track=~"base.*"}')
    assert (baseline.bad, baseline.total) == (0, 100)
    p90 = Slo("p90", LatencySli("h", quantile=0.9), Objective(max=1), Tolerance())
    assert measure(source, p90, '{track="canary"}').value == pytest.approx(quantile([0.1 + i / 1000 for i in range(100)], 0.9))
    slow = Slo("slow", LatencySli("h", slower_than=0.15), Objective(target=0.99), Tolerance())
    assert measure(source, slow, '{track="canary"}').bad == 49


def test_raw_promql_is_a_source_error_not_a_pass(results):
    data = measure(K6ResultsSource(results), Slo("q", PromqlSli("up"), Objective(max=1), Tolerance()),
                   '{track="canary"}')
    assert data.error and "PromQL" in data.error


def test_a_file_that_is_not_k6_json_is_a_config_error(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text("hello\n")
    with pytest.raises(ConfigError, match="not k6 JSON"):
        K6ResultsSource(path).span()
