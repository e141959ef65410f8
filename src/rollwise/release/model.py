"""Releases and the pure decisions about them: which release is live, which one a revert goes back to, whether
that revert takes the fast path, and which releases a new one supersedes. No I/O.

A release is one deployment of an environment with its statuses (oldest first), as GitHub's Deployments API
records them: ``in_progress`` while the rollout runs, ``success`` when it was promoted, ``failure`` when it was
rolled back, ``inactive`` once a newer release replaced it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from rollwise.errors import ConfigError, InconclusiveError

#: deployment states, as GitHub names them
STATES = ("queued", "pending", "in_progress", "success", "failure", "error", "inactive")
#: a deployment in one of these states is a rollout still running (or held, waiting for a person)
ACTIVE = ("queued", "pending", "in_progress")
#: kinds of release, kept in the deployment's payload
ROLLOUT, REVERT = "rollout", "revert"
#: schema of the JSON report of a revert
SCHEMA = "rollwise/release-revert/v1"
#: a revert to a release among the last this many live releases (the current one included) takes the fast path
DEFAULT_WINDOW = 3


@dataclass(frozen=True)
class Status:
    """One status of a deployment."""

    state: str
    created_at: str
    description: str = ""
    log_url: str | None = None
    environment_url: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "created_at": self.created_at, "description": self.description,
                "log_url": self.log_url, "environment_url": self.environment_url}


@dataclass(frozen=True)
class Release:
    """One deployment of an environment and what became of it."""

    id: int
    environment: str
    ref: str
    sha: str
    created_at: str
    payload: dict[str, Any] = field(default_factory=dict)
    description: str = ""
    statuses: tuple[Status, ...] = ()

    @property
    def version(self) -> str:
        return str(self.payload.get("version") or self.sha[:7] or self.ref)

    @property
    def kind(self) -> str:
        return str(self.payload.get("kind") or ROLLOUT)

    @property
    def state(self) -> str:
        """The latest status (``pending`` before the first one)."""
        return self.statuses[-1].state if self.statuses else "pending"

    @property
    def went_live(self) -> bool:
        """True once the release was promoted (even if a newer one replaced it since)."""
        return any(status.state == "success" for status in self.statuses)

    @property
    def outcome(self) -> str:
        """What the release amounts to: running, live, superseded, rolled back or failed."""
        if self.state in ACTIVE:
            return "running"
        if self.state == "success":
            return "live"
        if self.state == "inactive":
            return "superseded" if self.went_live else "rolled back"
        return "rolled back" if self.state == "failure" else "failed"

    @property
    def run_url(self) -> str | None:
        return next((s.log_url for s in self.statuses if s.log_url), None)

    @property
    def environment_url(self) -> str | None:
        return next((s.environment_url for s in reversed(self.statuses) if s.environment_url), None)

    @property
    def report(self) -> str | None:
        """Where the rollout's report is: an artifact of the run, or a local path."""
        value = self.payload.get("report")
        return str(value) if value else None

    @property
    def reverted(self) -> dict[str, Any]:
        """For a revert: ``{"from": id, "to": id, "reason": ...}``; empty for a rollout."""
        return dict(self.payload.get("revert") or {})

    def label(self) -> str:
        """``v2 (#12, abc1234)``: how messages name a release."""
        return f"{self.version} (#{self.id}, {self.sha[:7] or self.ref})"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "environment": self.environment, "ref": self.ref, "sha": self.sha,
                "version": self.version, "kind": self.kind, "created_at": self.created_at, "state": self.state,
                "outcome": self.outcome, "description": self.description, "run_url": self.run_url,
                "environment_url": self.environment_url, "report": self.report, "payload": self.payload,
                "statuses": [status.to_dict() for status in self.statuses]}


@dataclass(frozen=True)
class NewRelease:
    """What a ledger needs to create a deployment."""

    environment: str
    ref: str
    sha: str
    payload: dict[str, Any]
    description: str = ""


@dataclass(frozen=True)
class RevertPolicy:
    """``canary.revert`` of rollwise.yml: how a revert goes back to a known-good release."""

    #: False sends every revert through the normal phases
    fast: bool = True
    #: a target among the last ``window`` live releases (the current one included) takes the fast path
    window: int = DEFAULT_WINDOW


@dataclass(frozen=True)
class RevertPlan:
    """What a revert will do: go from ``current`` back to ``target``, fast or through the phases."""

    current: Release | None
    target: Release
    fast: bool
    #: position of the target among the live releases, newest first (the current one is 0)
    age: int
    why: str
    #: nothing to go back from (the newest rollout was rolled back and none ran before it)
    nothing_runs: bool = False

    @property
    def unchanged(self) -> bool:
        """The target is what runs already (or nothing does): nothing to do."""
        return self.nothing_runs or (self.current is not None and self.current.sha == self.target.sha)


@dataclass
class RevertResult:
    """What a revert did."""

    environment: str
    status: str  # reverted | unchanged | rolled_back | held | failed
    reason: str
    actor: str
    plan: RevertPlan | None
    release: Release | None = None
    rollout: dict[str, Any] | None = None
    decision: str = "proceed"
    ledger: str = ""
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return {"proceed": 0, "rollback": 1, "inconclusive": 3}.get(self.decision, 4)

    def to_dict(self) -> dict[str, Any]:
        plan = self.plan
        return {
            "schema": SCHEMA, "status": self.status, "decision": self.decision, "environment": self.environment,
            "reason": self.reason, "actor": self.actor, "ledger": self.ledger,
            "from": plan.current.to_dict() if plan and plan.current else None,
            "to": plan.target.to_dict() if plan else None,
            "path": None if plan is None or self.status == "unchanged" else ("fast" if plan.fast else "phases"),
            "age": plan.age if plan else None, "why_this_target": plan.why if plan else None,
            "release": self.release.to_dict() if self.release else None,
            "rollout": self.rollout, "notes": self.notes,
        }



