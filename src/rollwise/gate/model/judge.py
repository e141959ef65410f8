"""The judge: per SLO a verdict (pass / fail / inconclusive) with a reason, then one decision and a score.

Pure: it reads measured :class:`TrackData` and the config, never a socket. Rules, in the order they apply:

1. the canary must have data (never a pass without it) and enough of it (``min_requests``, ``min_points``);
2. canary vs baseline on the same window: counts -> compared within steps (``stratified``; Fisher / z-test when
   sparse), per-step series -> Mann-Whitney (or, for a rollout, the anytime-valid comparison of ``sequential``);
   p-values are Holm-adjusted across SLOs; a regression is significant *and* larger than the tolerance;
3. the objective is checked on the canary's value over the whole window;
4. an objective breach that the baseline shares (it breaches too, or it got worse than before the window)
   is environmental: inconclusive, not rollback;
5. a pass needs the interval of the change to end inside the tolerance and a histogram that can resolve it
   (``noninferiority``): else inconclusive, ``underpowered`` or ``histogram_resolution``;
6. decision: a failed critical SLO or a score below ``pass_score`` rolls back; otherwise any inconclusive SLO
   makes the whole judgement inconclusive; otherwise proceed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from statistics import mean, median

from rollwise.gate.model import (
    Comparison,
    GateResult,
    LatencySli,
    Policy,
    PromqlSli,
    Slo,
    SloResult,
    TrackData,
    Window,
    noninferiority,
    stats,
    stratified,
)
from rollwise.gate.model.data_checks import data_problem

#: which inconclusive reasons explain the whole judgement first
_INCONCLUSIVE_ORDER = ("source_error", "unusable_data", "missing_label", "missing_bucket", "no_canary_data",
                       "environmental", "low_traffic", "too_few_points", "no_baseline_data", "histogram_resolution",
                       "underpowered")


def format_value(slo: Slo, value: float | None) -> str:
    """A value as the user thinks of it: a share of bad requests in %, a latency in ms, else a number."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    if slo.counts_based:
        return f"{value * 100:.3g} %"
    if slo.unit == "s":
        return f"{value * 1000:.3g} ms" if abs(value) < 10 else f"{value:.3g} s"
    return f"{value:.4g}{(' ' + slo.unit) if slo.unit else ''}"


def _signed_percent(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value * 100:+.1f} %"


def window_value(slo: Slo, data: TrackData) -> float | None:
    """The SLI over the whole window: bad share from counts, the window quantile, or the series aggregate."""
    if slo.counts_based:
        if not data.total:
            return None
        return min(1.0, max(0.0, (data.bad or 0.0) / data.total))
    if data.value is not None and math.isfinite(data.value):
        return data.value
    values = data.finite_values()
    if not values:
        return None
    how = slo.sli.aggregate if isinstance(slo.sli, PromqlSli) else "median"
    return {"mean": mean, "median": median, "max": max}[how](values)


@dataclass
class _Usable:
    ok: bool
    code: str = ""
    reason: str = ""


def _usable(slo: Slo, data: TrackData, policy: Policy, track: str) -> _Usable:
    """Does ``data`` hold enough to judge? Distinguishes a broken source, no traffic and too little traffic."""
    if data.error:
        return _Usable(False, "source_error", f"could not read {track} data: {data.error}")
    if data.missing_labels:
        selector, labels = next(iter(data.missing_labels.items()))
        return _Usable(False, "missing_label",
                       f"`{selector}` matches on label {', '.join(labels)}, which the {track}'s series of that metric "
                       "do not have, so it can never match and would read as zero; use the exporter's label name")
    problem = data_problem(slo, data)
    if problem:
        return _Usable(False, "unusable_data", f"the {track} data cannot be used: {problem}")
    has_count = slo.counts_based or isinstance(slo.sli, LatencySli)
    if has_count and not data.total:
        return _Usable(False, f"no_{track}_data",
                       f"{track} has no requests in the window (0 counted): is it deployed and receiving traffic?")
    if not has_count and data.points == 0:
        return _Usable(False, f"no_{track}_data", f"{track} returned no data points in the window")
    if isinstance(slo.sli, LatencySli) and slo.sli.slower_than is not None and data.bad is None:
        # The histogram counts requests but has no bucket at this bound: reading it as "none slower" would pass.
        return _Usable(False, "missing_bucket",
                       f"the histogram has no bucket at {slo.sli.slower_than * 1000:g} ms "
                       f"(le=\"{slo.sli.slower_than:g}\") for the {track}; set slower_than to one of its bucket bounds")
    if has_count and data.total < policy.min_requests:
        return _Usable(False, "low_traffic", f"{track} served {data.total:.0f} requests, fewer than min_requests "
                                              f"{policy.min_requests}; run longer or send more traffic")
    if not slo.counts_based and data.points < policy.min_points:
        return _Usable(False, "too_few_points", f"{track} has {data.points} data points, fewer than min_points "
                                                 f"{policy.min_points}; widen the window or shorten the step")
    return _Usable(True)


