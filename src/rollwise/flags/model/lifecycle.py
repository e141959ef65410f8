"""The pull-request check of flags against the code that reads them: pure decisions, no I/O.

- error: code reads a key that flags.yml does not define (in production it silently serves the code default);
- warning: a flag is defined but no code reads it;
- warning: a stale flag, still read although it has served one variant to everyone (killed, 100 %, no rules left)
  for longer than ``stale_after``, measured from the audit log;
- notice: references this pull request adds or removes, and keys computed at run time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from rollwise.flags.model.changes import AuditEntry
from rollwise.flags.model.coderefs import Reference, glob_covers

DEFAULT_STALE_AFTER = timedelta(days=30)
#: what a killed flag without an ``off`` variant serves: the default the code passes
CODE_DEFAULT = "(code default)"
SEVERITIES = ("error", "warning", "notice")


@dataclass(frozen=True)
class Finding:
    """One result of the check; ``file``/``line`` place its annotation (a code line, or the flag in flags.yml)."""

    rule: str
    severity: str
    key: str
    message: str
    fix: str = ""
    file: str | None = None
    line: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "severity": self.severity, "key": self.key, "file": self.file,
                "line": self.line, "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class FlagFacts:
    """What the check knows of one defined flag: where flags.yml defines it and how long it served one variant."""

    key: str
    line: int | None = None
    served: str | None = None  # the one variant everyone gets, or None
    since: datetime | None = None  # since when (the audit log's view), None when unknown
    stale_after: timedelta | None = DEFAULT_STALE_AFTER  # None: a permanent flag, never stale


def _serve_variants(serve: Any) -> set[str]:
    if isinstance(serve, dict):
        if "variant" in serve:
            return {str(serve["variant"])}
        return {str(name) for name, percent in (serve.get("rollout") or {}).items() if percent > 0}
    return {str(serve)}


def served_everyone(raw: Mapping[str, Any] | None) -> str | None:
    """The one variant a flag definition serves to every context (``CODE_DEFAULT`` when killed without an off
    variant), or None when different contexts can get different variants."""
    if not isinstance(raw, Mapping):
        return None
    if raw.get("enabled", True) is False:
        return str(raw["off"]) if raw.get("off") is not None else CODE_DEFAULT
    if raw.get("prerequisites"):
        return None  # a failing prerequisite serves the off variant to some contexts
    served = _serve_variants(raw.get("default", "false"))
    for rule in raw.get("rules") or []:
        served |= _serve_variants(rule.get("serve"))
    served |= {str(name) for name, keys in (raw.get("targets") or {}).items() if keys}
    return next(iter(served)) if len(served) == 1 else None


def parse_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def uniform_since(key: str, current: Mapping[str, Any] | None, history: Sequence[AuditEntry]) -> tuple[str | None,
                                                                                                      datetime | None]:
    """(variant, since): the variant ``current`` serves to everyone and the oldest audit entry from which every
    definition of ``key`` served it. ``history`` is newest first; since is None when the log does not show it
    (no entry, or the newest entry wrote something else), so the flag is never called stale on a guess."""
    served = served_everyone(current)
    if served is None:
        return None, None
    since = None
    for entry in history:
        change = next((c for c in entry.changes if c.get("kind", "flag") == "flag" and c.get("key") == key), None)
        if change is None:
            continue
        if change.get("after") is None or served_everyone(change["after"]) != served:
            break
        since = parse_time(entry.at)
    return served, since


def _where(refs: Iterable[Reference], limit: int = 5) -> str:
    refs = list(refs)
    text = ", ".join(f"{r.file}:{r.line}" for r in refs[:limit])
    return text + (f" and {len(refs) - limit} more" if len(refs) > limit else "")


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:.0f} days" if days >= 2 else f"{delta.total_seconds() / 3600:.0f} hours"


def check(flags: Mapping[str, FlagFacts], refs: Sequence[Reference], now: datetime, *, flags_file: str = "flags.yml",
          base_refs: Sequence[Reference] | None = None, did_you_mean=None) -> list[Finding]:
    """Every finding for the flags defined in ``flags_file`` and the references found in code, errors first."""
    findings: list[Finding] = []
    by_key: dict[str, list[Reference]] = {}
    for ref in refs:
        if ref.key is not None:
            by_key.setdefault(ref.key, []).append(ref)
    dynamic = [r for r in refs if r.dynamic]

    for key, key_refs in sorted(by_key.items()):
        if key in flags:
            continue
        guess = did_you_mean(key, flags) if did_you_mean else None
        for ref in key_refs:
            findings.append(Finding(
                "undefined-flag", "error", key,
                f"`{ref.call}` reads flag '{key}', which {flags_file} does not define: in production it serves the "
                "code default, whatever the flag store says",
                f"did you mean '{guess}'?" if guess else f"add '{key}' to {flags_file}, or remove this read",
                ref.file, ref.line))

    for key, facts in sorted(flags.items()):
        key_refs = by_key.get(key, [])
        if not key_refs:
            maybe = [r for r in dynamic if glob_covers(r.glob, key)]
            if maybe:
                findings.append(Finding(
                    "maybe-unused-flag", "notice", key,
                    f"no code reads '{key}' by name; the key computed at {_where(maybe)} ({maybe[0].glob}) may be it",
                    "write the key as a literal or a constant so the check can see it", flags_file, facts.line))
            else:
                findings.append(Finding(
                    "unused-flag", "warning", key, f"flag '{key}' is defined but no code reads it",
                    f"delete it from {flags_file}; if a wrapper reads it, list the wrapper under python.functions "
                    "in .rollwise/coderefs.yml", flags_file, facts.line))
            continue
        if (facts.served is None or facts.since is None or facts.stale_after is None
                or now - facts.since <= facts.stale_after):
            continue
        age = now - facts.since
        value = "the code default" if facts.served == CODE_DEFAULT else f"variant `{facts.served}`"
        for ref in key_refs:
            findings.append(Finding(
                "stale-flag", "warning", key,
                f"flag '{key}' has served {value} to everyone since {facts.since:%Y-%m-%d} ({_days(age)}, stale "
                f"after {_days(facts.stale_after)}); delete this read (`{ref.call}`) and keep only the code path for "
                f"{value}",
                f"delete the reads at {_where(key_refs)}, then remove '{key}' from {flags_file}", ref.file, ref.line))

    for ref in dynamic:
        findings.append(Finding(
            "dynamic-reference", "notice", ref.glob or "*",
            f"`{ref.call}` computes its flag key at run time ({ref.detail}); the check cannot tell which flag it is",
            "pass a literal or a module constant", ref.file, ref.line))

    if base_refs is not None:
        findings += reference_changes(refs, base_refs, flags)
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(findings, key=lambda f: (order[f.severity], f.rule, f.key, f.file or "", f.line or 0))


def reference_changes(head: Sequence[Reference], base: Sequence[Reference],
                      flags: Mapping[str, FlagFacts] | None = None) -> list[Finding]:
    """Notices for the flag reads a change adds or removes, counted per key and file (lines move, counts don't)."""
    head_count = Counter((r.key, r.file) for r in head if r.key is not None)
    base_count = Counter((r.key, r.file) for r in base if r.key is not None)
    head_keys = {key for key, _ in head_count}
    out = []
    for (key, file), count in sorted(head_count.items()):
        added = count - base_count.get((key, file), 0)
        if added > 0:
            first = next(r for r in head if r.key == key and r.file == file)
            out.append(Finding("reference-added", "notice", key,
                               f"this change adds {added} read(s) of flag '{key}' in {file}", "", file, first.line))
    for (key, file), count in sorted(base_count.items()):
        removed = count - head_count.get((key, file), 0)
        if removed > 0:
            gone = key not in head_keys
            fix = (f"no code reads '{key}' any more: delete it from flags.yml" if gone and (flags is None or key in flags)
                   else "")
            out.append(Finding("reference-removed", "notice", key,
                               f"this change removes {removed} read(s) of flag '{key}' from {file}", fix, file, None))
    return out


def counts(findings: Iterable[Finding]) -> dict[str, int]:
    found = Counter(f.severity for f in findings)
    return {severity: found.get(severity, 0) for severity in SEVERITIES}
