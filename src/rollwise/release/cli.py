"""``rollwise release list|current|revert``: the releases of an environment (GitHub Deployments or the local
ledger), the one that runs, and one command back to the last good one.

Exit codes of ``revert``: 0 reverted (or nothing to do), 1 the confirming analysis failed and the revert was rolled
back, 2 bad input, 3 refused (a rollout is running, or another deploy got there first) or held.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from rollwise.canary.cli import RELEASE_OPTIONS

ENVIRONMENT, LEDGER = RELEASE_OPTIONS[0], RELEASE_OPTIONS[3]
CONFIG = click.option("--config", envvar="ROLLWISE_CONFIG", type=click.Path(dir_okay=False),
                      help="rollwise.yml: where canary.state_file (and so the local ledger) is.")
STATE = click.option("--state-file", envvar="ROLLWISE_STATE_FILE", type=click.Path(dir_okay=False),
                     help="Canary state file; the local ledger is releases.json next to it.")


@click.group()
def release() -> None:
    """Releases of an environment: list them, show the current one, revert to the last good one."""


def _ledger(config: str | None, state_file: str | None, ledger: str | None):
    from rollwise.release.service import open_ledger

    if state_file:
        return open_ledger(state_file, ledger)
    if config and Path(config).exists():
        from rollwise.canary.config import load_plan

        return open_ledger(Path(config).resolve().parent / load_plan(config).state_file, ledger)
    return open_ledger(".rollwise/canary-state.json", ledger)


@release.command(name="list")
@ENVIRONMENT
@CONFIG
@STATE
@LEDGER
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
def list_(environment: str, config: str | None, state_file: str | None, ledger: str | None, as_json: bool) -> int:
    """The environment's releases, newest first: outcome, time, version, links to the run and the report."""
    from rollwise.release.model import current
    from rollwise.release.report import list_markdown

    store = _ledger(config, state_file, ledger)
    releases = store.releases(environment)
    if as_json:
        click.echo(json.dumps({"schema": "rollwise/releases/v1", "environment": environment, "ledger": store.name,
                               "releases": [r.to_dict() for r in releases]}, indent=2))
    else:
        click.echo(list_markdown(environment, releases, current(releases), store.name))
    return 0


@release.command(name="current")
@ENVIRONMENT
@CONFIG
@STATE
@LEDGER
def current_(environment: str, config: str | None, state_file: str | None, ledger: str | None) -> int:
    """The release that runs in the environment (the newest promoted one), as JSON; exit 3 when there is none."""
    from rollwise.errors import InconclusiveError
    from rollwise.release.service import current_release

    store = _ledger(config, state_file, ledger)
    found = current_release(store, environment)
    if found is None:
        raise InconclusiveError(f"no promoted release in environment '{environment}' ({store.name})")
    click.echo(json.dumps(found.to_dict(), indent=2))
    return 0


@release.command()
@click.option("--config", envvar="ROLLWISE_CONFIG", default="rollwise.yml", show_default=True,
              type=click.Path(dir_okay=False), help="rollwise.yml with the SLOs and the canary section.")
@ENVIRONMENT
@click.option("--to", "to", envvar="ROLLWISE_REVERT_TO",
              help="Deployment id or commit sha to go back to [default: the last good release before the current].")
@click.option("--reason", envvar="ROLLWISE_REASON", default="manual revert", show_default=True,
              help="Why (kept in the deployment, the report and the summary).")
@click.option("--report", envvar="ROLLWISE_REPORT", type=click.Path(dir_okay=False),
              help="Write the JSON report (rollwise/release-revert/v1) here.")
@STATE
@LEDGER
@click.option("--prometheus-url", envvar="ROLLWISE_PROMETHEUS_URL", help="Prometheus for the confirming analysis.")
@click.option("--source", envvar="ROLLWISE_SOURCE", type=click.Choice(["auto", "prometheus", "k6"]), default="auto",
              show_default=True, help="Data for the analyses (as for `canary run`).")
@click.option("--workdir", envvar="ROLLWISE_WORKDIR", type=click.Path(file_okay=False),
              help="Where k6 scripts and results go.")
@click.option("--k6", "k6_binary", envvar="ROLLWISE_K6", help="k6 executable.")
@click.option("--environment-url", envvar="ROLLWISE_ENVIRONMENT_URL", help="URL shown on the deployment.")
def revert(config: str, environment: str, to: str | None, reason: str, report: str | None, state_file: str | None,
           ledger: str | None, prometheus_url: str | None, source: str, workdir: str | None, k6_binary: str | None,
           environment_url: str | None) -> int:
    """Go back to the last good release (or --to): run commands.deploy with ROLLWISE_REF, ROLLWISE_SHA and
    ROLLWISE_VERSION of that release, then straight to 100 % with one confirming analysis (the fast path, for
    the last canary.revert.window releases) or through the normal phases. Nothing happens when it already runs.
    """
    from rollwise.canary.report import render_markdown
    from rollwise.canary.service import prepare as prepare_rollout
    from rollwise.errors import Crashed, RollwiseError
    from rollwise.ghactions import mask
    from rollwise.outcome import publish
    from rollwise.release import service
    from rollwise.release.config import fast_plan, load_revert
    from rollwise.release.report import refused_outcome, revert_outcome
    from rollwise.signals import Cancellation, cancel_on_signals

    plan, policy = load_revert(config)
    context = service.RunContext.from_environment()
    state_path = state_file or Path(config).resolve().parent / plan.state_file
    results = []

    def prepare(fast: bool):
        cancel = Cancellation()
        rollout, _ = prepare_rollout(config, prometheus_url=prometheus_url, source=source, state_file=state_file,
                                     workdir=workdir, k6_binary=k6_binary, cancel=cancel, mask=mask,
                                     adjust_plan=fast_plan if fast else None)

        def run(target, fast, record):
            rollout.record = record
            rollout.command_env = {"ROLLWISE_REF": target.ref, "ROLLWISE_SHA": target.sha,
                                   "ROLLWISE_VERSION": target.version}
            with cancel_on_signals(cancel):
                try:
                    result = rollout.run()
                except Crashed as crash:  # traffic is back where it was; show that, then report the crash (exit 4)
                    results.append(crash.result)
                    raise
            results.append(result)
            return result.decision, result.reason, result.to_dict()

        return run

    try:
        result = service.revert(service.open_ledger(state_path, ledger, mask=mask), environment, policy, prepare,
                                reason=reason, to=to, context=context, environment_url=environment_url,
                                report=str(Path(report).resolve()) if report else None)
    except RollwiseError as exc:
        publish(refused_outcome(environment, reason, context.actor, exc))
        raise
    rollout_summary = render_markdown(results[-1], report) if results else None
    return publish(revert_outcome(result, report, str(state_path) if results else None, rollout_summary), report)
