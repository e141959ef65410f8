"""Prometheus adapter over httpx.MockTransport: retries, rejections, NaN/missing steps, auth and tenant headers."""

from __future__ import annotations

import asyncio
import re

import httpx
import pytest

from rollwise.gate.adapters.prometheus import PrometheusSource, QueryRejected, Unavailable
from rollwise.gate.model import LatencySli, Objective, RatioSli, Slo, Tolerance, Window

SLO = Slo("availability", RatioSli('http_requests_total{code=~"5.."}', "http_requests_total"),
          Objective(target=0.99), Tolerance())


def vector(value: str) -> dict:
    return {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, value]}]}}


BATCHED = re.compile(r'label_replace\((.*?), "rollwise_query", "(\d+)", "", ""\)(?: or |$)')


def unbatch(request: httpx.Request) -> list[tuple[str, dict]]:
    """The queries inside a (possibly batched) request, each with the labels its answer must carry."""
    params = dict(httpx.QueryParams(request.content.decode()))
    if "query" not in params:
        return []  # a label-name lookup (/api/v1/labels)
    query = params["query"]
    parts = BATCHED.findall(query)
    return [(q, {"rollwise_query": i}) for q, i in parts] if parts else [(query, {})]


def answer(request: httpx.Request, value_of) -> httpx.Response:
    """Answer every query of a request with ``value_of(query)``: a string (instant) or a list of points (range)."""
    if request.url.path.endswith("/labels"):
        return httpx.Response(200, json={"status": "success", "data": ["__name__", "code", "job", "track"]})
    ranged = request.url.path.endswith("query_range")
    result = []
    for query, labels in unbatch(request):
        value = value_of(query)
        if value is None:
            continue
        if ranged and isinstance(value, str):  # a count per step: one point
            value = [[1, value]]
        result.append({"metric": labels, ("values" if ranged else "value"): value if ranged else [1, value]})
    return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix" if ranged else "vector",
                                                                    "result": result}})


def source(handler, **kwargs) -> PrometheusSource:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return PrometheusSource("http://prom.test", client=client, **kwargs)


def test_measure_sends_injected_queries_and_reads_nan_and_missing_steps():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.path, unbatch(request), request.headers.get("X-Scope-OrgID"),
                     request.headers.get("Authorization")))
        return answer(request, lambda q: [[100, "0.01"], [160, "NaN"], [280, "+Inf"]] if "rate(" in q
                      else ("12" if "code" in q else "1000"))

    src = source(handler, headers={"X-Scope-OrgID": "tenant-a"}, bearer_token="s3cret")
    data = asyncio.run(src.measure(SLO, '{track="canary"}', Window(0, 600), 60))
    assert (data.bad, data.total) == (12.0, 1000.0)
    assert data.points == 1 and len(data.series) == 3  # NaN and Inf kept as such, only finite values count
    assert all('track="canary"' in q for _, queries, _, _ in seen for q, _ in queries)
    assert {(h, a) for _, _, h, a in seen} == {("tenant-a", "Bearer s3cret")}
    # the two instant queries travel in one request, the range queries (series, bad and total per step) in another
    assert sorted((path, len(queries)) for path, queries, _, _ in seen) == [("/api/v1/labels", 0),
                                                                          ("/api/v1/query", 2),
                                                                          ("/api/v1/query_range", 3)]
    assert len(data.queries) == 5
    assert data.steps == [(1.0, 12.0, 1000.0)]  # per-step counts for the stratified test


def test_server_errors_are_retried_then_answered():
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        return httpx.Response(503, text="overloaded") if calls["n"] < 3 else httpx.Response(200, json=vector("5"))

    src = source(handler, retries=3)
    assert asyncio.run(src.instant("up", 1.0)) == 5.0
    assert calls["n"] == 3


def test_unreachable_after_retries_is_unavailable_not_zero():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    src = source(handler, retries=2)
    with pytest.raises(Unavailable, match="after 3 attempts"):
        asyncio.run(src.instant("up", 1.0))
    data = asyncio.run(source(handler, retries=1).measure(SLO, '{track="canary"}', Window(0, 600), 60))
    assert data.error and data.total is None


