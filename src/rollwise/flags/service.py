"""Flag changes as plain functions: open a store, read, change with compare-and-set and audit, sync, wait.

This is the API other rollwise capabilities use (canary-deploy turns flags off on rollback and drives a
percentage rollout as its traffic split)::

    store = open_store("redis://127.0.0.1:6379")
    kill(store, "new-checkout", Audit(actor="ci", reason="canary rolled back", run_url=..., sha=...))
    set_rollout(store, "checkout-v2", 25, audit)

``sync`` validates the whole flag set and ``set``/``kill``/``rollout`` the flag they edit, before writing
(ConfigError, exit 2, nothing written); every change is one atomic compare-and-set in the store
(ConflictError, exit 3, when another writer got there first).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rollwise import clock as clocks
from rollwise.clock import Clock
from rollwise.errors import ConfigError, InconclusiveError
from rollwise.flags.adapters import ConflictError, Snapshot, Store, StoreUnavailable, open_store
from rollwise.flags.adapters.codewalk import GitTree, ScanResult, WorkingTree, scan
from rollwise.flags.config import load_flagset, load_refs_config, parse_document, parse_raw_flag
from rollwise.flags.config import stale_after as config_stale_after
from rollwise.flags.model import FlagSet, lifecycle, schedule
from rollwise.flags.model.changes import Audit, AuditEntry, Change, diff_raw, same_definition
from rollwise.flags.model.coderefs import RefsConfig
from rollwise.flags.model.lifecycle import Finding, FlagFacts
from rollwise.flags.model.schedule import ScheduledChange
from rollwise.outcome import PROCEED, ROLLBACK, exit_code
from rollwise.yamlsource import did_you_mean, load_yaml

__all__ = [
    "Audit", "ChangeResult", "ConflictError", "StoreUnavailable", "open_store", "read", "set_enabled", "kill",
    "set_rollout", "sync", "diff", "history", "wait_for_clients", "find_references", "check_code", "run_schedule",
]


@dataclass(frozen=True)
class ChangeResult:
    """What a change did: the store version after it (unchanged when nothing differed), and the changes."""

    store: str
    version: int
    changes: list[Change] = field(default_factory=list)
    audit: Audit | None = None
    dry_run: bool = False
    #: flags not changed themselves that depend on a changed one through prerequisites (the blast radius)
    affected: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes) and not self.dry_run


def read(store: Store) -> Snapshot:
    """The current snapshot of a store."""
    return store.load()


def _check_change(key: str, after: Mapping[str, Any], url: str) -> None:
    """Validate an edited flag. Edits here (enabled, a split) never touch prerequisites, segments or variant
    names, so the cross-flag checks cannot change, and a kill still works while some other stored flag is broken.
    """
    parse_raw_flag(key, after, f"{url} flag {key}")


def _change_flag(store: Store, key: str, edit: Callable[[dict[str, Any]], None], audit: Audit,
                 expected_version: int | None, retries: int) -> ChangeResult:
    for attempt in range(retries + 1):
        snapshot = store.load()
        if key not in snapshot.raw_flags:
            if key in snapshot.bad:
                raise ConfigError(f"flag '{key}' in {store.url} is unreadable: {snapshot.bad[key]}",
                                  fix="repair it with `rollwise flags sync --file flags.yml`")
            guess = did_you_mean(key, snapshot.raw_flags)
            raise ConfigError(f"flag '{key}' does not exist in {store.url}",
                              fix=f"did you mean '{guess}'?" if guess else "add it to flags.yml and run `rollwise flags sync`")
        actual = snapshot.flag_version(key)
        if expected_version is not None and expected_version != actual:
            raise ConflictError(key, expected_version, actual)
        before = snapshot.raw_flags[key]
        after = copy.deepcopy(dict(before))
        edit(after)
        if same_definition(after, before):
            return ChangeResult(store.url, snapshot.version, [], audit)
        _check_change(key, after, store.url)
        change = Change("flag", key, before, after, actual)
        try:
            affected = _affected(snapshot.flagset, [key])
            return ChangeResult(store.url, store.apply([change], audit), [change], audit, affected=affected)
        except ConflictError:
            if attempt == retries or expected_version is not None:
                raise
    raise AssertionError("unreachable")


def set_enabled(store: Store, key: str, enabled: bool, audit: Audit, *, expected_version: int | None = None,
                retries: int = 0) -> ChangeResult:
    """Turn a flag on or off (off is the kill switch: it beats every rule)."""
    return _change_flag(store, key, lambda raw: raw.__setitem__("enabled", enabled), audit, expected_version, retries)


def kill(store: Store, key: str, audit: Audit, *, expected_version: int | None = None, retries: int = 0) -> ChangeResult:
    """The kill switch: disable a flag for everyone. Re-applying it is harmless, so rollbacks pass ``retries``."""
    return set_enabled(store, key, False, audit, expected_version=expected_version, retries=retries)


def set_rollout(store: Store, key: str, percentage: float, audit: Audit, *, variant: str | None = None,
                rule: str | None = None, expected_version: int | None = None, retries: int = 0) -> ChangeResult:
    """Serve ``variant`` to ``percentage`` % (sticky) of the flag default, or of rule ``rule``.

    ``variant`` defaults to the variant whose value is ``true``. The rest goes to the other variant of an
    existing two-way rollout, or to the variant served before, or to the ``false`` variant.
    """
    return _change_flag(store, key, rollout_edit(key, percentage, variant, rule), audit, expected_version, retries)


def rollout_edit(key: str, percentage: float, variant: str | None = None,
                 rule: str | None = None) -> Callable[[dict[str, Any]], None]:
    """The in-place edit of a flag definition that ``set_rollout`` makes (scheduled steps replay it too)."""
    if not 0 <= percentage <= 100:
        raise ConfigError(f"rollout percentage {percentage:g} is outside 0..100",
                          fix="give a percentage between 0 and 100")

    def edit(raw: dict[str, Any]) -> None:
        variants = raw.get("variants") or {"true": True, "false": False}
        chosen = variant or next((name for name, value in variants.items() if value is True), None)
        if chosen is None or chosen not in variants:
            raise ConfigError(f"flag '{key}' has no variant {chosen or 'valued true'}",
                              fix="pass --variant with one of: " + ", ".join(variants))
        if rule is None:
            container, field_name = raw, "default"
            serve = raw.get("default", "false")
        else:
            rules = raw.get("rules") or []
            index = next((i for i, r in enumerate(rules) if r.get("name") == rule or f"rules[{i}]" == rule), None)
            if index is None:
                raise ConfigError(f"flag '{key}' has no rule '{rule}'",
                                  fix="name one of: " + ", ".join(r.get("name") or f"rules[{i}]" for i, r in enumerate(rules)))
            container, field_name = rules[index], "serve"
            serve = container["serve"]
        by = None
        if isinstance(serve, dict) and "rollout" in serve:
            others = [name for name in serve["rollout"] if name != chosen]
            by = serve.get("by")
        else:
            current = serve.get("variant") if isinstance(serve, dict) else serve
            others = [current] if current != chosen else []
        rest = others[0] if others else next((n for n, v in variants.items() if v is False and n != chosen), None)
        if rest is None:
            rest = next(n for n in variants if n != chosen)
        shares = {chosen: _number(percentage), rest: _number(round(100 - percentage, 3))}
        # keep the existing order: it decides which bucket range each variant owns (stickiness)
        order = list(serve["rollout"]) if isinstance(serve, dict) and "rollout" in serve else [chosen, rest]
        order += [name for name in (chosen, rest) if name not in order]
        rollout = {name: shares.get(name, 0) for name in order}
        container[field_name] = {"rollout": rollout, **({"by": by} if by else {})}

    return edit


def _number(percent: float) -> float | int:
    """Whole percentages as integers, so flags.yml and diffs read 25, not 25.0."""
    return int(percent) if float(percent).is_integer() else percent


def diff(store: Store, desired: FlagSet, prune: bool = True) -> tuple[Snapshot, list[Change]]:
    """The changes that make ``store`` hold exactly ``desired`` (segments first, then flags)."""
    snapshot = store.load()
    segment_versions = {k[len("segment:"):]: v for k, v in snapshot.versions.items() if k.startswith("segment:")}
    flag_versions = {k[len("flag:"):]: v for k, v in snapshot.versions.items() if k.startswith("flag:")}
    # an unreadable stored flag counts as present and different, so sync repairs (or prunes) it
    current_flags = {**{k: {"unreadable": why} for k, why in snapshot.bad.items() if not k.startswith("segment:")},
                     **snapshot.raw_flags}
    changes = diff_raw(snapshot.raw_segments, {k: s.raw for k, s in desired.segments.items()},
                       segment_versions, "segment", prune)
    changes += diff_raw(current_flags, {k: f.raw for k, f in desired.flags.items()}, flag_versions, "flag", prune)
    return snapshot, changes


def sync(store: Store, flags_file: str | Path | FlagSet, audit: Audit, *, dry_run: bool = False,
         prune: bool = True) -> ChangeResult:
    """Make the store hold exactly what flags.yml says: validated first, only changed flags written, atomically."""
    desired = flags_file if isinstance(flags_file, FlagSet) else load_flagset(flags_file)
    if any(flag.raw.get("schedule") for flag in desired.flags.values()):
        desired = with_steps_taken(store, desired)  # a sync keeps the scheduled steps already taken
    snapshot, changes = diff(store, desired, prune)
    if dry_run or not changes:
        return ChangeResult(store.url, snapshot.version, changes, audit, dry_run=dry_run,
                            affected=_affected(desired, _flag_keys(changes)))
    affected = _affected(desired, _flag_keys(changes))
    return ChangeResult(store.url, store.apply(changes, audit), changes, audit, affected=affected)


def _flag_keys(changes: list[Change]) -> list[str]:
    return [c.key for c in changes if c.kind == "flag"]


def _affected(flagset: FlagSet, keys: list[str]) -> list[str]:
    return [k for k in flagset.with_dependents(keys) if k not in keys]


def history(store: Store, key: str | None = None, limit: int = 20) -> list[AuditEntry]:
    """Latest audit entries, newest first."""
    return store.history(key, limit)


def wait_for_clients(store: Store, version: int, clients: int, timeout: float = 30.0,
                     poll: float = 0.05, clock: Clock | None = None) -> int:
    """Block until ``clients`` clients acknowledge ``version``; InconclusiveError (exit 3) on timeout."""
    clock = clocks.current(clock)
    deadline = clock.monotonic() + timeout
    while True:
        count = store.acknowledged(version)
        if count >= clients:
            return count
        if clock.monotonic() >= deadline:
            raise InconclusiveError(
                f"only {count} of {clients} clients applied version {version} within {timeout:g}s; the change is "
                "committed, but propagation is unconfirmed. Check that the applications run FlagClient and reach Redis."
            )
        clock.sleep(poll)


# --- the flag's life: the code that reads it, the pull-request check, scheduled changes -----------------------------

#: audit entries read for the stale check (the Redis store keeps about 10,000)
STALE_HISTORY_LIMIT = 10_000


def _now(clock: Clock | None) -> datetime:
    return datetime.fromtimestamp(clocks.current(clock).time(), timezone.utc)


def find_references(root: str | Path = ".", config: RefsConfig | None = None) -> ScanResult:
    """Every flag reference in the work tree at ``root`` (files git tracks or would track)."""
    source = WorkingTree(root)
    try:
        return scan(source, config or load_refs_config(None, root))
    finally:
        source.close()


def find_references_at(root: str | Path, ref: str, config: RefsConfig) -> ScanResult:
    """Every flag reference in commit ``ref`` (the pull request's base), read from git without a checkout."""
    source = GitTree(root, ref)
    try:
        return scan(source, config)
    finally:
        source.close()


@dataclass
class CheckResult:
    flags_file: str
    findings: list[Finding]
    scan: ScanResult
    base: str | None = None
    base_scan: ScanResult | None = None
    store: str | None = None
    defined: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return lifecycle.counts(self.findings)

    @property
    def decision(self) -> str:
        """rollback (exit 1) when code reads a key flags.yml lacks, as an unsafe migration is; else proceed."""
        return ROLLBACK if self.counts["error"] else PROCEED

    @property
    def exit_code(self) -> int:
        return exit_code(self.decision)

    @property
    def status(self) -> str:
        return "failed" if self.counts["error"] else "passed"


def _by_key(history: list[AuditEntry]) -> dict[str, list[AuditEntry]]:
    out: dict[str, list[AuditEntry]] = {}
    for entry in history:
        for key in {c.get("key") for c in entry.changes if c.get("kind", "flag") == "flag"}:
            out.setdefault(key, []).append(entry)
    return out


def check_code(flags_file: str | Path, root: str | Path = ".", *, store: Store | None = None,
               base: str | None = None, stale_after: timedelta = lifecycle.DEFAULT_STALE_AFTER,
               config_path: str | None = None, clock: Clock | None = None) -> CheckResult:
    """Check the code under ``root`` against ``flags_file``: undefined, unused and stale flags, and (with ``base``)
    the references this change adds or removes. Staleness needs ``store``: its definitions and audit log."""
    doc = load_yaml(flags_file)
    flagset = parse_document(doc)  # an invalid flags.yml is a ConfigError (exit 2) before any scan
    config = load_refs_config(config_path, root)
    head = find_references(root, config)
    base_scan = find_references_at(root, base, config) if base else None
    current, history = {}, {}
    if store is not None:
        snapshot = store.load()
        current = snapshot.raw_flags
        history = _by_key(store.history(None, STALE_HISTORY_LIMIT))
    facts = {}
    for key, flag in flagset.flags.items():
        served, since = lifecycle.uniform_since(key, current.get(key), history.get(key, []))
        facts[key] = FlagFacts(key, doc.line_of(("flags", key)), served, since,
                               config_stale_after(flag.raw, stale_after))
    findings = lifecycle.check(facts, head.references, _now(clock), flags_file=str(flags_file),
                               base_refs=base_scan.references if base_scan else None, did_you_mean=did_you_mean)
    return CheckResult(str(flags_file), findings, head, base, base_scan, store.url if store is not None else None,
                       sorted(flagset.flags))


#: audit entries read per scheduled flag to find the markers of applied entries
SCHEDULE_HISTORY_LIMIT = 1000


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
        done = schedule.applied(store.history(key, SCHEDULE_HISTORY_LIMIT)) if changes else set()
        taken = [change for change in changes if change.id in done]
        if not taken:
            continue
        raw = copy.deepcopy(dict(flag.raw))
        for change in taken:
            if change.enabled is not None:
                raw["enabled"] = change.enabled
            else:
                rollout_edit(key, change.rollout, change.variant, change.rule)(raw)
        flags[key] = parse_raw_flag(key, raw, f"{store.url} flag {key}", version=flag.version)
    return FlagSet(flags, flagset.segments, flagset.version)


def _apply(store: Store, change: ScheduledChange, audit: Audit) -> ChangeResult:
    if change.enabled is not None:
        return set_enabled(store, change.key, change.enabled, audit, retries=3)
    return set_rollout(store, change.key, change.rollout, audit, variant=change.variant, rule=change.rule, retries=3)


def run_schedule(store: Store, audit: Audit, *, dry_run: bool = False, keys: list[str] | None = None,
                 clock: Clock | None = None) -> ScheduleRun:
    """Apply every due entry of every flag in ``store`` (or of ``keys``) that the audit log does not show as
    applied, oldest first. Entries not yet due are listed as pending."""
    moment = _now(clock)
    snapshot = store.load()
    for key in keys or ():
        if key not in snapshot.raw_flags:
            guess = did_you_mean(key, snapshot.raw_flags)
            raise ConfigError(f"flag '{key}' does not exist in {store.url}",
                              fix=f"did you mean '{guess}'?" if guess else "list flags with `rollwise flags get`")
    run = ScheduleRun(store.url, moment, snapshot.version, dry_run=dry_run)
    for key in sorted(snapshot.raw_flags):
        if keys and key not in keys:
            continue
        changes = schedule.entries(key, snapshot.raw_flags[key])
        if not changes:
            continue
        done = schedule.applied(store.history(key, SCHEDULE_HISTORY_LIMIT))
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
