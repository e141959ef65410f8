"""The k6 adapter's pure parts: finding k6, the generated script, per-track figures, crossed thresholds."""

import json

import pytest

from rollwise.canary.adapters import k6
from rollwise.canary.model.plan import Endpoint, Warmup
from rollwise.errors import ConfigError


def point(metric, track, value):
    return json.dumps({"metric": metric, "type": "Point",
                       "data": {"time": "2026-11-25T12:55:27.64786524Z", "value": value, "tags": {"track": track}}})


def test_track_stats():
    lines = [point("http_req_duration", "baseline", float(v)) for v in range(1, 101)]
    lines += [point("http_req_failed", "baseline", 0)] * 98 + [point("http_req_failed", "baseline", 1)] * 2
    lines += [point("http_req_duration", "canary", 50.0), point("http_reqs", "canary", 1),
              json.dumps({"metric": "http_req_duration", "type": "Metric", "data": {}}), '{"metric": "http_req_d']
    stats = k6.track_stats(lines)
    assert stats["baseline"] == {"requests": 100, "p95_ms": 95.05, "error_rate": 0.02}
    assert stats["canary"] == {"requests": 1, "p95_ms": 50.0, "error_rate": None}


def test_crossed_thresholds():
    summary = {"metrics": {"http_req_failed{track:canary}": {"thresholds": {"rate<0.05": True}},
                           "http_req_duration": {"thresholds": {"p(95)<500": False}}, "http_reqs": {"count": 3}}}
    assert k6.crossed_thresholds(summary) == ["http_req_failed{track:canary}: rate<0.05"]


def test_generated_script_hits_both_tracks_with_tags():
    warmup = Warmup(baseline_url="http://b", canary_url="http://c", rate=12.5, vus=3,
                    endpoints=(Endpoint("/"), Endpoint("/orders", method="POST", status=201, body='{"sku": 1}')),
                    thresholds={"http_req_failed{track:canary}": ["rate<0.05"]})
    script = k6.generate_script(warmup, duration=90)
    assert "scenarios: { baseline: scenario('baseline'), canary: scenario('canary') }" in script
    assert "rate: 12500,\n    timeUnit: '1000s'" in script
    assert "duration: '90s'" in script and "preAllocatedVUs: 3" in script
    assert '"method": "POST", "path": "/orders", "status": 201' in script
    assert "tags: { track: track, endpoint: endpoint.path }" in script
    assert 'thresholds: {"http_req_failed{track:canary}": ["rate\\u003c0.05"]}' in script
    assert "sleep(" not in script


def test_generated_script_without_rate_runs_vus_with_a_pause():
    script = k6.generate_script(Warmup(endpoints=(Endpoint("/"),), rate=None, vus=2), duration=10)
    assert "executor: 'constant-vus'" in script and "sleep(0.05)" in script


def test_find_k6_prefers_path_then_the_wheel(tmp_path, monkeypatch):
    exe = tmp_path / "k6"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert k6.find_k6() == str(exe)
    monkeypatch.setenv("PATH", "")
    monkeypatch.setattr(k6.sysconfig, "get_path", lambda name: str(tmp_path))
    assert k6.find_k6() == str(exe)
    monkeypatch.setattr(k6.sysconfig, "get_path", lambda name: "/nonexistent")
    monkeypatch.setattr(k6.sys, "executable", "/nonexistent/python")
    with pytest.raises(ConfigError, match="k6 is not installed") as caught:
        k6.find_k6()
    assert "pip install 'rollwise[k6]'" in caught.value.message