def test_deadline_bounds_the_retries():
    calls = []

    def handler(request):
        calls.append(request)
        return httpx.Response(503)

    src = source(handler, retries=10, deadline=0.5)
    with pytest.raises(Unavailable):
        asyncio.run(src.instant("up", 1.0))
    # what happened, not how fast: the deadline stopped the retries (backoff 0.1, 0.2, 0.4 s ...), not the count of 10
    assert 1 <= len(calls) <= 4


def test_bad_query_is_rejected_without_retry():
    calls = {"n": 0}

    def handler(request):
        calls["n"] += 1
        return httpx.Response(400, json={"status": "error", "errorType": "bad_data", "error": "parse error at char 5"})

    with pytest.raises(QueryRejected, match="parse error"):
        asyncio.run(source(handler).instant("up{", 1.0))
    assert calls["n"] == 1


def test_more_than_one_series_is_rejected():
    def handler(request):
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": [
            {"metric": {"a": "1"}, "value": [1, "1"]}, {"metric": {"a": "2"}, "value": [1, "2"]}]}})

    with pytest.raises(QueryRejected, match="returned 2 series"):
        asyncio.run(source(handler).instant("up", 1.0))


def test_quantile_sli_asks_for_the_window_quantile_and_the_request_count():
    queries = []

    def handler(request):
        queries.extend(q for q, _ in unbatch(request))
        return answer(request, lambda q: None if "rate(" in q else "0.25")

    slo = Slo("p95", LatencySli('http_request_duration_seconds{job="api"}', quantile=0.95), Objective(max=0.3),
              Tolerance())
    data = asyncio.run(source(handler).measure(slo, '{track="canary"}', Window(0, 600), 60))
    assert data.value == 0.25 and data.series == []
    assert any(q.startswith("histogram_quantile(0.95") and "increase" in q for q in queries)
    assert any("http_request_duration_seconds_count" in q for q in queries)


def test_a_judgements_queries_share_few_requests_and_a_rejected_batch_is_retried_one_by_one():
    requests = []

    def handler(request):
        queries = unbatch(request)
        requests.append(len(queries))
        if any("bad_metric" in q for q, _ in queries):
            return httpx.Response(422, json={"status": "error", "error": "many-to-many matching not allowed"})
        return answer(request, lambda q: [[1, "1"]] if "rate(" in q else "5")

    async def judgement():
        src = source(handler)
        good = [Slo(f"s{i}", RatioSli(f"e{i}", f"t{i}"), Objective(target=0.99), Tolerance()) for i in range(30)]
        bad = Slo("bad", RatioSli("bad_metric", "t"), Objective(target=0.99), Tolerance())
        window = Window(0, 600)
        outcomes = await asyncio.gather(*(src.measure(s, '{track="c"}', window, 60) for s in good + [bad]),
                                        return_exceptions=True)
        return outcomes, src.queries_sent

    outcomes, sent = asyncio.run(judgement())
    assert all(o.bad == 5.0 and o.total == 5.0 for o in outcomes[:30])
    assert isinstance(outcomes[30], QueryRejected) and "many-to-many" in str(outcomes[30])
    # 62 instant + 93 range queries (series, bad and total per step): 2 + 3 batched requests of up to 40, then
    # the rejected batches one by one
    assert sorted(requests[:5]) == [13, 22, 40, 40, 40]
    assert sent == len(requests) < 155


def test_multiple_series_in_a_batched_answer_reject_only_their_query():
    def handler(request):
        result = []
        for query, labels in unbatch(request):
            result.append({"metric": {**labels, "a": "1"}, "value": [1, "1"]})
            if "many" in query:
                result.append({"metric": {**labels, "a": "2"}, "value": [1, "2"]})
        return httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": result}})

    async def both():
        src = source(handler)
        return await asyncio.gather(src.instant("one", 1.0), src.instant("many", 1.0), return_exceptions=True)

    one, many = asyncio.run(both())
    assert one == 1.0 and isinstance(many, QueryRejected)


@pytest.mark.parametrize("response", [
    httpx.Response(200, text="<html>login</html>"),
    httpx.Response(200, json={"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}),
], ids=["not-json", "malformed"])
def test_an_answer_that_is_not_prometheus_fails_the_queries_instead_of_hanging(response):
    src = source(lambda request: response)
    data = asyncio.run(asyncio.wait_for(src.measure(SLO, '{track="canary"}', Window(0, 600), 60), timeout=5))
    assert data.error and data.total is None
