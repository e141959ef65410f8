"""Sequential analysis across a whole rollout: evidence that stays valid however often it is looked at, so a phase
can stop as soon as the data is conclusive either way and the false-rollback rate stays at ``gate.alpha``.

Counts (Lindon et al., "Rapid Regression Detection in Software Deployments through Sequential Testing", KDD 2022):
given a step's bad requests, the canary's share of them is binomial with a probability set by the traffic split and
the ratio θ of the tracks' bad rates, so whatever both tracks share (traffic swings, an outage) cancels out. The score
of θ0 summed over steps, mixed over the drift with a half-normal prior (Robbins' normal mixture; Howard, Ramdas,
McAuliffe and Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences", 2021), is an e-process for
H0: θ ≤ θ0; by Ville's inequality it crosses 1/α with probability at most α, at any of the looks. Steps where the
baseline's own bad share jumps (an outage) are set aside, and extra-binomial scatter widens the variance.
Latency: the per-step log ratio of canary and baseline quantiles, the same mixture with a plug-in variance
(Waudby-Smith et al., "Time-uniform central limit theory and asymptotic confidence sequences", 2021).

The confidence sequence is every θ0 that neither one-sided e-value rejects at α/2; its ends become the interval the
judge checks against the tolerance, and 1/e (running minimum) the always-valid p-value, exactly as a fixed-window
comparison would be checked. State is plain JSON, kept by canary-deploy in its state file between analyses.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from rollwise.gate.model import Comparison, Slo, TrackData

STATE_VERSION = 1
#: prior scale of the mixture over the drift: log rate ratio for counts, effect size (per-step sd) for latency
MIXTURE_SCALE = 1.0
#: a step whose baseline bad share exceeds this multiple of the usual one (and has BURST_MIN_BAD bad requests)
BURST_FACTOR = 3.0
BURST_MIN_BAD = 5
#: steps needed before the latency variance is estimated at all
MIN_SERIES_STEPS = 3
_SPAN = 12.0  # search range for θ (log ratio), far beyond any change a canary survives


def log_normal_cdf(z: float) -> float:
    """log Φ(z), accurate in the far lower tail (where Φ itself underflows)."""
    if z > -30:
        return math.log(0.5 * math.erfc(-z / math.sqrt(2)))
    # asymptotic series of Mills' ratio
    return -z * z / 2 - math.log(-z) - 0.5 * math.log(2 * math.pi) + math.log1p(-1 / z ** 2 + 3 / z ** 4)


def log_mixture(score: float, variance: float, scale: float = MIXTURE_SCALE) -> float:
    """log of the e-value ∫_{λ>0} exp(λ·score − λ²·variance/2) dπ(λ), π half-normal with ``scale``.

    Closed form: 2 / sqrt(1 + vρ²) · exp(z²/2) · Φ(z) with z = ρ·score / sqrt(1 + vρ²).
    """
    a = 1 + max(variance, 0.0) * scale * scale
    z = scale * score / math.sqrt(a)
    return math.log(2) - 0.5 * math.log(a) + z * z / 2 + log_normal_cdf(z)


def share_bounds(bad: float, total: float, alpha: float) -> tuple[float, float]:
    """Confidence sequence of a bad share at level ``alpha``: every p0 whose beta-binomial mixture e-value (Jeffreys
    prior, Robbins 1970) stays below 1/alpha. It covers zero errors too, where no ratio can be estimated."""
    if total <= 0:
        return 0.0, 1.0
    bad = min(max(bad, 0.0), total)
    mixture = math.lgamma(bad + 0.5) + math.lgamma(total - bad + 0.5) - math.lgamma(total + 1) - math.log(math.pi)
    bound = math.log(1 / alpha)

    def log_e(p0: float) -> float:
        return mixture - (bad * math.log(p0) if bad else 0.0) - ((total - bad) * math.log1p(-p0) if total > bad else 0.0)

    share = bad / total
    tiny = 1e-12
    low = tiny if log_e(tiny) < bound or share <= tiny else _bisect(lambda p: bound - log_e(p), tiny, share)
    high = 1 - tiny if log_e(1 - tiny) < bound or share >= 1 - tiny else _bisect(lambda p: log_e(p) - bound, share,
                                                                                  1 - tiny)
    return (0.0 if low <= tiny else low), (1.0 if high >= 1 - tiny else high)


# --------------------------------------------------------------------------------------------------- evidence


@dataclass(frozen=True)
class Evidence:
    """Where the rollout's data stands for one SLO: estimate and confidence sequence of θ, e-values against 0."""

    estimate: float  # θ̂: log ratio canary / baseline (bad rate, or quantile)
    low: float  # confidence sequence of θ at level alpha
    high: float
    log_e_worse: float  # against H0: θ ≤ 0 (the canary is not worse)
    log_e_better: float  # against H0: θ ≥ 0
    reference: float  # baseline bad share or typical quantile, to turn θ into absolute terms
    steps: int
    set_aside: int = 0  # burst steps left out
    dispersion: float = 1.0
    #: counts: confidence sequence of canary − baseline bad share (each share at alpha/4), for when no bad
    #: request has been seen yet (then there is no ratio to estimate)
    difference: tuple[float, float] | None = None


