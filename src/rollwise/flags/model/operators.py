"""Condition operators: each compiles (attribute, values) once into a predicate over a context mapping.

A missing attribute never matches, whatever the operator (``not_in`` included): a user we know nothing
about is not targeted. ``negate`` inverts a predicate only when the attribute is present.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

Predicate = Callable[[Mapping[str, Any]], bool]

STRING_OPS = ("contains", "starts_with", "ends_with")
NUMBER_OPS = ("lt", "lte", "gt", "gte")
SEMVER_OPS = ("semver_eq", "semver_lt", "semver_lte", "semver_gt", "semver_gte")
DATE_OPS = ("before", "after")
OPERATORS = ("in", "not_in", "equals", "not_equals", *STRING_OPS, "matches", *NUMBER_OPS, *SEMVER_OPS, *DATE_OPS)

_SEMVER = re.compile(
    r"^v?(0|[1-9]\d*)(?:\.(0|[1-9]\d*))?(?:\.(0|[1-9]\d*))?"
    r"(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$"
)


def parse_semver(text: Any) -> tuple | None:
    """A sortable key for a semantic version (``v`` prefix and missing minor/patch allowed), or None."""
    if not isinstance(text, str):
        return None
    match = _SEMVER.match(text.strip())
    if not match:
        return None
    major, minor, patch, pre = match.groups()
    core = (int(major), int(minor or 0), int(patch or 0))
    if pre is None:
        # a release sorts after all of its pre-releases
        return (*core, 1, ())
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (*core, 0, ids)


def parse_date(value: Any) -> float | None:
    """Unix seconds from an RFC 3339 string, a datetime, or a number of seconds; None if unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _lookup(attribute: str) -> Callable[[Mapping[str, Any]], Any]:
    """A getter for ``attribute``; dotted names reach into nested mappings."""
    if "." not in attribute:
        return lambda ctx: ctx.get(attribute)
    parts = attribute.split(".")

    def get(ctx: Mapping[str, Any]) -> Any:
        node: Any = ctx
        for part in parts:
            if not isinstance(node, Mapping):
                return None
            node = node.get(part)
        return node

    return get


def _test(op: str, values: tuple[Any, ...]) -> Callable[[Any], bool]:
    """The comparison for a present attribute value."""
    if op in ("in", "not_in", "equals", "not_equals"):
        # a set makes `in` O(1) for long lists; a list-valued attribute (groups: [a, b]) matches on any element
        wanted = frozenset(v for v in values if not isinstance(v, (dict, list)))

        def member(v: Any) -> bool:
            if isinstance(v, list):
                return any(isinstance(x, (str, int, float)) and x in wanted for x in v)
            return isinstance(v, (str, int, float)) and v in wanted

        return member if op in ("in", "equals") else (lambda v: not member(v))
    if op in STRING_OPS:
        needles = tuple(str(v) for v in values)
        if op == "contains":
            return lambda v: isinstance(v, str) and any(n in v for n in needles)
        if op == "starts_with":
            return lambda v: isinstance(v, str) and v.startswith(needles)
        return lambda v: isinstance(v, str) and v.endswith(needles)
    if op == "matches":
        patterns = tuple(re.compile(str(v)) for v in values)
        return lambda v: isinstance(v, str) and any(p.search(v) for p in patterns)
    if op in NUMBER_OPS:
        limit = _number(values[0])
        compare = {"lt": float.__lt__, "lte": float.__le__, "gt": float.__gt__, "gte": float.__ge__}[op]
        return lambda v: (n := _number(v)) is not None and compare(n, limit)
    if op in SEMVER_OPS:
        target = parse_semver(values[0])
        compare = {"semver_eq": tuple.__eq__, "semver_lt": tuple.__lt__, "semver_lte": tuple.__le__,
                   "semver_gt": tuple.__gt__, "semver_gte": tuple.__ge__}[op]
        return lambda v: (s := parse_semver(v)) is not None and compare(s, target)
    if op in DATE_OPS:
        moment = parse_date(values[0])
        if op == "before":
            return lambda v: (d := parse_date(v)) is not None and d < moment
        return lambda v: (d := parse_date(v)) is not None and d > moment
    raise ValueError(f"unknown operator {op!r}")


def compile_condition(attribute: str, op: str, values: tuple[Any, ...], negate: bool = False) -> Predicate:
    """A predicate over a context: attribute present and the operator holds (inverted by ``negate``)."""
    test = _test(op, values)
    if "." not in attribute and op in ("in", "equals") and not negate:
        # the common targeting case, kept to one call: a string attribute looked up in a set
        wanted = frozenset(v for v in values if isinstance(v, str))

        def member(ctx: Mapping[str, Any]) -> bool:
            v = ctx.get(attribute)
            if v.__class__ is str:
                return v in wanted
            return v is not None and test(v)

        return member
    get = _lookup(attribute)
    if negate:
        return lambda ctx: (v := get(ctx)) is not None and not test(v)
    return lambda ctx: (v := get(ctx)) is not None and test(v)
