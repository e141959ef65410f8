"""The flag model: flags, variants, rules, segments and prerequisites, plus the evaluation result.

Everything here is immutable and free of I/O. ``validation`` builds these objects from ``flags.yml`` (or the
JSON stored in Redis) with conditions already compiled, so evaluation walks no parse tree per call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = "rollwise/flags/v1"

#: OpenFeature reasons, plus the prerequisite failure that OpenFeature leaves to providers.
STATIC = "STATIC"
DEFAULT = "DEFAULT"
TARGETING_MATCH = "TARGETING_MATCH"
SPLIT = "SPLIT"
DISABLED = "DISABLED"
ERROR = "ERROR"
PREREQUISITE_FAILED = "PREREQUISITE_FAILED"

#: OpenFeature error codes used by evaluation.
FLAG_NOT_FOUND = "FLAG_NOT_FOUND"
TYPE_MISMATCH = "TYPE_MISMATCH"
TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
GENERAL = "GENERAL"

#: Context attribute holding the subject's identity (OpenFeature's targeting key).
TARGETING_KEY = "targetingKey"

Predicate = Callable[[Mapping[str, Any]], bool]


@dataclass(frozen=True, slots=True)
class Evaluation:
    """The result of evaluating one flag for one context.

    ``value`` is what the application uses; ``variant`` names it (None when the caller's default was
    served); ``reason`` is an OpenFeature reason; ``version`` is the store version of the flag definition
    used, so every evaluation can be tied to the change that produced it; ``stale`` is True while the
    client serves last-known values because the store is unreachable.
    """

    key: str
    value: Any
    variant: str | None
    reason: str
    version: int = 0
    rule: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    stale: bool = False


@dataclass(frozen=True, slots=True)
class Condition:
    """One attribute test of a rule or segment; ``test`` is the compiled predicate."""

    attribute: str
    op: str
    values: tuple[Any, ...]
    negate: bool
    test: Predicate = field(compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class Segment:
    """A reusable group: explicit includes and excludes by targeting key, else all conditions hold."""

    key: str
    include: frozenset[str] = frozenset()
    exclude: frozenset[str] = frozenset()
    conditions: tuple[Condition, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def matches(self, context: Mapping[str, Any]) -> bool:
        target = context.get(TARGETING_KEY)
        if target is not None:
            if target in self.include:
                return True
            if target in self.exclude:
                return False
        if not self.conditions:
            return False
        return all(c.test(context) for c in self.conditions)


@dataclass(frozen=True, slots=True)
class Serve:
    """What a rule (or the flag default) serves: one variant, or a sticky percentage split.

    ``weights`` are cumulative upper bounds in bucket units (``bucketing.BUCKETS`` = 100 %), in the
    order the variants were written, so growing a percentage only moves users out of the later variants.
    """

    variant: str | None = None
    split: tuple[tuple[str, int], ...] = ()
    by: str = TARGETING_KEY

    @property
    def is_split(self) -> bool:
        return bool(self.split)

    def percentages(self) -> dict[str, float]:
        """The split as percentages per variant (for reports)."""
        out, previous = {}, 0
        for name, upper in self.split:
            out[name] = (upper - previous) / 1000
            previous = upper
        return out


@dataclass(frozen=True, slots=True)
class Rule:
    """A targeting rule: when every condition and every segment matches, serve ``serve``."""

    name: str
    conditions: tuple[Condition, ...]
    segments: tuple[str, ...]
    serve: Serve


@dataclass(frozen=True, slots=True)
class Prerequisite:
    """Flag ``flag`` must be on for the same context and, when ``variants`` is given, serve one of them."""

    flag: str
    variants: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Flag:
    """One flag. ``enabled`` is the kill switch: False beats every rule, target and prerequisite."""

    key: str
    variants: Mapping[str, Any]
    default: Serve
    enabled: bool = True
    off: str | None = None
    salt: str = ""
    description: str = ""
    prerequisites: tuple[Prerequisite, ...] = ()
    targets: Mapping[str, str] = field(default_factory=dict)  # targeting key -> variant
    rules: tuple[Rule, ...] = ()
    version: int = 0
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    #: memo of the immutable results this flag has produced, keyed by (variant, reason, rule)
    results: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def is_static(self) -> bool:
        return not (self.prerequisites or self.targets or self.rules or self.default.is_split)


@dataclass(frozen=True)
class FlagSet:
    """All flags and segments at one store version."""

    flags: Mapping[str, Flag]
    segments: Mapping[str, Segment] = field(default_factory=dict)
    version: int = 0

    def with_dependents(self, keys: list[str]) -> list[str]:
        """``keys`` plus every flag that depends on one of them through prerequisites, at any depth."""
        dependents: dict[str, list[str]] = {}
        for key, flag in self.flags.items():
            for prereq in flag.prerequisites:
                dependents.setdefault(prereq.flag, []).append(key)
        found, todo = set(keys), list(keys)
        while todo:
            for dependent in dependents.get(todo.pop(), ()):
                if dependent not in found:
                    found.add(dependent)
                    todo.append(dependent)
        return sorted(found)

    def raw(self) -> dict[str, Any]:
        """The flags-as-code form (what ``flags.yml`` holds)."""
        return {
            "version": SCHEMA_VERSION,
            "segments": {key: dict(segment.raw) for key, segment in self.segments.items()},
            "flags": {key: dict(flag.raw) for key, flag in self.flags.items()},
        }


def value_kind(value: Any) -> str:
    """The flag type a variant value belongs to."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"
