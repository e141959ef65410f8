"""``rollwise gate``: one judgement of canary vs baseline vs SLOs (or, with ``--mode budget``, the error budget).

Parses options (each also read from a ``ROLLWISE_*`` variable, which is how the action passes its inputs),
calls the service, publishes the JSON report, summary, outputs and optional PR status/comment, and returns the
exit code of :mod:`rollwise.outcome`: 0 proceed, 1 rollback, 2 bad input, 3 inconclusive, 4 internal error.
Heavy modules load inside the command.
"""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import click


def parse_time(value: str, option: str) -> float:
    """RFC 3339 (``2024-05-01T12:00:00Z``) or unix seconds."""
    from rollwise.errors import ConfigError

    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"'{value}' is not a time", key=option,
                          fix="write RFC 3339 such as 2024-05-01T12:00:00Z, or unix seconds") from None
    if moment.tzinfo is None:
        raise ConfigError(f"'{value}' has no time zone", key=option, fix="add Z (UTC) or an offset such as +02:00")
    return moment.timestamp()


def _duration(value: str | None, option: str) -> float | None:
    from rollwise.errors import ConfigError
    from rollwise.units import parse_duration

    if value in (None, ""):
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(str(exc), key=option, fix="write e.g. 30s, 10m or 1h") from None


def _window(start: str | None, end: str | None, window: str | None, span: tuple[float, float] | None
            ) -> tuple[float, float]:
    from rollwise.errors import ConfigError

    finish = parse_time(end, "--end") if end else None
    begin = parse_time(start, "--start") if start else None
    length = _duration(window, "--window")
    if begin is not None and length is not None and end is None:
        finish = begin + length
    if finish is None:
        # k6 results end when the load test ended, not now
        finish = span[1] if span else time.time()
    if begin is None:
        if length is not None:
            begin = finish - length
        elif span:
            begin = span[0]
        else:
            raise ConfigError("no time window", key="--window",
                              fix="pass --window 10m (ending now or at --end), or --start and --end")
    if begin >= finish:
        raise ConfigError("--start is not before --end", key="--start", fix="swap them or widen the window")
    return begin, finish


def _source(config, prometheus_url: str | None, k6_results: str | None):
    from rollwise.gate.adapters.k6 import K6ResultsSource
    from rollwise.gate.adapters.prometheus import PrometheusSource

    if k6_results and not prometheus_url:
        return K6ResultsSource(k6_results)
    return PrometheusSource.from_config(config.prometheus, prometheus_url)


def _mask_secrets(config) -> None:
    import os

    from rollwise.gate.service import secret_envs
    from rollwise.ghactions import mask

    for env in secret_envs(config):
        mask(os.environ.get(env))


#: commit status state for each decision
STATES = {"proceed": "success", "rollback": "failure", "inconclusive": "error"}


def _github(result, markdown: str, status: bool, comment: bool) -> None:
    from rollwise.gate.report import COMMENT_MARKER
    from rollwise.github import report_to_pull_request

    report_to_pull_request("slo-gate", STATES[result.decision], result.reason, markdown, COMMENT_MARKER,
                           status=status, comment=comment)


@click.command("gate")
@click.option("--config", "config_path", default="rollwise.yml", show_default=True, envvar="ROLLWISE_CONFIG",
              help="rollwise.yml with the SLOs.")
@click.option("--prometheus-url", envvar="ROLLWISE_PROMETHEUS_URL", help="Prometheus base URL (overrides config).")
@click.option("--k6-results", envvar="ROLLWISE_K6_RESULTS",
              help="k6 NDJSON results (k6 run --out json=FILE) to judge when there is no Prometheus.")
@click.option("--baseline", default='{track="baseline"}', show_default=True, envvar="ROLLWISE_BASELINE",
              help="Label matchers selecting the baseline.")
@click.option("--canary", default='{track="canary"}', show_default=True, envvar="ROLLWISE_CANARY",
              help="Label matchers selecting the canary.")
