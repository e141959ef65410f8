"""Prometheus adapter: the SLI queries of one SLO and track over httpx, concurrently, with retries in a deadline.

Instant queries give the window's counts and quantile, a range query the per-step series. NaN, ±Inf and
missing steps come back as they are (the judge keeps finite values); an unreachable server becomes
``TrackData.error`` (so the gate says inconclusive), a query Prometheus rejects becomes :class:`QueryRejected`.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from typing import Any

import httpx

from rollwise.gate import promql
from rollwise.gate.model import PrometheusConfig, Slo, TrackData, Window


class QueryRejected(Exception):
    """Prometheus refused a query (HTTP 400/422): a problem in the SLO, not in the server."""


class Unavailable(Exception):
    """Prometheus could not answer within the retries and the deadline."""


def _float(text: str) -> float:
    # Prometheus writes "NaN", "+Inf", "-Inf"; float() reads all three.
    return float(text)


class PrometheusSource:
    """Measures SLIs on a Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics)."""

    name = "prometheus"

    def __init__(self, url: str, *, headers: dict[str, str] | None = None, bearer_token: str | None = None,
                 basic_auth: tuple[str, str] | None = None, verify: bool = True, timeout: float = 10.0,
                 deadline: float = 30.0, retries: int = 3, scrape_interval: float = 15.0,
                 concurrency: int = 256, client: httpx.AsyncClient | None = None) -> None:
        self.url = url.rstrip("/")
        self.graph_url = self.url
        self.timeout = timeout
        self.deadline = deadline
        self.retries = retries
        self.scrape_interval = scrape_interval
        self._headers = dict(headers or {})
        if bearer_token:
            self._headers["Authorization"] = f"Bearer {bearer_token}"
        self._auth = httpx.BasicAuth(*basic_auth) if basic_auth else None
        self._owns_client = client is None
        # All of a judgement's queries go out together: its latency is one round trip, not one per query.
        # Loading the CA bundle costs ~80 ms; a plain-http URL never uses it.
        self._client = client or httpx.AsyncClient(
            verify=verify if self.url.startswith("https:") else False, timeout=timeout,
            limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency))
        self.queries_sent = 0

    @classmethod
    def from_config(cls, config: PrometheusConfig, url: str | None = None,
                    client: httpx.AsyncClient | None = None) -> PrometheusSource:
        """Build from rollwise.yml's ``prometheus:`` (secrets read from the named environment variables)."""
        from rollwise.errors import ConfigError

        base = url or config.url
        if not base:
            raise ConfigError("no Prometheus URL", key="prometheus.url",
                              fix="pass --prometheus-url (ROLLWISE_PROMETHEUS_URL), set prometheus.url in "
                                  "rollwise.yml, or use --k6-results FILE")
        token = _secret(config.bearer_token_env)
        auth = None
        if config.username_env:
            auth = (_secret(config.username_env) or "", _secret(config.password_env) or "")
        return cls(base, headers=config.headers, bearer_token=token, basic_auth=auth, verify=config.tls_verify,
                   timeout=config.timeout, deadline=config.deadline, retries=config.retries,
                   scrape_interval=config.scrape_interval, concurrency=config.concurrency, client=client)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()

    async def __aenter__(self) -> PrometheusSource:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ------------------------------------------------------------------------------------------- HTTP

    async def _call(self, path: str, params: dict[str, Any], give_up_at: float) -> dict[str, Any]:
        attempt = 0
        while True:
            remaining = give_up_at - time.monotonic()
            problem: str
            try:
                self.queries_sent += 1
                response = await self._client.post(
                    f"{self.url}{path}", data=params, headers=self._headers, auth=self._auth or httpx.USE_CLIENT_DEFAULT,
                    timeout=max(0.1, min(self.timeout, remaining)))
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__} talking to {self.url}: {exc or 'no detail'}"
            else:
                if response.status_code in (400, 422):
                    raise QueryRejected(f"{_error_text(response)} in `{params.get('query')}`")
                if response.status_code == 200:
                    body = response.json()
                    if body.get("status") == "success":
                        return body["data"]
                    raise QueryRejected(f"{body.get('error') or 'status error'} in `{params.get('query')}`")
                problem = f"HTTP {response.status_code} from {self.url}{path}: {_error_text(response)}"
                if response.status_code < 500 and response.status_code != 429:
                    raise Unavailable(problem)
            attempt += 1
            backoff = 0.1 * 2 ** (attempt - 1) * (1 + random.random() / 2)
            if attempt > self.retries or time.monotonic() + backoff >= give_up_at:
                raise Unavailable(f"{problem} (after {attempt} attempt{'s' if attempt > 1 else ''})")
            await asyncio.sleep(backoff)

    async def instant(self, query: str, at: float, give_up_at: float | None = None) -> float | None:
        """One value at ``at``; None when the result is empty. More than one series is an error in the query."""
        data = await self._call("/api/v1/query", {"query": query, "time": f"{at:.3f}"},
                                give_up_at or time.monotonic() + self.deadline)
        if data["resultType"] == "scalar":
            return _float(data["result"][1])
        result = data["result"]
        if not result:
            return None
        if len(result) > 1:
            raise QueryRejected(f"`{query}` returned {len(result)} series; aggregate it to one, e.g. with sum()")
        return _float(result[0]["value"][1])

    async def range(self, query: str, start: float, end: float, step: float,
                    give_up_at: float | None = None) -> list[tuple[float, float]]:
        """Values per step; missing steps stay missing."""
        data = await self._call("/api/v1/query_range",
                                {"query": query, "start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"},
                                give_up_at or time.monotonic() + self.deadline)
        result = data["result"]
        if not result:
            return []
        if len(result) > 1:
            raise QueryRejected(f"`{query}` returned {len(result)} series; aggregate it to one, e.g. with sum()")
        return [(float(t), _float(v)) for t, v in result[0]["values"]]

    # ------------------------------------------------------------------------------------------- SLIs

    def rate_window(self, step: float) -> float:
        """Per-step rates need several scrapes in their range, else they come back empty."""
        return max(step, 4 * self.scrape_interval)

    async def measure(self, slo: Slo, track: str, window: Window, step: float) -> TrackData:
        """The SLI of ``slo`` for the track selected by ``track`` (e.g. ``{track="canary"}``) over ``window``."""
        rate_window = self.rate_window(step)
        queries = promql.queries_for(slo, window.seconds, rate_window).injected(promql.track_matchers(track))
        data = TrackData(queries=[q for q in (queries.bad, queries.total, queries.value, queries.series) if q])
        give_up_at = time.monotonic() + self.deadline
        # The series starts one rate window in, so no point reaches back before the window (the warm-up).
        series_start = min(window.start + rate_window, window.end)
        jobs = {
            "series": self.range(queries.series, series_start, window.end, step, give_up_at),
            **{k: self.instant(q, window.end, give_up_at)
               for k, q in (("bad", queries.bad), ("total", queries.total), ("value", queries.value)) if q},
        }
        outcomes = await asyncio.gather(*jobs.values(), return_exceptions=True)
        for key, outcome in zip(jobs, outcomes):
            if isinstance(outcome, QueryRejected):
                raise outcome
            if isinstance(outcome, BaseException):
                if not isinstance(outcome, Unavailable):
                    raise outcome
                data.error = str(outcome)
                continue
            setattr(data, key, outcome)
        return data


    async def counts(self, slo: Slo, matchers: list, at: float, seconds: float) -> tuple[float | None, float | None]:
        """Bad and total requests of a counts-based SLO in the ``seconds`` before ``at`` (the budget check)."""
        queries = promql.queries_for(slo, seconds, self.rate_window(60)).injected(matchers)
        give_up_at = time.monotonic() + self.deadline
        bad, total = await asyncio.gather(self.instant(queries.bad, at, give_up_at),
                                          self.instant(queries.total, at, give_up_at))
        return bad, total


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error") or response.text[:200])
    except ValueError:
        return response.text[:200] or response.reason_phrase


def _secret(env: str | None) -> str | None:
    if not env:
        return None
    value = os.environ.get(env)
    if value:
        from rollwise.ghactions import mask

        mask(value)
    return value
