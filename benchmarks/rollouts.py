"""Whole rollouts, fixed-window analysis beside sequential analysis, on a real Prometheus backfilled by promtool.

Every run draws fresh random traffic (unless --seed): ``--rollouts`` rollouts per scenario, each with 20 analysis
windows of baseline and canary traffic (Poisson requests, binomial errors, latencies counted into histogram buckets
with step-to-step variation of each track's latency). Both modes then run canary-deploy's analysis loop on the same
data through ``rollwise.gate.service.judge`` against Prometheus: 4 phases of 5 analyses; fixed-window needs 5 passes
per phase, a fresh test per window (once with the first failed analysis rolling back, once with two failures
tolerated, as users configure it against the false alarms of many looks); sequential judges the rollout so far and
ends a phase on its first conclusive analysis. Printed per mode:

- healthy canary: share rolled back (target: sequential <= gate.alpha), held, promoted, analyses to promotion;
- +25 % latency, +60 % latency, 3 % errors: share rolled back, median analyses to rollback, median bad requests the
  canary served until then (target: sequential at least 2x faster);
- regressed canaries promoted, and their share of all promoted canaries (target 0).

    .venv/bin/python benchmarks/rollouts.py [--rollouts 200] [--rps 400] [--seed N]

Not part of the test run; takes a few minutes (generating ~10M samples, promtool, then ~8,000 judgements per mode).
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests")]

from rollwise.canary.adapters.judging import judgement  # noqa: E402
from rollwise.canary.model import policy  # noqa: E402
from rollwise.canary.model.plan import Analysis  # noqa: E402
from rollwise.gate import service  # noqa: E402
from rollwise.gate.adapters.prometheus import PrometheusSource  # noqa: E402
from rollwise.gate.config import config_from_document  # noqa: E402
from rollwise.gate.model.sequential import SequentialState  # noqa: E402
from rollwise.yamlsource import load_yaml  # noqa: E402
from support import services  # noqa: E402

SCRAPE = 5  # seconds between samples
STEP = 20  # seconds per step: one rate window (4 scrapes)
WINDOW = 120  # seconds per analysis
ANALYSES = 20
PHASES, COUNT = 4, 5
RPS = 400.0  # requests per second per track
ERRORS = 0.005
MEDIAN, SIGMA, JITTER = 0.08, 0.6, 0.05  # log-normal latency; per-step, per-track variation of its scale
BUCKETS = (0.1, 0.16, 0.18, 0.2, 0.22, 0.24, 0.265, 0.29, 0.32, 0.35, 0.385, 0.5, 1.0)
SCENARIOS = {
    "healthy": {},
    "latency +25 %": {"median": MEDIAN * 1.25},
    "latency +60 %": {"median": MEDIAN * 1.60},
    "errors 3 %": {"errors": 0.03},
}
CONFIG = f"""\
version: rollwise/v1
prometheus: {{scrape_interval: {SCRAPE}s, timeout: 30s, deadline: 120s}}
gate: {{alpha: 0.05, min_requests: 100, min_points: 5}}
slos:
  - name: availability
    sli:
      ratio:
        errors: http_requests_total{{code="500"}}
        total: http_requests_total
    objective: 99%
    critical: true
  - name: latency-p95
    sli:
      latency:
        histogram: http_request_duration_seconds
        quantile: 0.95
    objective: {{max: 1s}}
    tolerance: 10%
    critical: true