def newest_first(releases: list[Release] | tuple[Release, ...]) -> list[Release]:
    return sorted(releases, key=lambda release: release.id, reverse=True)


def current(releases: list[Release] | tuple[Release, ...]) -> Release | None:
    """The release serving the environment: the newest one that was promoted."""
    return next((release for release in newest_first(releases) if release.went_live), None)


def running(releases: list[Release] | tuple[Release, ...]) -> Release | None:
    """The newest release when its rollout has not finished (running, or held for a person)."""
    ordered = newest_first(releases)
    return ordered[0] if ordered and ordered[0].state in ACTIVE else None


def reverted_away(releases: list[Release] | tuple[Release, ...]) -> set[int]:
    """Ids of the releases a successful revert went back from: known bad, never a default target again."""
    return {int(release.reverted["from"]) for release in releases
            if release.reverted.get("from") is not None and release.went_live}


def superseded(releases: list[Release] | tuple[Release, ...], new: Release) -> list[Release]:
    """Releases to mark ``inactive`` once ``new`` is live: every other one whose latest status is ``success``."""
    return [release for release in newest_first(releases) if release.id != new.id and release.state == "success"]


def find(releases: list[Release] | tuple[Release, ...], wanted: str) -> Release | None:
    """A release by deployment id (``12`` or ``#12``) or by commit sha (7 characters or more); the newest
    promoted one when several deployments share the sha."""
    text = wanted.strip().lstrip("#")
    if text.isdigit():
        by_id = next((release for release in releases if release.id == int(text)), None)
        if by_id is not None:
            return by_id
    matches = [release for release in newest_first(releases)
               if len(text) >= 7 and release.sha.lower().startswith(text.lower())]
    return next((release for release in matches if release.went_live), matches[0] if matches else None)


def choose_revert(releases: list[Release] | tuple[Release, ...], policy: RevertPolicy = RevertPolicy(), *,
                  to: str | None = None, environment: str = "") -> RevertPlan:
    """Decide the target of a revert.

    Without ``to``: the last release before the current one that was promoted and not itself reverted away from,
    with a different commit. When the current release is a revert already, or the newest rollout was rolled back
    (so what runs is what ran before it), the answer is the current release: nothing to do, which makes a second
    dispatch of the same revert a no-op.

    Raises InconclusiveError while a rollout runs (a revert must not race it) and ConfigError when there is no
    release to go back to.
    """
    where = f"environment '{environment}'" if environment else "this environment"
    busy = running(releases)
    if busy is not None:
        raise InconclusiveError(
            f"release {busy.label()} is still rolling out in {where} (status {busy.state}); a revert does not "
            "race a rollout: wait for it to finish, or undo it first (`rollwise canary rollback`, rollback "
            "workflow with what: canary), then revert")
    ordered = newest_first(releases)
    live = [release for release in ordered if release.went_live]
    now = live[0] if live else None
    if to:
        target = find(ordered, to)
        if target is None:
            raise ConfigError(f"no release '{to}' in {where}", key="--to",
                              fix="give a deployment id or a commit sha from `rollwise release list`")
        if not target.went_live:
            raise ConfigError(f"release {target.label()} was never promoted ({target.outcome}); a revert goes back "
                              "to a release that ran", key="--to",
                              fix="pick one whose outcome is live or superseded in `rollwise release list`")
        why = f"requested: --to {to}"
    else:
        try:
            target, why = _default_target(ordered, live, where)
        except _NothingRuns as nothing:
            return RevertPlan(None, nothing.release, False, 0, nothing.why, nothing_runs=True)
    age = next((index for index, release in enumerate(live) if release.sha == target.sha), len(live))
    fast = policy.fast and age < policy.window
    return RevertPlan(now, target, fast, age, why)


class _NothingRuns(Exception):
    def __init__(self, release: Release, why: str) -> None:
        super().__init__(why)
        self.release, self.why = release, why


def _default_target(ordered: list[Release], live: list[Release], where: str) -> tuple[Release, str]:
    if not live and ordered:
        raise _NothingRuns(ordered[0], f"no release of {where} was ever promoted; the newest one, "
                                       f"{ordered[0].label()}, was {ordered[0].outcome}")
    if not live:
        raise ConfigError(f"no release of {where} was ever promoted; there is nothing to go back to",
                          fix="deploy a release first (rollwise canary run), or check --environment")
    now = live[0]
    if now.kind == REVERT:
        return now, f"the current release {now.label()} is already a revert"
    newest_rollout = next((release for release in ordered if release.kind == ROLLOUT), None)
    if newest_rollout is not None and newest_rollout.id > now.id and not newest_rollout.went_live:
        return now, (f"the newest rollout {newest_rollout.label()} was {newest_rollout.outcome}; the live release "
                     f"{now.label()} is the one before it")
    away = reverted_away(ordered)
    for release in live[1:]:
        if release.sha != now.sha and release.id not in away:
            return release, f"the last good release before {now.label()}"
    raise ConfigError(f"{where} has no promoted release before {now.label()} to go back to",
                      fix="give --to with a deployment id or commit sha from `rollwise release list`")


def config_digest(document: dict[str, Any]) -> str:
    """``sha256:...`` of the parts of rollwise.yml that judge a canary (gate, SLOs), key order ignored."""
    judged = {key: document.get(key) for key in ("gate", "slos")}
    text = json.dumps(judged, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
