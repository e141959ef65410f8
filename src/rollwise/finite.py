"""Numbers from users that must be finite: one check for command-line options, durations and times.

``float()`` reads ``nan``, ``inf`` and ``1e999``; each would slip past every range check (NaN compares false) and
reach a decision. ``finite`` refuses them, and ``FiniteFloat`` is the click type for options that take a number.
"""

from __future__ import annotations

import math

import click

#: the longest duration any option or setting may name (ten years; an error budget period is 28-90 days)
MAX_SECONDS = 3650 * 86400.0
#: the latest time an option may name (9999-12-31T23:59:59Z, the last one a date can hold)
MAX_TIMESTAMP = 253_402_300_799.0


def finite(value: float, what: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """``value`` as a float if it is finite and within bounds; ValueError naming ``what`` otherwise."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{what} must be at least {minimum:g}, not {number:g}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{what} must be at most {maximum:g}, not {number:g}")
    return number


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
