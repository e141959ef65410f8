"""Other flag systems' definitions translated into the flags.yml form (``rollwise flags import --from ...``).

Each translator is pure: parsed JSON in, an :class:`Imported` (the ``flags:`` mapping plus notes) out. What it
cannot translate faithfully it refuses with :class:`Untranslatable`, naming where (a key path from the top of the
input) and the expression; ``service.import_flags`` turns that into a located ConfigError.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from rollwise.flags.model import SCHEMA_VERSION

#: more alternatives than this make a rule list nobody can review
MAX_ALTERNATIVES = 32

Conjunction = list[dict[str, Any]]
Alternatives = list[Conjunction]


class Untranslatable(Exception):
    """Something rollwise cannot express: ``why``, at key path ``where``, ``expression`` (None: nothing to show).

    ``near`` is text that names the place in the input (for the line number); ``fix`` overrides the translator's
    general advice (its module's ``FIX``).
    """

    def __init__(self, where: tuple, expression: Any, why: str, near: str | None = None, fix: str | None = None) -> None:
        super().__init__(why)
        self.where, self.expression, self.why, self.near, self.fix = where, expression, why, near, fix

    def shown(self) -> str:
        text = json.dumps(self.expression, ensure_ascii=False)
        return text if len(text) <= 160 else text[:157] + "..."

    def within(self, prefix: tuple, why: str, near: str | None = None) -> Untranslatable:
        """The same refusal placed under ``prefix`` and reworded as ``why``."""
        return Untranslatable(prefix + self.where, self.expression, why, near or self.near, self.fix)


@dataclass
class Imported:
    """A translated ``flags:`` mapping and what the reader should know about it (written as YAML comments)."""

    flags: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def document(self) -> dict[str, Any]:
        return {"version": SCHEMA_VERSION, "flags": self.flags}


def percentages(weights: list[tuple[str, float]]) -> dict[str, float]:
    """Relative weights as percentages with at most 3 decimals that add up to exactly 100.

    Rounding remainders go to the largest weights first, so the split stays as close as 0.001 % allows.
    """
    total = sum(weight for _, weight in weights)
    exact = [(name, weight * 100_000 / total) for name, weight in weights]
    units = {name: int(value) for name, value in exact}
    short = 100_000 - sum(units.values())
    for name, value in sorted(exact, key=lambda item: item[1] - int(item[1]), reverse=True)[:short]:
        units[name] += 1
    return {name: units[name] / 1000 for name, _ in weights}


def conjoin(left: Alternatives, right: Alternatives, where: tuple, expr: Any) -> Alternatives:
    """Every alternative of ``left`` joined with every one of ``right`` (at most MAX_ALTERNATIVES)."""
    out = [a + b for a, b in product(left, right)]
    if len(out) > MAX_ALTERNATIVES:
        raise Untranslatable(where, expr, f"expands into more than {MAX_ALTERNATIVES} rules")
    return out


def line_of(text: str, path: tuple, near: str | None = None) -> int | None:
    """The line of ``near`` in ``text``, else of the deepest name of ``path`` found in order (JSON keeps no lines)."""
    if near is not None and (found := text.find(near)) >= 0:
        return text.count("\n", 0, found) + 1
    position, start = 0, None
    for name in path:
        if not isinstance(name, str):
            continue
        match = re.compile(r'"' + re.escape(name) + r'"\s*:').search(text, position)
        if match is None:
            break
        position, start = match.end(), match.start()
    return None if start is None else text.count("\n", 0, start) + 1
