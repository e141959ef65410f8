"""What the gate service needs from the outside: a metric source, whichever system it reads.

A source answers ``await source.measure(slo, track_selector, window, step) -> TrackData`` and is closed with
``await source.aclose()``. The adapters are Prometheus over HTTP (``adapters.prometheus``) and k6 results files
(``adapters.k6``); which one runs is the caller's choice: Prometheus when a URL is given, k6 otherwise.
"""

from __future__ import annotations

from typing import Protocol

from rollwise.gate.model import Slo, TrackData, Window


class QueryRejected(Exception):
    """The source refused a query (Prometheus: HTTP 400/422): a problem in the SLO, not in the server."""


class Unavailable(Exception):
    """The source could not answer within the retries and the deadline."""


class MetricSource(Protocol):
    """One system the gate reads SLI data from."""

    name: str
    graph_url: str | None

    async def measure(self, slo: Slo, track: str, window: Window, step: float) -> TrackData: ...

    def rate_window(self, step: float) -> float: ...

    async def aclose(self) -> None: ...



class BudgetSource(Protocol):
    """A source that can count good and bad requests over long windows (the error-budget check)."""

    name: str

    async def counts(self, slo: Slo, matchers: list, at: float, seconds: float) -> tuple[float | None, float | None]:
        ...

    async def aclose(self) -> None: ...
