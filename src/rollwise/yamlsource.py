"""YAML documents that remember where each value came from, so config errors name file, line and key.

``load_yaml`` parses a file once into plain Python data plus a map from key path to line; ``Document.error``
builds the :class:`~rollwise.errors.ConfigError` for a key, and ``validate_schema`` checks a document against
a shipped JSON Schema and reports the first problem at its line with a suggested fix.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from rollwise.errors import ConfigError

KeyPath = tuple[str | int, ...]


def dotted(path: Sequence[str | int]) -> str:
    """Render a key path the way users write it: ``slos[2].objective``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def did_you_mean(name: str, choices: Iterable[str]) -> str | None:
    """The closest of ``choices`` to a misspelled ``name``, or None."""
    match = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return match[0] if match else None


@dataclass
class Document:
    """Parsed YAML data and the line (1-based) where every key path starts."""

    data: Any
    file: str
    lines: dict[KeyPath, int] = field(default_factory=dict)

    def line_of(self, path: Sequence[str | int]) -> int | None:
        """Line of ``path``, or of its nearest parent that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, path: Sequence[str | int], problem: str, fix: str | None = None) -> ConfigError:
        """A ConfigError located at ``path`` in this document."""
        return ConfigError(problem, file=self.file, line=self.line_of(path), key=dotted(path) or None, fix=fix)


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int]) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            lines[path + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, path + (key,), lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines)


def parse_yaml(text: str, file: str = "<input>") -> Document:
    """Parse YAML text; a syntax error becomes a ConfigError at its line."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"not valid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            fix="check indentation and quoting around this line",
        ) from None
    if node is None:
        return Document(data=None, file=file)
    loader = yaml.SafeLoader(text)
    try:
        data = loader.construct_document(node)
    finally:
        loader.dispose()
    lines: dict[KeyPath, int] = {}
    _walk(node, (), lines)
    return Document(data=data, file=file, lines=lines)


def load_yaml(path: str | Path) -> Document:
    """Read and parse a YAML file; a missing or unreadable file is a ConfigError."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            "file not found", file=str(path), fix="pass the path of an existing file (relative to the working directory)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    return parse_yaml(text, file=str(path))


@lru_cache(maxsize=None)
def load_schema(name: str) -> dict[str, Any]:
    """A JSON Schema shipped with the package: ``rollwise``, ``canary`` or ``flags`` (``schemas/<name>.schema.json``).

    Cached: callers must not change it."""
    return json.loads(resources.files("rollwise").joinpath(f"schemas/{name}.schema.json").read_text("utf-8"))


def validate_schema(doc: Document, schema: dict[str, Any]) -> None:
    """Check ``doc.data`` against a JSON Schema; raise a located ConfigError for the most relevant problem."""
    import jsonschema  # imported on use: validation is not on the --help path

    validator = jsonschema.Draft202012Validator(schema)
    error = jsonschema.exceptions.best_match(validator.iter_errors(doc.data))
    if error is None:
        return
    path = tuple(error.absolute_path)
    fix = None
    if error.validator == "additionalProperties":
        allowed = sorted((error.schema.get("properties") or {}).keys())
        unknown = [k for k in (error.instance or {}) if k not in allowed]
        if unknown:
            path = path + (unknown[0],)
            guess = did_you_mean(str(unknown[0]), allowed)
            fix = f"did you mean '{guess}'?" if guess else f"allowed keys here: {', '.join(allowed)}"
            raise doc.error(path, f"unknown key '{unknown[0]}'", fix)
    if error.validator == "required":
        fix = "add it; see the configuration reference in docs/"
    elif error.validator == "enum":
        fix = "use one of: " + ", ".join(map(str, error.validator_value))
    elif error.validator == "type":
        fix = f"give a value of type {error.validator_value}"
    description = error.schema.get("description") if isinstance(error.schema, dict) else None
    if fix is None and description:
        fix = description
    raise doc.error(path, error.message, fix)