def _alternative(slo: Slo) -> str:
    return {"increase": "greater", "decrease": "less", "either": "two-sided"}[slo.direction]


def compare(slo: Slo, canary: TrackData, baseline: TrackData, alpha: float) -> Comparison:
    """Canary vs baseline with the test that fits the data; p-value not yet adjusted across SLOs."""
    alternative = _alternative(slo)
    strata = _strata(canary, baseline) if slo.counts_based else []
    if strata:
        result = stratified.stratified_proportions(strata, alternative, alpha)
        reference = (baseline.bad or 0.0) / baseline.total
        if result.test == "cochran-mantel-haenszel":  # the shares the steps saw (the windows can differ slightly)
            reference = sum(s.baseline_bad for s in strata) / sum(s.baseline_total for s in strata)
    elif slo.counts_based:
        result = stats.two_proportions(canary.bad or 0.0, canary.total, baseline.bad or 0.0, baseline.total,
                                       alternative, alpha)
        reference = (baseline.bad or 0.0) / baseline.total
    else:
        result = stats.mann_whitney(canary.finite_values(), baseline.finite_values(), alternative, alpha)
        reference = median(baseline.finite_values())
    if reference != 0:
        scale = abs(reference)  # raw PromQL values may be negative; the sign of the change stays canary − baseline
        change = result.estimate / scale
        low, high = result.interval[0] / scale, result.interval[1] / scale
        if slo.counts_based or isinstance(slo.sli, LatencySli):
            low = max(-1.0, low)  # a share or a latency cannot fall by more than all of it
        relative = (low, high)
    else:
        change = math.inf if result.estimate > 0 else (0.0 if result.estimate == 0 else -math.inf)
        relative = None
    comparison = Comparison(test=result.test, change=change, difference=result.estimate, interval=result.interval,
                            interval_relative=relative, p_value=result.p_value)
    comparison.beyond_tolerance = _beyond(slo, result.estimate, change)
    return comparison


def _strata(canary: TrackData, baseline: TrackData) -> list[stratified.Stratum]:
    """The steps both tracks counted, as strata; empty when the source has no per-step counts."""
    theirs = {t: (bad, total) for t, bad, total in baseline.steps}
    strata = [stratified.Stratum(bad, total, *theirs[t]) for t, bad, total in canary.steps if t in theirs]
    return [s for s in strata if all(math.isfinite(v) for v in (s.canary_bad, s.canary_total, s.baseline_bad,
                                                                 s.baseline_total))]


def _beyond(slo: Slo, difference: float, change: float) -> bool:
    """Is the change in the bad direction larger than both the relative and the absolute tolerance?"""
    tol = slo.tolerance
    if slo.direction == "increase":
        return difference > tol.absolute and change > tol.relative
    if slo.direction == "decrease":
        return -difference > tol.absolute and -change > tol.relative
    return abs(difference) > tol.absolute and abs(change) > tol.relative


def _degraded_baseline(slo: Slo, baseline: TrackData, before: TrackData | None, policy: Policy) -> str | None:
    """Why the baseline itself looks degraded in the window (for the environmental rule), or None."""
    value = window_value(slo, baseline)
    if value is not None and slo.objective.breached_by(value, slo.counts_based):
        return f"the baseline breaches it too ({format_value(slo, value)})"
    if before is None or not _usable(slo, before, policy, "baseline").ok:
        return None
    own = compare(slo, baseline, before, policy.alpha)
    if own.p_value is not None and own.p_value < policy.alpha and own.beyond_tolerance:
        return (f"the baseline also got worse than before the window ({format_value(slo, window_value(slo, before))} "
                f"-> {format_value(slo, value)}, {p_text(own.p_value)})")
    return None


def p_text(p: float | None) -> str:
    if p is None:
        return "p=n/a"
    return "p<0.0001" if p < 0.0001 else f"p={p:.2g}"


