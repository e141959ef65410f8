"""k6 results as a metric source: the NDJSON written by ``k6 run --out json=FILE``, split by a tag per track.

Ratio SLIs read ``http_req_failed`` (0/1 per request), latency SLIs read ``http_req_duration`` (ms), so a gate
runs with no Prometheus at all: the load generator's view of the service. Raw PromQL SLIs cannot be answered
here and come back as a source error (the gate then says inconclusive).
"""

from __future__ import annotations

import json
import math
import re
from datetime import datetime
from pathlib import Path

import promql_parser as pp

from rollwise.gate.model import LatencySli, PromqlSli, RatioSli, Slo, TrackData, Window, promql

_FRACTION = re.compile(r"(\.\d{6})\d+")
METRICS = ("http_req_duration", "http_req_failed")


def _timestamp(text: str) -> float:
    # k6 writes nanoseconds (…:45.239531499+02:00); Python reads at most microseconds.
    return datetime.fromisoformat(_FRACTION.sub(r"\1", text).replace("Z", "+00:00")).timestamp()


def _matches(tags: dict[str, str], matchers: list[pp.Matcher]) -> bool:
    for m in matchers:
        value = str(tags.get(m.name, ""))
        if m.op == pp.MatchOp.Equal and value != m.value:
            return False
        if m.op == pp.MatchOp.NotEqual and value == m.value:
            return False
        if m.op == pp.MatchOp.Re and not re.fullmatch(m.value, value):
            return False
        if m.op == pp.MatchOp.NotRe and re.fullmatch(m.value, value):
            return False
    return True


def quantile(values: list[float], q: float) -> float:
    """Linear-interpolated quantile of unsorted values (numpy's default method)."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


class K6ResultsSource:
    """Measures SLIs from a k6 NDJSON results file; points carry a tag (e.g. ``track``) per track."""

    name = "k6"
    graph_url = None

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._points: dict[str, list[tuple[float, float, dict[str, str]]]] | None = None

    def _load(self) -> dict[str, list[tuple[float, float, dict[str, str]]]]:
        if self._points is None:
            from rollwise.errors import ConfigError

            points: dict[str, list[tuple[float, float, dict[str, str]]]] = {m: [] for m in METRICS}
            try:
                lines = self.path.read_text(encoding="utf-8").splitlines()
            except OSError as exc:
                raise ConfigError(f"cannot read k6 results: {exc.strerror}", file=str(self.path),
                                  fix="pass the file written by `k6 run --out json=FILE`") from None
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                # k6 writes a dozen metrics per request: parse only the two the gate reads (and the first line,
                # so a file that is not k6 output is reported as such).
                if number > 1 and '"http_req_duration"' not in line and '"http_req_failed"' not in line:
                    continue
                try:
                    item = json.loads(line)
                except ValueError:
                    raise ConfigError("not k6 JSON output (a line is not JSON)", file=str(self.path), line=number,
                                      fix="pass the file written by `k6 run --out json=FILE`") from None
                if item.get("type") != "Point" or item.get("metric") not in points:
                    continue
                data = item["data"]
                points[item["metric"]].append((_timestamp(data["time"]), float(data["value"]), data.get("tags") or {}))
            self._points = points
        return self._points

    def span(self) -> tuple[float, float] | None:
        """First and last point time in the file (the default window when none is given)."""
        times = [t for series in self._load().values() for t, _, _ in series]
        return (min(times), max(times)) if times else None

    def rate_window(self, step: float) -> float:
        return step

    def _select(self, metric: str, track: str, window: Window) -> list[tuple[float, float]]:
        matchers = promql.track_matchers(track)
        return [(t, v) for t, v, tags in self._load()[metric]
                if window.start <= t <= window.end and _matches(tags, matchers)]

    async def measure(self, slo: Slo, track: str, window: Window, step: float) -> TrackData:
        """The SLI of ``slo`` for the points tagged as ``track`` (e.g. ``{track="canary"}``)."""
        sli = slo.sli
        if isinstance(sli, PromqlSli):
            return TrackData(error="k6 results cannot answer a raw PromQL SLI; use Prometheus for this SLO")
        metric = "http_req_failed" if isinstance(sli, RatioSli) else "http_req_duration"
        data = TrackData(queries=[f"k6 {metric}{track} in {self.path.name}"])
        points = self._select(metric, track, window)
        if isinstance(sli, LatencySli):
            points = [(t, v / 1000.0) for t, v in points]  # k6 reports milliseconds

        def measure_values(values: list[float]) -> float:
            if isinstance(sli, RatioSli):
                return sum(1 for v in values if v) / len(values)
            assert isinstance(sli, LatencySli)
            if sli.slower_than is not None:
                return sum(1 for v in values if v > sli.slower_than) / len(values)
            return quantile(values, sli.quantile)

        data.total = float(len(points))
        if isinstance(sli, RatioSli):
            data.bad = float(sum(1 for _, v in points if v))
        elif sli.slower_than is not None:
            data.bad = float(sum(1 for _, v in points if v > sli.slower_than))
        elif points:
            data.value = measure_values([v for _, v in points])
        bins: dict[int, list[float]] = {}
        for t, v in points:
            bins.setdefault(int((t - window.start) // step), []).append(v)
        data.series = [(window.start + (i + 1) * step, measure_values(vs)) for i, vs in sorted(bins.items())]
        return data

    async def aclose(self) -> None:
        return None
