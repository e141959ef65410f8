"""Prometheus adapter over httpx.MockTransport: retries, rejections, NaN/missing steps, auth and tenant headers."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from rollwise.gate.model import LatencySli, Objective, RatioSli, Slo, Tolerance, Window
from rollwise.gate.prometheus import PrometheusSource, QueryRejected, Unavailable

SLO = Slo("availability", RatioSli('http_requests_total{code=~"5.."}', "http_requests_total"),
          Objective(target=0.99), Tolerance())


def vector(value: str) -> dict:
    return {"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}, "value": [1, value]}]}}


def source(handler, **kwargs) -> PrometheusSource:
    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return PrometheusSource("http://prom.test", client=client, **kwargs)


def test_measure_sends_injected_queries_and_reads_nan_and_missing_steps():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        form = dict(httpx.QueryParams(request.content.decode()))
        seen.append((request.url.path, form["query"], request.headers.get("X-Scope-OrgID"),
                     request.headers.get("Authorization")))
        if request.url.path.endswith("query_range"):
            return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": [
                {"metric": {}, "values": [[100, "0.01"], [160, "NaN"], [280, "+Inf"]]}]}})
        return httpx.Response(200, json=vector("12" if "code" in form["query"] else "1000"))

    src = source(handler, headers={"X-Scope-OrgID": "tenant-a"}, bearer_token="s3cret")
    data = asyncio.run(src.measure(SLO, '{track="canary"}', Window(0, 600), 60))
    assert (data.bad, data.total) == (12.0, 1000.0)
    assert data.points == 1 and len(data.series) == 3  # NaN and Inf kept as such, only finite values count
    assert all('track="canary"' in q for _, q, _, _ in seen)
    assert {(h, a) for _, _, h, a in seen} == {("tenant-a", "Bearer s3cret")}
    assert len(seen) == 3 and len(data.queries) == 3


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
    import time

    def handler(request):
        return httpx.Response(503)

    src = source(handler, retries=10, deadline=0.5)
    began = time.monotonic()
    with pytest.raises(Unavailable):
        asyncio.run(src.instant("up", 1.0))
    assert time.monotonic() - began < 1.0


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
        queries.append(dict(httpx.QueryParams(request.content.decode()))["query"])
        if request.url.path.endswith("query_range"):
            return httpx.Response(200, json={"status": "success", "data": {"resultType": "matrix", "result": []}})
        return httpx.Response(200, json=vector("0.25"))

    slo = Slo("p95", LatencySli('http_request_duration_seconds{job="api"}', quantile=0.95), Objective(max=0.3),
              Tolerance())
    data = asyncio.run(source(handler).measure(slo, '{track="canary"}', Window(0, 600), 60))
    assert data.value == 0.25 and data.series == []
    assert any(q.startswith("histogram_quantile(0.95") and "increase" in q for q in queries)
    assert any("http_request_duration_seconds_count" in q for q in queries)
