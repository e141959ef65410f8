"""Translate other flag systems' definitions into ``flags.yml`` (``rollwise flags import --from ...``).

Each importer is pure: parsed data in, a flags document (plain dicts) plus notes out. Whatever it cannot
translate faithfully it refuses with a :class:`~rollwise.errors.ConfigError` naming the flag and the expression.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rollwise.flags.model import SCHEMA_VERSION


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
