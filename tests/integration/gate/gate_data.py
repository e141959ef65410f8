"""Generated Prometheus series for the gate's scenarios, written as OpenMetrics for promtool to backfill.

Every scenario is a label value (``scenario="..."``) with two tracks, so one Prometheus holds them all.
Requests arrive at a steady rate with a little noise; latencies follow a log-normal distribution counted into
histogram buckets, the way a client library would.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from statistics import NormalDist

BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.5)
SCRAPE = 15
SPAN = 90 * 60  # 30 min before the judged window, 30 min more, then the 30-min window
WINDOW = 30 * 60


@dataclass(frozen=True)
class Traffic:
    rps: float = 200.0
    error_ratio: float = 0.002
    median: float = 0.08  # seconds
    sigma: float = 0.6


BASE = Traffic()

#: scenario -> track -> (traffic before the judged window, traffic in it); None = the track sends nothing
SCENARIOS: dict[str, dict[str, tuple[Traffic, Traffic] | None]] = {
    "healthy": {"baseline": (BASE, BASE), "canary": (BASE, BASE)},
    "latency_regression": {"baseline": (BASE, BASE), "canary": (BASE, replace(BASE, median=0.11))},
    # same median latency, wider spread: the tail (p95) moves while a mean or median comparison would not
    "latency_spread": {"baseline": (BASE, BASE), "canary": (BASE, replace(BASE, sigma=0.75))},
    "error_regression": {"baseline": (BASE, BASE), "canary": (BASE, replace(BASE, error_ratio=0.02))},
    "canary_better": {"baseline": (BASE, BASE), "canary": (BASE, replace(BASE, error_ratio=0.0003, median=0.06))},
    "environmental": {"baseline": (BASE, replace(BASE, error_ratio=0.02)),
                      "canary": (BASE, replace(BASE, error_ratio=0.021))},
    "low_traffic": {"baseline": (BASE, BASE), "canary": (BASE, replace(BASE, rps=0.05))},
    "no_canary": {"baseline": (BASE, BASE), "canary": None},
}


def _bucket_shares(t: Traffic) -> list[float]:
    normal = NormalDist(math.log(t.median), t.sigma)
    return [normal.cdf(math.log(b)) for b in BUCKETS] + [1.0]


def generate(end: int, seed: int = 11, scenarios: dict | None = None) -> str:
    """OpenMetrics text for every scenario, one sample per SCRAPE seconds over SPAN seconds ending at ``end``."""
    rng = random.Random(seed)
    scenarios = scenarios or SCENARIOS
    start = end - SPAN
    window_start = end - WINDOW
    times = list(range(start, end + 1, SCRAPE))
    requests: list[str] = []
    durations: list[str] = []
    for scenario, tracks in scenarios.items():
        for track, traffic in tracks.items():
            if traffic is None:
                continue
            labels = f'job="api",scenario="{scenario}",track="{track}"'
            ok = err = count = total_seconds = 0.0
            buckets = [0.0] * (len(BUCKETS) + 1)
            rows_ok, rows_err, rows_hist = [], [], []
            for ts in times:
                if ts > start:
                    t = traffic[1] if ts > window_start else traffic[0]
                    n = max(0.0, t.rps * SCRAPE * (1 + rng.gauss(0, 0.05)))
                    e = n * t.error_ratio * max(0.0, 1 + rng.gauss(0, 0.2))
                    ok, err, count = ok + n - e, err + e, count + n
                    shares = _bucket_shares(t)
                    jitter = math.exp(rng.gauss(0, 0.08))  # step-to-step variation of the latency scale
                    shifted = replace(t, median=t.median * jitter)
                    shares = _bucket_shares(shifted)
                    for i, share in enumerate(shares):
                        buckets[i] += n * share
                    total_seconds += n * t.median * jitter * math.exp(t.sigma ** 2 / 2)
                rows_ok.append(f'http_requests_total{{{labels},code="200"}} {ok:.3f} {ts}')
                rows_err.append(f'http_requests_total{{{labels},code="500"}} {err:.3f} {ts}')
                rows_hist.append((ts, list(buckets), count, total_seconds))
            requests += rows_ok + rows_err
            for i, bound in enumerate([*map(str, BUCKETS), "+Inf"]):
                durations += [f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {b[i]:.3f} {ts}'
                              for ts, b, _, _ in rows_hist]
            durations += [f"http_request_duration_seconds_count{{{labels}}} {c:.3f} {ts}" for ts, _, c, _ in rows_hist]
            durations += [f"http_request_duration_seconds_sum{{{labels}}} {s:.3f} {ts}" for ts, _, _, s in rows_hist]
    return "\n".join(["# TYPE http_requests counter", *requests,
                      "# TYPE http_request_duration_seconds histogram", *durations, "# EOF"]) + "\n"