"""


# ----------------------------------------------------------------------------------------------- traffic


def _shares(median: float, sigma: float) -> np.ndarray:
    from scipy.stats import norm

    cdf = norm.cdf((np.log(BUCKETS) - math.log(median)) / sigma)
    return np.diff(np.concatenate([[0.0], cdf, [1.0]]))


def track_series(rng: np.random.Generator, steps: int, median: float, errors: float) -> dict[str, np.ndarray]:
    """Cumulative counters per scrape for one track: requests, errors, bucket counts (le order, then +Inf)."""
    per_step = STEP // SCRAPE
    scrapes = steps * per_step
    requests = rng.poisson(RPS * SCRAPE, scrapes)
    bad = rng.binomial(requests, errors)
    scale = median * np.exp(rng.normal(0, JITTER, steps))
    buckets = np.empty((scrapes, len(BUCKETS) + 1))
    for step in range(steps):
        shares = _shares(scale[step], SIGMA)
        for k in range(per_step):
            i = step * per_step + k
            buckets[i] = rng.multinomial(requests[i], shares)
    return {"requests": np.cumsum(requests), "errors": np.cumsum(bad), "buckets": np.cumsum(buckets, axis=0)}


def openmetrics(path: Path, start: int, rollouts: int, rng: np.random.Generator) -> None:
    """Every scenario, rollout and track, as OpenMetrics for promtool (one metric family after the other)."""
    steps = ANALYSES * WINDOW // STEP + 2  # one step of lead-in before the first window
    times = start + SCRAPE * np.arange(1, steps * (STEP // SCRAPE) + 1)
    requests, durations = path.with_suffix(".requests"), path.with_suffix(".durations")
    with requests.open("w") as req, durations.open("w") as dur:
        for s, (name, change) in enumerate(SCENARIOS.items()):
            for r in range(rollouts):
                for track in ("baseline", "canary"):
                    bad = change.get("errors", ERRORS) if track == "canary" else ERRORS
                    median = change.get("median", MEDIAN) if track == "canary" else MEDIAN
                    data = track_series(rng, steps, median, bad)
                    labels = f's="{s}",r="{r}",track="{track}"'
                    ok = data["requests"] - data["errors"]
                    req.write("".join(f'http_requests_total{{{labels},code="200"}} {v} {t}\n'
                                      for v, t in zip(ok, times)))
                    req.write("".join(f'http_requests_total{{{labels},code="500"}} {v} {t}\n'
                                      for v, t in zip(data["errors"], times)))
                    cumulative = np.cumsum(data["buckets"], axis=1)
                    for i, bound in enumerate([*map(str, BUCKETS), "+Inf"]):
                        dur.write("".join(f'http_request_duration_seconds_bucket{{{labels},le="{bound}"}} {v:.0f} {t}\n'
                                          for v, t in zip(cumulative[:, i], times)))
                    dur.write("".join(f"http_request_duration_seconds_count{{{labels}}} {v:.0f} {t}\n"
                                      for v, t in zip(cumulative[:, -1], times)))
    with path.open("w") as out:
        out.write("# TYPE http_requests counter\n")
        with requests.open() as part:
            while chunk := part.read(1 << 24):
                out.write(chunk)
        out.write("# TYPE http_request_duration_seconds histogram\n")
        with durations.open() as part:
            while chunk := part.read(1 << 24):
                out.write(chunk)
        out.write("# EOF\n")
    requests.unlink()
    durations.unlink()


# ----------------------------------------------------------------------------------------------- rollouts


@dataclass
class Rollout:
    scenario: int
    index: int
    sequential: SequentialState | None
    phase: int = 0
    tally: policy.Tally = field(default_factory=policy.Tally)
    analyses: int = 0
    served: float = 0.0  # canary requests while bad (every canary of a regression scenario is bad from the start)
    outcome: str | None = None


#: mode -> (sequential, failure_limit): a fixed window with the first failure rolling back, a fixed window with two
#: failures tolerated (what users configure to absorb the false alarms of many looks), and sequential analysis
MODES = {"fixed-window": (False, 0), "fixed, limit 2": (False, 2), "sequential": (True, 0)}


async def play(config, url: str, scenario: int, rollouts: int, sequential: bool, t0: float,
               failure_limit: int = 0) -> list[Rollout]:
    """One scenario's rollouts in one mode: every rollout's next analysis judged together (one batched fetch)."""
    rules = Analysis(interval=WINDOW, count=COUNT, warmup=0, failure_limit=failure_limit, inconclusive_limit=0,
                     on_inconclusive="hold")
    runs = [Rollout(scenario, r, SequentialState() if sequential else None) for r in range(rollouts)]
    source = PrometheusSource.from_config(config.prometheus, url)
    try:
        for look in range(ANALYSES):
            active = [run for run in runs if run.outcome is None]
            if not active:
                break
            start, end = t0 + look * WINDOW, t0 + (look + 1) * WINDOW
            results = await asyncio.gather(*(service.judge(
                config, source, f'{{s="{scenario}",r="{run.index}",track="baseline"}}',
                f'{{s="{scenario}",r="{run.index}",track="canary"}}', start, end, step=STEP, warmup=0,
                sequential=run.sequential) for run in active))
            for run, result in zip(active, results):
                run.analyses += 1
                run.served += max((s.canary.total or 0.0) for s in result.slos)
                step = policy.after_analysis(rules, run.tally, result.decision, sequential=sequential,
                                             accumulating=judgement(result).accumulating)
                run.tally = step.tally
                if step.action == policy.ROLL_BACK:
                    run.outcome = "rollback"
                elif step.action == policy.HOLD:
                    run.outcome = "hold"
                elif step.action == policy.ADVANCE:
                    run.phase += 1
                    run.tally = run.tally.next_phase()
                    if run.phase == PHASES:
                        run.outcome = "promoted"
        for run in runs:
            run.outcome = run.outcome or "hold"  # out of analyses without a decision
    finally:
        await source.aclose()
    return runs


def summary(mode: str, runs: dict[str, list[Rollout]]) -> dict[str, dict[str, float]]:
    rows = {}
    for name, group in runs.items():
        total = len(group)
        back = [r for r in group if r.outcome == "rollback"]
        rows[name] = {
            "rolled back": len(back) / total,
            "held": sum(r.outcome == "hold" for r in group) / total,
            "promoted": sum(r.outcome == "promoted" for r in group) / total,
            "analyses to promotion": statistics.median(r.analyses for r in group if r.outcome == "promoted")
            if any(r.outcome == "promoted" for r in group) else math.nan,
            "analyses to rollback": statistics.median(r.analyses for r in back) if back else math.nan,
            "bad requests served": statistics.median(r.served for r in back) if back else math.nan,
        }
    return rows


def main() -> None:
    global RPS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rollouts", type=int, default=200)
    parser.add_argument("--seed", type=int, default=None, help="default: fresh random draws every run")
    parser.add_argument("--rps", type=float, default=RPS, help="requests per second per track")
    args = parser.parse_args()
    RPS = args.rps
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = np.random.default_rng(seed)
    work = Path(tempfile.mkdtemp(prefix="rollwise-rollouts-"))
    config_path = work / "rollwise.yml"
    config_path.write_text(CONFIG)
    config = config_from_document(load_yaml(config_path))

    began = time.perf_counter()
    t0 = (int(time.time()) // 3600 - 3) * 3600  # whole data set well in the past, on an hour boundary
    source = work / "series.om"
    openmetrics(source, t0 - STEP, args.rollouts, rng)
    generated = time.perf_counter()
    subprocess.run([services.find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source),
                    str(work / "tsdb")], check=True, capture_output=True)
    source.unlink()
    prometheus = services.start_prometheus(work / "prom", storage=work / "tsdb")
    loaded = time.perf_counter()
    print(f"seed {seed}: {args.rollouts} rollouts x {len(SCENARIOS)} scenarios x {ANALYSES} analyses of "
          f"{WINDOW}s ({RPS:g} req/s per track, {ERRORS * 100:g} % errors, p95 ~{MEDIAN * math.exp(1.645 * SIGMA):.2f} s); "
          f"data {generated - began:.0f}s, promtool + start {loaded - generated:.0f}s")
    try:
        results = {}
        for mode, (sequential, limit) in MODES.items():
            mode_began = time.perf_counter()
            runs = {name: asyncio.run(play(config, prometheus.url, s, args.rollouts, sequential, t0, limit))
                    for s, name in enumerate(SCENARIOS)}
            results[mode] = (summary(mode, runs), runs)
            print(f"{mode}: judged in {time.perf_counter() - mode_began:.0f}s")
    finally:
        prometheus.stop()
    report(results, config.policy.alpha)


def report(results, alpha: float) -> None:
    modes = list(MODES)
    rows = {mode: results[mode][0] for mode in modes}

    def pct(value: float) -> str:
        return f"{value * 100:.1f} %"

    def num(value: float) -> str:
        return "n/a" if math.isnan(value) else f"{value:.0f}" if value >= 100 else f"{value:.1f}"

    def line(label: str, cells: list[str], ratios: str = "") -> None:
        print(f"{label:40}" + "".join(f"{c:>16}" for c in cells) + ratios)

    print()
    line("", modes, "   ratio fixed / sequential")
    for key in ("rolled back", "held", "promoted"):
        target = f" (target <= {alpha:g})" if key == "rolled back" else ""
        line(f"healthy: {key}{target}", [pct(rows[m]["healthy"][key]) for m in modes])
    line("healthy: analyses to promotion (median)", [num(rows[m]["healthy"]["analyses to promotion"]) for m in modes])
    for name in list(SCENARIOS)[1:]:
        for key in ("rolled back", "analyses to rollback", "bad requests served"):
            values = [rows[m][name][key] for m in modes]
            if key == "rolled back":
                line(f"{name}: {key}", [pct(v) for v in values])
                continue
            seq = values[-1]
            ratios = "   " + " / ".join("n/a" if math.isnan(v) or math.isnan(seq) or not seq else f"{v / seq:.2f}x"
                                         for v in values[:-1])
            line(f"{name}: {key} (median)", [num(v) for v in values], ratios)
    for mode in modes:
        runs = results[mode][1]
        promoted = [r for group in runs.values() for r in group if r.outcome == "promoted"]
        bad = [r for r in promoted if r.scenario != 0]
        share = len(bad) / len(promoted) if promoted else 0.0
        print(f"{mode}: promoted canaries with a real regression: {len(bad)} of {len(promoted)} ({pct(share)}, "
              "target 0)")


if __name__ == "__main__":
    main()
