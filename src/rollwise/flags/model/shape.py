"""A small JSON Schema checker for the subset flags.schema.json uses, for definitions read back from a store.

Writers validate flags.yml with ``jsonschema`` (rich, located messages). Clients re-check every stored
definition they load, on the hot path of a change and inside a memory budget, so they use this instead:
``type``, ``enum``, ``const``, ``properties``, ``additionalProperties``, ``required``, ``propertyNames``,
``items``, ``minItems``, ``minProperties``, ``minLength``, ``minimum``, ``pattern``, ``oneOf`` and local ``$ref``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


@lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern:
    return re.compile(text)


def problem(instance: Any, schema: dict, root: dict, path: tuple = ()) -> tuple[tuple, str] | None:
    """The first (path, message) where ``instance`` breaks ``schema``, or None."""
    if "$ref" in schema:
        node: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        found = problem(instance, node, root, path)
        if found:
            return found
    kind = schema.get("type")
    if kind is not None:
        kinds = kind if isinstance(kind, list) else [kind]
        if not any(_TYPES[k](instance) for k in kinds):
            return path, f"{instance!r} is not of type {' or '.join(kinds)}"
    if "const" in schema and instance != schema["const"]:
        return path, f"{instance!r} should be {schema['const']!r}"
    if "enum" in schema and instance not in schema["enum"]:
        return path, f"{instance!r} is not one of {schema['enum']}"
    if "oneOf" in schema:
        matches = [s for s in schema["oneOf"] if problem(instance, s, root, path) is None]
        if len(matches) != 1:
            return path, f"{instance!r} matches {len(matches)} of the allowed forms, not exactly one"
    if isinstance(instance, str):
        if len(instance) < schema.get("minLength", 0):
            return path, "is too short"
        if "pattern" in schema and not _pattern(schema["pattern"]).search(instance):
            return path, f"{instance!r} does not match {schema['pattern']!r}"
    if _TYPES["number"](instance) and "minimum" in schema and instance < schema["minimum"]:
        return path, f"{instance} is less than {schema['minimum']}"
    if isinstance(instance, list):
        if len(instance) < schema.get("minItems", 0):
            return path, "has too few items"
        if "items" in schema:
            for index, item in enumerate(instance):
                found = problem(item, schema["items"], root, path + (index,))
                if found:
                    return found
    if isinstance(instance, dict):
        if len(instance) < schema.get("minProperties", 0):
            return path, "has too few properties"
        for name in schema.get("required", ()):
            if name not in instance:
                return path, f"'{name}' is a required property"
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        names = schema.get("propertyNames")
        for name, value in instance.items():
            if names is not None and (found := problem(name, names, root, path + (name,))):
                return found
            if name in properties:
                sub = properties[name]
            elif extra is False:
                return path + (name,), f"unknown key '{name}'"
            elif isinstance(extra, dict):
                sub = extra
            else:
                continue
            found = problem(value, sub, root, path + (name,))
            if found:
                return found
    return None
