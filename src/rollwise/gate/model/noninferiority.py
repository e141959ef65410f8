"""Proceed means proven not worse: the interval of the change must end inside the tolerance on the side that
matters. When it does not, how much more data would decide, and whether the histogram can resolve it at all.

Pure; the judge calls it for an SLO that neither failed nor breached its objective.
"""

from __future__ import annotations

import math

from rollwise.gate.model import Comparison, LatencySli, Slo, TrackData


def worst_bounds(slo: Slo, c: Comparison) -> tuple[float | None, float | None]:
    """The interval's end in the bad direction: (relative change, absolute difference), positive = worse."""
    def bad_side(pair: tuple[float, float] | None) -> float | None:
        if pair is None:
            return None
        low, high = pair
        if slo.direction == "increase":
            return high
        if slo.direction == "decrease":
            return -low
        return max(high, -low)

    return bad_side(c.interval_relative), bad_side(c.interval)


def within_tolerance(slo: Slo, c: Comparison) -> bool:
    """Is the worst plausible change inside the tolerance (relative or absolute, like the regression rule)?"""
    relative, absolute = worst_bounds(slo, c)
    if relative is not None and math.isfinite(relative) and relative <= slo.tolerance.relative:
        return True
    return absolute is not None and math.isfinite(absolute) and absolute <= slo.tolerance.absolute


def more_data_factor(slo: Slo, c: Comparison) -> float | None:
    """About how many times the data (requests or window) would bring the bound inside the tolerance if the
    change stays where it is; None when the estimate itself is past the tolerance (then more data shows either a
    regression or that it is smaller than it looks)."""
    relative, absolute = worst_bounds(slo, c)

    def bad(value: float | None) -> float | None:
        if value is None or not math.isfinite(value):
            return None
        return {"increase": value, "decrease": -value}.get(slo.direction, abs(value))

    factors = []
    for estimate, bound, tolerance in ((bad(c.change), relative, slo.tolerance.relative),
                                       (bad(c.difference), absolute, slo.tolerance.absolute)):
        if estimate is None or bound is None or not math.isfinite(bound):
            continue
        room, reach = tolerance - estimate, bound - estimate  # the half-width shrinks as 1/sqrt(n)
        if room > 0 and reach > 0:
            factors.append(max(1.0, (reach / room) ** 2))
    return min(factors, default=None)


def _requests(data: TrackData) -> float | None:
    return data.total if data.total and math.isfinite(data.total) else None


def more_data_text(slo: Slo, c: Comparison, canary: TrackData, window_seconds: float) -> str:
    """The sample-size estimate in words: requests and window length that would decide."""
    factor = more_data_factor(slo, c)
    if factor is None:
        return "more traffic or a longer window would decide whether it is a regression"
    if c.test.startswith("sequential"):  # the evidence is the whole rollout's, not this window's
        return (f"about {factor:.2g}x the rollout's data so far would decide; the rollout goes on gathering it "
                "(sequential analysis)")
    served = _requests(canary)
    requests = f" (about {served * factor:,.0f} canary requests instead of {served:,.0f})" if served else ""
    seconds = window_seconds * factor
    window = f"~{seconds / 60:.0f} min" if seconds >= 120 else f"~{seconds:.0f} s"
    return (f"about {factor:.2g}x the data would decide{requests}: a window of {window} at this traffic, "
            f"or {factor:.2g}x the traffic")


def _nice(value: float) -> str:
    return f"{float(f'{value:.2g}'):g}"


def shared_wide_bucket(slo: Slo, canary: TrackData, baseline: TrackData) -> tuple[float, float] | None:
    """The bucket (lower, upper] both tracks' quantile fall in, when it is wider than the tolerance."""
    if not isinstance(slo.sli, LatencySli) or slo.sli.quantile is None:
        return None
    bounds = sorted(set(canary.buckets) | set(baseline.buckets))
    values = (canary.value, baseline.value)
    if not bounds or any(v is None or not math.isfinite(v) for v in values):
        return None
    lower = 0.0
    for upper in bounds:
        if all(lower < v <= upper for v in values):
            if lower > 0 and upper / lower - 1 > slo.tolerance.relative + 1e-9:
                return lower, upper
            if lower == 0 and slo.tolerance.relative < 1:
                return lower, upper
            return None
        lower = upper
    return None


def bounds_to_add(lower: float, upper: float, tolerance: float, most: int = 8) -> list[float]:
    """Bucket bounds between ``lower`` and ``upper`` no further apart than the tolerance (at most ``most``)."""
    if lower <= 0:
        lower = upper / 2
        found = [lower]
    else:
        found = []
    ratio = 1 + max(tolerance, 0.01)
    value = lower * ratio
    while value < upper * (1 - 1e-9):
        found.append(float(_nice(value)))
        value *= ratio
    if len(found) > most:
        stride = math.ceil(len(found) / most)
        found = found[::stride]
    return sorted(set(found))


def resolution_text(slo: Slo, bucket: tuple[float, float]) -> str:
    lower, upper = bucket
    extra = ", ".join(f'le="{_nice(b)}"' for b in bounds_to_add(lower, upper, slo.tolerance.relative))
    return (f"baseline and canary both lie in the histogram bucket ({_nice(lower)}, {_nice(upper)}] s, wider than "
            f"the tolerance {slo.tolerance.relative * 100:g} %; histogram_quantile only interpolates inside a bucket, "
            f"so a regression larger than the tolerance can hide there (+25 % can read as +10 %); add the bucket "
            f"bounds {extra} to the histogram")
