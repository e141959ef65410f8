"""YAML documents that remember where each value came from, so config errors name file, line and key.

``load_yaml`` parses a file once into plain Python data plus a map from key path to line; ``Document.error``
builds the :class:`~rollwise.errors.ConfigError` for a key, and ``validate_schema`` checks a document against
a shipped JSON Schema and reports the first problem at its line with a suggested fix.

Every rollwise file goes through here, so the limits live here too: a file larger than ``MAX_BYTES``, nesting
deeper than ``MAX_DEPTH``, aliases that expand to more than ``MAX_NODES`` values (an "alias bomb"), a key written
twice in one mapping, and a non-finite number (``.nan``, ``.inf``) are each a located ConfigError.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from rollwise.errors import ConfigError
from rollwise.shipped_schemas import load_schema  # noqa: F401 - the config layer's schema loader

KeyPath = tuple[str | int, ...]

#: largest file read (configuration, not data: the biggest shipped example is a few KiB)
MAX_BYTES = 1024 * 1024
#: deepest nesting of mappings and lists
MAX_DEPTH = 64
#: most values once aliases are expanded (a 354-byte alias bomb expands to hundreds of millions)
MAX_NODES = 100_000

_MERGE_TAG = "tag:yaml.org,2002:merge"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_INT_TAG = "tag:yaml.org,2002:int"
#: integers from here on cannot become a float without losing meaning (and 10**400 cannot become one at all)
MAX_INT = 2**63
#: a loader used only to construct single scalars (PyYAML's number grammar: 0x1F, 1_000, 1:30, .inf)
_SCALARS = yaml.SafeLoader("")


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

    def duration(self, path: Sequence[str | int], value: Any) -> float:
        """Seconds of the (schema-valid) duration at ``path``; out of range (negative, over ten years) is located."""
        from rollwise.units import parse_duration

        try:
            return parse_duration(value)
        except ValueError as exc:
            raise self.error(path, str(exc), "write a duration such as 30s, 5m, 1h or 30d") from None


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses nesting deeper than MAX_DEPTH while composing (before it recurses)."""

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self._file = file
        self._depth = 0

    def compose_node(self, parent, index):  # noqa: ANN001, ANN201 - PyYAML's signature
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise ConfigError(f"nested deeper than {MAX_DEPTH} levels", file=self._file,
                                  line=self.peek_event().start_mark.line + 1,
                                  fix="flatten the structure; rollwise files are never this deep")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _check_size(root: yaml.Node, file: str) -> None:
    """Refuse documents whose aliases expand beyond MAX_NODES values or MAX_DEPTH levels (counted once per node)."""
    sizes: dict[int, tuple[int, int]] = {}  # id(node) -> (values when expanded, depth when expanded)
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in sizes:
            continue
        children = _children(node)
        if not done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if id(child) not in sizes)
            continue
        size = 1 + sum(sizes[id(c)][0] for c in children)
        depth = 1 + max((sizes[id(c)][1] for c in children), default=0)
        if size > MAX_NODES or depth > MAX_DEPTH:
            what = f"{MAX_NODES} values" if size > MAX_NODES else f"{MAX_DEPTH} levels"
            raise ConfigError(f"aliases expand this document beyond {what}", file=file,
                              line=node.start_mark.line + 1,
                              fix="write the values out instead of nesting aliases (*name) inside aliased blocks")
        sizes[id(node)] = (size, depth)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _number_problem(node: yaml.ScalarNode) -> str | None:
    """Why a number cannot be used (.nan, .inf, a float that overflows, an integer beyond 2**63), or None."""
    if node.tag not in (_FLOAT_TAG, _INT_TAG):
        return None
    try:
        number = _SCALARS.construct_yaml_float(node) if node.tag == _FLOAT_TAG else _SCALARS.construct_yaml_int(node)
    except (ValueError, OverflowError):
        return "is not a number rollwise can use"
    if isinstance(number, float) and not math.isfinite(number):
        return "is not a finite number"
    if isinstance(number, int) and abs(number) >= MAX_INT:
        return f"is too large (the limit is {MAX_INT:.3g})"
    return None


def _walk(node: yaml.Node, path: KeyPath, lines: dict[KeyPath, int], file: str) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[tuple[str, str], int] = {}
        for key_node, value_node in node.value:
            key = key_node.value
            line = key_node.start_mark.line + 1
            if key_node.tag != _MERGE_TAG and isinstance(key_node, yaml.ScalarNode):
                first = seen.get((key_node.tag, key))
                seen.setdefault((key_node.tag, key), line)
                if first is not None:
                    raise ConfigError(f"key '{key}' is written twice in one mapping (lines {first} and {line}); "
                                      "YAML would silently keep only the last", file=file, line=line,
                                      key=dotted(path + (key,)),
                                      fix="remove one of them, or rename it")
            lines[path + (key,)] = line
            _walk(value_node, path + (key,), lines, file)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, path + (index,), lines, file)
    elif isinstance(node, yaml.ScalarNode) and (problem := _number_problem(node)):
        raise ConfigError(f"'{node.value}' {problem}", file=file, line=node.start_mark.line + 1,
                          key=dotted(path) or None,
                          fix="write a finite number; NaN and infinity are never valid in rollwise files")


def parse_yaml(text: str, file: str = "<input>") -> Document:
    """Parse YAML text (one document) within the limits above; any problem becomes a ConfigError at its line."""
    documents = parse_yaml_all(text, file)
    if len(documents) > 1:
        raise ConfigError("the file holds more than one YAML document (a second `---`)", file=file,
                          line=documents[1].line_of(()), fix="keep one document per file")
    return documents[0] if documents else Document(data=None, file=file)


def parse_yaml_all(text: str, file: str = "<input>") -> list[Document]:
    """Parse every YAML document in ``text`` within the limits above (empty documents are left out)."""
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise ConfigError(f"larger than {MAX_BYTES // 1024} KiB", file=file,
                          fix="a rollwise file is configuration, not data; split it or check it is the right file")
    documents: list[Document] = []
    loader = None
    try:
        loader = _BoundedLoader(text, file)  # reads the whole text: a control character fails here
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            _check_size(node, file)
            lines: dict[KeyPath, int] = {}
            _walk(node, (), lines, file)
            data = loader.construct_document(node)
            if data is not None:
                documents.append(Document(data=data, file=file, lines=lines))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"not valid YAML: {problem}",
            file=file,
            line=mark.line + 1 if mark else None,
            fix="check indentation and quoting around this line",
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return documents


def load_yaml(path: str | Path) -> Document:
    """Read and parse a YAML file; a missing or unreadable file is a ConfigError."""
    return parse_yaml(_read(Path(path)), file=str(path))


def load_yaml_all(path: str | Path) -> list[Document]:
    """Read and parse every document of a YAML file (``---`` separated), within the same limits."""
    return parse_yaml_all(_read(Path(path)), file=str(path))


def _read(path: Path) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(
            "file not found", file=str(path), fix="pass the path of an existing file (relative to the working directory)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"larger than {MAX_BYTES // 1024} KiB", file=str(path),
                          fix="a rollwise file is configuration, not data; split it or check it is the right file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(f"not UTF-8 text (byte {raw[exc.start]:#04x})", file=str(path), line=line,
                          fix="save the file as UTF-8") from None
    return text


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
