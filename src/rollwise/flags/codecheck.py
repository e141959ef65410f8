"""Use cases over code references: list them (``flags refs``) and check a change against flags.yml and the
store's audit log (``flags check``). The decisions are in ``lifecycle``; this module gathers their inputs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rollwise.flags import lifecycle
from rollwise.flags.changes import AuditEntry
from rollwise.flags.codewalk import GitTree, RefsConfig, ScanResult, WorkingTree, scan
from rollwise.flags.lifecycle import Finding, FlagFacts
from rollwise.flags.refs_config import load_refs_config
from rollwise.flags.stores import Store

#: audit entries read for the stale check (the Redis store keeps about 10,000)
HISTORY_LIMIT = 10_000


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
    def exit_code(self) -> int:
        return 1 if self.counts["error"] else 0

    @property
    def status(self) -> str:
        return "failed" if self.exit_code else "passed"


def _by_key(history: list[AuditEntry]) -> dict[str, list[AuditEntry]]:
    out: dict[str, list[AuditEntry]] = {}
    for entry in history:
        for key in {c.get("key") for c in entry.changes if c.get("kind", "flag") == "flag"}:
            out.setdefault(key, []).append(entry)
    return out


def check(flags_file: str | Path, root: str | Path = ".", *, store: Store | None = None, base: str | None = None,
          stale_after: timedelta = lifecycle.DEFAULT_STALE_AFTER, config_path: str | None = None,
          now: Callable[[], datetime] = lambda: datetime.now(timezone.utc)) -> CheckResult:
    """Check the code under ``root`` against ``flags_file``: undefined, unused and stale flags, and (with ``base``)
    the references this change adds or removes. Staleness needs ``store``: its definitions and audit log."""
    from rollwise.flags.validation import parse_document
    from rollwise.yamlsource import did_you_mean, load_yaml

    doc = load_yaml(flags_file)
    flagset = parse_document(doc)  # an invalid flags.yml is a ConfigError (exit 2) before any scan
    config = load_refs_config(config_path, root)
    head = find_references(root, config)
    base_scan = find_references_at(root, base, config) if base else None
    current, history = {}, {}
    if store is not None:
        snapshot = store.load()
        current = snapshot.raw_flags
        history = _by_key(store.history(None, HISTORY_LIMIT))
    facts = {}
    for key, flag in flagset.flags.items():
        served, since = lifecycle.uniform_since(key, current.get(key), history.get(key, []))
        facts[key] = FlagFacts(key, doc.line_of(("flags", key)), served, since,
                               lifecycle.stale_after(flag.raw, stale_after))
    findings = lifecycle.check(facts, head.references, now(), flags_file=str(flags_file),
                               base_refs=base_scan.references if base_scan else None, did_you_mean=did_you_mean)
    return CheckResult(str(flags_file), findings, head, base, base_scan, store.url if store is not None else None,
                       sorted(flagset.flags))
