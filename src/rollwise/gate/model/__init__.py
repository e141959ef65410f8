"""The gate's data: configuration (SLOs, SLIs, objectives, policy) and judgement results.

Plain dataclasses with no I/O; ``config.py`` builds them from rollwise.yml, ``judge.py`` fills the results.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["increase", "decrease", "either"]
Verdict = Literal["pass", "fail", "inconclusive"]
Decision = Literal["proceed", "rollback", "inconclusive"]

REPORT_SCHEMA = "rollwise/gate/v1"
BUDGET_SCHEMA = "rollwise/gate-budget/v1"


# --------------------------------------------------------------------------------------------------- config


@dataclass(frozen=True)
class RatioSli:
    """Error ratio from counters: ``errors`` / ``total``, or 1 − ``good`` / ``total`` (plain selectors)."""

    errors: str | None
    total: str
    good: str | None = None
    kind: str = "ratio"


@dataclass(frozen=True)
class LatencySli:
    """Latency from a histogram: a ``quantile`` per step, or the share of requests ``slower_than`` seconds."""

    histogram: str  # selector of the histogram's base name, e.g. http_request_duration_seconds{job="api"}
    quantile: float | None = None
    slower_than: float | None = None
    kind: str = "latency"

    @property
    def counts_based(self) -> bool:
        return self.slower_than is not None


@dataclass(frozen=True)
class PromqlSli:
    """Raw PromQL returning one series; ``$track`` marks where the track matchers go, ``$step`` the rate window."""

    query: str
    aggregate: Literal["mean", "median", "max"] = "mean"
    kind: str = "promql"


Sli = RatioSli | LatencySli | PromqlSli


@dataclass(frozen=True)
class Objective:
    """The absolute limit. Counts-based SLIs: ``target`` is the good share (0.999); others: ``max`` or ``min``."""

    target: float | None = None
    max: float | None = None
    min: float | None = None

    @property
    def bad_limit(self) -> float | None:
        """Highest acceptable bad share for counts-based SLIs (1 − target)."""
        return None if self.target is None else 1.0 - self.target

    def breached_by(self, value: float, counts_based: bool) -> bool:
        """True when ``value`` (a bad share for counts-based SLIs) is outside the objective."""
        if counts_based:
            return self.bad_limit is not None and value > self.bad_limit + 1e-15
        if self.max is not None and value > self.max:
            return True
        return self.min is not None and value < self.min

    def describe(self, counts_based: bool, unit: str = "") -> str:
        if counts_based and self.target is not None:
            return f"≥ {self.target * 100:g} % good (≤ {self.bad_limit * 100:.3g} % bad)"
        parts = []
        if self.max is not None:
            parts.append(f"≤ {_fmt(self.max, unit)}")
        if self.min is not None:
            parts.append(f"≥ {_fmt(self.min, unit)}")
        return " and ".join(parts) or "none"


def _fmt(value: float, unit: str) -> str:
    if unit == "s" and value < 1:
        return f"{value * 1000:g} ms"
    return f"{value:g}{(' ' + unit) if unit else ''}"


@dataclass(frozen=True)
class Tolerance:
    """How much worse than the baseline the canary may be: both the relative and the absolute change must exceed."""

    relative: float = 0.10
    absolute: float = 0.0


@dataclass(frozen=True)
class Slo:
    name: str
    sli: Sli
    objective: Objective
    tolerance: Tolerance
    direction: Direction = "increase"
    critical: bool = False
    weight: float = 1.0
    unit: str = ""
    description: str = ""
    line: int | None = None  # where it sits in rollwise.yml, for located errors
    sli_line: int | None = None
    index: int = 0

    @property
    def counts_based(self) -> bool:
        """Judged on request counts (two-proportion test) rather than on a per-step series (rank test)."""
        return isinstance(self.sli, RatioSli) or (isinstance(self.sli, LatencySli) and self.sli.counts_based)


@dataclass(frozen=True)
class PrometheusConfig:
    url: str | None = None
    bearer_token_env: str | None = None
    username_env: str | None = None
    password_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    tls_verify: bool = True
    timeout: float = 10.0
    deadline: float = 30.0
    retries: int = 3
    scrape_interval: float = 15.0
    concurrency: int = 256


@dataclass(frozen=True)
class Policy:
    """Judgement settings shared by every SLO."""

    alpha: float = 0.05  # family-wise error rate across SLOs (Holm); intervals are (1 − alpha)
    min_requests: int = 100
    min_points: int = 8
    pass_score: float = 90.0
    warmup: float = 0.0
    step: float | None = None
    environment_lookback: float | None = None  # seconds before the window that show the baseline's normal
    #: canary-deploy judges the whole rollout with anytime-valid tests (``rollwise gate`` stays fixed-window)
    sequential: bool = True


@dataclass(frozen=True)
class BudgetPolicy:
    period: float = 30 * 86400.0
    selector: str | None = None  # e.g. {job="api"}: which traffic the budget covers


@dataclass(frozen=True)
class GateConfig:
    slos: tuple[Slo, ...]
    prometheus: PrometheusConfig = PrometheusConfig()
    policy: Policy = Policy()
    budget: BudgetPolicy = BudgetPolicy()
    file: str = "rollwise.yml"
    canary: dict[str, Any] | None = None  # validated by canary-deploy against its own schema


# --------------------------------------------------------------------------------------------------- data


@dataclass
class TrackData:
    """What a source measured for one SLO on one track in one window."""

    bad: float | None = None  # counts-based SLIs: bad requests in the window
    total: float | None = None  # requests in the window (None when the SLI has no request count)
    value: float | None = None  # the SLI over the whole window (bad share, quantile or aggregate)
    series: list[tuple[float, float]] = field(default_factory=list)  # (unix time, value) per step
    queries: list[str] = field(default_factory=list)
    error: str | None = None  # the source could not answer; never read as "no data"
    unusable: str | None = None  # the source answered with data no decision may rest on (why, for the reason)
    #: labels a selector of the SLI matches on that the metric does not have (so it can never match)
    missing_labels: dict[str, list[str]] = field(default_factory=dict)  # selector -> label names
    #: counts-based SLIs: (unix time, bad, total) per step of one rate window, for the stratified test
    steps: list[tuple[float, float, float]] = field(default_factory=list)
    #: quantile SLIs: the histogram's finite bucket bounds (``le``), ascending
    buckets: list[float] = field(default_factory=list)

    @property
    def points(self) -> int:
        return sum(1 for _, v in self.series if math.isfinite(v))

    def finite_values(self) -> list[float]:
        return [v for _, v in self.series if math.isfinite(v)]


@dataclass(frozen=True)
class Window:
    start: float  # unix seconds, after warm-up
    end: float

    @property
    def seconds(self) -> float:
        return self.end - self.start


# --------------------------------------------------------------------------------------------------- results


@dataclass
class Comparison:
    """Canary vs baseline on the same window."""

    test: str  # "two-proportion z", "fisher exact", "mann-whitney u"
    change: float | None  # relative change canary vs baseline (0.12 = +12 %)
    difference: float | None  # absolute difference canary − baseline
    interval: tuple[float, float] | None  # confidence interval of `difference`
    interval_relative: tuple[float, float] | None
    p_value: float | None  # one-sided in the bad direction (two-sided for `either`)
    p_adjusted: float | None = None  # Holm-adjusted across the gate's SLOs
    significant: bool = False
    beyond_tolerance: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "test": self.test,
            "change": _clean(self.change),
            "difference": _clean(self.difference),
            "interval": _clean_pair(self.interval),
            "interval_relative": _clean_pair(self.interval_relative),
            "p_value": _clean(self.p_value),
            "p_adjusted": _clean(self.p_adjusted),
            "significant": self.significant,
            "beyond_tolerance": self.beyond_tolerance,
        }


@dataclass
class SloResult:
    slo: Slo
    verdict: Verdict
    reason_code: str
    reason: str
    canary: TrackData
    baseline: TrackData
    baseline_before: TrackData | None = None
    comparison: Comparison | None = None
    objective_breached: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.slo.name,
            "kind": self.slo.sli.kind,
            "critical": self.slo.critical,
            "weight": self.slo.weight,
            "direction": self.slo.direction,
            "unit": self.slo.unit,
            "objective": self.slo.objective.describe(self.slo.counts_based, self.slo.unit),
            "tolerance": {"relative": self.slo.tolerance.relative, "absolute": self.slo.tolerance.absolute},
            "verdict": self.verdict,
            "reason_code": self.reason_code,
            "reason": self.reason,
            "objective_breached": self.objective_breached,
            "canary": _track(self.canary),
            "baseline": _track(self.baseline),
            "baseline_before": _track(self.baseline_before) if self.baseline_before else None,
            "comparison": self.comparison.to_dict() if self.comparison else None,
        }


@dataclass
class GateResult:
    decision: Decision
    score: float | None
    reason: str
    slos: list[SloResult]
    window: Window
    baseline: str
    canary: str
    step: float
    warmup: float
    alpha: float
    source: str = ""
    graph_url: str | None = None  # Prometheus base URL for graph links
    #: sequential analysis: this look's always-valid p-value and e-value per SLO (None for a fixed window)
    sequential: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        extra = {} if self.sequential is None else {"sequential": self.sequential}
        return {
            "schema": REPORT_SCHEMA,
            "decision": self.decision,
            "score": None if self.score is None else round(self.score, 2),
            "reason": self.reason,
            "window": {"start": _iso(self.window.start), "end": _iso(self.window.end), "warmup_seconds": self.warmup,
                       "step_seconds": self.step},
            "baseline": self.baseline,
            "canary": self.canary,
            "alpha": self.alpha,
            "source": self.source,
            "slos": [s.to_dict() for s in self.slos],
            **extra,
        }


def _iso(ts: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ts, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def _clean(value: float | None) -> float | None:
    """JSON has no NaN/Inf: report them as null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def _clean_pair(pair: tuple[float, float] | None) -> list[float | None] | None:
    return None if pair is None else [_clean(pair[0]), _clean(pair[1])]


def _track(data: TrackData) -> dict[str, Any]:
    return {
        "value": _clean(data.value),
        "bad": _clean(data.bad),
        "total": _clean(data.total),
        "points": data.points,
        "series": [[t, _clean(v)] for t, v in data.series],
        "queries": list(data.queries),
        "error": data.error,
        "unusable": data.unusable,
    }
