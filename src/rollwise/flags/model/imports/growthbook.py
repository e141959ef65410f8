"""GrowthBook features (the SDK payload, ``{"features": {...}}``) as ``flags.yml``.

GrowthBook flags carry values, not named variants: each distinct value becomes a variant named after it
(``true``/``false``, the string itself, the number, else ``value-N``). Rules keep their order: a ``force`` rule
serves its value; a rollout (``force`` with ``coverage``) and an experiment (``variations``, ``weights``,
``coverage``) become splits by ``hashAttribute``, with the users outside ``coverage`` getting ``defaultValue``.
GrowthBook lets those users fall through to later rules, rollwise does not, so such a split must be the last rule.
``condition`` (GrowthBook's MongoDB-like targeting) becomes conditions: ``$eq $ne $in $nin $gt $gte $lt $lte
$regex $veq $vne $vgt $vgte $vlt $vlte $and $or $not`` and plain equality.
"""

from __future__ import annotations

import json
import re
from typing import Any

from rollwise.flags.model.imports import Alternatives, Imported, Untranslatable, conjoin, percentages

_NUMBER = {"$gt": "gt", "$gte": "gte", "$lt": "lt", "$lte": "lte"}
_SEMVER = {"$veq": "semver_eq", "$vgt": "semver_gt", "$vgte": "semver_gte", "$vlt": "semver_lt", "$vlte": "semver_lte"}
_FORCE_KEYS = {"id", "condition", "force", "coverage", "hashAttribute", "seed", "hashVersion"}
_EXPERIMENT_KEYS = {"id", "key", "condition", "variations", "weights", "coverage", "hashAttribute", "seed",
                    "hashVersion", "meta", "name", "phase"}
FIX = "change it in GrowthBook first, or write the flag in flags.yml by hand (docs/flags/moving.md)"


def translate(data: Any) -> Imported:
    """Translate a parsed GrowthBook SDK payload; raises Untranslatable for what rollwise cannot express."""
    if not isinstance(data, dict) or not isinstance(data.get("features"), dict):
        raise Untranslatable((), None, "not a GrowthBook SDK payload: no `features` object at the top",
                             fix="save the SDK connection's payload (GET /api/features/<client key>)")
    imported = Imported(flags={})
    for key, feature in data["features"].items():
        try:
            imported.flags[key], notes = _flag(feature)
        except Untranslatable as exc:
            raise exc.within(("features", key), f"cannot translate GrowthBook feature '{key}': {exc.why}",
                             near=f'"{key}"') from None
        imported.notes += [f"{key}: {note}" for note in notes]
    return imported


class _Variants:
    """Names for values, in the order met; equal values share a name."""

    def __init__(self) -> None:
        self.by_value: dict[str, str] = {}
        self.values: dict[str, Any] = {}

    def name(self, value: Any) -> str:
        token = json.dumps(value, sort_keys=True)
        if token in self.by_value:
            return self.by_value[token]
        if isinstance(value, bool):
            name = "true" if value else "false"
        elif isinstance(value, (int, float)):
            name = str(value)
        elif isinstance(value, str) and re.fullmatch(r"[\w .:@/-]{1,40}", value):
            name = value
        else:
            name = f"value-{len(self.values) + 1}"
        while name in self.values:
            name += "-2"
        self.by_value[token], self.values[name] = name, value
        return name


def _flag(feature: Any) -> tuple[dict[str, Any], list[str]]:
    if not isinstance(feature, dict) or "defaultValue" not in feature or feature["defaultValue"] is None:
        raise Untranslatable(("defaultValue",), None, "it has no defaultValue")
    variants, notes = _Variants(), []
    default = variants.name(feature["defaultValue"])
    rules: list[dict[str, Any]] = []
    raw_rules = feature.get("rules") or []
    for i, rule in enumerate(raw_rules):
        where = ("rules", i)
        if not isinstance(rule, dict):
            raise Untranslatable(where, rule, "a rule must be an object")
        kind_keys = _EXPERIMENT_KEYS if "variations" in rule else _FORCE_KEYS
        unknown = sorted(set(rule) - kind_keys)
        if unknown:
            raise Untranslatable(where + (unknown[0],), rule[unknown[0]],
                                 f"`{unknown[0]}` (namespaces, filters, ranges, prerequisites and saved groups have "
                                 "no rollwise translation)")
        if "variations" not in rule and "force" not in rule:
            raise Untranslatable(where, rule, "a rule without `force` or `variations`")
        alternatives = _condition(rule.get("condition") or {}, where + ("condition",))
        serve, split = _serve(rule, variants, default, where)
        if split and i != len(raw_rules) - 1:
            raise Untranslatable(where, None, "a rollout or experiment that is not the last rule: GrowthBook lets the "
                                              "users it leaves out fall through to later rules, rollwise serves them "
                                              "the default")
        if split:
            notes.append(f"its split by {serve['by']} keeps the percentages, but rollwise hashes differently from "
                         "GrowthBook (FNV-1a of seed + attribute): the users in each bucket are not kept")
        for alternative in alternatives:
            out: dict[str, Any] = {"name": str(rule.get("id") or f"rule-{i + 1}")}
            if alternative:
                out["conditions"] = alternative
            out["serve"] = serve
            rules.append(out)
    flag: dict[str, Any] = {"variants": dict(variants.values), "default": default}
    if rules:
        flag["rules"] = rules
    return flag, notes


