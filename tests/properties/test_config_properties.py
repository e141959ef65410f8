"""rollwise.yml and flags.yml, bent at every leaf and in their YAML syntax: exit 0-3, never a traceback."""

from __future__ import annotations

import json

from boundary import NASTY_SCALARS, run
from hypothesis import given
from hypothesis import strategies as st

from rollwise.errors import ConfigError
from rollwise.yamlsource import parse_yaml

T0 = 1_700_000_000

CONFIG_LINES = """version: rollwise/v1
prometheus:
  url: http://127.0.0.1:9
  timeout: 1s
  deadline: 1s
  retries: 0
gate:
  alpha: 0.05
  min_requests: 10
  min_points: 3
  pass_score: 90
  warmup: 0s
  step: 10s
budget:
  period: 30d
slos:
  - name: availability
    sli:
      ratio:
        errors: http_requests_total{code=~"5.."}
        total: http_requests_total
    objective: 99%
    tolerance: {relative: 10%, absolute: 0.001}
    critical: true
    weight: 2
  - name: p95
    sli:
      latency:
        histogram: http_request_duration_seconds
        quantile: 0.95
    objective: {max: 300ms}
    tolerance: 10%
    direction: increase
  - name: slow
    sli:
      latency:
        histogram: http_request_duration_seconds
        slower_than: 200ms
    objective: 99.5
""".splitlines()

#: the lines that hold a value, and where the value starts
VALUE_LINES = [i for i, line in enumerate(CONFIG_LINES) if ": " in line and not line.rstrip().endswith(":")]


def k6_file(tmp_path) -> str:
    from datetime import datetime, timezone

    lines = []
    for i in range(60):
        stamp = datetime.fromtimestamp(T0 + i, tz=timezone.utc).isoformat()
        for track, slow, failed in (("baseline", 50.0, 0.0), ("canary", 80.0 + i, float(i % 7 == 0))):
            tags = {"track": track}
            lines.append(json.dumps({"type": "Point", "metric": "http_req_duration",
                                     "data": {"time": stamp, "value": slow, "tags": tags}}))
            lines.append(json.dumps({"type": "Point", "metric": "http_req_failed",
                                     "data": {"time": stamp, "value": failed, "tags": tags}}))
    path = tmp_path / "k6.json"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@st.composite
def bent_configs(draw) -> str:
    lines = list(CONFIG_LINES)
    for index in draw(st.lists(st.sampled_from(VALUE_LINES), min_size=1, max_size=3, unique=True)):
        key = lines[index].split(": ", 1)[0]
        lines[index] = f"{key}: {draw(NASTY_SCALARS)}"
    if draw(st.booleans()):  # a key written twice
        index = draw(st.sampled_from(VALUE_LINES))
        lines.insert(index + 1, lines[index])
    return "\n".join(lines) + "\n"


@given(config=bent_configs())
def test_bent_rollwise_yml_never_crashes_the_gate(tmp_path_factory, config):
    tmp = tmp_path_factory.mktemp("cfg")
    (tmp / "rollwise.yml").write_text(config)
    run(["gate", "--config", str(tmp / "rollwise.yml"), "--k6-results", k6_file(tmp), "--start", str(T0),
         "--end", str(T0 + 60), "--report", str(tmp / "r.json")], tmp / "r.json")


@given(text=st.one_of(
    st.text(max_size=300),
    st.lists(st.sampled_from(["a:", "  b: 1", "- x", "&a [1, 2]", "*a", "<<: *a", "? k", "!!str", "{", "]", "---",
                              "c: [*a, *a, *a]", "  - *a", "'", "\t", "d: .nan", "d: 1"]),
             max_size=20).map("\n".join)))
def test_any_text_is_yaml_or_a_located_config_error(text):
    try:
        parse_yaml(text, "x.yml")
    except ConfigError as exc:
        assert exc.location.file == "x.yml"


FLAGS = """version: rollwise/flags/v1
segments:
  staff:
    include: [qa-anna]
    conditions:
      - {attribute: email, op: ends_with, value: "@shop.example"}
flags:
  checkout:
    default: false
    rollout: {percent: 25, variant: true}
    rules:
      - name: staff
        segments: [staff]
        serve: true
  theme:
    variants: {light: {}, dark: {}}
    default: light
""".splitlines()
FLAG_VALUE_LINES = [i for i, line in enumerate(FLAGS) if ": " in line and not line.rstrip().endswith(":")]


@given(data=st.data())
def test_bent_flags_yml_never_crashes_sync(tmp_path_factory, data):
    tmp = tmp_path_factory.mktemp("flags")
    lines = list(FLAGS)
    for index in data.draw(st.lists(st.sampled_from(FLAG_VALUE_LINES), min_size=1, max_size=3, unique=True)):
        key = lines[index].split(": ", 1)[0]
        lines[index] = f"{key}: {data.draw(NASTY_SCALARS)}"
    if data.draw(st.booleans()):
        index = data.draw(st.sampled_from(FLAG_VALUE_LINES))
        lines.insert(index + 1, lines[index])
    (tmp / "flags.yml").write_text("\n".join(lines) + "\n")
    store = tmp / "store.yml"
    store.write_text("version: rollwise/flags/v1\nrevision: 0\nflags: {}\n")
    run(["flags", "sync", "--store", f"file://{store}", "--file", str(tmp / "flags.yml"), "--actor", "t"],
        tmp / "none.json", watched=[store])
