"""Unleash feature toggles as boolean flags in ``flags.yml``.

Reads either the export of one environment (``features``, ``featureStrategies``, ``featureEnvironments``,
``dependencies``) or the client API payload (``features`` with their ``strategies``, plus ``segments`` with their
constraints). A toggle is on when any of its strategies says yes, so every strategy becomes a rule serving
``true``; a partial ``flexibleRollout`` becomes a split, which rollwise rules cannot fall through, so it must be
the only partial rollout of the toggle and goes last. ``default`` is ``false``; a toggle off in the environment
is ``enabled: false`` with ``off: false``.
"""

from __future__ import annotations

import re
from typing import Any

from rollwise.flags.model.imports import Imported, Untranslatable

#: Unleash constraint operator -> (rollwise op, takes a list of values)
OPERATORS = {
    "IN": ("in", True), "NOT_IN": ("not_in", True),
    "STR_CONTAINS": ("contains", True), "STR_STARTS_WITH": ("starts_with", True), "STR_ENDS_WITH": ("ends_with", True),
    "NUM_EQ": ("equals", False), "NUM_GT": ("gt", False), "NUM_GTE": ("gte", False), "NUM_LT": ("lt", False),
    "NUM_LTE": ("lte", False),
    "DATE_AFTER": ("after", False), "DATE_BEFORE": ("before", False),
    "SEMVER_EQ": ("semver_eq", False), "SEMVER_GT": ("semver_gt", False), "SEMVER_GTE": ("semver_gte", False),
    "SEMVER_LT": ("semver_lt", False), "SEMVER_LTE": ("semver_lte", False),
    "REGEX": ("matches", False),
}
FIX = "change it in Unleash first, or write the flag in flags.yml by hand (docs/flags/moving.md)"


def _refused(where: tuple, why: str) -> Untranslatable:
    return Untranslatable(where, None, why)


def translate(data: Any) -> Imported:
    """Translate a parsed Unleash export (one environment) or client API payload; raises Untranslatable."""
    if not isinstance(data, dict) or not isinstance(data.get("features"), list):
        raise Untranslatable((), None, "not an Unleash export or client API payload: no `features` list at the top",
                             fix="export one environment (Export in the Unleash UI) or save GET /api/client/features")
    features, segments = _features(data)
    imported = Imported(flags={})
    for name, feature in features.items():
        try:
            imported.flags[name], notes = _flag(feature, segments)
        except Untranslatable as exc:
            raise exc.within(("features", name), f"cannot translate Unleash toggle '{name}': {exc.why}",
                             near=f'"{name}"') from None
        imported.notes += [f"{name}: {note}" for note in notes]
    return imported


def _features(data: dict) -> tuple[dict[str, dict], dict[Any, dict]]:
    """Toggles by name in the client payload's shape, and segments by id (with constraints when known)."""
    segments = {s.get("id"): s for s in data.get("segments") or [] if isinstance(s, dict)}
    if "featureStrategies" not in data:
        return {f["name"]: f for f in data["features"] if isinstance(f, dict) and "name" in f}, segments
    environments = {e.get("featureName") or e.get("name"): e for e in data.get("featureEnvironments") or []}
    dependencies = {d.get("feature"): d.get("dependencies") or [] for d in data.get("dependencies") or []}
    features = {}
    for feature in data["features"]:
        name = feature["name"]
        environment = environments.get(name, {})
        features[name] = {
            "name": name,
            "description": feature.get("description") or "",
            "enabled": environment.get("enabled", False),
            "variants": environment.get("variants") or [],
            "strategies": sorted((s for s in data["featureStrategies"] if s.get("featureName") == name),
                                 key=lambda s: s.get("sortOrder", 0)),
            "dependencies": dependencies.get(name, []),
        }
    return features, segments


