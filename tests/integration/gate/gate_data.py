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

#: fine around the p95 (~0.2 s) so the histogram resolves the 10 % tolerance there
BUCKETS = (0.05, 0.1, 0.2, 0.22, 0.24, 0.26, 0.28, 0.3, 0.33, 0.36, 0.5, 1.0, 2.5)
#: the default buckets of the Prometheus client libraries, for scenarios that need their coarse steps
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
#: minutes into the judged window during which a burst (``Traffic.burst``) happens
BURST_MINUTES = (10, 12)
SCRAPE = 15
SPAN = 90 * 60  # 30 min before the judged window, 30 min more, then the 30-min window
WINDOW = 30 * 60


@dataclass(frozen=True)
class Traffic:
    rps: float = 200.0
    error_ratio: float = 0.002
    median: float = 0.08  # seconds
    sigma: float = 0.6
    jitter: float = 0.08  # step-to-step variation of the latency scale (log-normal sigma)
    #: during BURST_MINUTES each minute draws its own error share in this range (a dependency outage)
    burst: tuple[float, float] | None = None


BASE = Traffic()
#: a service whose p99 (~0.36 s, +25 % ~0.45 s) lies in the default buckets' (0.25, 0.5]
WIDE = Traffic(rps=20.0, median=0.09)

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
    # +25 % latency whose p99 stays inside the default buckets' (0.25, 0.5] on both tracks
    "wide_bucket": {"baseline": (WIDE, WIDE), "canary": (WIDE, replace(WIDE, median=WIDE.median * 1.25))},
    # both tracks see 10-20 % errors for two minutes, each minute's share drawn per track
    "shared_burst": {"baseline": (BASE, replace(BASE, burst=(0.10, 0.20))),
                     "canary": (BASE, replace(BASE, burst=(0.10, 0.20)))},
    # the same burst, and a canary with 1 % errors instead of 0.2 % in every minute
    "burst_worse_canary": {"baseline": (BASE, replace(BASE, burst=(0.10, 0.20))),
                           "canary": (BASE, replace(BASE, error_ratio=0.01, burst=(0.10, 0.20)))},
}
#: scenarios whose histogram has other buckets than BUCKETS
SCENARIO_BUCKETS = {"wide_bucket": DEFAULT_BUCKETS}


def _bucket_shares(t: Traffic, buckets: tuple[float, ...] = BUCKETS) -> list[float]:
    normal = NormalDist(math.log(t.median), t.sigma)
    return [normal.cdf(math.log(b)) for b in buckets] + [1.0]


def generate(end: int, seed: int = 11, scenarios: dict | None = None) -> str:
    """OpenMetrics text for every scenario, one sample per SCRAPE seconds over SPAN seconds ending at ``end``."""
    rng = random.Random(seed)
    scenarios = scenarios or SCENARIOS
    start = end - SPAN
    window_start = end - WINDOW
    times = list(range(start, end + 1, SCRAPE))
    requests: list[str] = []
    durations: list[str] = []
    burst_start, burst_end = (window_start + 60 * m for m in BURST_MINUTES)
    for scenario, tracks in scenarios.items():
        bounds = SCENARIO_BUCKETS.get(scenario, BUCKETS)
        for track, traffic in tracks.items():
            if traffic is None:
                continue
            burst_shares = {minute: rng.uniform(*traffic[1].burst) for minute in range(burst_start, burst_end, 60)} \
                if traffic[1].burst else {}
            labels = f'job="api",scenario="{scenario}",track="{track}"'
            ok = err = count = total_seconds = 0.0
            buckets = [0.0] * (len(bounds) + 1)
            rows_ok, rows_err, rows_hist = [], [], []
            for ts in times:
                if ts > start:
                    t = traffic[1] if ts > window_start else traffic[0]
                    n = max(0.0, t.rps * SCRAPE * (1 + rng.gauss(0, 0.05)))
                    share = t.error_ratio
                    if burst_start < ts <= burst_end and burst_shares:
                        share += burst_shares[burst_start + (ts - burst_start - 1) // 60 * 60]
                    e = n * share * max(0.0, 1 + rng.gauss(0, 0.2))
                    ok, err, count = ok + n - e, err + e, count + n
                    jitter = math.exp(rng.gauss(0, t.jitter))
                    shifted = replace(t, median=t.median * jitter)
                    shares = _bucket_shares(shifted, bounds)
                    for i, share in enumerate(shares):
                        buckets[i] += n * share
                    total_seconds += n * t.median * jitter * math.exp(t.sigma ** 2 / 2)
                rows_ok.append(f'http_requests_total{{{labels},code="200"}} {ok:.3f} {ts}')
                rows_err.append(f'http_requests_total{{{labels},code="500"}} {err:.3f} {ts}')
                rows_hist.append((ts, list(buckets), count, total_seconds))
            requests += rows_ok + rows_err
            for i, bound in enumerate([*map(str, bounds), "+Inf"]):
                durations += [f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {b[i]:.3f} {ts}'
                              for ts, b, _, _ in rows_hist]
            durations += [f"http_request_duration_seconds_count{{{labels}}} {c:.3f} {ts}" for ts, _, c, _ in rows_hist]
            durations += [f"http_request_duration_seconds_sum{{{labels}}} {s:.3f} {ts}" for ts, _, _, s in rows_hist]
    return "\n".join(["# TYPE http_requests counter", *requests,
                      "# TYPE http_request_duration_seconds histogram", *durations, "# EOF"]) + "\n"
