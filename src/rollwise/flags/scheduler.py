"""``run-schedule`` as a plain function: apply the ``schedule:`` entries that are due, each as the usual audited
compare-and-set, marking the audit entry so the next run skips it. Decisions live in ``schedule``."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from rollwise.flags import schedule, service
from rollwise.flags.changes import Audit
from rollwise.flags.model import FlagSet
from rollwise.flags.schedule import ScheduledChange
from rollwise.flags.stores import Store
from rollwise.flags.validation import parse_raw_flag

#: audit entries read per scheduled flag to find the markers of applied entries
HISTORY_LIMIT = 1000


@dataclass(frozen=True)
class Step:
    """What a run did with one entry: applied (written), in-effect (nothing to change), due (dry run), pending."""

    change: ScheduledChange
    status: str
    version: int | None = None

    def to_dict(self) -> dict:
        return {**self.change.to_dict(), "status": self.status, "version": self.version}


@dataclass
class ScheduleRun:
    store: str
    now: datetime
    version: int
    steps: list[Step] = field(default_factory=list)
    dry_run: bool = False

    @property
    def applied(self) -> list[Step]:
        return [s for s in self.steps if s.status == "applied"]

    @property
    def status(self) -> str:
        if self.dry_run:
            return "dry-run"
        return "changed" if self.applied else "unchanged"


def with_steps_taken(store: Store, flagset: FlagSet) -> FlagSet:
    """``flagset`` (what flags.yml says) with the scheduled steps the store's audit log shows as applied replayed on
    top, in time order: ``flags sync`` writes this, so a deploy does not undo a ramp that is under way."""
    flags = dict(flagset.flags)
    for key, flag in flagset.flags.items():
        changes = schedule.entries(key, flag.raw)
        done = schedule.applied(store.history(key, HISTORY_LIMIT)) if changes else set()
        taken = [change for change in changes if change.id in done]
        if not taken:
            continue
        raw = copy.deepcopy(dict(flag.raw))
        for change in taken:
            if change.enabled is not None:
                raw["enabled"] = change.enabled
            else:
                service.rollout_edit(key, change.rollout, change.variant, change.rule)(raw)
        flags[key] = parse_raw_flag(key, raw, f"{store.url} flag {key}", version=flag.version)
    return FlagSet(flags, flagset.segments, flagset.version)


def _apply(store: Store, change: ScheduledChange, audit: Audit) -> service.ChangeResult:
    if change.enabled is not None:
        return service.set_enabled(store, change.key, change.enabled, audit, retries=3)
    return service.set_rollout(store, change.key, change.rollout, audit, variant=change.variant, rule=change.rule,
                               retries=3)


def run_schedule(store: Store, audit: Audit, *, dry_run: bool = False, keys: list[str] | None = None,
                 now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> ScheduleRun:
    """Apply every due entry of every flag in ``store`` (or of ``keys``) that the audit log does not show as
    applied, oldest first. Entries not yet due are listed as pending."""
    moment = now()
    snapshot = store.load()
    run = ScheduleRun(store.url, moment, snapshot.version, dry_run=dry_run)
    for key in sorted(snapshot.raw_flags):
        if keys and key not in keys:
            continue
        changes = schedule.entries(key, snapshot.raw_flags[key])
        if not changes:
            continue
        done = schedule.applied(store.history(key, HISTORY_LIMIT))
        for change in schedule.due(changes, done, moment):
            if dry_run:
                run.steps.append(Step(change, "due"))
                continue
            reason = f"scheduled {change.describe()} (due {change.at.isoformat()}) {change.marker}"
            result = _apply(store, change, replace(audit, reason=f"{audit.reason}; {reason}" if audit.reason
                                                   else reason))
            run.version = result.version
            run.steps.append(Step(change, "applied" if result.changes else "in-effect", result.version))
        run.steps += [Step(change, "pending") for change in schedule.upcoming(changes, moment)]
    return run
