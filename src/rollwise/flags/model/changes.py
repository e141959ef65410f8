"""Changes to a flag store and their audit record: pure data, plus the diff between two flag sets."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Audit:
    """Who changed flags, why, and from where: stored with every change in the same atomic step."""

    actor: str
    reason: str = ""
    run_url: str = ""
    sha: str = ""

    @classmethod
    def from_environment(cls, actor: str | None = None, reason: str = "", run_url: str | None = None,
                         sha: str | None = None) -> Audit:
        """Fill gaps from the GitHub Actions environment (GITHUB_ACTOR, the run URL, GITHUB_SHA) or $USER."""
        env = os.environ
        if run_url is None and env.get("GITHUB_RUN_ID"):
            run_url = (f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env.get('GITHUB_REPOSITORY', '')}"
                       f"/actions/runs/{env['GITHUB_RUN_ID']}")
        return cls(
            actor=actor or env.get("GITHUB_ACTOR") or env.get("USER") or "unknown",
            reason=reason,
            run_url=run_url or "",
            sha=sha if sha is not None else env.get("GITHUB_SHA", ""),
        )


@dataclass(frozen=True)
class Change:
    """One flag or segment write. ``before``/``after`` are the flags-as-code forms (None: absent).

    ``expected_version`` is the version the writer read (0: must not exist); the store refuses the whole
    change set if any of them moved meanwhile.
    """

    kind: str  # "flag" or "segment"
    key: str
    before: Mapping[str, Any] | None
    after: Mapping[str, Any] | None
    expected_version: int = 0

    @property
    def action(self) -> str:
        if self.before is None:
            return "create"
        if self.after is None:
            return "delete"
        return "update"

    def fields(self) -> list[dict[str, Any]]:
        """Differences down to the changed leaves (``rules[1].serve.rollout.true``), for reports and audit."""
        return _leaf_diff(self.before or {}, self.after or {}, "")

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "key": self.key, "action": self.action, "before": self.before,
                "after": self.after, "fields": self.fields()}


@dataclass(frozen=True)
class AuditEntry:
    """One committed change set, as read back from the audit log."""

    version: int
    at: str
    audit: Audit
    changes: list[dict[str, Any]] = field(default_factory=list)
    id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "version": self.version, "at": self.at, **asdict(self.audit), "changes": self.changes}


_ABSENT = object()


def _leaf_diff(before: Any, after: Any, path: str) -> list[dict[str, Any]]:
    if isinstance(before, dict) and isinstance(after, dict):
        common = [k for k in before if k in after]
        # a reordered rollout moves users although every value is equal: report the mapping as a whole
        if common == [k for k in after if k in before] or not path:
            out = []
            for key in [*after, *(k for k in before if k not in after)]:
                out += _leaf_diff(before.get(key, _ABSENT), after.get(key, _ABSENT), f"{path}.{key}" if path else key)
            return out
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        out = []
        for index, (old, new) in enumerate(zip(before, after)):
            out += _leaf_diff(old, new, f"{path}[{index}]")
        return out
    if before is not _ABSENT and after is not _ABSENT and same_definition(before, after):
        return []
    return [{"field": path, "before": None if before is _ABSENT else before,
             "after": None if after is _ABSENT else after}]


def same_definition(a: Any, b: Any) -> bool:
    """Equal including mapping order: the order of a rollout's variants decides who gets which."""
    return json.dumps(a, sort_keys=False, default=str) == json.dumps(b, sort_keys=False, default=str)


def diff_raw(current: Mapping[str, Mapping[str, Any]], desired: Mapping[str, Mapping[str, Any]],
             versions: Mapping[str, int], kind: str, prune: bool = True) -> list[Change]:
    """Changes that turn ``current`` definitions into ``desired`` ones (only what differs)."""
    changes = []
    for key, after in desired.items():
        before = current.get(key)
        if not same_definition(before, after):
            changes.append(Change(kind, key, before, after, versions.get(key, 0)))
    if prune:
        for key, before in current.items():
            if key not in desired:
                changes.append(Change(kind, key, before, None, versions.get(key, 0)))
    return changes
