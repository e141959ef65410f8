"""Gate runs: measure every SLO on both tracks concurrently, then judge; and the pre-deploy error-budget check.

This is the gate's API for the CLI and for other capabilities (canary-deploy judges each analysis with
``judge``): reading rollwise.yml (``load_config``) and opening a source (``prometheus_source``, ``k6_source``)
go through here too.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from rollwise.errors import ConfigError
from rollwise.gate.config import load_config
from rollwise.gate.model import GateConfig, GateResult, Slo, TrackData, Window, promql
from rollwise.gate.model import judge as judge_core
from rollwise.gate.model.burn_rate import BudgetResult, assess_budget, budget_windows
from rollwise.gate.ports import BudgetSource, MetricSource, QueryRejected, Unavailable


def prometheus_source(config: GateConfig, url: str | None = None) -> MetricSource:
    """The Prometheus of ``url`` (default: ``prometheus.url`` of rollwise.yml); a ConfigError when none is known."""
    from rollwise.gate.adapters.prometheus import PrometheusSource

    return PrometheusSource.from_config(config.prometheus, url=url)


def k6_source(path: str | Path) -> MetricSource:
    """k6 NDJSON results (``k6 run --out json=FILE``) as a metric source."""
    from rollwise.gate.adapters.k6 import K6ResultsSource

    return K6ResultsSource(path)


def secret_envs(config: GateConfig) -> list[str]:
    """Environment variables whose values are credentials of the sources, for the CLI to mask in logs."""
    from rollwise.gate.adapters.prometheus import secret_envs as envs

    return envs(config.prometheus)


__all__ = ["budget", "judge", "k6_source", "load_config", "prometheus_source", "secret_envs"]


def _seconds(value: datetime | float | int) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


def auto_step(window_seconds: float, rate_floor: float) -> float:
    """About 30 points per window, never finer than what the data can resolve; whole seconds from 1 s up."""
    step = max(window_seconds / 30.0, rate_floor, 0.001)
    return float(round(step)) if step >= 1 else round(step, 3)


def _rejected(config: GateConfig, slo: Slo, exc: Exception) -> ConfigError:
    return ConfigError(f"Prometheus rejected a query of SLO '{slo.name}': {exc}", file=config.file,
                       line=slo.sli_line or slo.line, key=f"slos[{slo.index}].sli.{slo.sli.kind}",
                       fix="fix the selector or query; the exact PromQL sent is in the message")


def _check_tracks(baseline: str, canary: str) -> None:
    for option, selector in (("--baseline", baseline), ("--canary", canary)):
        try:
            promql.track_matchers(selector)
        except promql.PromqlError as exc:
            raise ConfigError(str(exc), key=option, fix="write label matchers such as '{track=\"canary\"}'") from None
    if promql.track_matchers(baseline) == promql.track_matchers(canary) or baseline == canary:
        raise ConfigError("--baseline and --canary select the same series", key="--canary",
                          fix="give each track its own label value, e.g. {track=\"baseline\"} and {track=\"canary\"}")


async def judge(config: GateConfig, source: MetricSource, baseline: str, canary: str, start: datetime | float,
                end: datetime | float, *, step: float | None = None, warmup: float | None = None) -> GateResult:
    """Measure and judge every SLO of ``config`` for canary vs baseline between ``start`` and ``end``.

    ``warmup`` seconds at the start are left out (None: the config's ``gate.warmup``); ``step`` is the resolution
    of the per-step series (None: about 30 points per window).
    """
    if not config.slos:
        raise ConfigError("no SLOs to judge", file=config.file, key="slos",
                          fix="add at least one SLO under slos: (see docs/slo-gate/configuration.md)")
    _check_tracks(baseline, canary)
    begin, finish = _seconds(start), _seconds(end)
    warm = config.policy.warmup if warmup is None else float(warmup)
    window = Window(begin + warm, finish)
    if window.seconds <= 0:
        raise ConfigError(f"the window after warm-up is empty ({finish - begin:.0f}s window, {warm:.0f}s warm-up)",
                          key="--warmup", fix="widen the window (--window/--start/--end) or shorten the warm-up")
    step = step or config.policy.step or auto_step(window.seconds, source.rate_window(0.0))
    lookback = config.policy.environment_lookback or window.seconds
    before = Window(begin - lookback, begin)
    # Round one: both tracks in the window, every SLO at once.
    pairs = await _gather(config, [job for slo in config.slos for job in (
        (slo, source.measure(slo, canary, window, step)), (slo, source.measure(slo, baseline, window, step)))])
    data: dict[str, tuple[TrackData, TrackData, TrackData | None]] = {
        slo.name: (pairs[2 * i], pairs[2 * i + 1], None) for i, slo in enumerate(config.slos)}
    # Round two, only where the canary breaches its objective: the baseline before the window, which tells an
    # environmental cause from a bad canary. Most judgements never need it.
    breached = [slo for slo in config.slos if _breaches(slo, data[slo.name][0])]
    if breached:
        before_data = await _gather(config, [(slo, source.measure(slo, baseline, before, step)) for slo in breached])
        for slo, measured in zip(breached, before_data):
            data[slo.name] = (data[slo.name][0], data[slo.name][1], measured)
    return judge_core.judge(list(config.slos), data, config.policy, window, baseline=baseline, canary=canary,
                            step=step, source=source.name, graph_url=source.graph_url)


def _breaches(slo: Slo, canary: TrackData) -> bool:
    if canary.error:
        return False
    value = judge_core.window_value(slo, canary)
    return value is not None and slo.objective.breached_by(value, slo.counts_based)


async def _gather(config: GateConfig, jobs: list[tuple[Slo, Any]]) -> list[TrackData]:
    """Run measurements concurrently; a query Prometheus rejects is a config error naming its SLO."""
    outcomes = await asyncio.gather(*(job for _, job in jobs), return_exceptions=True)
    for (slo, _), outcome in zip(jobs, outcomes):
        if isinstance(outcome, QueryRejected):
            raise _rejected(config, slo, outcome)
        if isinstance(outcome, BaseException):
            raise outcome
    return list(outcomes)


async def budget(config: GateConfig, source: BudgetSource, at: datetime | float | None = None,
                 selector: str | None = None) -> BudgetResult:
    """Remaining error budget and multi-window burn rates of every counts-based SLO at ``at`` (default now)."""
    moment = time.time() if at is None else _seconds(at)
    chosen = selector if selector is not None else config.budget.selector
    try:
        matchers = promql.track_matchers(chosen) if chosen else []
    except promql.PromqlError as exc:
        raise ConfigError(str(exc), key="--selector", fix="write label matchers such as '{job=\"api\"}'") from None
    slos = [s for s in config.slos if s.counts_based]
    if not slos:
        raise ConfigError("no SLO counts good and bad requests, so there is no error budget to check",
                          file=config.file, key="slos",
                          fix="add a ratio SLI or a latency SLI with slower_than")
    windows = budget_windows(config.budget.period)
    jobs = [source.counts(slo, matchers, moment, seconds) for slo in slos for seconds in windows]
    outcomes = await asyncio.gather(*jobs, return_exceptions=True)
    measured: dict[str, dict[float, tuple[float | None, float | None] | str]] = {}
    for index, outcome in enumerate(outcomes):
        slo, seconds = slos[index // len(windows)], windows[index % len(windows)]
        if isinstance(outcome, QueryRejected):
            raise _rejected(config, slo, outcome)
        if isinstance(outcome, BaseException) and not isinstance(outcome, Unavailable):
            raise outcome
        measured.setdefault(slo.name, {})[seconds] = str(outcome) if isinstance(outcome, Unavailable) else outcome
    return assess_budget(slos, measured, config.budget.period, moment, selector=chosen or "",
                         source=source.name)
