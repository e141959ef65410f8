"""What a gate run publishes: the JSON report, step outputs, annotations per SLO, the markdown job summary / PR
comment and the HTML report artifact.

Numbers are formatted and charts laid out here; the markup lives in ``templates/gate/*.j2``.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

from rollwise.gate.model import GateResult, SloResult, promql
from rollwise.gate.model.judge import change_texts, format_value, p_text
from rollwise.ghactions import Annotation
from rollwise.outcome import Outcome

ICONS = {"proceed": "✅", "rollback": "❌", "inconclusive": "⏸️", "pass": "✅", "fail": "❌"}
COMMENT_MARKER = "<!-- rollwise:slo-gate -->"
CHART_POINTS = 40


def _scale(result: SloResult) -> tuple[float, str]:
    """Chart unit: % for shares of requests, ms for latencies in seconds."""
    if result.slo.counts_based:
        return 100.0, "%"
    if result.slo.unit == "s":
        return 1000.0, "ms"
    return 1.0, result.slo.unit


def _change(result: SloResult) -> tuple[str, str]:
    c = result.comparison
    if c is None or c.change is None:
        return "—", "—"
    return change_texts(result.slo, c)


def chart(result: SloResult) -> dict[str, Any] | None:
    """Baseline and canary per step on a shared time axis (at most CHART_POINTS columns), in display units."""
    factor, unit = _scale(result)
    canary = {t: v for t, v in result.canary.series if math.isfinite(v)}
    baseline = {t: v for t, v in result.baseline.series if math.isfinite(v)}
    times = sorted(set(canary) | set(baseline))
    if not times:
        return None
    stride = max(1, math.ceil(len(times) / CHART_POINTS))
    times = times[::stride]

    def column(values: dict[float, float]) -> list[float | None]:
        return [None if t not in values else round(values[t] * factor, 4) for t in times]

    labels = [datetime.fromtimestamp(t, tz=timezone.utc).strftime("%H:%M") for t in times]
    b, c = column(baseline), column(canary)
    present = [v for v in b + c if v is not None]
    return {"labels": labels, "times": times, "baseline": b, "canary": c, "unit": unit, "low": min(present),
            "high": max(present)}


def _mermaid_axis(data: dict[str, Any], window_start: float) -> dict[str, Any]:
    """A numeric x axis (30 time labels would overlap): minutes into the window, or seconds for short windows
    such as a canary's analyses."""
    span = data["times"][-1] - window_start
    unit, size = ("seconds", 1) if span < 300 else ("minutes", 60)
    return {"baseline": _mermaid_series(data["baseline"]), "canary": _mermaid_series(data["canary"]),
            "unit": unit, "first": round((data["times"][0] - window_start) / size), "last": round(span / size),
            "start": datetime.fromtimestamp(window_start, tz=timezone.utc).strftime("%H:%M:%S" if size == 1 else "%H:%M")}


def _mermaid_series(values: list[float | None]) -> str:
    # Mermaid lines need a number per column: carry the last value over a missing step.
    out, last = [], next((v for v in values if v is not None), 0.0)
    for v in values:
        last = last if v is None else v
        out.append(f"{last:g}")
    return ", ".join(out)


def _svg(data: dict[str, Any], width: int = 640, height: int = 180, pad: int = 32) -> dict[str, Any]:
    low, high = data["low"], data["high"]
    span = (high - low) or abs(high) or 1.0
    low, high = low - span * 0.05, high + span * 0.05
    n = len(data["labels"])

    def points(values: list[float | None]) -> str:
        out = []
        for i, v in enumerate(values):
            if v is None:
                continue
            x = pad + (width - 2 * pad) * (i / max(1, n - 1))
            y = height - pad - (height - 2 * pad) * ((v - low) / (high - low))
            out.append(f"{x:.1f},{y:.1f}")
        return " ".join(out)

    return {"width": width, "height": height, "pad": pad, "baseline": points(data["baseline"]),
            "canary": points(data["canary"]), "low": f"{low:.4g}", "high": f"{high:.4g}",
            "first": data["labels"][0], "last": data["labels"][-1], "unit": data["unit"]}


