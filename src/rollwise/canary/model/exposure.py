"""Exposure: how many requests the canary served while it was bad, from the first analysis window where an SLO's
change exceeded its tolerance until the weight went back to 0 (or the rollout ended with the canary still serving).

This is the figure a user cares about, and the one that sequential analysis, stopping early, is meant to shrink.
"""

from __future__ import annotations

import math
from typing import Any

from rollwise.canary.model.records import RolloutResult, iso


def _beyond(slo: dict[str, Any]) -> bool:
    """Did this window's canary value differ from the baseline's by more than the tolerance, the bad way?"""
    canary, baseline = (slo.get(side) or {} for side in ("canary", "baseline"))
    c, b = canary.get("value"), baseline.get("value")
    if not isinstance(c, (int, float)) or not isinstance(b, (int, float)):
        return False
    tolerance = slo.get("tolerance") or {}
    difference = c - b
    sign = {"increase": 1, "decrease": -1}.get(slo.get("direction"), 0)
    worse = abs(difference) if sign == 0 else sign * difference
    relative = worse / abs(b) if b else (math.inf if worse > 0 else 0.0)
    return worse > tolerance.get("absolute", 0.0) and relative > tolerance.get("relative", 0.0)


def _served(slos: list[dict[str, Any]]) -> float:
    """Requests the canary served in one window: the largest request count any SLO saw."""
    totals = [s["canary"]["total"] for s in slos if isinstance((s.get("canary") or {}).get("total"), (int, float))]
    return max(totals, default=0.0)


def exposure(result: RolloutResult) -> dict[str, Any] | None:
    """Bad requests served, with when the canary turned bad and when it stopped serving; None if it never did."""
    analyses = [a for phase in result.phases for a in phase.analyses]
    first = None
    for index, analysis in enumerate(analyses):
        bad = [s["name"] for s in analysis.judgement.detail.get("slos", []) if _beyond(s)]
        if bad:
            first = (index, bad)
            break
    if first is None:
        return None
    index, slos = first
    counted = analyses[index:]
    requests = sum(_served(a.judgement.detail.get("slos", [])) for a in counted)
    stopped = next((e.time for e in result.events if e.kind == "rollback" and e.weight == 0
                    and e.time >= counted[0].start), None)
    last = counted[-1]
    until = stopped if stopped is not None else result.ended
    if until > last.end and last.end > last.start:  # after the last window, at that window's rate
        requests += _served(last.judgement.detail.get("slos", [])) * (until - last.end) / (last.end - last.start)
    return {"bad_requests": round(requests), "slos": slos, "from": iso(counted[0].start), "until": iso(until),
            "analyses": len(counted), "still_serving": stopped is None}
