"""What a rollout publishes: the JSON report, step outputs, an annotation, and the markdown job summary (decision,
a mermaid timeline of weight and key SLI per analysis, per-phase and per-analysis tables) rendered from
``templates/canary/summary.md.j2``.
"""

from __future__ import annotations

import math
from typing import Any

from rollwise import templating
from rollwise.canary.model.records import RolloutResult
from rollwise.ghactions import Annotation
from rollwise.outcome import PROCEED, Outcome


def weight_timeline(result: RolloutResult) -> tuple[list[str], list[int]]:
    """Seconds since start and the canary weight, as steps: each change adds the old and the new weight."""
    points = [(0.0, 0)]
    for event in result.events:
        if event.kind in ("weight", "rollback") and event.weight != points[-1][1]:
            offset = event.time - result.started
            points += [(offset, points[-1][1]), (offset, event.weight)]
    points.append((result.ended - result.started, points[-1][1]))
    digits = 1 if points[-1][0] < 100 else 0  # short rollouts (tests, demos) need tenths to tell points apart
    labels: list[str] = []
    for offset, _ in points:
        label = f"{offset:.{digits}f}s"
        while label in labels:  # mermaid merges equal category labels; keep every point
            label += "​"
        labels.append(label)
    return labels, [weight for _, weight in points]


def sli_series(result: RolloutResult) -> dict[str, Any] | None:
    """The key SLI of every analysis that measured it: labels ``P1 #2``, baseline and canary values."""
    labels: list[str] = []
    baseline: list[float] = []
    canary: list[float] = []
    name = None
    for phase in result.phases:
        for analysis in phase.analyses:
            judged = analysis.judgement
            if judged.sli is None or not _finite(judged.baseline) or not _finite(judged.canary):
                continue
            name = name or judged.sli
            labels.append(f"P{phase.index + 1} #{analysis.number}")
            baseline.append(float(judged.baseline))
            canary.append(float(judged.canary))
    if not labels:
        return None
    top = max(baseline + canary) or 1.0
    return {"name": name, "labels": labels, "baseline": [_round(v) for v in baseline],
            "canary": [_round(v) for v in canary], "top": _round(top * 1.2)}


def render_markdown(result: RolloutResult, report_path: str | None = None) -> str:
    labels, weights = weight_timeline(result)
    return templating.render("canary/summary.md.j2", result=result, report=result.to_dict(),
                            weight_labels=labels, weights=weights, sli=sli_series(result), report_path=report_path)


def outcome(result: RolloutResult, report_path: str | None = None) -> Outcome:
    """The report, summary, outputs and (unless it proceeded) an annotation of a rollout."""
    annotations = []
    if result.decision != PROCEED:
        level = "error" if result.rollback_errors or result.decision == "error" else "warning"
        annotations.append(Annotation(level, result.reason, title=f"canary {result.decision}"))
    return Outcome(result.decision, report=result.to_dict(), summary=render_markdown(result, report_path),
                   outputs={"status": result.status, "phase-reached": result.phase_reached,
                            "report": report_path or "", "state-file": result.state_file or ""},
                   annotations=annotations)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _round(value: float) -> float:
    return float(f"{value:.4g}")
