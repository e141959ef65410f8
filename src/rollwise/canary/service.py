"""The rollout: deploy, then per phase set the weight, warm up with k6, analyse, decide; promote at the end or
roll back (weight 0, rollback command, kill-switch flags off) on a regression, an error or a cancellation.

Everything outside is injected — router, judge, warm-up traffic, kill switch, clock — so the control flow is
tested with fakes and run for real by ``rollwise.canary.cli``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rollwise import clock as clocks
from rollwise import shell
from rollwise.canary.adapters.state import FINISHED, StateFile
from rollwise.canary.model import policy
from rollwise.canary.model.plan import CanaryPlan, Phase, RouterSpec
from rollwise.canary.model.records import (
    AnalysisRecord,
    Event,
    Judgement,
    PhaseRecord,
    RolloutResult,
    Window,
    iso,
)
from rollwise.canary.ports import Judge, KillSwitch, Router, RouterError, Traffic, TrafficRun
from rollwise.clock import Clock
from rollwise.errors import ConfigError, Crashed
from rollwise.outcome import ERROR, INCONCLUSIVE, PROCEED, ROLLBACK
from rollwise.signals import Cancellation

#: progress of a rollout, rendered by the CLI (the Actions log, or stderr on a terminal)
_progress = logging.getLogger(__name__).info
#: how often waits look at the cancel flag and at the warm-up traffic
_TICK_SECONDS = 0.1
#: attempts to restore weight 0 before the rollback is declared failed
ROLLBACK_ATTEMPTS = 3

class _Cancelled(Exception):
    pass


class _Abort(Exception):
    """Stop and roll back, for the reason given."""


class _Hold(Exception):
    """Stop at the current weight: the data stayed inconclusive and the plan says hold."""


class Rollout:
    """One phased rollout of a canary."""

    def __init__(self, plan: CanaryPlan, router: Router, judge: Judge, *, state: StateFile,
                 traffic: Traffic | None = None, kill_switch: KillSwitch | None = None,
                 cancel: Cancellation | None = None, log: Callable[[str], None] = _progress,
                 base_dir: Path | None = None, clock: Clock | None = None) -> None:
        self.plan = plan
        self.router = router
        self.judge = judge
        self.state = state
        self.traffic = traffic
        self.kill_switch = kill_switch
        self.cancel = cancel or Cancellation()
        self.log = log
        self.base_dir = base_dir or Path.cwd()
        self.clock = clocks.current(clock)
        self.weight = 0
        self.phases: list[PhaseRecord] = []
        self.events: list[Event] = []
        self.tally = policy.Tally()

    # ---------------------------------------------------------------- the whole rollout

    def run(self) -> RolloutResult:
        started = self.clock.time()
        self._begin_state(started)
        router_cancel, self.router.cancel = self.router.cancel, self.cancel
        try:
            self._deploy()
            for index, phase in enumerate(self.plan.phases):
                self._run_phase(index, phase)
            self._promote()
        except (_Cancelled, shell.CommandCancelled):  # the latter: cancelled inside a router's platform command
            return self._roll_back(started, f"rollout cancelled ({self.cancel.reason}) at weight {self.weight} %",
                                   outcome="cancelled")
        except _Abort as abort:
            return self._roll_back(started, str(abort), outcome="rolled back")
        except RouterError as exc:
            return self._roll_back(started, str(exc), outcome="failed")
        except _Hold as hold:
            return self._hold(started, str(hold))
        except Exception as exc:  # a bug: traffic goes back to the baseline first, then the crash is reported (exit 4)
            result = self._roll_back(started, f"internal error: {type(exc).__name__}: {exc}", outcome="failed",
                                     decision=ERROR)
            raise Crashed(result) from exc
        finally:
            self.router.cancel = router_cancel
        reason = f"all {len(self.plan.phases)} phases passed; canary promoted at weight {self.weight} %"
        self.log(f"canary: proceed — {reason}")
        self.state.write(status="promoted", updated=iso(self.clock.time()))
        return self._result(PROCEED, reason, started, status="promoted")

    def _deploy(self) -> None:
        if self.plan.commands.deploy:
            self.log("canary: deploying the canary")
            self._command("deploy", self.plan.commands.deploy, {"ROLLWISE_WEIGHT": "0"})
            self.state.write(deployed=True)

    def _promote(self) -> None:
        if self.plan.commands.promote:
            self.log("canary: promoting the canary")
            self._command("promote", self.plan.commands.promote, {"ROLLWISE_WEIGHT": str(self.weight)})
        self._event("promote", "canary promoted")

    # ---------------------------------------------------------------- one phase

    def _run_phase(self, index: int, phase: Phase) -> None:
        total = len(self.plan.phases)
        record = PhaseRecord(index=index, weight=phase.weight, started=self.clock.time())
        self.phases.append(record)
        env = {"ROLLWISE_PHASE": str(index + 1), "ROLLWISE_PHASE_COUNT": str(total),
               "ROLLWISE_WEIGHT": str(phase.weight)}
        self.log(f"canary: phase {index + 1}/{total}: weight {phase.weight} % "
                 f"({self.plan.phases[index].analysis.count} analyses every {phase.analysis.interval:g}s "
                 f"after {phase.analysis.warmup:g}s warm-up)")
        for hook in self.plan.hooks.before_phase:
            self._command("before_phase hook", hook, env)
        # recorded before the change, so a process killed during it still leaves a state that says what to undo
        self.state.write(phase=index + 1, target_weight=phase.weight, updated=iso(self.clock.time()))
        actual = self.router.set_weight(phase.weight)
        record.weight_set = self.weight = actual
        note = "" if actual == phase.weight else f" (requested {phase.weight} %)"
        self._event("weight", f"phase {index + 1}: router set weight {actual} %{note}")
        if note:
            self.log(f"canary: warning: {self.router.name} router set weight {actual} %{note}")
        self.state.write(weight=actual, updated=iso(self.clock.time()))
        run = self.traffic.start(index, phase) if self.traffic else None
        try:
            self._analyse(index, phase, record, run)
        finally:
            if run is not None:
                record.traffic = run.stop()
            record.ended = self.clock.time()
        if record.traffic and record.traffic.get("thresholds_failed"):
            crossed = ", ".join(record.traffic["thresholds_failed"])
            step = policy.count_failure(phase.analysis, self.tally, f"k6 thresholds crossed: {crossed}")
            self.tally = step.tally
            self.log(f"canary: phase {index + 1}: {step.reason}")
            if step.action == policy.ROLL_BACK:
                raise _Abort(f"phase {index + 1} ({phase.weight} %): {step.reason}")
        for hook in self.plan.hooks.after_phase:
            self._command("after_phase hook", hook, env)
        record.outcome = "passed"

    def _analyse(self, index: int, phase: Phase, record: PhaseRecord, run: TrafficRun | None) -> None:
        rules = phase.analysis
        self._wait(rules.warmup, run)
        tally = self.tally.next_phase()
        window_start = self.clock.time()
        number = 0
        while True:
            self._wait(window_start + rules.interval - self.clock.time(), run)
            number += 1
            window = Window(phase=index, weight=self.weight, start=window_start, end=self.clock.time(), traffic=run)
            judgement = self._judge(window)
            step = policy.after_analysis(rules, tally, judgement.decision)
            tally = self.tally = step.tally
            record.analyses.append(AnalysisRecord(number, window.start, window.end, judgement, step.action))
            self._event("analysis", f"phase {index + 1} analysis {number}: {judgement.decision}: {judgement.reason}")
            self.log(f"canary: phase {index + 1} analysis {number}: {judgement.decision} — "
                     f"{judgement.reason}" + (f" [{step.reason}]" if step.reason else ""))
            window_start = window.end
            if step.action == policy.ADVANCE:
                return
            if step.action == policy.ROLL_BACK:
                raise _Abort(f"phase {index + 1} ({phase.weight} %): {step.reason}; last analysis: {judgement.reason}")
            if step.action == policy.HOLD:
                raise _Hold(f"phase {index + 1} ({phase.weight} %): {step.reason}; last analysis: {judgement.reason}")

    def _judge(self, window: Window) -> Judgement:
        """Ask the judge; a judge that cannot read its data makes the analysis inconclusive, never a pass."""
        outcome: dict[str, Any] = {}

        def ask() -> None:
            try:
                outcome["judgement"] = self.judge(window)
            except BaseException as exc:  # handed to the rollout thread below
                outcome["error"] = exc

        # in a thread, so a cancellation is acted on at once even while a slow source retries
        worker = threading.Thread(target=ask, name="canary-judge", daemon=True)
        worker.start()
        while worker.is_alive():
            if self.cancel.wait(_TICK_SECONDS):
                raise _Cancelled()
        error = outcome.get("error")
        if isinstance(error, ConfigError):
            raise _Abort(f"the analysis cannot run: {error.message}") from error
        if error is not None:
            return Judgement("inconclusive", f"could not judge: {type(error).__name__}: {error}")
        return outcome["judgement"]

    # ---------------------------------------------------------------- endings

    def _roll_back(self, started: float, reason: str, outcome: str, decision: str = ROLLBACK) -> RolloutResult:
        if self.phases and self.phases[-1].outcome == "running":
            self.phases[-1].outcome = outcome
            self.phases[-1].ended = self.phases[-1].ended or self.clock.time()
        self.log(f"canary: {'internal error, returning traffic to the baseline' if decision == ERROR else 'rollback'}"
                 f" — {reason}")
        self.router.cancel = None  # the rollback itself must not be interrupted by the cancellation
        errors: list[str] = []
        for attempt in range(1, ROLLBACK_ATTEMPTS + 1):
            try:
                self.weight = self.router.set_weight(0)
            except Exception as exc:  # whatever the router raises, the remaining steps of the rollback still run
                errors.append(f"attempt {attempt} to set weight 0: {exc}")
                self.clock.sleep(min(1.0, 0.25 * attempt))
                continue
            if self.weight == 0:
                errors.clear()
                break
            errors.append(f"attempt {attempt}: router reports weight {self.weight} % after setting 0")
        self._event("rollback", f"weight {self.weight} % after rollback")
        self.state.write(weight=self.weight, target_weight=0, updated=iso(self.clock.time()))
        if self.plan.commands.rollback:
            result = shell.run(self.plan.commands.rollback, timeout=self.plan.commands.timeout,
                               env={"ROLLWISE_WEIGHT": str(self.weight)}, cwd=str(self.base_dir))
            if not result.ok:
                errors.append(f"rollback command: {result.failure()}")
        for flag in self.plan.kill_switch.flags:
            try:
                if self.kill_switch is None:
                    raise RuntimeError("no flags store configured")
                self.kill_switch(flag)
                self._event("rollback", f"kill-switch flag {flag} turned off")
            except Exception as exc:
                errors.append(f"turning off flag {flag}: {exc}")
        for error in errors:
            self.log(f"canary: rollback problem: {error}")
        status = "rollback_failed" if errors else "rolled_back"
        self.state.write(status=status, reason=reason, rollback_errors=errors, updated=iso(self.clock.time()))
        if errors:
            self.log(f"canary: the rollback is incomplete; fix the cause and run `rollwise canary rollback "
                     f"--state-file {self.state.path}` (see docs/canary-deploy/runbook-half-done-rollout.md)")
        return self._result(decision, reason, started, errors, status=status)

    def _hold(self, started: float, reason: str) -> RolloutResult:
        self.phases[-1].outcome = "held"
        self.phases[-1].ended = self.phases[-1].ended or self.clock.time()
        self.log(f"canary: inconclusive, held at weight {self.weight} % — {reason}; decide with `rollwise canary rollback "
                 f"--state-file {self.state.path}` or re-run the rollout")
        self._event("hold", f"held at weight {self.weight} %")
        self.state.write(status="held", reason=reason, updated=iso(self.clock.time()))
        return self._result(INCONCLUSIVE, reason, started, status="held")

    def _result(self, decision: str, reason: str, started: float, errors: list[str] | None = None, *,
                status: str) -> RolloutResult:
        return RolloutResult(decision=decision, status=status, reason=reason, started=started, ended=self.clock.time(),
                             weight=self.weight, phases=self.phases, events=self.events, plan=describe(self.plan),
                             rollback_errors=list(errors or ()), state_file=str(self.state.path))

    # ---------------------------------------------------------------- helpers

    def _begin_state(self, started: float) -> None:
        self.state.data = {}
        self.state.write(
            status="running", started=iso(started), updated=iso(started), pid=os.getpid(), weight=0, phase=0,
            deployed=False, router={"type": self.plan.router.type, "options": self.plan.router.options},
            base_dir=str(self.base_dir),
            commands={"rollback": self.plan.commands.rollback, "promote": self.plan.commands.promote,
                      "timeout": self.plan.commands.timeout},
            kill_switch={"store": self.plan.kill_switch.store, "flags": list(self.plan.kill_switch.flags)},
            events=[],
        )

    def _event(self, kind: str, message: str) -> None:
        event = Event(self.clock.time(), kind, self.weight, message)
        self.events.append(event)
        self.state.add_event(event.to_dict())

    def _command(self, what: str, command: str, env: dict[str, str]) -> None:
        try:
            result = shell.run(command, env=env, timeout=self.plan.commands.timeout, cancel=self.cancel,
                               cwd=str(self.base_dir))
        except shell.CommandCancelled:
            raise _Cancelled() from None
        if not result.ok:
            raise _Abort(f"{what} failed: {result.failure()}")
        self._event("hook" if "hook" in what else what, f"{what} `{command}` succeeded")

    def _wait(self, seconds: float, run: TrafficRun | None) -> None:
        """Sleep, waking early for a cancellation or for warm-up traffic that stopped on its own."""
        deadline = self.clock.monotonic() + max(0.0, seconds)
        while True:
            remaining = deadline - self.clock.monotonic()
            if self.clock.wait(self.cancel, min(_TICK_SECONDS, max(0.0, remaining))):
                raise _Cancelled()
            if run is not None:
                failure = run.failure()
                if failure:
                    raise _Abort(f"k6 warm-up traffic failed: {failure}")
            if remaining <= 0:
                return


def describe(plan: CanaryPlan) -> dict[str, Any]:
    """The plan as it goes into the report."""
    return {
        "router": plan.router.type,
        "phases": [{"weight": phase.weight, **asdict(phase.analysis)} for phase in plan.phases],
        "warmup": "k6 script" if plan.warmup.script else ("k6 generated" if plan.warmup.endpoints else "none"),
        "baseline_selector": plan.baseline_selector,
        "canary_selector": plan.canary_selector,
    }


def check_previous(state: StateFile) -> None:
    """Refuse to start over a rollout that is still running, held or half rolled back."""
    previous = state.read()
    if previous and previous.get("status") not in FINISHED:
        raise ConfigError(
            f"a previous rollout is {previous.get('status')} at weight {previous.get('weight')} % "
            f"(started {previous.get('started')})", file=str(state.path),
            fix="undo it with `rollwise canary rollback --state-file " + str(state.path) + "`, "
                "or delete the file if that rollout no longer exists")


def _plan_from_state(recorded: dict[str, Any]) -> CanaryPlan:
    """The part of a plan that undoing or finishing a recorded rollout needs: router, commands, kill switch."""
    from rollwise.canary.model.plan import Commands
    from rollwise.canary.model.plan import KillSwitch as KillSwitchSpec

    commands = recorded.get("commands") or {}
    return CanaryPlan(
        phases=(Phase(100),),
        router=RouterSpec(**recorded["router"]),
        commands=Commands(rollback=commands.get("rollback"), promote=commands.get("promote"),
                          timeout=float(commands.get("timeout") or Commands.timeout)),
        kill_switch=KillSwitchSpec(store=(recorded.get("kill_switch") or {}).get("store"),
                                   flags=tuple((recorded.get("kill_switch") or {}).get("flags") or ())),
    )


def _read_state(state: StateFile) -> dict[str, Any]:
    recorded = state.read()
    if recorded is None:
        raise ConfigError("no state file", file=str(state.path),
                          fix="pass the --state-file written by `rollwise canary run` (download the workflow artifact),"
                              " or --config alone to roll back from the configuration")
    return recorded


def _recorded_rollout(state: StateFile, recorded: dict[str, Any], kill_switch: KillSwitch | None,
                      log: Callable[[str], None]) -> Rollout:
    from rollwise.canary.adapters import routers

    plan = _plan_from_state(recorded)
    base_dir = Path(recorded.get("base_dir") or Path.cwd())
    rollout = Rollout(plan, routers.create(plan.router, base_dir=base_dir), judge=_no_judge, state=state,
                      kill_switch=kill_switch, log=log, base_dir=base_dir)
    rollout.weight = int(recorded.get("weight") or 0)
    return rollout


def rollback_from_state(state: StateFile, *, kill_switch: KillSwitch | None = None,
                        log: Callable[[str], None] = _progress, reason: str | None = None) -> RolloutResult:
    """Undo a rollout recorded in ``state`` (weight 0, rollback command, kill-switch flags), without its config."""
    recorded = _read_state(state)
    if recorded.get("status") == "promoted":
        raise ConfigError("this rollout was promoted; the canary is now the baseline and there is nothing to undo",
                          file=str(state.path), fix="to go back, deploy the previous version as a new rollout")
    rollout = _recorded_rollout(state, recorded, kill_switch, log)
    why = reason or f"manual rollback of the rollout started {recorded.get('started')} " \
                    f"({recorded.get('status')} at weight {rollout.weight} %)"
    return rollout._roll_back(rollout.clock.time(), why, outcome="rolled back")


def rollback_from_config(plan: CanaryPlan, state: StateFile, *, base_dir: Path, kill_switch: KillSwitch | None = None,
                         log: Callable[[str], None] = _progress, reason: str | None = None) -> RolloutResult:
    """Undo a rollout whose state file is lost: the router, commands and kill switch come from the config.

    Setting weight 0 and turning flags off are safe to repeat; so must the configured rollback command be.
    """
    from rollwise.canary.adapters import routers

    rollout = Rollout(plan, routers.create(plan.router, base_dir=base_dir), judge=_no_judge, state=state,
                      kill_switch=kill_switch, log=log, base_dir=base_dir)
    rollout._begin_state(rollout.clock.time())
    log(f"canary: no state file at {state.path}; rolling back from the configuration")
    return rollout._roll_back(rollout.clock.time(), reason or "manual rollback from the configuration (no state file)",
                              outcome="rolled back")


def promote_from_state(state: StateFile, *, kill_switch: KillSwitch | None = None,
                       log: Callable[[str], None] = _progress) -> RolloutResult:
    """Finish a held rollout a person approved: weight 100 and the promote command; any failure rolls back.

    Promoting a rollout that is already promoted changes nothing, so an approval job can be re-run.
    """
    recorded = _read_state(state)
    if recorded.get("status") not in ("held", "promoted"):
        raise ConfigError(f"only a held rollout can be promoted; this one is {recorded.get('status')} "
                          f"at weight {recorded.get('weight')} %", file=str(state.path),
                          fix="re-run the rollout (`rollwise canary run`), or roll it back")
    rollout = _recorded_rollout(state, recorded, kill_switch, log)
    started = rollout.clock.time()
    if recorded.get("status") == "promoted":
        log(f"canary: the rollout in {state.path} is already promoted; nothing to do")
        return rollout._result(PROCEED, "already promoted", started, status="promoted")
    log(f"canary: promoting the held canary from weight {rollout.weight} % (approved by a person)")
    try:
        rollout.weight = rollout.router.set_weight(100)
        rollout.state.write(weight=rollout.weight, target_weight=100, updated=iso(rollout.clock.time()))
        if rollout.weight != 100:
            raise _Abort(f"router reports weight {rollout.weight} % after setting 100 %")
        rollout._promote()
    except (_Abort, RouterError) as exc:
        return rollout._roll_back(started, f"promotion failed: {exc}", outcome="failed")
    reason = f"held rollout promoted by approval at weight {rollout.weight} %"
    log(f"canary: proceed — {reason}")
    rollout.state.write(status="promoted", reason=reason, updated=iso(rollout.clock.time()))
    return rollout._result(PROCEED, reason, started, status="promoted")


def _no_judge(window: Window) -> Judgement:
    raise AssertionError("a rollback judges nothing")


def kill_switch(store: str | None, base_dir: Path) -> KillSwitch | None:
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


def prepare(config: str, *, prometheus_url: str | None = None, source: str = "auto", report: str | None = None,
            state_file: str | None = None, workdir: str | None = None, k6_binary: str | None = None,
            cancel: Cancellation | None = None, mask: Callable[[str | None], None] = lambda secret: None,
            ) -> tuple[Rollout, str]:
    """Wire a rollout from rollwise.yml: plan, state file, warm-up traffic, the gate as judge with its data source,
    router and kill switch; return it with the report path. ``mask`` hides credentials in the job log."""
    from rollwise.canary.adapters import judging, routers
    from rollwise.canary.adapters.k6 import K6Traffic
    from rollwise.canary.config import load_plan
    from rollwise.gate import service as gate

    plan = load_plan(config)
    gate_config = gate.load_config(config)
    for env in gate.secret_envs(gate_config):
        mask(os.environ.get(env))
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
    cancel = cancel or Cancellation()
    router = routers.create(plan.router, base_dir=base_dir, cancel=cancel)
    rollout = Rollout(plan, router, judging.GateJudge(gate_config, plan, sources), state=state, traffic=traffic,
                      kill_switch=kill_switch(plan.kill_switch.store, base_dir), cancel=cancel, base_dir=base_dir)
    return rollout, report_path