@click.option("--start", envvar="ROLLWISE_START", help="Window start: RFC 3339 or unix seconds.")
@click.option("--end", envvar="ROLLWISE_END", help="Window end (default now, or the end of the k6 results).")
@click.option("--window", envvar="ROLLWISE_WINDOW", help="Window length ending at --end, e.g. 10m.")
@click.option("--step", envvar="ROLLWISE_STEP", help="Resolution of per-step series, e.g. 30s (default: ~30 points).")
@click.option("--warmup", envvar="ROLLWISE_WARMUP", help="Leave out this long at the window's start, e.g. 2m.")
@click.option("--report", envvar="ROLLWISE_REPORT", help="Write the JSON report here.")
@click.option("--html", envvar="ROLLWISE_HTML", help="Write the HTML report here.")
@click.option("--mode", type=click.Choice(["judge", "budget"]), default="judge", show_default=True,
              envvar="ROLLWISE_MODE", help="judge: canary vs baseline; budget: error budget and burn rates (pre-deploy).")
@click.option("--selector", envvar="ROLLWISE_SELECTOR", help="budget mode: matchers of the traffic, e.g. {job=\"api\"}.")
@click.option("--github-status/--no-github-status", default=False, envvar="ROLLWISE_GITHUB_STATUS",
              help="Set the commit status rollwise/slo-gate (needs GITHUB_TOKEN).")
@click.option("--github-comment/--no-github-comment", default=False, envvar="ROLLWISE_GITHUB_COMMENT",
              help="Create or update one PR comment with the summary (needs GITHUB_TOKEN).")
def gate(config_path: str, prometheus_url: str | None, k6_results: str | None, baseline: str, canary: str,
         start: str | None, end: str | None, window: str | None, step: str | None, warmup: str | None,
         report: str | None, html: str | None, mode: str, selector: str | None, github_status: bool,
         github_comment: bool) -> int:
    """Judge a canary against its baseline and SLOs: proceed (0), rollback (1), bad input (2), inconclusive (3)."""
    import asyncio

    from rollwise.gate.config import load_config

    config = load_config(config_path)
    _mask_secrets(config)
    if mode == "budget":
        return _budget(config, prometheus_url, end, selector, report, github_status, github_comment)
    source = _source(config, prometheus_url or None, k6_results or None)
    span = source.span() if hasattr(source, "span") else None
    begin, finish = _window(start, end, window, span)
    step_s, warm_s = _duration(step, "--step"), _duration(warmup, "--warmup")

    async def run():
        from rollwise.gate.service import judge

        try:
            return await judge(config, source, baseline, canary, begin, finish, step=step_s, warmup=warm_s)
        finally:
            await source.aclose()

    result = asyncio.run(run())
    from rollwise.gate.report import judgement_outcome, render_html
    from rollwise.outcome import publish

    if html:
        Path(html).parent.mkdir(parents=True, exist_ok=True)
        Path(html).write_text(render_html(result), encoding="utf-8")
    published = judgement_outcome(result, config.file, report)
    code = publish(published, report)
    if github_status or github_comment:
        _github(result, published.summary, github_status, github_comment)
    click.echo(result.reason)
    return code


def _budget(config, prometheus_url: str | None, end: str | None, selector: str | None, report: str | None,
            github_status: bool = False, github_comment: bool = False) -> int:
    import asyncio

    from rollwise.gate.adapters.prometheus import PrometheusSource
    from rollwise.outcome import publish

    source = PrometheusSource.from_config(config.prometheus, prometheus_url or None)
    at = parse_time(end, "--end") if end else None

    async def run():
        from rollwise.gate.service import budget

        try:
            return await budget(config, source, at, selector or None)
        finally:
            await source.aclose()

    result = asyncio.run(run())
    from rollwise.gate.report import budget_outcome

    published = budget_outcome(result, report)
    markdown = published.summary
    code = publish(published, report)
    if github_status or github_comment:
        # its own marker: the budget comment and a canary judgement's comment on one PR do not overwrite each other
        from rollwise.github import report_to_pull_request

        report_to_pull_request("slo-gate", STATES[result.decision], result.reason,
                               "<!-- rollwise:slo-gate-budget -->\n" + markdown, "<!-- rollwise:slo-gate-budget -->",
                               status=github_status, comment=github_comment)
    click.echo(result.reason)
    return code
