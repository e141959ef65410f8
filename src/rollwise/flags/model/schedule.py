"""Scheduled flag changes (``schedule:`` in flags.yml): validation and the decision of what is due. Pure.

An entry changes its flag at a time: ``enabled: true`` turns it on, ``enabled: false`` kills it, ``rollout: 25``
serves a variant to 25 %. ``rollwise flags run-schedule`` applies what is due; each application writes its
entry's marker into the audit entry of the change, so an entry the log shows as applied is never applied again
(a second run is a no-op, and a later manual change is not overwritten by a replay).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from rollwise.flags.model.changes import AuditEntry

MARKER = re.compile(r"\[schedule ([^\]\s]+)\]")


@dataclass(frozen=True)
class ScheduledChange:
    """One ``schedule:`` entry of flag ``key``; exactly one of ``enabled`` and ``rollout`` is set."""

    key: str
    at: datetime
    enabled: bool | None = None
    rollout: float | None = None
    variant: str | None = None
    rule: str | None = None
    index: int = 0

    @property
    def id(self) -> str:
        return f"{self.key}@{self.at.astimezone(timezone.utc):%Y-%m-%dT%H:%M:%SZ}"

    @property
    def marker(self) -> str:
        return f"[schedule {self.id}]"

    def describe(self) -> str:
        if self.enabled is not None:
            return "enable" if self.enabled else "kill"
        target = f" of rule '{self.rule}'" if self.rule else ""
        variant = f" variant '{self.variant}'" if self.variant else ""
        return f"rollout{variant}{target} to {self.rollout:g} %"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "key": self.key, "at": self.at.astimezone(timezone.utc).isoformat(),
                "change": self.describe(), "enabled": self.enabled, "rollout": self.rollout,
                "variant": self.variant, "rule": self.rule}


def parse_at(value: Any) -> datetime | None:
    """An RFC 3339 time with a zone (``2026-12-01T09:00:00Z``), or None: a time without a zone is ambiguous."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo is not None else None


def entries(key: str, raw: Mapping[str, Any]) -> list[ScheduledChange]:
    """The schedule of a (validated) flag definition, in time order."""
    out = []
    for index, item in enumerate(raw.get("schedule") or []):
        at = parse_at(item.get("at"))
        if at is None:
            continue  # validation refuses these; a stored definition written by hand is skipped, not guessed
        out.append(ScheduledChange(key, at, item.get("enabled"), item.get("rollout"), item.get("variant"),
                                   item.get("rule"), index))
    return sorted(out, key=lambda c: c.at)


def validate(key: str, raw: Mapping[str, Any], variants: Mapping[str, Any], rules: Sequence[str], error) -> None:
    """Refuse entries that could not be applied: ``error(path, problem, fix)`` builds the located ConfigError."""
    seen: dict[datetime, int] = {}
    for index, item in enumerate(raw.get("schedule") or []):
        path = ("schedule", index)
        at = parse_at(item.get("at"))
        if at is None:
            raise error(path + ("at",), f"'{item.get('at')}' is not a time with a time zone",
                        "write an RFC 3339 time such as 2026-12-01T09:00:00Z")
        if at in seen:
            raise error(path + ("at",), f"schedule[{seen[at]}] is at the same time",
                        "give each entry its own time; one entry makes one change")
        seen[at] = index
        actions = [name for name in ("enabled", "rollout") if name in item]
        if len(actions) != 1:
            raise error(path, "an entry makes exactly one change; it has " + (" and ".join(actions) or "none"),
                        "write `enabled: true` (turn on), `enabled: false` (kill) or `rollout: <percent>`")
        if "enabled" in item and ("variant" in item or "rule" in item):
            raise error(path, "`variant` and `rule` belong to a `rollout` entry", "remove them or use `rollout:`")
        if "rollout" not in item:
            continue
        variant = item.get("variant")
        if variant is not None and variant not in variants:
            raise error(path + ("variant",), f"unknown variant '{variant}'", "use one of: " + ", ".join(variants))
        if variant is None and not any(value is True for value in variants.values()):
            raise error(path, f"flag '{key}' has no variant valued true to roll out",
                        "name the variant: `variant: <name>`")
        rule = item.get("rule")
        if rule is not None and rule not in rules:
            raise error(path + ("rule",), f"flag '{key}' has no rule '{rule}'",
                        "name one of: " + (", ".join(rules) or "(the flag has no rules)"))


def applied(history: Iterable[AuditEntry]) -> set[str]:
    """Ids of the entries the audit log shows as applied."""
    return {match for entry in history for match in MARKER.findall(entry.audit.reason or "")}


def due(changes: Iterable[ScheduledChange], done: set[str], now: datetime) -> list[ScheduledChange]:
    """Entries whose time has come and that the log does not show as applied, oldest first."""
    return sorted((c for c in changes if c.at <= now and c.id not in done), key=lambda c: c.at)


def upcoming(changes: Iterable[ScheduledChange], now: datetime) -> list[ScheduledChange]:
    return sorted((c for c in changes if c.at > now), key=lambda c: c.at)
