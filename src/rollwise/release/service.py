"""Use cases: record a rollout as a release (create the deployment, then its statuses as the rollout ends), and
revert an environment to its last good release by running a rollout of that release.

The ledger and the rollout are injected: ``rollwise.release.cli`` and ``rollwise.canary.cli`` wire the real
ones; tests use a local ledger and a scripted rollout.
"""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rollwise import shell
from rollwise.errors import ConfigError
from rollwise.outcome import ERROR, PROCEED, ROLLBACK
from rollwise.release.adapters.github import GitHubLedger
from rollwise.release.adapters.local import LocalLedger
from rollwise.release.model import (
    REVERT,
    ROLLOUT,
    NewRelease,
    Release,
    RevertPolicy,
    RevertResult,
    Status,
    choose_revert,
    current,
    running,
    superseded,
)
from rollwise.release.ports import DeploymentLedger

#: rollout decisions and the deployment state each one leaves (inconclusive: held, still in progress)
FINAL_STATE = {PROCEED: "success", ROLLBACK: "failure", ERROR: "error"}
_log = logging.getLogger(__name__)
_progress = _log.info
Mask = Callable[[str | None], None]


# ---------------------------------------------------------------------------------------------- where and who


@dataclass(frozen=True)
class RunContext:
    """Where this process runs: the run's link, an id for the rollout, who started it."""

    run_url: str | None
    rollout_id: str
    actor: str

    @classmethod
    def from_environment(cls, env: Mapping[str, str] | None = None) -> RunContext:
        env = os.environ if env is None else env
        run_url = None
        if env.get("GITHUB_RUN_ID") and env.get("GITHUB_REPOSITORY"):
            run_url = (f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env['GITHUB_REPOSITORY']}"
                       f"/actions/runs/{env['GITHUB_RUN_ID']}")
        rollout_id = (f"{env['GITHUB_RUN_ID']}-{env.get('GITHUB_RUN_ATTEMPT', '1')}" if env.get("GITHUB_RUN_ID")
                      else uuid.uuid4().hex[:12])
        actor = env.get("ROLLWISE_ACTOR") or env.get("GITHUB_ACTOR") or env.get("USER") or "unknown"
        return cls(run_url, rollout_id, actor)


def open_ledger(state_path: str | Path, ledger_path: str | None = None, env: Mapping[str, str] | None = None,
                mask: Mask = lambda secret: None) -> DeploymentLedger:
    """GitHub's Deployments API when a token and a repository are known; the local JSON ledger next to the state
    file (or at ``ledger_path``) otherwise."""
    env = os.environ if env is None else env
    token = env.get("ROLLWISE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN")
    if token and env.get("GITHUB_REPOSITORY") and not ledger_path:
        mask(token)
        return GitHubLedger(token, env["GITHUB_REPOSITORY"], env.get("GITHUB_API_URL"))
    return LocalLedger(ledger_path or Path(state_path).parent / "releases.json")


def reopen_ledger(name: str, env: Mapping[str, str] | None = None,
                  mask: Mask = lambda secret: None) -> DeploymentLedger | None:
    """The ledger a state file names (``github:owner/repo`` or ``file:/path``); None when GitHub needs a token
    this process does not have."""
    env = os.environ if env is None else env
    kind, _, where = name.partition(":")
    if kind == "file":
        return LocalLedger(where)
    token = env.get("ROLLWISE_GITHUB_TOKEN") or env.get("GITHUB_TOKEN")
    mask(token)
    return GitHubLedger(token, where, env.get("GITHUB_API_URL")) if token else None