def _bisect(f, low: float, high: float, iterations: int = 36) -> float:
    """The point in [low, high] where the increasing ``f`` crosses 0."""
    for _ in range(iterations):
        mid = (low + high) / 2
        if f(mid) >= 0:
            high = mid
        else:
            low = mid
    return (low + high) / 2


def _bursts(rows: list[list[float]]) -> set[int]:
    """Steps where the baseline's own bad share jumps: an outage both tracks share, not the canary's doing."""
    shares = [y / m for _, _, _, y, m in rows if m > 0]
    if len(shares) < 3:
        return set()
    usual = median(shares)
    return {i for i, (_, _, _, y, m) in enumerate(rows)
            if m > 0 and y >= BURST_MIN_BAD and y / m > max(BURST_FACTOR * usual, usual + 1e-3)}


def _count_terms(rows: list[list[float]], theta: float) -> list[tuple[float, float]]:
    """Per step: canary bad minus its expectation under θ, given the step's bad requests, and its variance."""
    terms = []
    ratio = math.exp(theta)
    for _, x, n, y, m in rows:
        bad = x + y
        if bad <= 0 or n <= 0 or m <= 0:
            continue
        share = n * ratio / (n * ratio + m)
        terms.append((x - bad * share, bad * share * (1 - share)))
    return terms


def count_evidence(rows: list[list[float]], alpha: float) -> Evidence | None:
    """Evidence from per-step counts ``[time, canary bad, canary total, baseline bad, baseline total]``."""
    bursts = _bursts(rows)
    kept = [r for i, r in enumerate(rows) if i not in bursts]
    x, n, y, m = (sum(r[i] for r in kept) for i in (1, 2, 3, 4))
    if n <= 0 or m <= 0:
        return None
    canary_low, canary_high = share_bounds(x, n, alpha / 4)
    baseline_low, baseline_high = share_bounds(y, m, alpha / 4)
    difference = (canary_low - baseline_high, canary_high - baseline_low)
    if not _count_terms(kept, 0.0):  # no bad request at all yet: only the shares say anything
        return Evidence(0.0, -_SPAN, _SPAN, 0.0, 0.0, 0.0, 0, len(bursts), 1.0, difference)

    def sums(theta: float) -> tuple[float, float]:
        terms = _count_terms(kept, theta)
        return sum(d for d, _ in terms), sum(v for _, v in terms)

    estimate = _bisect(lambda t: -sums(t)[0], -_SPAN, _SPAN)
    terms = _count_terms(kept, estimate)
    # extra-binomial scatter between steps (quasi-likelihood dispersion around the estimate)
    pearson = sum(d * d / v for d, v in terms if v > 0)
    dispersion = max(1.0, pearson / (len(terms) - 1)) if len(terms) >= 5 else 1.0

    def log_e(theta: float, sign: float) -> float:
        score, variance = sums(theta)
        return log_mixture(sign * score, dispersion * variance)

    bound = math.log(2 / alpha)
    low = -_SPAN if log_e(-_SPAN, 1) < bound else _bisect(lambda t: bound - log_e(t, 1), -_SPAN, estimate)
    high = _SPAN if log_e(_SPAN, -1) < bound else _bisect(lambda t: log_e(t, -1) - bound, estimate, _SPAN)
    return Evidence(estimate, low, high, log_e(0.0, 1), log_e(0.0, -1), y / m, len(terms), len(bursts), dispersion,
                    difference)


def series_evidence(rows: list[list[float]], alpha: float) -> Evidence | None:
    """Evidence from per-step values ``[time, canary, baseline]`` (positive: compared as log ratios)."""
    logs = [math.log(c / b) for _, c, b in rows if c > 0 and b > 0 and math.isfinite(c / b)]
    steps = len(logs)
    if steps < MIN_SERIES_STEPS:
        return None
    mean = sum(logs) / steps
    sd = max(math.sqrt(sum((v - mean) ** 2 for v in logs) / (steps - 1)), 1e-6)
    bound = math.log(2 / alpha)
    # standardised: score T·(mean − θ0)/sd with variance T; the CS half-width solves log_mixture(u, T) = bound
    reach = _bisect(lambda u: log_mixture(u, steps) - bound, 0.0, 10.0 * steps + 100.0)
    half = sd * reach / steps
    reference = median(b for _, _, b in rows if b > 0)
    return Evidence(mean, mean - half, mean + half, log_mixture(steps * mean / sd, steps),
                    log_mixture(-steps * mean / sd, steps), reference, steps)


