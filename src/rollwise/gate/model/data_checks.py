"""Is measured data fit to decide on? Non-finite and negative numbers, and counts that contradict each other, are not.

An exporter can publish NaN or +Inf, a reset counter can make an increase negative, and a k6 file can be edited
by hand. Each would otherwise pass as data (NaN compares false against every limit); here it makes the SLO
inconclusive with a reason that names the number. Pure: reads :class:`TrackData`, never a socket.
"""

from __future__ import annotations

import math

from rollwise.gate.model import LatencySli, Slo, TrackData

#: float rounding between sums of the same per-series increases (total − good), relative to the total
_COUNT_SLACK = 1e-9


def _describe(value: float) -> str:
    return "NaN" if math.isnan(value) else (f"{value:+}" if math.isinf(value) else f"{value:g}")


def data_problem(slo: Slo, data: TrackData) -> str | None:
    """Why ``data`` must not reach a decision for ``slo``, or None when it may."""
    if data.unusable:
        return data.unusable
    for name in ("bad", "total"):
        value = getattr(data, name)
        if value is not None and (not math.isfinite(value) or value < -_COUNT_SLACK * max(1.0, data.total or 0.0)):
            return f"the {name} request count is {_describe(value)}, which no counter can produce"
    if slo.counts_based and data.bad is not None and data.total is not None \
            and data.bad > data.total * (1 + _COUNT_SLACK) + _COUNT_SLACK:
        return f"{data.bad:g} bad requests out of {data.total:g} in total: the two selectors do not count the same requests"
    if data.value is not None and math.isinf(data.value):
        return f"the value over the window is {_describe(data.value)}"
    broken = [(bad, total) for _, bad, total in data.steps
              if not (math.isfinite(bad) and math.isfinite(total)) or min(bad, total) < -_COUNT_SLACK]
    if broken:
        return (f"{len(broken)} step(s) of the per-step counts are not finite non-negative numbers "
                f"(bad {_describe(broken[0][0])}, total {_describe(broken[0][1])})")
    infinite = [v for _, v in data.series if math.isinf(v)]
    if infinite:
        return f"{len(infinite)} step(s) of the series are {_describe(infinite[0])}"
    if isinstance(slo.sli, LatencySli) and not slo.counts_based:
        negative = [v for v in ([data.value] if data.value is not None else []) + data.finite_values() if v < 0]
        if negative:
            return f"a latency of {negative[0]:g} s is negative"
    return None
