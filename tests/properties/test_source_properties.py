"""What Prometheus answers and what a k6 file holds, generated: the gate never crashes, and no SLO that passes or
fails rests on a non-finite or negative number."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re

import httpx
from boundary import run
from hypothesis import event, given
from hypothesis import strategies as st
from test_config_properties import CONFIG_LINES, T0

from rollwise.errors import RollwiseError
from rollwise.gate.adapters.prometheus import PrometheusSource
from rollwise.gate.config import config_from_document
from rollwise.gate.service import judge
from rollwise.yamlsource import parse_yaml

CONFIG = config_from_document(parse_yaml("\n".join(CONFIG_LINES) + "\n", "rollwise.yml"))

SAMPLE = st.one_of(st.sampled_from(["NaN", "+Inf", "-Inf", "-1", "0", "1e308", "abc", ""]),
                   st.floats(allow_nan=True, allow_infinity=True).map(repr),
                   st.integers(min_value=-10**6, max_value=10**6).map(str),
                   st.floats(min_value=0, max_value=1e6).map(repr), st.none(), st.integers(), st.lists(st.integers()))
SERIES = st.fixed_dictionaries({
    "metric": st.one_of(st.just({}), st.dictionaries(st.sampled_from(["rollwise_query", "x"]),
                                                     st.one_of(st.integers(0, 3).map(str), st.text(max_size=3)))),
    "value": st.tuples(st.floats(T0, T0 + 600), SAMPLE).map(list),
    "values": st.lists(st.tuples(st.floats(T0, T0 + 600), SAMPLE).map(list), max_size=6),
})
ANSWER = st.one_of(
    st.fixed_dictionaries({"status": st.just("success"),
                           "data": st.fixed_dictionaries({"resultType": st.sampled_from(["vector", "matrix", "scalar"]),
                                                          "result": st.lists(SERIES, max_size=3)})}),
    st.fixed_dictionaries({"status": st.sampled_from(["success", "error"]),
                           "data": st.one_of(st.none(), st.lists(st.text(max_size=8)), st.integers())}),
    st.lists(st.integers(), max_size=2), st.none(), st.text(max_size=10),
)


@given(answers=st.lists(st.tuples(st.sampled_from([200, 200, 200, 400, 429, 500, 302]), ANSWER), min_size=1,
                        max_size=8),
       labels=st.one_of(st.just(["__name__", "code", "track", "le"]), st.lists(st.text(max_size=5), max_size=3)))
def test_any_prometheus_answer_is_a_judgement_or_a_rollwise_error(answers, labels):
    calls = {"n": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/labels"):
            return httpx.Response(200, json={"status": "success", "data": labels})
        status, body = answers[calls["n"] % len(answers)]
        calls["n"] += 1
        return httpx.Response(status, content=json.dumps(body).encode())

    source = PrometheusSource("http://prom.test", retries=0, deadline=2,
                              client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    try:
        result = asyncio.run(judge(CONFIG, source, '{track="baseline"}', '{track="canary"}', T0, T0 + 600))
    except RollwiseError as exc:
        assert exc.exit_code in (2, 3)
        event(f"exit {exc.exit_code}")
        return
    assert result.decision in ("proceed", "rollback", "inconclusive")
    event(result.decision)
    for slo in result.slos:
        if slo.verdict == "inconclusive":
            continue
        for track in (slo.canary, slo.baseline if slo.comparison else None):
            if track is None:
                continue
            for number in (track.bad, track.total, track.value):
                assert number is None or (math.isfinite(number) and number >= 0), (slo.slo.name, track)
            assert all(not math.isinf(v) for _, v in track.series)


K6_VALUE = st.one_of(st.floats(allow_nan=False, allow_infinity=False, min_value=0, max_value=1e5),
                     st.sampled_from([0, 1, -1, "1", None, True, [], {}, 1e308]))
K6_LINE = st.one_of(
    st.builds(lambda metric, second, value, track, shape: json.dumps(
        {"type": "Point", "metric": metric,
         "data": shape({"time": f"2023-11-14T22:{13 + second // 60:02d}:{second % 60:02d}.123456789Z",
                        "value": value, "tags": {"track": track}})}),
        st.sampled_from(["http_req_duration", "http_req_failed", "vus"]), st.integers(0, 119), K6_VALUE,
        st.sampled_from(["baseline", "canary"]),
        st.sampled_from([lambda d: d, lambda d: [d], lambda d: {**d, "time": 5}, lambda d: {**d, "tags": "x"},
                         lambda d: {k: v for k, v in d.items() if k != "value"}])),
    st.sampled_from(['{"type":"Point"}', "[]", "1", '"x"', "{}", '{"type":"Point","metric":"http_req_failed","data":1}',
                     '{"type":"Point","metric":"http_req_duration","data":{"time":"x","value":1}}', "NaN",
                     '{"type":"Metric","metric":"http_req_duration","data":{"type":"trend"}}', "not json", ""]),
)


@given(lines=st.lists(K6_LINE, max_size=40), healthy=st.integers(0, 200))
def test_any_k6_file_is_a_judgement_or_exit_2(tmp_path_factory, lines, healthy):
    tmp = tmp_path_factory.mktemp("k6")
    base = [json.dumps({"type": "Point", "metric": m, "data": {
        "time": f"2023-11-14T22:13:{i % 60:02d}.5Z", "value": v, "tags": {"track": t}}})
        for i in range(healthy) for t in ("baseline", "canary")
        for m, v in (("http_req_duration", 40.0 + i % 9), ("http_req_failed", 0))]
    (tmp / "k6.json").write_text("\n".join(base + lines) + "\n")
    (tmp / "rollwise.yml").write_text("\n".join(CONFIG_LINES) + "\n")
    run(["gate", "--config", str(tmp / "rollwise.yml"), "--k6-results", str(tmp / "k6.json"), "--warmup", "0",
         "--report", str(tmp / "r.json")], tmp / "r.json")


BATCHED = re.compile(r'label_replace\((.*?), "rollwise_query", "(\d+)", "", ""\)(?: or |$)')
COUNT = st.one_of(st.floats(min_value=0, max_value=1e6).map(repr), st.integers(0, 10**6).map(str),
                  st.sampled_from(["NaN", "+Inf", "-Inf", "-3", "-0.5", "1e400"]))


@given(pool=st.lists(COUNT, min_size=1, max_size=60), lengths=st.lists(st.integers(0, 12), min_size=1, max_size=8))
def test_plausible_answers_with_bad_numbers_never_reach_a_decision(pool, lengths):
    """Every query answered with one series of mostly sane numbers and some NaN, ±Inf or negative ones."""
    values, sizes = itertools.cycle(pool), itertools.cycle(lengths)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/labels"):
            return httpx.Response(200, json={"status": "success", "data": ["__name__", "code", "track", "le"]})
        query = dict(httpx.QueryParams(request.content.decode()))["query"]
        indexed = BATCHED.findall(query) or [(query, None)]
        ranged = request.url.path.endswith("query_range")
        result = []
        for _, index in indexed:
            labels = {} if index is None else {"rollwise_query": index}
            if ranged:
                points = [next(values) for _ in range(next(sizes))]
                result.append({"metric": labels, "values": [[T0 + 60 * i, v] for i, v in enumerate(points)]})
            else:
                result.append({"metric": labels, "value": [T0 + 600, next(values)]})
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix" if ranged else "vector",
                                                                        "result": result}})

    source = PrometheusSource("http://prom.test", retries=0, deadline=2,
                              client=httpx.AsyncClient(transport=httpx.MockTransport(handler)))
    result = asyncio.run(judge(CONFIG, source, '{track="baseline"}', '{track="canary"}', T0, T0 + 600))
    event(result.decision)
    for slo in result.slos:
        if slo.verdict != "inconclusive":
            # the baseline counts only when it was compared; otherwise the verdict says it was not usable
            for track in (slo.canary, slo.baseline) if slo.comparison else (slo.canary,):
                for number in (track.bad, track.total, track.value):
                    # rounding between sums of the same increases may leave -1e-9 of the total; it counts as 0
                    floor = -1e-9 * max(1.0, track.total or 0.0)
                    assert number is None or (math.isfinite(number) and number >= floor), (slo.slo.name, track)