# --------------------------------------------------------------------------------------------------- state


@dataclass
class SequentialState:
    """Rows measured so far per SLO, the running always-valid p-values, and one history entry per analysis."""

    slos: dict[str, dict[str, Any]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> SequentialState:
        if not data or data.get("version") != STATE_VERSION:
            return cls()
        return cls(slos={k: dict(v) for k, v in (data.get("slos") or {}).items()},
                   history=list(data.get("history") or []))

    def to_dict(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "slos": self.slos, "history": self.history}

    # ------------------------------------------------------------------ adding a window

    def add(self, slo: Slo, canary: TrackData, baseline: TrackData, at: float) -> None:
        """Append one analysis window's steps of ``slo`` (steps already seen are not counted twice)."""
        entry = self.slos.setdefault(slo.name, {"kind": "counts" if slo.counts_based else "series", "rows": [],
                                                "p": 1.0})
        seen = {row[0] for row in entry["rows"]}
        if canary.error or baseline.error:
            return
        if slo.counts_based:
            theirs = {t: (bad, total) for t, bad, total in baseline.steps}
            rows = [[t, bad, total, *theirs[t]] for t, bad, total in canary.steps if t in theirs]
            if not rows and canary.total and baseline.total:  # a source without per-step counts: one window, one step
                rows = [[at, canary.bad or 0.0, canary.total, baseline.bad or 0.0, baseline.total]]
        else:
            theirs = dict(baseline.series)
            rows = [[t, v, theirs[t]] for t, v in canary.series if t in theirs]
        entry["rows"] += [r for r in rows if r[0] not in seen and all(math.isfinite(v) for v in r)]

    # ------------------------------------------------------------------ judging

    def evidence(self, slo: Slo, alpha: float) -> Evidence | None:
        entry = self.slos.get(slo.name)
        if not entry:
            return None
        rows = entry["rows"]
        return count_evidence(rows, alpha) if entry["kind"] == "counts" else series_evidence(rows, alpha)

    def compare(self, slo: Slo, alpha: float) -> Comparison:
        """The rollout so far as a :class:`Comparison` the judge checks like a fixed-window one."""
        entry = self.slos.setdefault(slo.name, {"kind": "counts" if slo.counts_based else "series", "rows": [],
                                                "p": 1.0})
        found = self.evidence(slo, alpha)
        name = "sequential mixture (counts per step)" if slo.counts_based else "sequential mixture (per-step values)"
        if found is None:
            return Comparison(test=name, change=0.0, difference=0.0, interval=(-math.inf, math.inf),
                              interval_relative=(-1.0, math.inf), p_value=entry["p"])
        log_e = {"increase": found.log_e_worse, "decrease": found.log_e_better}.get(
            slo.direction, max(found.log_e_worse, found.log_e_better) - math.log(2))
        # an always-valid p-value is the running minimum of 1/e over the looks
        entry["p"] = min(entry["p"], math.exp(-max(0.0, log_e)))
        relative = tuple(math.expm1(v) if abs(v) < _SPAN else math.copysign(math.inf, v) if v > 0 else -1.0
                         for v in (found.low, found.estimate, found.high))
        # in absolute terms: the ratio's bounds at the baseline's share (as in fixed-window mode), narrowed by the
        # shares' own bounds, which still say something when there are too few bad requests for a ratio (each
        # sequence holds at alpha/2 a side, so the narrower end errs with probability at most alpha)
        absolute = tuple(found.reference * v if found.reference > 0 and math.isfinite(v) else math.copysign(math.inf, v)
                         for v in (relative[0], relative[2]))
        if found.difference is not None:
            absolute = (max(absolute[0], found.difference[0]), min(absolute[1], found.difference[1]))
        comparison = Comparison(
            test=name, change=relative[1], difference=found.reference * relative[1], interval=absolute,
            interval_relative=(relative[0], relative[2]), p_value=entry["p"])
        entry["last"] = {"log_e": log_e, "estimate": found.estimate, "low": found.low, "high": found.high,
                         "steps": found.steps, "set_aside": found.set_aside, "dispersion": found.dispersion}
        return comparison

    def record(self, at: float, results: list[Any]) -> dict[str, Any]:
        """Note this analysis in the history (for the timeline chart) and return the entry."""
        entry = {"time": at, "slos": {}}
        for result in results:
            state = self.slos.get(result.slo.name, {})
            last = state.get("last") or {}
            entry["slos"][result.slo.name] = {
                "p": state.get("p", 1.0), "e_value": math.exp(min(last.get("log_e", 0.0), 700.0)),
                "steps": last.get("steps", 0), "set_aside": last.get("set_aside", 0), "verdict": result.verdict}
        self.history.append(entry)
        return entry
