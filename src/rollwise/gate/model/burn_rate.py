"""Error budget and multi-window burn rates (Google SRE workbook, as Sloth encodes them) for the pre-deploy check.

Burn rate = error ratio over a window / (1 − objective). A page-level alert fires when both a long and a
short window burn faster than the factor: 1h and 5m above 14.4, or 6h and 30m above 6, for a 30-day period
(the factors scale with the period: budget share × period hours / long-window hours). Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollwise.gate.model import BUDGET_SCHEMA, Slo, _clean, _iso

HOUR = 3600.0


@dataclass(frozen=True)
class BurnRule:
    name: str
    long: float
    short: float
    budget_share: float  # share of the period's budget this rule guards (2 % in 1 h for the fast page)

    def factor(self, period: float) -> float:
        return self.budget_share * (period / HOUR) / (self.long / HOUR)


RULES = (
    BurnRule("fast burn (1h & 5m)", long=1 * HOUR, short=5 * 60.0, budget_share=0.02),
    BurnRule("slow burn (6h & 30m)", long=6 * HOUR, short=30 * 60.0, budget_share=0.05),
)


def budget_windows(period: float) -> list[float]:
    """Every window the check measures: the whole period, then each rule's long and short windows."""
    windows = [period]
    for rule in RULES:
        for w in (rule.long, rule.short):
            if w not in windows:
                windows.append(w)
    return windows


@dataclass
class SloBudget:
    name: str
    objective: float
    status: str  # ok | exhausted | burning | inconclusive
    reason: str
    error_ratio: float | None = None
    remaining: float | None = None  # share of the period's budget left (1 = untouched, ≤ 0 = exhausted)
    burn_rates: dict[str, float | None] = field(default_factory=dict)  # window label -> burn rate
    alerts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "objective": self.objective, "status": self.status, "reason": self.reason,
                "error_ratio": _clean(self.error_ratio), "remaining": _clean(self.remaining),
                "burn_rates": {k: _clean(v) for k, v in self.burn_rates.items()}, "alerts": self.alerts}


@dataclass
class BudgetResult:
    decision: str  # proceed | rollback (do not deploy) | inconclusive
    reason: str
    slos: list[SloBudget]
    period: float
    at: float
    selector: str = ""
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"schema": BUDGET_SCHEMA, "decision": self.decision, "reason": self.reason,
                "period_seconds": self.period, "at": _iso(self.at), "selector": self.selector,
                "source": self.source, "slos": [s.to_dict() for s in self.slos]}


def label(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _ratio(pair: tuple[float | None, float | None]) -> float | None:
    bad, total = pair
    if not total:
        return None
    return min(1.0, max(0.0, (bad or 0.0) / total))


def assess_slo(slo: Slo, measured: dict[float, tuple[float | None, float | None] | str], period: float) -> SloBudget:
    limit = slo.objective.bad_limit
    result = SloBudget(slo.name, slo.objective.target, "ok", "")
    errors = [v for v in measured.values() if isinstance(v, str)]
    if errors:
        result.status, result.reason = "inconclusive", f"could not read the data: {errors[0]}"
        return result
    result.error_ratio = _ratio(measured[period])
    if result.error_ratio is None:
        result.status = "inconclusive"
        result.reason = f"no requests counted in the {label(period)} budget period"
        return result
    result.remaining = 1.0 - result.error_ratio / limit
    for seconds, pair in measured.items():
        ratio = _ratio(pair)
        result.burn_rates[label(seconds)] = None if ratio is None else ratio / limit
    for rule in RULES:
        factor = rule.factor(period)
        long, short = result.burn_rates.get(label(rule.long)), result.burn_rates.get(label(rule.short))
        if long is not None and short is not None and long > factor and short > factor:
            result.alerts.append(f"{rule.name}: burn {long:.1f}x / {short:.1f}x > {factor:.3g}x")
    if result.remaining <= 0:
        result.status = "exhausted"
        result.reason = (f"error budget exhausted: {result.error_ratio * 100:.3g} % errors over {label(period)} "
                         f"against {limit * 100:.3g} % allowed ({result.remaining * 100:.0f} % left)")
    elif result.alerts:
        result.status = "burning"
        result.reason = f"budget burning too fast: {result.alerts[0]} ({result.remaining * 100:.0f} % left)"
    else:
        result.reason = f"{result.remaining * 100:.0f} % of the {label(period)} error budget left, no fast burn"
    return result


def assess_budget(slos: list[Slo], measured: dict[str, dict[float, Any]], period: float, at: float, *,
                  selector: str = "", source: str = "") -> BudgetResult:
    """Block a deploy while any SLO's budget is exhausted or burning fast; inconclusive when data is missing."""
    results = [assess_slo(slo, measured[slo.name], period) for slo in slos]
    blocked = [r for r in results if r.status in ("exhausted", "burning")]
    unknown = [r for r in results if r.status == "inconclusive"]
    if blocked:
        decision, reason = "rollback", f"rollback: {blocked[0].name}: {blocked[0].reason}"
    elif unknown:
        decision, reason = "inconclusive", f"inconclusive: {unknown[0].name}: {unknown[0].reason}"
    else:
        least = min(results, key=lambda r: r.remaining)
        decision = "proceed"
        reason = f"proceed: every budget holds; least left: {least.name} {least.remaining * 100:.0f} %"
    return BudgetResult(decision, reason, results, period, at, selector, source)
