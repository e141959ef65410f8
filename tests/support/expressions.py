"""A small evaluator of GitHub Actions expressions (``${{ ... }}``), as the runner evaluates them.

Covers what actions and workflows use: contexts with ``.`` and ``[]`` access, literals, ``! == != < <= > >= && ||``,
parentheses and the functions success(), failure(), always(), cancelled(), contains(), startsWith(), endsWith(),
format(), join(), toJSON(), fromJSON().
"""

from __future__ import annotations

import json
import re
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<num>-?\d+(?:\.\d+)?)|'(?P<str>(?:[^']|'')*)'|(?P<op>==|!=|<=|>=|&&|\|\||[!<>()\[\],.*])"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_-]*))"
)
EMBEDDED = re.compile(r"\$\{\{(.*?)\}\}", re.S)


class ExpressionError(ValueError):
    """An expression the evaluator cannot parse."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ExpressionError(f"cannot parse expression near {text[pos:]!r}")
        pos = match.end()
        kind = match.lastgroup
        value = match.group(kind)
        if kind == "str":
            value = value.replace("''", "'")
        elif kind == "num":
            value = float(value) if "." in value else int(value)
        out.append((kind, value))
    return out


def _coerce_number(value: Any) -> float:
    if value is None or value is False:
        return 0.0
    if value is True:
        return 1.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else 0.0
        except ValueError:
            return float("nan")
    return float("nan")


def _equal(a: Any, b: Any) -> bool:
    if isinstance(a, str) and isinstance(b, str):
        return a.lower() == b.lower()
    if type(a) is type(b) or (isinstance(a, (int, float)) and isinstance(b, (int, float))):
        return a == b
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return a is b
    return _coerce_number(a) == _coerce_number(b)


def truthy(value: Any) -> bool:
    """Truthiness as the runner defines it."""
    if isinstance(value, float) and value != value:
        return False
    return value not in (None, False, 0, "", 0.0)


def to_string(value: Any) -> str:
    """How an expression result is interpolated into a string."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2)
    return str(value)