def _flag(feature: dict, segments: dict) -> tuple[dict[str, Any], list[str]]:
    notes: list[str] = []
    if feature.get("variants"):
        raise _refused(("variants",), "it has variants (payloads chosen after the toggle is on); rollwise serves one "
                                      "value per flag, so write a multi-variant flag by hand")
    out: dict[str, Any] = {}
    if feature.get("description"):
        out["description"] = feature["description"]
    if not feature.get("enabled", False):
        out.update(enabled=False, off="false")
    prerequisites = []
    for i, dependency in enumerate(feature.get("dependencies") or []):
        if dependency.get("enabled") is False or dependency.get("variants"):
            raise _refused(("dependencies", i), "a dependency on the parent being off or serving given variants; "
                                                "rollwise prerequisites require the parent on")
        prerequisites.append({"flag": dependency["feature"]})
    if prerequisites:
        out["prerequisites"] = prerequisites
    rules, rollouts = [], []
    active = [(i, s) for i, s in enumerate(feature.get("strategies") or []) if not s.get("disabled")]
    for i, strategy in active:
        where = ("strategies", i)
        conditions = _constraints(strategy.get("constraints") or [], where)
        for j, segment_id in enumerate(strategy.get("segments") or []):
            segment = segments.get(segment_id)
            if segment is None or "constraints" not in segment:
                raise _refused(where + ("segments", j), f"segment {segment_id} comes without its constraints (an export "
                                                        "lists segment names only); import the client API payload")
            conditions += _constraints(segment["constraints"], where + ("segments", j))
        rule: dict[str, Any] = {"name": strategy.get("title") or f"{strategy.get('name')} {len(rules) + len(rollouts) + 1}"}
        if conditions:
            rule["conditions"] = conditions
        kind, parameters = strategy.get("name"), strategy.get("parameters") or {}
        if kind == "default":
            rule["serve"] = "true"
        elif kind == "userWithId":
            ids = [u.strip() for u in str(parameters.get("userIds", "")).split(",") if u.strip()]
            if not ids:
                continue  # no users: this strategy never says yes
            rule.setdefault("conditions", []).append({"attribute": "userId", "op": "in", "values": ids})
            rule["serve"] = "true"
        elif kind == "flexibleRollout":
            percent = _percent(parameters.get("rollout"), where)
            if percent == 0:
                continue
            if percent == 100:
                rule["serve"] = "true"
            else:
                stickiness = parameters.get("stickiness") or "default"
                if stickiness == "random":
                    raise _refused(where, "a random rollout (stickiness random); rollwise rollouts are sticky")
                by = "userId" if stickiness == "default" else stickiness
                rule["serve"] = {"rollout": {"true": percent, "false": round(100 - percent, 3)}, "by": by}
                notes.append(f"its {percent:g} % rollout is sticky by {by}, but rollwise hashes differently from "
                             "Unleash (murmur3 of groupId:id): the percentage is kept, the users in it are not")
                if stickiness == "default":
                    notes.append("Unleash's default stickiness falls back to sessionId or random without a userId; "
                                 "rollwise then serves the flag default (false)")
                rollouts.append(rule)
                continue
        else:
            raise _refused(where, f"the strategy '{kind}' has no rollwise translation (default, userWithId and "
                                  "flexibleRollout do)")
        rules.append(rule)
    if len(rollouts) > 1:
        raise _refused(("strategies",), "more than one partial rollout; rollwise stops at the first rule that "
                                        "matches, so only one split can sit last")
    rules += rollouts
    if not active and feature.get("enabled", False):
        out["default"] = "true"  # Unleash: on, with no strategy, means on for everyone
    else:
        out["default"] = "false"
    if rules:
        out["rules"] = rules
    return out, notes


def _percent(value: Any, where: tuple) -> float:
    try:
        percent = float(value)
    except (TypeError, ValueError):
        raise _refused(where + ("parameters", "rollout"), f"rollout {value!r} is not a number") from None
    if not 0 <= percent <= 100:
        raise _refused(where + ("parameters", "rollout"), f"rollout {percent:g} is outside 0..100")
    return round(percent, 3)


def _constraints(constraints: list, where: tuple) -> list[dict[str, Any]]:
    out = []
    for i, constraint in enumerate(constraints):
        here = where + ("constraints", i)
        operator = constraint.get("operator")
        if operator not in OPERATORS:
            raise _refused(here, f"the constraint operator {operator!r} has no rollwise translation")
        if constraint.get("caseInsensitive") and (operator.startswith("STR_") or operator in ("IN", "NOT_IN")):
            raise _refused(here, "a case-insensitive constraint; rollwise compares strings exactly")
        op, many = OPERATORS[operator]
        attribute = constraint.get("contextName")
        if not attribute:
            raise _refused(here, "a constraint without contextName")
        values = constraint.get("values") or ([constraint["value"]] if constraint.get("value") is not None else [])
        if not values:
            raise _refused(here, "a constraint without values")
        if op in ("equals", "gt", "gte", "lt", "lte"):
            values = [_number(v, here) for v in values]
        condition: dict[str, Any] = {"attribute": attribute, "op": op}
        condition.update({"values": list(values)} if many else {"value": values[0]})
        if constraint.get("inverted"):
            condition["negate"] = True
        out.append(condition)
    return out


def _number(value: Any, where: tuple) -> float | int:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
        return int(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _refused(where, f"{value!r} is not a number") from None
