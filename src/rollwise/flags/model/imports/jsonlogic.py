"""JSON Logic targeting (flagd's dialect) as rollwise rules: ``if`` chains, comparisons, ``fractional``.

Conditions become disjunctive normal form (a list of alternatives, each a list of rollwise conditions), so
``or`` turns into several rules serving the same thing and ``and`` into the conditions of one rule. Rules keep
JSON Logic's order: the first branch that matches decides, as in an ``if`` chain. Anything else raises
:class:`Untranslatable` with the expression and where it sits.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rollwise.flags.model import TARGETING_KEY
from rollwise.flags.model.imports import (
    MAX_ALTERNATIVES,
    Alternatives,
    Conjunction,
    Untranslatable,
    conjoin,
    percentages,
)
from rollwise.flags.model.operators import parse_semver

_COMPARE = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte"}
_MIRROR = {"<": ">", "<=": ">=", ">": "<", ">=": "<="}
_SEMVER = {"=": "semver_eq", "<": "semver_lt", "<=": "semver_lte", ">": "semver_gt", ">=": "semver_gte"}


class Targeting:
    """Translate one flag's targeting; ``variants`` are its variant names, ``default`` its default variant."""

    def __init__(self, variants: Mapping[str, Any], default: str | None,
                 resolve_ref: Callable[[str], Any] | None = None) -> None:
        self.variants, self.default = variants, default
        self.resolve_ref = resolve_ref or (lambda name: None)
        self.notes: list[str] = []

    # -- the targeting tree -------------------------------------------------------------------------------
    def translate(self, targeting: Any) -> tuple[list[dict[str, Any]], Any]:
        """(rules, default serve or None to keep the flag's defaultVariant)."""
        targeting = self._inline(targeting, ("targeting",))
        if targeting in (None, {}):
            return [], None
        if isinstance(targeting, dict) and set(targeting) == {"fractional"}:
            return [], self._fractional(targeting["fractional"], ("targeting", "fractional"))
        rules = self._branches(targeting, ("targeting",), [[]])
        # trailing "serve the default" rules change nothing (the flag default follows anyway)
        while rules and rules[-1].get("_default"):
            rules.pop()
        named = []
        for index, rule in enumerate(rules, 1):
            rule.pop("_default", None)
            named.append({"name": f"rule-{index}", **rule})
        return named, None

    def _branches(self, expr: Any, where: tuple, prefix: Alternatives) -> list[dict[str, Any]]:
        """Rules for a value position of an ``if``: a variant, null, a nested ``if``, or ``fractional``."""
        if isinstance(expr, dict) and set(expr) == {"if"}:
            args = expr["if"]
            if not isinstance(args, list) or not args:
                raise Untranslatable(where, expr, "`if` needs a list of condition, value, ... [else]")
            rules: list[dict[str, Any]] = []
            for i in range(0, len(args) - 1, 2):
                condition = self.conditions(args[i], where + ("if", i))
                rules += self._branches(args[i + 1], where + ("if", i + 1), conjoin(prefix, condition, where, args[i]))
            if len(args) % 2:
                rules += self._branches(args[-1], where + ("if", len(args) - 1), prefix)
            elif prefix != [[]]:
                # an inner `if` without else yields null: flagd then serves the default, not a later branch
                rules += self._rules(prefix, self._default_serve(where), default=True)
            return rules
        if isinstance(expr, dict) and set(expr) == {"fractional"}:
            return self._rules(prefix, self._fractional(expr["fractional"], where + ("fractional",)))
        if expr is None or expr == "":
            return self._rules(prefix, self._default_serve(where), default=True)
        return self._rules(prefix, self._variant(expr, where))

    def _rules(self, alternatives: Alternatives, serve: Any, default: bool = False) -> list[dict[str, Any]]:
        out = []
        for conjunction in alternatives:
            rule: dict[str, Any] = {"conditions": conjunction} if conjunction else {}
            rule["serve"] = serve
            if default:
                rule["_default"] = True
            out.append(rule)
        return out

    def _default_serve(self, where: tuple) -> str:
        if self.default is None:
            raise Untranslatable(where, None, "a branch yields null (the default variant) but the flag has none")
        return self.default

    def _variant(self, expr: Any, where: tuple) -> str:
        name = ("true" if expr else "false") if isinstance(expr, bool) else expr
        if not isinstance(name, str):
            raise Untranslatable(where, expr, "a branch must yield a variant name")
        if name not in self.variants:
            raise Untranslatable(where, expr, f"'{name}' is not a variant of this flag ({', '.join(self.variants)})")
        return name

    def _inline(self, expr: Any, where: tuple) -> Any:
        if isinstance(expr, dict):
            if set(expr) == {"$ref"}:
                found = self.resolve_ref(expr["$ref"])
                if found is None:
                    raise Untranslatable(where, expr, f"no shared evaluator '{expr['$ref']}' under `$evaluators`")
                return self._inline(found, where)
            return {k: self._inline(v, where + (k,)) for k, v in expr.items()}
        if isinstance(expr, list):
            return [self._inline(v, where + (i,)) for i, v in enumerate(expr)]
        return expr

    # -- fractional ---------------------------------------------------------------------------------------
    def _fractional(self, args: Any, where: tuple) -> dict[str, Any]:
        if not isinstance(args, list) or not args:
            raise Untranslatable(where, {"fractional": args}, "`fractional` needs [bucket-by?, [variant, weight], ...]")
        by = TARGETING_KEY
        if not isinstance(args[0], list):
            by = self._bucket_by(args[0], where + (0,))
            args = args[1:]
        weights = []
        for i, entry in enumerate(args):
            if not isinstance(entry, list) or not 1 <= len(entry) <= 2 or not isinstance(entry[0], str):
                raise Untranslatable(where + (i,), entry, "each `fractional` entry is [variant, weight]")
            weight = entry[1] if len(entry) == 2 else 1
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
                raise Untranslatable(where + (i,), entry, "a `fractional` weight must be a number >= 0")
            weights.append((self._variant(entry[0], where + (i, 0)), weight))
        if not weights or sum(w for _, w in weights) <= 0:
            raise Untranslatable(where, {"fractional": args}, "`fractional` weights add up to 0")
        serve: dict[str, Any] = {"rollout": percentages(weights)}
        if by != TARGETING_KEY:
            serve["by"] = by
        self.notes.append(f"its `fractional` split is sticky by {by}, but rollwise hashes differently from flagd: "
                          "the percentages are kept, the users in each bucket are not")
        return serve

    def _bucket_by(self, expr: Any, where: tuple) -> str:
        if isinstance(expr, dict) and set(expr) == {"cat"} and isinstance(expr["cat"], list) and len(expr["cat"]) == 2:
            first, second = expr["cat"]
            if _var_name(first) == "$flagd.flagKey" and (name := _var_name(second)) and not name.startswith("$"):
                return name  # flagd's own default: flag key + attribute, which rollwise's salt plays the part of
        name = _var_name(expr)
        if name and not name.startswith("$"):
            return name
        raise Untranslatable(where, expr, "`fractional` can bucket by one context attribute only")

    # -- conditions ---------------------------------------------------------------------------------------
    def conditions(self, expr: Any, where: tuple) -> Alternatives:
        """A JSON Logic condition as alternatives of rollwise conditions."""
        if not isinstance(expr, dict) or len(expr) != 1:
            raise Untranslatable(where, expr, "a condition must be one JSON Logic operation")
        (op, args), = expr.items()
        if op == "and" and isinstance(args, list) and args:
            out: Alternatives = [[]]
            for i, part in enumerate(args):
                out = conjoin(out, self.conditions(part, where + ("and", i)), where, expr)
            return out
        if op == "or" and isinstance(args, list) and args:
            out = [alt for i, part in enumerate(args) for alt in self.conditions(part, where + ("or", i))]
            if len(out) > MAX_ALTERNATIVES:
                raise Untranslatable(where, expr, f"expands into more than {MAX_ALTERNATIVES} rules")
            return out
        if op == "var":
            return [[self._condition(self._attribute(expr, where), "equals", True, where, expr)]]
        if op == "!!":
            inner = args[0] if isinstance(args, list) and len(args) == 1 else args
            if _var_name(inner) is not None:
                return [[self._condition(self._attribute(inner, where), "equals", True, where, expr)]]
        if op == "!":
            inner = args[0] if isinstance(args, list) and len(args) == 1 else args
            if _var_name(inner) is not None:
                return [[self._condition(self._attribute(inner, where), "equals", False, where, expr)]]
            negated = self.conditions(inner, where + ("!",))
            if len(negated) == 1 and len(negated[0]) == 1:
                condition = dict(negated[0][0])
                condition["negate"] = not condition.get("negate", False)
                if not condition["negate"]:
                    del condition["negate"]
                return [[condition]]
            raise Untranslatable(where, expr, "`!` is translated only around a single comparison")
        if not isinstance(args, list):
            raise Untranslatable(where, expr, f"`{op}` needs a list of arguments")
        try:
            return [self._comparison(op, args, where, expr)]
        except Untranslatable as exc:
            if exc.expression is expr:
                raise
            raise Untranslatable(exc.where, expr, exc.why) from None  # show the whole comparison

    def _comparison(self, op: str, args: list, where: tuple, expr: Any) -> Conjunction:
        if op in ("==", "===", "!=", "!==") and len(args) == 2:
            attribute, value = self._operands(args, where, expr)
            return [self._condition(attribute, "equals" if op in ("==", "===") else "not_equals", value, where, expr)]
        if op == "in" and len(args) == 2:
            if _var_name(args[0]) is not None and isinstance(args[1], list):
                values = args[1]
                if not values or not all(_scalar(v) for v in values):
                    raise Untranslatable(where, expr, "`in` needs a non-empty list of plain values")
                return [self._condition(self._attribute(args[0], where), "in", values, where, expr, many=True)]
            if isinstance(args[0], str) and _var_name(args[1]) is not None:
                return [self._condition(self._attribute(args[1], where), "contains", args[0], where, expr)]
        if op in ("starts_with", "ends_with") and len(args) == 2 and isinstance(args[1], str):
            return [self._condition(self._attribute(args[0], where), op, args[1], where, expr)]
        if op in _COMPARE and len(args) == 3 and _var_name(args[1]) is not None:
            attribute = self._attribute(args[1], where)
            low, high = args[0], args[2]
            if _number(low) and _number(high):
                return [self._condition(attribute, _COMPARE[_MIRROR[op]], low, where, expr),
                        self._condition(attribute, _COMPARE[op], high, where, expr)]
        if op in _COMPARE and len(args) == 2:
            if _var_name(args[0]) is not None and _number(args[1]):
                return [self._condition(self._attribute(args[0], where), _COMPARE[op], args[1], where, expr)]
            if _var_name(args[1]) is not None and _number(args[0]):
                return [self._condition(self._attribute(args[1], where), _COMPARE[_MIRROR[op]], args[0], where, expr)]
        if op == "sem_ver" and len(args) == 3 and isinstance(args[1], str) and isinstance(args[2], str):
            return self._semver(self._attribute(args[0], where), args[1], args[2], where, expr)
        raise Untranslatable(where, expr, f"rollwise rules have no translation for this `{op}`")

    def _semver(self, attribute: str, op: str, version: str, where: tuple, expr: Any) -> Conjunction:
        parsed = parse_semver(version)
        if parsed is None:
            raise Untranslatable(where, expr, f"{version!r} is not a semantic version")
        if op in _SEMVER:
            return [self._condition(attribute, _SEMVER[op], version, where, expr)]
        if op == "!=":
            return [{**self._condition(attribute, "semver_eq", version, where, expr), "negate": True}]
        major, minor, _patch = parsed[:3]
        if op == "^":
            upper = f"{major + 1}.0.0" if major else (f"0.{minor + 1}.0" if minor else f"0.0.{_patch + 1}")
        elif op == "~":
            upper = f"{major}.{minor + 1}.0"
        else:
            raise Untranslatable(where, expr, f"unknown sem_ver operator {op!r}")
        return [self._condition(attribute, "semver_gte", version, where, expr),
                self._condition(attribute, "semver_lt", upper, where, expr)]

    def _operands(self, args: list, where: tuple, expr: Any) -> tuple[str, Any]:
        if _var_name(args[0]) is not None and _scalar(args[1]):
            return self._attribute(args[0], where), args[1]
        if _var_name(args[1]) is not None and _scalar(args[0]):
            return self._attribute(args[1], where), args[0]
        raise Untranslatable(where, expr, "a comparison must be between one context attribute and a plain value")

    def _attribute(self, expr: Any, where: tuple) -> str:
        name = _var_name(expr)
        if name is None:
            raise Untranslatable(where, expr, "expected a context attribute (`var`)")
        if name.startswith("$flagd."):
            raise Untranslatable(where, expr, f"`{name}` is flagd's own property; rollwise rules read the context only")
        return name

    @staticmethod
    def _condition(attribute: str, op: str, value: Any, where: tuple, expr: Any, many: bool = False) -> dict[str, Any]:
        if value is None:
            raise Untranslatable(where, expr, "comparing with null has no rollwise condition")
        return {"attribute": attribute, "op": op, ("values" if many else "value"): value}


def _var_name(expr: Any) -> str | None:
    if isinstance(expr, dict) and set(expr) == {"var"}:
        name = expr["var"]
        if isinstance(name, list) and len(name) == 1:
            name = name[0]
        if isinstance(name, str) and name:
            return name
    return None


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool))


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
