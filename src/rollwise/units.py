"""One grammar for quantities, in rollwise.yml, flags.yml and on the command line alike.

    duration   30 (seconds)  "90"  500ms  30s  5m  1h  30d  2w
    percent    99.9%  or the number 99.9                -> a share, 0.999    (objectives)
    share      10%    or the number 0.1                 -> 0.1               (tolerances)
    amount     0.3  300ms  1.5s  0.05%                  -> 0.3, 0.3, 1.5, 0.0005  (latencies in seconds, or shares)

The JSON Schemas use the same patterns (``schemas/*.schema.json``); this module turns the strings into numbers.
"""

from __future__ import annotations

import math
import re
from typing import Any

#: the longest duration any option or setting may name (ten years; an error budget period is 28-90 days)
MAX_SECONDS = 3650 * 86400.0
#: the latest time an option may name (9999-12-31T23:59:59Z, the last one a date can hold)
MAX_TIMESTAMP = 253_402_300_799.0
DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)$")
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def finite(value: float, what: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """``value`` as a float if it is finite and within bounds; ValueError naming ``what`` otherwise.

    ``float()`` reads ``nan``, ``inf`` and ``1e999``; each would slip past every range check (NaN compares false)
    and reach a decision.
    """
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{what} must be a finite number, not {value!r}")
    if minimum is not None and number < minimum:
        raise ValueError(f"{what} must be at least {minimum:g}, not {number:g}")
    if maximum is not None and number > maximum:
        raise ValueError(f"{what} must be at most {maximum:g}, not {number:g}")
    return number


def parse_duration(value: Any) -> float:
    """Seconds from ``500ms``/``30s``/``5m``/``1h``/``30d``/``2w`` or a number of seconds; ValueError otherwise,
    also for NaN, infinity, negative numbers and more than ten years (``float()`` would accept the first three)."""
    if _is_number(value):
        return finite(value, "a duration", minimum=0, maximum=MAX_SECONDS)
    text = str(value).strip()
    try:
        seconds = float(text)  # "90" from the command line: seconds
    except ValueError:
        pass
    else:
        return finite(seconds, "a duration", minimum=0, maximum=MAX_SECONDS)
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"'{value}' is not a duration; write e.g. 500ms, 30s, 5m, 1h or 30d")
    return finite(float(match.group(1)) * DURATION_UNITS[match.group(2)], "a duration", maximum=MAX_SECONDS)


def parse_percent(value: Any) -> float:
    """``99.9%`` or ``99.9`` -> 0.999."""
    text = str(value).strip()
    return float(text[:-1]) / 100 if text.endswith("%") else float(value) / 100


def parse_share(value: Any) -> float:
    """``10%`` -> 0.1; a plain number is already a share."""
    text = str(value).strip()
    return float(text[:-1]) / 100 if text.endswith("%") else float(value)


def parse_amount(value: Any) -> float:
    """A plain number; a latency with ``ms``/``s`` in seconds; a share written as a percent (``0.05%`` -> 0.0005)."""
    if _is_number(value):
        return float(value)
    text = str(value).strip()
    match = re.fullmatch(rf"({_NUMBER})(ms|s|%)?", text)
    if not match:
        raise ValueError(f"'{value}' is not an amount; write a number, a latency such as 300ms, or a percent")
    number, unit = float(match.group(1)), match.group(2)
    return number / 1000 if unit == "ms" else number / 100 if unit == "%" else number