def _row(result: SloResult, graph_url: str | None, window_end: float, window_seconds: float) -> dict[str, Any]:
    window_start = window_end - window_seconds
    slo = result.slo
    change, interval = _change(result)
    c = result.comparison
    data = chart(result)
    # Queries of the judged window; the "baseline before" ones differ only in their end time.
    queries = [{"track": track, "query": q,
                "link": promql.graph_link(graph_url, q, window_end, window_seconds) if graph_url else None}
               for track, td in (("canary", result.canary), ("baseline", result.baseline)) for q in td.queries]
    return {
        "name": slo.name + (" ★" if slo.critical else ""),
        "plain_name": slo.name,
        "baseline": format_value(slo, result.baseline.value),
        "canary": format_value(slo, result.canary.value),
        "change": change,
        "interval": interval,
        "objective": slo.objective.describe(slo.counts_based, slo.unit),
        "test": c.test if c else "—",
        "p": "—" if c is None else p_text(c.p_adjusted),
        "verdict": result.verdict,
        "icon": ICONS.get(result.verdict, "⏸️"),
        "reason": result.reason,
        "reason_code": result.reason_code,
        "chart": data,
        "mermaid": None if data is None else _mermaid_axis(data, window_start),
        "svg": None if data is None else _svg(data),
        "queries": queries,
    }


def context(result: GateResult) -> dict[str, Any]:
    """Everything the templates show, already formatted."""
    window = result.window
    rows = [_row(r, result.graph_url, window.end, window.seconds) for r in result.slos]

    def when(ts: float) -> str:
        return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")

    return {
        "decision": result.decision,
        "icon": ICONS[result.decision],
        "score": "—" if result.score is None else f"{result.score:.0f}",
        "reason": result.reason,
        "rows": rows,
        "charted": [r for r in rows if r["verdict"] != "pass" and r["chart"]],
        "start": when(window.start),
        "end": when(window.end),
        "minutes": f"{window.seconds / 60:.0f}",
        "warmup": f"{result.warmup:.0f}",
        "step": f"{result.step:g}",
        "baseline": result.baseline,
        "canary": result.canary,
        "alpha": result.alpha,
        "source": result.source,
        "marker": COMMENT_MARKER,
    }


def render_markdown(result: GateResult) -> str:
    """The job summary (and PR comment body): verdict first, a table, charts for SLOs that did not pass."""
    from rollwise.templating import render

    return render("gate/summary.md.j2", **context(result))


def render_html(result: GateResult) -> str:
    """A self-contained HTML report (inline SVG charts, no scripts) for a workflow artifact."""
    from rollwise.templating import render

    return render("gate/report.html.j2", **context(result))


def render_budget_markdown(result: Any) -> str:
    from rollwise.gate.model.burn_rate import label
    from rollwise.templating import render

    return render("gate/budget.md.j2", result=result, icon=ICONS.get(result.decision, "⏸️"),
                  period=label(result.period))


def judgement_outcome(result: GateResult, config_file: str, report_path: str | None = None) -> Outcome:
    """Report, summary, outputs, and an annotation on each SLO that failed (error) or stayed inconclusive."""
    level = {"fail": "error", "inconclusive": "warning"}
    annotations = [Annotation(level[r.verdict], r.reason, file=config_file, line=r.slo.line,
                              title=f"SLO {r.slo.name}") for r in result.slos if r.verdict in level]
    return Outcome(result.decision, report=result.to_dict(), summary=render_markdown(result),
                   outputs={"score": "" if result.score is None else f"{result.score:.1f}", "report": report_path or ""},
                   annotations=annotations)


def budget_outcome(result: Any, report_path: str | None = None) -> Outcome:
    """Report, summary and outputs (the smallest remaining budget share) of the error-budget check."""
    remaining = [s.remaining for s in result.slos if s.remaining is not None]
    return Outcome(result.decision, report=result.to_dict(), summary=render_budget_markdown(result),
                   outputs={"budget-remaining": f"{min(remaining):.4f}" if remaining else "",
                            "report": report_path or ""})