def change_texts(slo: Slo, c: Comparison) -> tuple[str, str]:
    """The change and its interval in words: relative to the baseline, or absolute when the baseline is 0 (or the
    relative interval has no upper end)."""
    if c.interval_relative and c.change is not None and all(map(math.isfinite, (c.change, *c.interval_relative))):
        low, high = c.interval_relative
        return _signed_percent(c.change), f"{_signed_percent(low)}…{_signed_percent(high)}"
    # A baseline of exactly 0 (no errors at all) has no relative change: say how much the canary added.
    def signed(value: float) -> str:
        return ("+" if value >= 0 else "−") + format_value(slo, abs(value))

    low, high = c.interval or (c.difference, c.difference)
    return f"{signed(c.difference)} absolute", f"{signed(low)}…{signed(high)}"


def _describe_change(slo: Slo, c: Comparison, with_p: bool = True) -> str:
    change, interval = change_texts(slo, c)
    # The p-value tests for a regression; next to an improvement it would read as "not significant".
    return f"{change}, CI {interval}" + (f", {c.test} {p_text(c.p_adjusted)}" if with_p else "")


def _tolerance_text(slo: Slo) -> str:
    text = f"{slo.tolerance.relative * 100:g} %"
    if slo.tolerance.absolute:
        text += f" and {format_value(slo, slo.tolerance.absolute)}"
    return text


def judge_slos(slos: list[Slo], data: dict[str, tuple[TrackData, TrackData, TrackData | None]],
               policy: Policy, window_seconds: float = 0.0,
               compared: Callable[[Slo, TrackData, TrackData], Comparison] | None = None) -> list[SloResult]:
    """Verdicts for all SLOs; ``data`` maps an SLO name to (canary, baseline, baseline before the window).

    ``compared`` replaces the fixed-window comparison (sequential analysis passes its anytime-valid one).
    """
    results: list[SloResult] = []
    comparisons: dict[str, Comparison] = {}
    usable: dict[str, tuple[_Usable, _Usable]] = {}
    for slo in slos:
        canary, baseline, _ = data[slo.name]
        uc, ub = _usable(slo, canary, policy, "canary"), _usable(slo, baseline, policy, "baseline")
        usable[slo.name] = (uc, ub)
        canary.value = window_value(slo, canary)
        baseline.value = window_value(slo, baseline)
        if uc.ok and ub.ok:
            if compared is None:
                comparisons[slo.name] = compare(slo, canary, baseline, policy.alpha)
            else:
                c = comparisons[slo.name] = compared(slo, canary, baseline)
                c.beyond_tolerance = c.difference is not None and c.change is not None and \
                    _beyond(slo, c.difference, c.change)
    # Holm across SLOs: ten noisy SLOs together must not produce a false rollback more often than alpha.
    names = list(comparisons)
    for name, adjusted in zip(names, stats.holm([comparisons[n].p_value for n in names])):
        c = comparisons[name]
        c.p_adjusted = adjusted
        c.significant = adjusted < policy.alpha
    for slo in slos:
        canary, baseline, before = data[slo.name]
        uc, ub = usable[slo.name]
        c = comparisons.get(slo.name)
        result = SloResult(slo=slo, verdict="inconclusive", reason_code="", reason="", canary=canary,
                           baseline=baseline, baseline_before=before, comparison=c)
        results.append(result)
        if not uc.ok:
            result.reason_code, result.reason = uc.code, uc.reason
            continue
        breached = slo.objective.breached_by(canary.value, slo.counts_based)
        result.objective_breached = breached
        cv, bv = format_value(slo, canary.value), format_value(slo, baseline.value)
        objective = slo.objective.describe(slo.counts_based, slo.unit)
        if c is not None and c.significant and c.beyond_tolerance:
            result.verdict, result.reason_code = "fail", "regression"
            result.reason = (f"canary {cv} vs baseline {bv} ({_describe_change(slo, c)}) is worse than the "
                             f"baseline by more than the tolerance {_tolerance_text(slo)}")
            continue
        if breached:
            why = _degraded_baseline(slo, baseline, before, policy) if ub.ok else None
            if why:
                result.reason_code = "environmental"
                result.reason = (f"canary {cv} breaches the objective {objective}, but {why}: an environmental "
                                 "cause, not the canary; hold the rollout and investigate")
            else:
                result.verdict, result.reason_code = "fail", "objective_breached"
                against = f"while the baseline is {bv}" if ub.ok else "(no usable baseline to rule out the environment)"
                result.reason = f"canary {cv} breaches the objective {objective} {against}"
            continue
        if not ub.ok:
            result.reason_code = ub.code if ub.code in ("source_error", "unusable_data", "missing_label") \
                else "no_baseline_data"
            result.reason = f"canary {cv} meets the objective, but the comparison is impossible: {ub.reason}"
            continue
        better = c.change is not None and c.interval is not None and _improved(slo, c)
        if not better and (noninferiority.shared_wide_bucket(slo, canary, baseline)
                           or not noninferiority.within_tolerance(slo, c)):
            _unproven(result, c, window_seconds)
            continue
        result.verdict = "pass"
        result.reason_code = "better" if better else "ok"
        result.reason = (f"canary {cv} is better than baseline {bv} ({_describe_change(slo, c, with_p=False)})" if better else
                         f"canary {cv} meets the objective {objective} and is within {_tolerance_text(slo)} of "
                         f"baseline {bv} ({_describe_change(slo, c)})")
    return results


