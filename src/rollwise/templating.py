"""Markdown, HTML and generated files (k6 scripts, nginx includes) rendered from Jinja2 templates.

Templates live in ``rollwise/templates/<capability>/``; business code passes data, never assembles markup.
JSON reports are written by :func:`rollwise.outcome.publish`.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import jinja2


def _number(value: Any, digits: int = 3) -> str:
    """Format a number for a table: few significant digits, '—' for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float):
        if value == 0:
            return "0"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
        return f"{value:.{digits}g}"
    return str(value)


def _percent(value: Any, digits: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:+.{digits}f} %" if value < 0 or value > 0 else "0 %"


def _md_cell(value: Any) -> str:
    """Make text safe for a markdown table cell."""
    return str(value).replace("|", "\\|").replace("\n", " ")


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    """The shared Jinja2 environment (templates from the package, strict about undefined names)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("rollwise", "templates"),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
    )
    env.filters.update(number=_number, percent=_percent, cell=_md_cell, tojson_pretty=lambda v: json.dumps(v, indent=2))
    return env


def render(template: str, **context: Any) -> str:
    """Render a template such as ``gate/summary.md.j2`` with ``context``."""
    return environment().get_template(template).render(**context)
