"""Read ``.rollwise/coderefs.yml``: the patterns and Python rules the reference scan uses, checked with file,
line and key in every error."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from rollwise.flags.coderefs import DEFAULT_PATTERNS, Pattern, PythonRules
from rollwise.flags.codewalk import RefsConfig

#: where the scan looks for its configuration when none is given
DEFAULT_PATH = ".rollwise/coderefs.yml"


@lru_cache(maxsize=1)
def schema() -> dict[str, Any]:
    return json.loads((Path(__file__).parent.parent / "schemas" / "coderefs.schema.json").read_text("utf-8"))


def load_refs_config(path: str | Path | None, root: str | Path = ".") -> RefsConfig:
    """The configuration at ``path``; without one, ``.rollwise/coderefs.yml`` under ``root`` if it exists, else
    the built-in rules."""
    from rollwise.yamlsource import load_yaml, validate_schema

    if path is None:
        candidate = Path(root) / DEFAULT_PATH
        if not candidate.is_file():
            return RefsConfig()
        path = candidate
    doc = load_yaml(path)
    if doc.data is None:
        return RefsConfig(source=str(path))
    validate_schema(doc, schema())
    data = doc.data
    patterns = list(DEFAULT_PATTERNS) if data.get("defaults", True) else []
    for i, raw in enumerate(data.get("patterns") or []):
        where = ("patterns", i, "pattern")
        try:
            regex = re.compile(raw["pattern"])
        except re.error as exc:
            raise doc.error(where, f"invalid regular expression: {exc}",
                            "fix the pattern (Python `re` syntax); capture the key in (?P<key>...)") from None
        if "key" not in regex.groupindex and regex.groups != 1:
            raise doc.error(where, f"the pattern has {regex.groups} groups and none named 'key'",
                            "name the group that captures the flag key: (?P<key>[A-Za-z0-9_.:-]+)")
        patterns.append(Pattern(raw["name"], tuple(raw["paths"]), regex, raw.get("language", "")))
    python = data.get("python") or {}
    return RefsConfig(
        patterns=tuple(patterns),
        python=PythonRules(methods=frozenset(python.get("methods") or ()),
                           functions=frozenset(python.get("functions") or ())),
        exclude=tuple(data.get("exclude") or ()),
        source=str(path),
    )
