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

from rollwise.gate.model import PrometheusConfig, Slo, TrackData, Window, promql
from rollwise.gate.ports import QueryRejected, Unavailable

#: most queries answered by one HTTP request (a longer expression, fewer round trips and less client overhead)
BATCH = 40
BATCH_LABEL = "rollwise_query"


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
        self.queries_sent = 0  # HTTP requests, after batching
        self._pending: dict[tuple, list[tuple[str, asyncio.Future]]] = {}

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
                    try:
                        body = response.json()
                    except ValueError:
                        raise Unavailable(f"{self.url}{path} answered 200 with something other than Prometheus "
                                          "JSON; is the URL the Prometheus API (not a login page or a proxy)?") from None
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

    def _submit(self, key: tuple, query: str) -> asyncio.Future:
        """Queue ``query`` for the next batch of its kind; the batch goes out once the current tasks have queued."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if not self._pending:
            loop.call_soon(lambda: loop.create_task(self._flush()))
        self._pending.setdefault(key, []).append((query, future))
        return future

    async def _flush(self) -> None:
        pending, self._pending = self._pending, {}
        give_up_at = time.monotonic() + self.deadline
        chunks = [(key, items[i:i + BATCH]) for key, items in pending.items() for i in range(0, len(items), BATCH)]
        await asyncio.gather(*(self._send(key, items, give_up_at) for key, items in chunks))

    async def _send(self, key: tuple, items: list[tuple[str, asyncio.Future]], give_up_at: float) -> None:
        """Answer a chunk with one request; if Prometheus rejects it, ask again one by one to find the culprit."""
        kind, *times = key
        path, params = _request(kind, times)
        queries = [q for q, _ in items]
        try:
            if len(items) == 1:
                results = [_parse(kind, queries[0], await self._call(path, {"query": queries[0], **params},
                                                                     give_up_at))]
            else:
                data = await self._call(path, {"query": _batched(queries), **params}, give_up_at)
                results = _split(kind, queries, data)
        except QueryRejected as exc:
            if len(items) == 1:
                results = [exc]
            else:
                await asyncio.gather(*(self._send(key, [item], give_up_at) for item in items))
                return
        except Unavailable as exc:
            results = [exc] * len(items)
        except Exception as exc:  # noqa: BLE001 - an unexpected answer must fail its queries, never leave them waiting
            results = [Unavailable(f"unexpected answer from {self.url}: {type(exc).__name__}: {exc}")] * len(items)
        for (_, future), result in zip(items, results):
            if future.done():
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def instant(self, query: str, at: float) -> float | None:
        """One value at ``at``; None when the result is empty. More than one series is an error in the query."""
        return await self._submit(("instant", round(at, 3)), query)

    async def range(self, query: str, start: float, end: float, step: float) -> list[tuple[float, float]]:
        """Values per step; missing steps stay missing."""
        return await self._submit(("range", round(start, 3), round(end, 3), step), query)

    # ------------------------------------------------------------------------------------------- SLIs

    def rate_window(self, step: float) -> float:
        """Per-step rates need several scrapes in their range, else they come back empty."""
        return max(step, 4 * self.scrape_interval)

    async def measure(self, slo: Slo, track: str, window: Window, step: float) -> TrackData:
        """The SLI of ``slo`` for the track selected by ``track`` (e.g. ``{track="canary"}``) over ``window``."""
        rate_window = self.rate_window(step)
        queries = promql.queries_for(slo, window.seconds, rate_window).injected(promql.track_matchers(track))
        data = TrackData(queries=[q for q in (queries.bad, queries.total, queries.value, queries.series) if q])
        # The series starts one rate window in, so no point reaches back before the window (the warm-up).
        series_start = min(window.start + rate_window, window.end)
        # Submitted before the first await, so every SLO's queries of a judgement share one batch.
        jobs = {
            "series": self._submit(("range", round(series_start, 3), round(window.end, 3), step), queries.series),
            **{k: self._submit(("instant", round(window.end, 3)), q)
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
        key = ("instant", round(at, 3))
        bad, total = await asyncio.gather(self._submit(key, queries.bad), self._submit(key, queries.total))
        return bad, total


def _request(kind: str, times: list[float]) -> tuple[str, dict[str, str]]:
    if kind == "instant":
        return "/api/v1/query", {"time": f"{times[0]:.3f}"}
    start, end, step = times
    return "/api/v1/query_range", {"start": f"{start:.3f}", "end": f"{end:.3f}", "step": f"{step:g}"}


def _batched(queries: list[str]) -> str:
    """One PromQL expression answering many: each query's series tagged with its index, joined with ``or``."""
    return " or ".join(f'label_replace({q}, "{BATCH_LABEL}", "{i}", "", "")' for i, q in enumerate(queries))


def _one(query: str, series: list[dict]) -> dict | None:
    if len(series) > 1:
        raise QueryRejected(f"`{query}` returned {len(series)} series; aggregate it to one, e.g. with sum()")
    return series[0] if series else None


def _parse(kind: str, query: str, data: dict[str, Any]) -> Any:
    """The value (instant) or points (range) of a single query's answer."""
    try:
        if data["resultType"] == "scalar":
            return _float(data["result"][1]) if kind == "instant" else []
        found = _one(query, data["result"])
    except QueryRejected as exc:
        return exc
    if kind == "instant":
        return None if found is None else _float(found["value"][1])
    return [] if found is None else [(float(t), _float(v)) for t, v in found["values"]]


def _split(kind: str, queries: list[str], data: dict[str, Any]) -> list[Any]:
    """Each query's share of a batched answer, by the index label."""
    by_index: dict[int, list[dict]] = {}
    for series in data["result"]:
        by_index.setdefault(int(series["metric"].get(BATCH_LABEL, -1)), []).append(series)
    return [_parse(kind, q, {"resultType": data["resultType"], "result": by_index.get(i, [])})
            for i, q in enumerate(queries)]


def _error_text(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error") or response.text[:200])
    except ValueError:
        return response.text[:200] or response.reason_phrase


def _secret(env: str | None) -> str | None:
    # the CLI masks these in the Actions log (secret_envs)
    return os.environ.get(env) if env else None


def secret_envs(config: PrometheusConfig) -> list[str]:
    """Names of the environment variables holding credentials, for the CLI to mask their values."""
    return [e for e in (config.bearer_token_env, config.username_env, config.password_env) if e]
