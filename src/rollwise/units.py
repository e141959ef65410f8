"""One grammar for quantities, in rollwise.yml, flags.yml and on the command line alike.

    duration   30 (seconds)  "90"  500ms  30s  5m  1h  30d  2w
    percent    99.9%  or the number 99.9                -> a share, 0.999    (objectives)
    share      10%    or the number 0.1                 -> 0.1               (tolerances)
    amount     0.3  300ms  1.5s  0.05%                  -> 0.3, 0.3, 1.5, 0.0005  (latencies in seconds, or shares)

The JSON Schemas use the same patterns (``schemas/*.schema.json``); this module turns the strings into numbers.
"""

from __future__ import annotations

import re
from typing import Any

DURATION_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DURATION = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d|w)$")
_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_duration(value: Any) -> float:
    """Seconds from ``500ms``/``30s``/``5m``/``1h``/``30d``/``2w`` or a number of seconds; ValueError otherwise."""
    if _is_number(value):
        return float(value)
    text = str(value).strip()
    try:
        return float(text)  # "90" from the command line: seconds
    except ValueError:
        pass
    match = _DURATION.match(text)
    if not match:
        raise ValueError(f"'{value}' is not a duration; write e.g. 500ms, 30s, 5m, 1h or 30d")
    return float(match.group(1)) * DURATION_UNITS[match.group(2)]


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
