"""Translate other flag systems' definitions into ``flags.yml`` (``rollwise flags import --from ...``).

Each importer is pure: parsed data in, a flags document (plain dicts) plus notes out. Whatever it cannot
translate faithfully it refuses with a :class:`~rollwise.errors.ConfigError` naming the flag and the expression.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rollwise.errors import ConfigError
from rollwise.flags.model import SCHEMA_VERSION
from rollwise.yamlsource import dotted


@dataclass
class Imported:
    """A translated flags document and what the reader should know about it (written as YAML comments)."""

    flags: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    source: str = ""

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


class Source:
    """The text of an input file, to point errors at the line of the flag they concern."""

    def __init__(self, text: str, file: str) -> None:
        self.text, self.file = text, file

    def line_of(self, path: tuple) -> int | None:
        """The line of the deepest name of ``path`` found in order in the text (JSON keeps no positions)."""
        position, found = 0, None
        for name in path:
            if not isinstance(name, str):
                continue
            match = re.compile(r'"' + re.escape(name) + r'"\s*:').search(self.text, position)
            if match is None:
                break
            position, found = match.end(), match.start()
        return None if found is None else self.text.count("\n", 0, found) + 1

    def error(self, path: tuple, problem: str, fix: str, near: str | None = None) -> ConfigError:
        """A ConfigError at ``path``; its line is that of the text ``near`` when given, else of the path's names."""
        line = None
        if near is not None and (found := self.text.find(near)) >= 0:
            line = self.text.count("\n", 0, found) + 1
        return ConfigError(problem, file=self.file, line=line or self.line_of(path), key=dotted(path) or None, fix=fix)


def load(text: str, file: str) -> Any:
    """Parse JSON text; a syntax error is a ConfigError at its line."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", file=file, line=getattr(exc, "lineno", None),
                          fix="fix the JSON syntax (export the definitions as JSON)") from None
