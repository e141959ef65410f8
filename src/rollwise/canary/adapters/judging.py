"""Each analysis of a rollout is one slo-gate judgement of canary vs baseline over the analysis window.

The data comes from Prometheus when a URL is configured, otherwise from the k6 results of the running phase.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from rollwise.canary.model.plan import CanaryPlan
from rollwise.canary.model.records import Judgement, Window
from rollwise.errors import InconclusiveError

SourceFactory = Callable[[Window], Any]


def prometheus_sources(config: Any, url: str | None) -> SourceFactory:
    """A new Prometheus source per analysis (each judgement runs in its own event loop)."""
    from rollwise.gate import service

    service.prometheus_source(config, url)  # fail early (exit 2) when no URL is known
    return lambda window: service.prometheus_source(config, url)


def k6_sources(window: Window) -> Any:
    """The k6 results of the phase the window belongs to."""
    from rollwise.gate import service

    run = window.traffic
    if run is None or getattr(run, "results_path", None) is None:
        raise InconclusiveError("no k6 results to judge: the phase has no warm-up traffic")
    return service.k6_source(run.results_path)


class GateJudge:
    """Judges an analysis window with the slo-gate engine and the plan's track selectors."""

    def __init__(self, config: Any, plan: CanaryPlan, sources: SourceFactory) -> None:
        self.config = config
        self.plan = plan
        self.sources = sources

    def __call__(self, window: Window) -> Judgement:
        from rollwise.gate import service

        step = self.plan.phases[window.phase].analysis.step

        async def once() -> Any:
            source = self.sources(window)
            try:
                # the rollout already waited out the warm-up, so the whole window counts
                return await service.judge(self.config, source, self.plan.baseline_selector,
                                           self.plan.canary_selector, window.start, window.end, step=step, warmup=0)
            finally:
                await source.aclose()

        return judgement(asyncio.run(once()))


def judgement(result: Any) -> Judgement:
    """Reduce a GateResult to the rollout's view: decision, reason and one key SLI for the timeline."""
    detail = result.to_dict()
    for slo in detail.get("slos", []):
        for side in ("canary", "baseline", "baseline_before"):
            if slo.get(side):
                slo[side].pop("series", None)  # per-step series stay in the gate's own reports
    # the SLO that failed tells the story of a rollback; otherwise latency, the usual first sign of trouble
    key = next((s for s in result.slos if s.verdict == "fail"), None) or \
        next((s for s in result.slos if s.slo.sli.kind == "latency"), result.slos[0] if result.slos else None)
    if key is None:
        return Judgement(result.decision, result.reason, detail=detail)
    unit = f" ({key.slo.unit})" if key.slo.unit else ""
    return Judgement(result.decision, result.reason, sli=f"{key.slo.name}{unit}", baseline=key.baseline.value,
                     canary=key.canary.value, detail=detail)