def _unproven(result: SloResult, c: Comparison, window_seconds: float) -> None:
    """Not significantly worse, but not shown to be within the tolerance either: inconclusive, never a pass."""
    slo, canary, baseline = result.slo, result.canary, result.baseline
    cv, bv = format_value(slo, canary.value), format_value(slo, baseline.value)
    bucket = noninferiority.shared_wide_bucket(slo, canary, baseline)
    said = f"canary {cv} vs baseline {bv} ({_describe_change(slo, c)})"
    if bucket is not None:
        result.reason_code = "histogram_resolution"
        result.reason = f"{said}: {noninferiority.resolution_text(slo, bucket)}"
        return
    said += f": the interval reaches past the tolerance {_tolerance_text(slo)}"
    result.reason_code = "underpowered"
    result.reason = (f"{said}, so it is not shown to be within it; "
                     f"{noninferiority.more_data_text(slo, c, canary, window_seconds)}")


def _improved(slo: Slo, c: Comparison) -> bool:
    low, high = c.interval
    if slo.direction == "decrease":
        return low > 0 and c.change > slo.tolerance.relative
    return high < 0 and c.change < -slo.tolerance.relative


def decide(results: list[SloResult], policy: Policy) -> tuple[str, float | None, str]:
    """The overall decision, the weighted score (0-100 over decided SLOs) and a one-line reason."""
    decided = [r for r in results if r.verdict != "inconclusive"]
    weight = sum(r.slo.weight for r in decided)
    score = 100.0 * sum(r.slo.weight for r in decided if r.verdict == "pass") / weight if weight else None
    failed = [r for r in results if r.verdict == "fail"]
    critical = [r for r in failed if r.slo.critical]
    if critical:
        return "rollback", score, f"rollback: critical SLO {critical[0].slo.name}: {critical[0].reason}"
    if failed and score is not None and score < policy.pass_score:
        return "rollback", score, (f"rollback: score {score:.0f} < {policy.pass_score:g}; "
                                   f"{failed[0].slo.name}: {failed[0].reason}")
    inconclusive = [r for r in results if r.verdict == "inconclusive"]
    if inconclusive:
        first = min(inconclusive, key=lambda r: _INCONCLUSIVE_ORDER.index(r.reason_code)
                    if r.reason_code in _INCONCLUSIVE_ORDER else len(_INCONCLUSIVE_ORDER))
        more = f" (+{len(inconclusive) - 1} more)" if len(inconclusive) > 1 else ""
        return "inconclusive", score, f"inconclusive: {first.slo.name}: {first.reason}{more}"
    if failed:
        return "proceed", score, (f"proceed: score {score:.0f} ≥ {policy.pass_score:g}; non-critical "
                                  f"{failed[0].slo.name} failed: {failed[0].reason}")
    return "proceed", score, f"proceed: all {len(results)} SLOs pass (score {score:.0f})"


def judge(slos: list[Slo], data: dict[str, tuple[TrackData, TrackData, TrackData | None]], policy: Policy,
          window: Window, *, baseline: str, canary: str, step: float, source: str = "",
          graph_url: str | None = None,
          compared: Callable[[Slo, TrackData, TrackData], Comparison] | None = None) -> GateResult:
    """Judge every SLO and decide (``compared``: see :func:`judge_slos`)."""
    results = judge_slos(slos, data, policy, window.seconds, compared)
    decision, score, reason = decide(results, policy)
    return GateResult(decision=decision, score=score, reason=reason, slos=results, window=window,
                      baseline=baseline, canary=canary, step=step, warmup=policy.warmup, alpha=policy.alpha,
                      source=source, graph_url=graph_url)