def _serve(rule: dict, variants: _Variants, default: str, where: tuple) -> tuple[Any, bool]:
    coverage = rule.get("coverage", 1)
    if isinstance(coverage, bool) or not isinstance(coverage, (int, float)) or not 0 <= coverage <= 1:
        raise Untranslatable(where + ("coverage",), coverage, "coverage must be a number from 0 to 1")
    if "variations" in rule:
        values = rule["variations"]
        weights = rule.get("weights") or [1 / len(values)] * len(values)
        if not values or len(weights) != len(values):
            raise Untranslatable(where + ("weights",), weights, "one weight per variation")
        shares = [(variants.name(v), w * coverage) for v, w in zip(values, weights)]
    else:
        shares = [(variants.name(rule["force"]), coverage)]
        if coverage == 1:
            return shares[0][0], False
    shares.append((default, 1 - coverage))
    merged: dict[str, float] = {}
    for name, share in shares:
        merged[name] = merged.get(name, 0) + max(share, 0)
    if len([s for s in merged.values() if s > 0]) == 1:
        return next(n for n, s in merged.items() if s > 0), False
    return {"rollout": percentages(list(merged.items())), "by": rule.get("hashAttribute") or "id"}, True


def _condition(condition: Any, where: tuple) -> Alternatives:
    if not isinstance(condition, dict):
        raise Untranslatable(where, condition, "a condition must be an object")
    out: Alternatives = [[]]
    for key, value in condition.items():
        here = where + (key,)
        if key == "$and" and isinstance(value, list):
            for i, part in enumerate(value):
                out = conjoin(out, _condition(part, here + (i,)), here, value)
        elif key == "$or" and isinstance(value, list):
            out = conjoin(out, [alt for i, part in enumerate(value) for alt in _condition(part, here + (i,))], here, value)
        elif key.startswith("$"):
            raise Untranslatable(here, {key: value}, f"`{key}` has no rollwise translation")
        else:
            out = conjoin(out, [_attribute(key, value, here)], here, value)
    return out


def _attribute(attribute: str, test: Any, where: tuple) -> list[dict[str, Any]]:
    if not isinstance(test, dict):
        if isinstance(test, (str, int, float, bool)):
            return [{"attribute": attribute, "op": "equals", "value": test}]
        raise Untranslatable(where, test, "equality with a list or null has no rollwise condition")
    if any(not op.startswith("$") for op in test):
        raise Untranslatable(where, test, "equality with an object has no rollwise condition")
    return [_operator(attribute, op, value, where + (op,)) for op, value in test.items()]


def _operator(attribute: str, op: str, value: Any, where: tuple) -> dict[str, Any]:
    if op == "$not" and isinstance(value, dict) and len(value) == 1:
        (inner, inner_value), = value.items()
        condition = _operator(attribute, inner, inner_value, where + (inner,))
        return {**condition, "negate": not condition.get("negate", False)}
    scalar = isinstance(value, (str, int, float, bool))
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if op in ("$eq", "$ne") and scalar:
        return {"attribute": attribute, "op": "equals" if op == "$eq" else "not_equals", "value": value}
    if op in ("$in", "$nin") and isinstance(value, list) and value and all(
            isinstance(v, (str, int, float, bool)) for v in value):
        return {"attribute": attribute, "op": "in" if op == "$in" else "not_in", "values": value}
    if op in _NUMBER and number:
        return {"attribute": attribute, "op": _NUMBER[op], "value": value}
    if op == "$regex" and isinstance(value, str):
        return {"attribute": attribute, "op": "matches", "value": value}
    if op in _SEMVER and isinstance(value, str):
        return {"attribute": attribute, "op": _SEMVER[op], "value": value}
    if op == "$vne" and isinstance(value, str):
        return {"attribute": attribute, "op": "semver_eq", "value": value, "negate": True}
    raise Untranslatable(where, {op: value}, f"`{op}` with {json.dumps(value)} has no rollwise translation")
