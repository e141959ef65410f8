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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rollwise import clock as clocks
from rollwise.clock import Clock
from rollwise.errors import ConfigError, InconclusiveError
from rollwise.flags.adapters import ConflictError, Snapshot, Store, StoreUnavailable, open_store
from rollwise.flags.config import load_flagset, parse_raw_flag
from rollwise.flags.model import FlagSet
from rollwise.flags.model.changes import Audit, AuditEntry, Change, diff_raw, same_definition
from rollwise.yamlsource import did_you_mean

__all__ = [
    "Audit", "ChangeResult", "ConflictError", "StoreUnavailable", "open_store", "read", "set_enabled", "kill",
    "set_rollout", "sync", "diff", "history", "wait_for_clients",
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

    return _change_flag(store, key, edit, audit, expected_version, retries)


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