class _Parser:
    def __init__(self, tokens: list, contexts: dict, status: str) -> None:
        self.tokens, self.pos, self.contexts, self.status = tokens, 0, contexts, status

    def peek(self, value: Any = None) -> bool:
        if self.pos >= len(self.tokens):
            return False
        return value is None or self.tokens[self.pos][1] == value and self.tokens[self.pos][0] == "op"

    def take(self, value: Any = None) -> tuple[str, Any]:
        if self.pos >= len(self.tokens):
            raise ExpressionError("unexpected end of expression")
        token = self.tokens[self.pos]
        if value is not None and not (token[0] == "op" and token[1] == value):
            raise ExpressionError(f"expected {value!r}, got {token[1]!r}")
        self.pos += 1
        return token

    def parse(self) -> Any:
        value = self.or_()
        if self.pos != len(self.tokens):
            raise ExpressionError(f"unexpected {self.tokens[self.pos][1]!r}")
        return value

    def or_(self) -> Any:
        left = self.and_()
        while self.peek("||"):
            self.take()
            right = self.and_()
            left = left if truthy(left) else right
        return left

    def and_(self) -> Any:
        left = self.comparison()
        while self.peek("&&"):
            self.take()
            right = self.comparison()
            left = right if truthy(left) else left
        return left

    def comparison(self) -> Any:
        left = self.unary()
        while any(self.peek(op) for op in ("==", "!=", "<", "<=", ">", ">=")):
            op = self.take()[1]
            right = self.unary()
            if op == "==":
                left = _equal(left, right)
            elif op == "!=":
                left = not _equal(left, right)
            else:
                a, b = _coerce_number(left), _coerce_number(right)
                left = {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
        return left

    def unary(self) -> Any:
        if self.peek("!"):
            self.take()
            return not truthy(self.unary())
        return self.postfix()

    def postfix(self) -> Any:
        value = self.primary()
        while self.peek(".") or self.peek("["):
            if self.take()[1] == ".":
                kind, name = self.take()
                if name == "*":
                    value = list(value.values()) if isinstance(value, dict) else value
                    continue
                # after a `.*` filter, property access maps over the list (needs.*.result)
                value = [_index(v, str(name)) for v in value] if isinstance(value, list) else _index(value, str(name))
            else:
                key = self.or_()
                self.take("]")
                value = _index(value, key)
        return value

    def primary(self) -> Any:
        kind, value = self.take()
        if kind in ("num", "str"):
            return value
        if kind == "op" and value == "(":
            inner = self.or_()
            self.take(")")
            return inner
        if kind == "name":
            lowered = value.lower()
            if lowered in ("true", "false"):
                return lowered == "true"
            if lowered == "null":
                return None
            if self.peek("("):
                self.take("(")
                args = []
                while not self.peek(")"):
                    args.append(self.or_())
                    if self.peek(","):
                        self.take()
                self.take(")")
                return self.call(lowered, args)
            return self.contexts.get(value, self.contexts.get(lowered))
        raise ExpressionError(f"unexpected {value!r}")

    def call(self, name: str, args: list) -> Any:
        status = self.status
        if name == "success":
            return status == "success"
        if name == "failure":
            return status == "failure"
        if name == "always":
            return True
        if name == "cancelled":
            return status == "cancelled"
        if name == "contains":
            haystack, needle = args
            if isinstance(haystack, list):
                return any(_equal(item, needle) for item in haystack)
            return to_string(needle).lower() in to_string(haystack).lower()
        if name == "startswith":
            return to_string(args[0]).lower().startswith(to_string(args[1]).lower())
        if name == "endswith":
            return to_string(args[0]).lower().endswith(to_string(args[1]).lower())
        if name == "format":
            text = to_string(args[0])
            for index, arg in enumerate(args[1:]):
                text = text.replace("{" + str(index) + "}", to_string(arg))
            return text
        if name == "join":
            items = args[0] if isinstance(args[0], list) else [args[0]]
            return (to_string(args[1]) if len(args) > 1 else ",").join(to_string(i) for i in items)
        if name == "tojson":
            return json.dumps(args[0], indent=2)
        if name == "fromjson":
            return json.loads(args[0])
        raise ExpressionError(f"unknown function {name}()")


def _index(value: Any, key: Any) -> Any:
    if isinstance(value, dict):
        if key in value:
            return value[key]
        lowered = {str(k).lower(): v for k, v in value.items()}
        return lowered.get(str(key).lower())
    if isinstance(value, list) and isinstance(key, (int, float)):
        index = int(key)
        return value[index] if 0 <= index < len(value) else None
    return None


def evaluate(expression: str, contexts: dict, status: str = "success") -> Any:
    """Evaluate the inside of ``${{ }}`` against ``contexts``; ``status`` is the job status so far."""
    return _Parser(_tokens(expression), contexts, status).parse()


def interpolate(text: Any, contexts: dict, status: str = "success") -> Any:
    """Replace every ``${{ expr }}`` in a string; a string that is one whole expression keeps its type."""
    if not isinstance(text, str) or "${{" not in text:
        return text
    stripped = text.strip()
    if stripped.count("${{") == 1 and stripped.startswith("${{") and stripped.endswith("}}"):
        return evaluate(stripped[3:-2], contexts, status)
    return EMBEDDED.sub(lambda m: to_string(evaluate(m.group(1), contexts, status)), text)


def condition(expression: Any, contexts: dict, status: str) -> bool:
    """Evaluate an ``if:``; like the runner, add ``success() &&`` unless a status function is used."""
    if expression is None or expression == "":
        return status == "success"
    if isinstance(expression, bool):
        return expression and status == "success"
    text = str(expression).strip()
    if text.startswith("${{") and text.endswith("}}"):
        text = text[3:-2]
    if not re.search(r"\b(success|failure|always|cancelled)\s*\(", text):
        text = f"success() && ({text})"
    return truthy(evaluate(text, contexts, status))