def commit_of(base_dir: Path, env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(ref, sha) of what is being deployed: ``ROLLWISE_REF``/``ROLLWISE_SHA``, else ``GITHUB_SHA``, else the
    git HEAD of ``base_dir``; the ref is the commit unless given."""
    env = os.environ if env is None else env
    sha = env.get("ROLLWISE_SHA") or env.get("GITHUB_SHA") or ""
    if not sha:
        found = shell.run(["git", "rev-parse", "HEAD"], cwd=str(base_dir), timeout=30)
        sha = found.stdout.strip() if found.ok else ""
    return env.get("ROLLWISE_REF") or sha or "unknown", sha


# ---------------------------------------------------------------------------------------------- recording


@dataclass
class Recorder:
    """The deployment of one rollout (or revert), from creation to its final status."""

    ledger: DeploymentLedger
    release: Release
    context: RunContext
    environment_url: str | None = None
    log: Callable[[str], None] = _progress

    @classmethod
    def start(cls, ledger: DeploymentLedger, new: NewRelease, context: RunContext, *,
              environment_url: str | None = None, read: list[Release] | None = None,
              log: Callable[[str], None] = _progress) -> Recorder:
        """Create the deployment and mark it ``in_progress``. The write is a compare-and-set on the newest
        deployment of ``read`` (the releases the caller decided on; read now when not given)."""
        existing = ledger.releases(new.environment) if read is None else read
        created = ledger.create(new, expect_latest=existing[0].id if existing else None)
        recorder = cls(ledger, created, context, environment_url, log)
        recorder.release = ledger.add_status(created, Status("in_progress", "", new.description,
                                                             log_url=context.run_url))
        log(f"release: recorded {recorder.release.label()} in {new.environment} ({ledger.name})")
        return recorder

    def reference(self) -> dict[str, Any]:
        """What the canary state keeps so a later rollback or promote can finish this deployment."""
        return {"ledger": self.ledger.name, "environment": self.release.environment, "id": self.release.id,
                "sha": self.release.sha, "environment_url": self.environment_url}

    def finish(self, decision: str, reason: str) -> None:
        """``success`` (and ``inactive`` for what it supersedes) on PROCEED, ``failure`` on ROLLBACK; a HOLD stays
        ``in_progress`` with the reason. A status that cannot be written is a warning: the rollout's outcome
        stands."""
        state = FINAL_STATE.get(decision, "in_progress")  # inconclusive: held for a person
        description = reason if state != "in_progress" else f"held: {reason}"
        try:
            self.release = self.ledger.add_status(self.release, Status(
                state, "", description, log_url=self.context.run_url,
                environment_url=self.environment_url if state == "success" else None))
            if state == "success":
                for older in superseded(self.ledger.releases(self.release.environment), self.release):
                    self.ledger.add_status(older, Status("inactive", "", f"superseded by {self.release.label()}",
                                                         log_url=older.run_url))
        except Exception as exc:  # the rollout already acted; its record must not turn that into a crash
            _log.warning(f"release: warning: could not record {state} for release {self.release.label()}: {exc}")
            return
        self.log(f"release: {self.release.label()} is {state}")


def finish_recorded(reference: Mapping[str, Any] | None, decision: str, reason: str,
                    log: Callable[[str], None] = _progress) -> None:
    """Finish the deployment a canary state refers to (after ``canary rollback`` or ``canary promote``)."""
    if not reference or not reference.get("ledger"):
        return
    ledger = reopen_ledger(str(reference["ledger"]))
    if ledger is None:
        _log.warning(f"release: warning: release #{reference.get('id')} is in {reference['ledger']} but there is no "
                     "token to update it; pass github-token")
        return
    try:
        release = next((r for r in ledger.releases(str(reference["environment"])) if r.id == reference["id"]), None)
    except Exception as exc:  # the rollback or promotion is done; a record it cannot update is a warning
        _log.warning(f"release: warning: could not read the release ledger: {exc}")
        return
    if release is None or release.state == FINAL_STATE.get(decision):
        return  # already recorded: a second rollback changes nothing
    Recorder(ledger, release, RunContext.from_environment(), reference.get("environment_url"), log).finish(
        decision, reason)


def finish_running(ledger: DeploymentLedger, environment: str, decision: str, reason: str,
                   log: Callable[[str], None] = _progress) -> None:
    """Finish the environment's running deployment, for a rollback that had no state file to name it."""
    try:
        busy = running(ledger.releases(environment))
    except Exception as exc:  # the rollback itself is done; a record it cannot update is a warning
        _log.warning(f"release: warning: could not read the release ledger: {exc}")
        return
    if busy is not None:
        Recorder(ledger, busy, RunContext.from_environment(), None, log).finish(decision, reason)


def record_rollout(rollout: Any, config: str | Path, environment: str, *, version: str | None,
                   environment_url: str | None, ledger_path: str | None, report_path: str,
                   mask: Mask = lambda secret: None, env: Mapping[str, str] | None = None) -> Recorder:
    """Record a prepared canary rollout as a new release of ``environment`` before it changes anything, and give
    its commands the release's ``ROLLWISE_REF``, ``ROLLWISE_SHA`` and ``ROLLWISE_VERSION`` — the same variables a
    revert gives them, so one deploy script serves both."""
    from rollwise.release.model import config_digest
    from rollwise.yamlsource import load_yaml

    env = os.environ if env is None else env
    ref, sha = commit_of(rollout.base_dir, env)
    context = RunContext.from_environment(env)
    report = (f"artifact rollwise-canary-report-{environment}-{env['GITHUB_RUN_ID']}" if env.get("GITHUB_RUN_ID")
              else str(Path(report_path).resolve()))
    new = rollout_release(environment, ref, sha, version, router=rollout.plan.router.type,
                          digest=config_digest(load_yaml(config).data), context=context, report=report)
    recorder = Recorder.start(open_ledger(rollout.state.path, ledger_path, env, mask), new, context,
                              environment_url=environment_url)
    rollout.record = {"release": recorder.reference()}
    rollout.command_env = {"ROLLWISE_REF": ref, "ROLLWISE_SHA": sha, "ROLLWISE_VERSION": recorder.release.version}
    return recorder


def rollout_release(environment: str, ref: str, sha: str, version: str | None, *, router: str, digest: str,
                    context: RunContext, report: str | None) -> NewRelease:
    """The deployment of a new rollout."""
    payload = {"kind": ROLLOUT, "rollout_id": context.rollout_id, "router": router, "version": version or sha[:7],
               "gate_config_digest": digest, "actor": context.actor, "report": report}
    return NewRelease(environment, ref, sha, payload, f"rollwise canary rollout of {version or sha[:7] or ref}")


# ---------------------------------------------------------------------------------------------- revert


#: runs the rollout of the target release: (target, fast path?, state to keep) -> (decision, reason, report dict)
RunRollout = Callable[[Release, bool, dict[str, Any]], tuple[str, str, dict[str, Any]]]


def revert(ledger: DeploymentLedger, environment: str, policy: RevertPolicy, prepare: Callable[[bool], RunRollout], *,
           reason: str, to: str | None = None, context: RunContext | None = None,
           environment_url: str | None = None, report: str | None = None, log: Callable[[str], None] = _progress) -> RevertResult:
    """Go back to the last good release (or ``to``): a new deployment of that release's commit, rolled out by what
    ``prepare(fast)`` returns — at 100 % with one confirming analysis on the fast path, through the normal phases
    otherwise.

    Nothing happens when the target is what runs already. ``prepare`` runs before anything is written, so bad
    configuration changes nothing; a revert that finds a newer deployment than the one it read refuses
    (StaleLedger, exit 3) before changing anything.
    """
    context = context or RunContext.from_environment()
    releases = ledger.releases(environment)
    plan = choose_revert(releases, policy, to=to, environment=environment)
    if plan.unchanged:
        log(f"release: nothing to revert in {environment}: {plan.why}")
        return RevertResult(environment, "unchanged", reason, context.actor, plan, decision=PROCEED,
                            ledger=ledger.name)
    run = prepare(plan.fast)
    path = "fast path: 100 % with one confirming analysis" if plan.fast else "the normal phases"
    log(f"release: reverting {environment} from {plan.current.label() if plan.current else 'nothing'} to "
        f"{plan.target.label()} ({plan.why}) through {path}")
    payload = {"kind": REVERT, "rollout_id": context.rollout_id, "version": plan.target.version,
               "router": plan.target.payload.get("router"),
               "gate_config_digest": plan.target.payload.get("gate_config_digest"), "actor": context.actor,
               "report": report,
               "revert": {"from": plan.current.id if plan.current else None, "to": plan.target.id, "reason": reason,
                          "path": "fast" if plan.fast else "phases"}}
    new = NewRelease(environment, plan.target.ref, plan.target.sha, payload,
                     f"revert to {plan.target.version}: {reason}")
    recorder = Recorder.start(ledger, new, context, environment_url=environment_url, read=releases, log=log)
    try:
        decision, why, report = run(plan.target, plan.fast, {"release": recorder.reference()})
    except BaseException as exc:
        recorder.finish(ERROR, f"the revert crashed: {type(exc).__name__}: {exc}")
        raise
    recorder.finish(decision, f"revert to {plan.target.version}: {why}")
    status = {PROCEED: "reverted", ROLLBACK: "rolled_back", ERROR: "failed"}.get(decision, "held")
    return RevertResult(environment, status, reason, context.actor, plan, recorder.release, report, decision,
                        ledger.name)


def current_release(ledger: DeploymentLedger, environment: str) -> Release | None:
    return current(ledger.releases(environment))


def require_environment(environment: str | None) -> str:
    if not environment:
        raise ConfigError("no environment given", key="--environment",
                          fix="pass --environment staging (or set ROLLWISE_ENVIRONMENT)")
    return environment
