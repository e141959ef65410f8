"""rollwise.yml: a good file loads; each mistake is exit 2 with file, line, key and a fix."""

from __future__ import annotations

import textwrap

import pytest

from rollwise.errors import ConfigError
from rollwise.gate.config import load_config
from rollwise.gate.model import LatencySli, PromqlSli, RatioSli

GOOD = """\
version: rollwise/v1
prometheus:
  url: http://prom:9090
  headers: {X-Scope-OrgID: tenant-a}
  bearer_token_env: PROM_TOKEN
gate:
  warmup: 2m
  min_requests: 50
slos:
  - name: availability
    sli:
      ratio:
        errors: http_requests_total{code=~"5.."}
        total: http_requests_total
    objective: 99.9%
    critical: true
  - name: p95
    sli:
      latency:
        histogram: http_request_duration_seconds{job="api"}
        quantile: 0.95
    objective: {max: 300ms}
    tolerance: {relative: 20%, absolute: 10ms}
  - name: slow
    sli:
      latency:
        histogram: http_request_duration_seconds
        slower_than: 1s
    objective: 99
  - name: queue
    sli:
      promql: avg(rate(queue_wait_seconds_sum{$track}[$step]))
    objective: {min: 0.5}
canary:
  router: {type: command}
  anything: the canary section is validated by canary-deploy
"""


def write(tmp_path, text: str):
    path = tmp_path / "rollwise.yml"
    path.write_text(textwrap.dedent(text))
    return path


def test_good_config_loads_with_units_and_defaults(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    availability, p95, slow, queue = config.slos
    assert isinstance(availability.sli, RatioSli) and availability.objective.target == pytest.approx(0.999)
    assert availability.tolerance.absolute == pytest.approx(0.0001)  # a tenth of the 0.1 % budget
    assert isinstance(p95.sli, LatencySli) and p95.objective.max == pytest.approx(0.3)
    assert p95.tolerance.relative == pytest.approx(0.2) and p95.tolerance.absolute == pytest.approx(0.01)
    assert slow.counts_based and slow.objective.target == pytest.approx(0.99) and slow.sli.slower_than == 1.0
    assert isinstance(queue.sli, PromqlSli) and queue.direction == "decrease"
    assert config.policy.warmup == 120 and config.policy.min_requests == 50
    assert config.prometheus.headers == {"X-Scope-OrgID": "tenant-a"}
    assert config.canary["router"] == {"type": "command"}
    assert availability.line == 10


@pytest.mark.parametrize("mutate,line,key,problem,fix", [
    (lambda t: t.replace("    objective: 99.9%", "    objectve: 99.9%"), 15, "slos[0].objectve",
     "unknown key 'objectve'", "did you mean 'objective'?"),
    (lambda t: t.replace('http_requests_total{code=~"5.."}', 'http_requests_total{code=~"5.."'), 13,
     "slos[0].sli.ratio", "not valid PromQL", "promtool"),
    (lambda t: t.replace("        quantile: 0.95", "        quantile: 0.95\n        slower_than: 1s"), 19,
     "slos[1].sli.latency", "exactly one of quantile or slower_than", "two SLOs"),
    (lambda t: t.replace("objective: {max: 300ms}", "objective: 99"), 22, "slos[1].objective",
     "its objective is a limit", "{max: 300ms}"),
    (lambda t: t.replace("version: rollwise/v1", "version: rollwise/v2"), 1, "version", "rollwise/v1", None),
    (lambda t: t.replace("name: slow", "name: p95"), 24, "slos[2].name", "used twice", "rename"),
    (lambda t: t.replace("rate(queue_wait_seconds_sum{$track}[$step])", "vector(1)"), 32, "slos[3].sli.promql",
     "no metric selector", None),
    (lambda t: t.replace('errors: http_requests_total{code=~"5.."}', "errors: rate(x[5m])"), 13,
     "slos[0].sli.ratio", "not a plain metric selector", None),
], ids=["typo-key", "bad-promql", "latency-both", "objective-shape", "version", "duplicate", "no-selector",
        "function-as-selector"])
def test_config_errors_are_located(tmp_path, mutate, line, key, problem, fix):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, mutate(GOOD)))
    error = info.value
    assert error.exit_code == 2
    assert problem in error.problem
    assert error.location.line == line
    assert error.location.key.startswith(key)
    assert str(tmp_path / "rollwise.yml") in str(error)
    if fix:
        assert fix in (error.fix or "")


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.yml")


def test_example_configs_load(repo_root):
    for path in sorted((repo_root / "examples" / "gate").glob("*.yml")):
        assert load_config(path).slos


def test_shipped_schema_is_a_valid_draft_2020_12_schema():
    import jsonschema

    from rollwise.gate.config import schema

    jsonschema.Draft202012Validator.check_schema(schema())
    assert "canary" in schema()["properties"]  # left to canary-deploy's own schema
