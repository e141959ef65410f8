"""Pure flag evaluation: (flag set, key, context, default) -> Evaluation. No I/O, never raises.

Order (documented in docs/flags/model.md): kill switch -> prerequisites -> individual targets -> rules in
order -> the flag default. Any failure returns the caller's default with reason ERROR and an error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rollwise.flags.model import (
    DEFAULT,
    DISABLED,
    ERROR,
    FLAG_NOT_FOUND,
    GENERAL,
    PREREQUISITE_FAILED,
    SPLIT,
    STATIC,
    TARGETING_KEY,
    TARGETING_KEY_MISSING,
    TARGETING_MATCH,
    TYPE_MISMATCH,
    Evaluation,
    Flag,
    FlagSet,
    Serve,
)
from rollwise.flags.model.bucketing import bucket, choose, stickiness_value

_EMPTY: Mapping[str, Any] = {}


class _Cycle(Exception):
    """A prerequisite cycle met at evaluation time (validation refuses them; a partial update may not)."""


def evaluate(flagset: FlagSet, key: str, context: Mapping[str, Any] | None = None, default: Any = None) -> Evaluation:
    """Evaluate flag ``key`` for ``context``; ``default`` is served on errors and when nothing else applies."""
    flag = flagset.flags.get(key)
    if flag is None:
        return Evaluation(key, default, None, ERROR, error_code=FLAG_NOT_FOUND,
                          error_message=f"flag '{key}' does not exist (version {flagset.version})")
    try:
        variant, reason, rule, error = _resolve(flagset, flag, context or _EMPTY, None)
    except _Cycle as exc:
        return Evaluation(key, default, None, ERROR, flag.version, error_code=GENERAL, error_message=str(exc))
    except Exception as exc:  # noqa: BLE001 - evaluation must never raise into the application
        return Evaluation(key, default, None, ERROR, flag.version, error_code=GENERAL,
                          error_message=f"{type(exc).__name__}: {exc}")
    if error is not None:
        return Evaluation(key, default, None, ERROR, flag.version, rule, error_code=error[0], error_message=error[1])
    if variant is None:
        return Evaluation(key, default, None, reason, flag.version, rule)
    value = flag.variants[variant]
    if default is not None and default.__class__ is not value.__class__ and not _same_kind(value, default):
        return Evaluation(key, default, None, ERROR, flag.version, rule, error_code=TYPE_MISMATCH,
                          error_message=f"flag '{key}' serves {type(value).__name__}, the default is {type(default).__name__}")
    # results are immutable, so each distinct outcome of a flag version is built once and shared
    memo = (variant, reason, rule)
    result = flag.results.get(memo)
    if result is None:
        result = flag.results[memo] = Evaluation(key, value, variant, reason, flag.version, rule)
    return result


def _same_kind(value: Any, default: Any) -> bool:
    if isinstance(value, bool) or isinstance(default, bool):
        return isinstance(value, bool) and isinstance(default, bool)
    if isinstance(value, (int, float)):
        return isinstance(default, (int, float))
    if isinstance(value, str):
        return isinstance(default, str)
    return isinstance(default, (dict, list))


def _resolve(flagset: FlagSet, flag: Flag, context: Mapping[str, Any], stack: tuple[str, ...] | None):
    """(variant or None for the code default, reason, rule name, (error code, message) or None)."""
    if not flag.enabled:
        return flag.off, DISABLED, None, None
    if flag.prerequisites:
        stack = (flag.key,) if stack is None else stack
        for prereq in flag.prerequisites:
            if prereq.flag in stack:
                raise _Cycle("prerequisite cycle: " + " -> ".join((*stack, prereq.flag)))
            parent = flagset.flags.get(prereq.flag)
            if parent is None:
                return flag.off, PREREQUISITE_FAILED, prereq.flag, None
            variant, reason, _, error = _resolve(flagset, parent, context, (*stack, prereq.flag))
            if error is not None or reason in (DISABLED, PREREQUISITE_FAILED) or variant is None:
                return flag.off, PREREQUISITE_FAILED, prereq.flag, None
            met = variant in prereq.variants if prereq.variants else parent.variants[variant] is not False
            if not met:
                return flag.off, PREREQUISITE_FAILED, prereq.flag, None
    if flag.targets:
        target = context.get(TARGETING_KEY)
        if target is not None and (variant := flag.targets.get(str(target))) is not None:
            return variant, TARGETING_MATCH, "targets", None
    for rule in flag.rules:
        for condition in rule.conditions:
            if not condition.test(context):
                break
        else:
            if rule.segments and not all(flagset.segments[s].matches(context) for s in rule.segments):
                continue
            serve = rule.serve
            if serve.variant is not None:
                return serve.variant, TARGETING_MATCH, rule.name, None
            variant = _split(flag, serve, context)
            if variant is not None:
                return variant, SPLIT, rule.name, None
            # no stickiness value: this rule's rollout cannot place the user, so the next rule decides
    serve = flag.default
    if serve.variant is not None:
        return serve.variant, STATIC if flag.is_static else DEFAULT, None, None
    variant = _split(flag, serve, context)
    if variant is None:
        return None, ERROR, "default", (TARGETING_KEY_MISSING,
                                         f"flag '{flag.key}' rolls out by '{serve.by}', which the context lacks")
    return variant, SPLIT, "default", None


def _split(flag: Flag, serve: Serve, context: Mapping[str, Any]) -> str | None:
    value = stickiness_value(context.get(serve.by))
    if value is None:
        return None
    return choose(serve.split, bucket(flag.salt, value))
