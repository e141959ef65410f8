"""The click type for options that take a number: finite, and within bounds when given (``--lock-timeout``,
``--wait-timeout``, a rollout percentage). ``nan`` and ``inf`` are refused with exit 2 (see ``rollwise.units.finite``).
"""

from __future__ import annotations

import math

import click

from rollwise.units import finite


class FiniteFloat(click.ParamType):
    """A click option or argument holding a finite float, optionally within [minimum, maximum]."""

    name = "number"

    def __init__(self, minimum: float | None = None, maximum: float | None = None) -> None:
        self.minimum, self.maximum = minimum, maximum

    def convert(self, value, param, ctx):  # noqa: ANN001, ANN201 - click's signature
        if isinstance(value, float) and math.isfinite(value):
            number = value
        else:
            try:
                number = float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not a number", param, ctx)
        try:
            return finite(number, "the value", minimum=self.minimum, maximum=self.maximum)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def __repr__(self) -> str:
        return f"FiniteFloat({self.minimum}, {self.maximum})"
