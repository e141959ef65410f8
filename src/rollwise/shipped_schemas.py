"""The JSON Schemas shipped in ``rollwise/schemas/`` (rollwise.yml, its canary section, flags.yml), loaded once.

The one loader for all of them. It imports neither YAML nor jsonschema, so a flag client that re-checks stored
definitions against the flags schema stays light.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources
from typing import Any


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """``rollwise``, ``canary`` or ``flags``: the parsed ``schemas/<name>.schema.json``. Cached: do not change it."""
    return json.loads(resources.files("rollwise").joinpath(f"schemas/{name}.schema.json").read_text("utf-8"))
