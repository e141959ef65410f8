"""Metric sources the gate reads: Prometheus (over HTTP) and k6 results (a file), behind one small interface.

A source answers ``await source.measure(slo, track_selector, window, step) -> TrackData`` and is closed with
``await source.aclose()``. Which one runs is the caller's choice: Prometheus when a URL is given, k6 otherwise.
"""

from __future__ import annotations

from typing import Protocol

from rollwise.gate.adapters.k6 import K6ResultsSource
from rollwise.gate.adapters.prometheus import PrometheusSource, QueryRejected, Unavailable
from rollwise.gate.model import Slo, TrackData, Window


class MetricSource(Protocol):
    name: str
    graph_url: str | None

    async def measure(self, slo: Slo, track: str, window: Window, step: float) -> TrackData: ...

    def rate_window(self, step: float) -> float: ...

    async def aclose(self) -> None: ...


__all__ = ["K6ResultsSource", "MetricSource", "PrometheusSource", "QueryRejected", "Unavailable"]
