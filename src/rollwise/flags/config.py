"""Build the flag model from ``flags.yml`` (or the JSON a store holds) and refuse anything unsafe.

Errors are :class:`~rollwise.errors.ConfigError` located at file, line and key with a fix: schema problems,
unknown variants, segments or prerequisite flags, prerequisite cycles, rollout percentages that do not add
up to 100, and regexes, versions, dates or numbers that do not parse.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from rollwise.errors import ConfigError
from rollwise.flags.model import (
    TARGETING_KEY,
    Condition,
    Flag,
    FlagSet,
    Prerequisite,
    Rule,
    Segment,
    Serve,
    bucketing,
    operators,
    schedule,
    shape,
    value_kind,
)

if TYPE_CHECKING:
    from rollwise.flags.model.coderefs import RefsConfig
    from rollwise.yamlsource import Document

BOOLEAN_VARIANTS = {"true": True, "false": False}
#: the variants of a flag written without `variants:` (read-only: every such flag shares it)
IMPLIED_VARIANTS: Mapping[str, Any] = MappingProxyType(BOOLEAN_VARIANTS)


class Stored:
    """Where a definition read back from a store came from: errors name the store and key (no lines)."""

    def __init__(self, data: Any, file: str) -> None:
        self.data, self.file = data, file

    def error(self, path: tuple, problem: str, fix: str | None = None) -> ConfigError:
        from rollwise.yamlsource import dotted

        return ConfigError(problem, file=self.file, key=dotted(path) or None, fix=fix)

    def check_shape(self) -> None:
        found = shape.problem(self.data, schema(), schema())
        if found:
            raise self.error(*found)


def did_you_mean(name: str, choices) -> str | None:
    from rollwise.yamlsource import did_you_mean as guess

    return guess(name, choices)
SINGLE_VALUE_OPS = (*operators.NUMBER_OPS, *operators.SEMVER_OPS, *operators.DATE_OPS)


def schema() -> dict[str, Any]:
    """The shipped JSON Schema of flags.yml (FlagClient checks stored definitions against it; the loader imports
    no PyYAML, which keeps the client within its memory budget)."""
    from rollwise.shipped_schemas import load_schema

    return load_schema("flags")


def _name(value: Any) -> Any:
    # YAML 1.1 reads `on`, `off`, `true`, `yes` as booleans; as a variant name they mean the boolean variants
    return ("true" if value else "false") if isinstance(value, bool) else value


def _values(data: Any) -> Any:
    # variant values and metadata are data, not flag fields: only dates change (stores hold JSON)
    if isinstance(data, dict):
        return {k: _values(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_values(item) for item in data]
    return data.isoformat() if isinstance(data, (datetime, date)) else data


def normalize_flag(raw: Any) -> Any:
    """Normalize one flag definition; YAML 1.1 reads the field name ``off`` as the boolean false.

    Variant names are names whatever the type of the values: a quoted ``"on"`` stays ``on``; only a YAML
    boolean key (unquoted ``on``/``off``/``yes``/``true``...) becomes the variant ``true`` or ``false``.
    """
    if not isinstance(raw, dict):
        return normalize(raw)
    if False in raw:
        raw = {("off" if key is False else key): value for key, value in raw.items()}
    out = {}
    for key, value in raw.items():
        if key == "variants" and isinstance(value, dict):
            out[key] = {_name(name): _values(v) for name, v in value.items()}
        elif key == "metadata":
            out[key] = _values(value)
        else:
            out.update(normalize({key: value}))
    return out


def normalize_document(data: Any) -> Any:
    """Normalize a whole flags document (see :func:`normalize` and :func:`normalize_flag`)."""
    if not (isinstance(data, dict) and isinstance(data.get("flags"), dict)):
        return normalize(data)
    return {key: ({_name(k): normalize_flag(v) for k, v in value.items()} if key == "flags" else normalize(value))
            for key, value in data.items()}


def normalize(data: Any) -> Any:
    """Turn boolean mapping keys and boolean variant references into the names ``true``/``false``."""
    if isinstance(data, dict):
        out = {_name(k): normalize(v) for k, v in data.items()}
        for field_name in ("off", "variant"):
            if field_name in out:
                out[field_name] = _name(out[field_name])
        if "default" in out and not isinstance(out["default"], dict):
            out["default"] = _name(out["default"])
        if "serve" in out and not isinstance(out["serve"], dict):
            out["serve"] = _name(out["serve"])
        if isinstance(out.get("variants"), list):
            out["variants"] = [_name(v) for v in out["variants"]]
        return out
    if isinstance(data, list):
        return [normalize(item) for item in data]
    if isinstance(data, (datetime, date)):
        # YAML reads unquoted timestamps as dates; stores hold JSON, so keep them as RFC 3339 text
        return data.isoformat()
    return data


def load_flagset(path: str | Path) -> FlagSet:
    """Read and validate ``flags.yml``."""
    from rollwise.yamlsource import load_yaml

    doc = load_yaml(path)
    return parse_document(doc)


def parse_flagset_text(text: str, file: str = "flags.yml") -> FlagSet:
    """Validate flags.yml given as text."""
    from rollwise.yamlsource import parse_yaml

    return parse_document(parse_yaml(text, file))


def parse_document(doc: Document, versions: Mapping[str, int] | None = None, version: int = 0) -> FlagSet:
    """Validate a parsed flags document and build its :class:`FlagSet`."""
    from rollwise.yamlsource import validate_schema

    if doc.data is None:
        raise doc.error((), "the file is empty", "start with `version: rollwise/flags/v1` and a `flags:` mapping")
    doc.data = normalize_document(doc.data)
    validate_schema(doc, schema())
    versions = versions or {}
    segments = {
        key: parse_segment(key, raw, doc, ("segments", key)) for key, raw in (doc.data.get("segments") or {}).items()
    }
    flags = {
        key: parse_flag(key, raw, doc, ("flags", key), version=versions.get(key, 0))
        for key, raw in doc.data["flags"].items()
    }
    flagset = FlagSet(flags=flags, segments=segments, version=version)
    check_references(flagset, doc)
    return flagset


def parse_raw_flag(key: str, raw: Any, source: str, version: int = 0) -> Flag:
    """One flag from stored JSON (no cross-flag checks: those run on the whole set at write time)."""
    doc = Stored({"flags": {key: normalize_flag(raw)}}, source)
    doc.check_shape()
    return parse_flag(key, doc.data["flags"][key], doc, ("flags", key), version=version)


#: hashes of (key, stored text) that passed the shape check; a kill switch flips between two texts
_SHAPE_CHECKED: dict[int, None] = {}


def parse_stored_flag(key: str, text: str | bytes, source: str, version: int = 0, raw: Any = None) -> Flag:
    """One flag from its stored JSON text (``raw``: that text already parsed), skipping the shape check for a
    text already checked."""
    if raw is None:
        raw = json.loads(text)
    seen = hash((key, text))
    if seen not in _SHAPE_CHECKED:
        flag = parse_raw_flag(key, raw, source, version)
        if len(_SHAPE_CHECKED) >= 4096:
            _SHAPE_CHECKED.pop(next(iter(_SHAPE_CHECKED)))
        _SHAPE_CHECKED[seen] = None
        return flag
    doc = Stored({"flags": {key: normalize_flag(raw)}}, source)
    return parse_flag(key, doc.data["flags"][key], doc, ("flags", key), version=version)


def parse_raw_segment(key: str, raw: Any, source: str) -> Segment:
    """One segment from stored JSON."""
    doc = Stored({"flags": {}, "segments": {key: normalize(raw)}}, source)
    doc.check_shape()
    return parse_segment(key, doc.data["segments"][key], doc, ("segments", key))


def parse_segment(key: str, raw: Mapping[str, Any], doc: Document, path: tuple) -> Segment:
    conditions = tuple(
        parse_condition(c, doc, path + ("conditions", i)) for i, c in enumerate(raw.get("conditions") or [])
    )
    return Segment(
        key=key,
        include=frozenset(str(k) for k in raw.get("include") or []),
        exclude=frozenset(str(k) for k in raw.get("exclude") or []),
        conditions=conditions,
        raw=raw,
    )


def parse_condition(raw: Mapping[str, Any], doc: Document, path: tuple) -> Condition:
    op = raw["op"]
    if "values" in raw and "value" in raw:
        raise doc.error(path, "a condition takes `value` or `values`, not both", "keep one of them")
    if "values" in raw:
        values = tuple(raw["values"])
    elif "value" in raw:
        values = (raw["value"],)
    else:
        raise doc.error(path, f"condition on '{raw['attribute']}' has no value", "add `value: ...` or `values: [...]`")
    if op in SINGLE_VALUE_OPS and len(values) != 1:
        raise doc.error(path + ("values",), f"operator '{op}' compares against exactly one value",
                        "write `value: ...` with a single value")
    if op == "matches":
        for i, pattern in enumerate(values):
            try:
                re.compile(str(pattern))
            except re.error as exc:
                raise doc.error(path + (("values", i) if "values" in raw else ("value",)),
                                f"invalid regular expression {pattern!r}: {exc}",
                                "fix the pattern (Python `re` syntax); escape literal dots as \\.") from None
    elif op in operators.SEMVER_OPS and operators.parse_semver(values[0]) is None:
        raise doc.error(path + ("value",), f"{values[0]!r} is not a semantic version", "write e.g. 2.3.0 or 2.3.0-rc.1")
    elif op in operators.DATE_OPS and (isinstance(values[0], bool) or operators.parse_date(values[0]) is None):
        raise doc.error(path + ("value",), f"{values[0]!r} is not a date", "write an RFC 3339 time, e.g. 2026-07-01T00:00:00Z")
    elif op in operators.NUMBER_OPS and (isinstance(values[0], bool) or not isinstance(values[0], (int, float))):
        raise doc.error(path + ("value",), f"operator '{op}' needs a number, got {values[0]!r}", "write a number")
    attribute, negate = raw["attribute"], bool(raw.get("negate", False))
    return Condition(attribute, op, values, negate, operators.compile_condition(attribute, op, values, negate))


def _variants(key: str, raw: Mapping[str, Any], doc: Document, path: tuple) -> Mapping[str, Any]:
    if not raw.get("variants"):
        return IMPLIED_VARIANTS
    variants = dict(raw["variants"])
    kinds = {name: value_kind(value) for name, value in variants.items()}
    first_name, first_kind = next(iter(kinds.items()))
    for name, kind in kinds.items():
        if kind != first_kind:
            raise doc.error(path + ("variants", name),
                            f"variant '{name}' is a {kind} but '{first_name}' is a {first_kind}",
                            "give every variant of a flag the same type")
    return variants


def _check_variant(name: Any, variants: Mapping[str, Any], doc: Document, path: tuple) -> str:
    if name not in variants:
        raise doc.error(path, f"unknown variant '{name}'" + _form_read(name, variants), _variant_hint(name, variants))
    return name


def _form_read(name: Any, variants: Mapping[str, Any]) -> str:
    """Say which form YAML read when a boolean and a named form of variants meet."""
    if name in BOOLEAN_VARIANTS and not set(variants) & set(BOOLEAN_VARIANTS):
        return (f" (read as the YAML boolean {name}: unquoted on/off/yes/no/true/false name the variants"
                f" 'true'/'false'; this flag's variants are {', '.join(repr(v) for v in variants)})")
    if variants is IMPLIED_VARIANTS:
        return " (this flag has no `variants:`, so its variants are 'true' and 'false')"
    if name not in BOOLEAN_VARIANTS and set(variants) <= set(BOOLEAN_VARIANTS):
        return (f" (this flag's variant names were read as the YAML booleans {'/'.join(variants)}:"
                " unquoted on/off/yes/no are booleans in YAML)")
    return ""


def _variant_hint(name: Any, variants: Mapping[str, Any]) -> str:
    if name in BOOLEAN_VARIANTS and not set(variants) & set(BOOLEAN_VARIANTS):
        return "quote the variant name, e.g. `default: \"on\"`"
    if variants is IMPLIED_VARIANTS:
        return f"declare them, e.g. `variants: {{\"{name}\": true, \"off\": false}}`, or refer to them as true/false"
    if name not in BOOLEAN_VARIANTS and set(variants) <= set(BOOLEAN_VARIANTS):
        return f"quote the variant names under `variants:` (e.g. `\"{name}\": true`), or refer to them as true/false"
    guess = did_you_mean(str(name), variants)
    return f"did you mean '{guess}'?" if guess else "use one of: " + ", ".join(variants)


def parse_serve(raw: Any, variants: Mapping[str, Any], doc: Document, path: tuple) -> Serve:
    if not isinstance(raw, dict):
        return Serve(variant=_check_variant(raw, variants, doc, path))
    if "variant" in raw:
        return Serve(variant=_check_variant(raw["variant"], variants, doc, path + ("variant",)))
    rollout, split, upper = raw["rollout"], [], 0
    for name, percent in rollout.items():
        where = path + ("rollout", name)
        _check_variant(name, variants, doc, where)
        if not 0 <= percent <= 100:
            raise doc.error(where, f"percentage {percent} for '{name}' is outside 0..100",
                            "give each variant a percentage between 0 and 100, together adding up to 100")
        units = bucketing.percent_to_units(percent)
        if abs(units - percent * 1000) > 1e-6:
            raise doc.error(where, f"percentage {percent} has more than 3 decimals", "round it to 0.001 %")
        upper += units
        split.append((name, upper))
    if upper != bucketing.BUCKETS:
        raise doc.error(path + ("rollout",), f"rollout percentages add up to {upper / 1000:g}, not 100",
                        "make the percentages of all variants add up to exactly 100")
    return Serve(split=tuple(split), by=raw.get("by", TARGETING_KEY))


def parse_flag(key: str, raw: Mapping[str, Any], doc: Document, path: tuple, version: int = 0) -> Flag:
    """One flag, checked on its own (variants, serves, conditions, percentages)."""
    variants = _variants(key, raw, doc, path)
    if "default" in raw:
        default = parse_serve(raw["default"], variants, doc, path + ("default",))
    elif "false" in variants and variants["false"] is False:
        default = Serve(variant="false")
    else:
        raise doc.error(path, f"flag '{key}' has no default", "add `default: <variant>` (what it serves when no rule matches)")
    off = _check_variant(raw["off"], variants, doc, path + ("off",)) if "off" in raw else None
    targets: dict[str, str] = {}
    for name, keys in (raw.get("targets") or {}).items():
        _check_variant(name, variants, doc, path + ("targets", name))
        for target in keys:
            if str(target) in targets:
                raise doc.error(path + ("targets", name), f"'{target}' is targeted by two variants",
                                "list each targeting key under one variant only")
            targets[str(target)] = name
    rules = []
    for i, rule in enumerate(raw.get("rules") or []):
        where = path + ("rules", i)
        conditions = tuple(parse_condition(c, doc, where + ("conditions", j)) for j, c in enumerate(rule.get("conditions") or []))
        rules.append(Rule(name=rule.get("name") or f"rules[{i}]", conditions=conditions,
                          segments=tuple(rule.get("segments") or ()),
                          serve=parse_serve(rule["serve"], variants, doc, where + ("serve",))))
    prerequisites = tuple(
        Prerequisite(flag=p["flag"], variants=tuple(p.get("variants") or ())) for p in raw.get("prerequisites") or []
    )
    if "schedule" in raw or "stale_after" in raw:
        validate_lifecycle_fields(key, raw, variants, [r.name for r in rules],
                                  lambda where, problem, fix: doc.error(path + where, problem, fix))
    return Flag(
        key=key, variants=variants, default=default, enabled=raw.get("enabled", True), off=off,
        salt=raw.get("salt", key), description=raw.get("description", ""), prerequisites=prerequisites,
        targets=targets, rules=tuple(rules), version=version, raw=raw,
    )


def check_references(flagset: FlagSet, doc: Document | None = None) -> None:
    """Cross-flag checks: segments and prerequisite flags exist, their variants exist, no prerequisite cycle."""
    doc = doc or Stored(flagset.raw(), "<flags>")
    for key, flag in flagset.flags.items():
        for i, rule in enumerate(flag.rules):
            for j, segment in enumerate(rule.segments):
                if segment not in flagset.segments:
                    guess = did_you_mean(segment, flagset.segments)
                    raise doc.error(("flags", key, "rules", i, "segments", j), f"unknown segment '{segment}'",
                                    f"did you mean '{guess}'?" if guess else "define it under `segments:`")
        for i, prereq in enumerate(flag.prerequisites):
            where = ("flags", key, "prerequisites", i)
            parent = flagset.flags.get(prereq.flag)
            if parent is None:
                guess = did_you_mean(prereq.flag, flagset.flags)
                raise doc.error(where + ("flag",), f"prerequisite flag '{prereq.flag}' does not exist",
                                f"did you mean '{guess}'?" if guess else "define that flag or remove the prerequisite")
            for j, name in enumerate(prereq.variants):
                _check_variant(name, parent.variants, doc, where + ("variants", j))
    cycle = find_cycle(flagset)
    if cycle:
        raise doc.error(("flags", cycle[0], "prerequisites"), "prerequisite cycle: " + " -> ".join(cycle),
                        "remove one of these prerequisites; a flag cannot depend on itself")


def find_cycle(flagset: FlagSet) -> list[str] | None:
    """The first prerequisite cycle as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(key: str) -> list[str] | None:
        state[key] = 1
        stack.append(key)
        for prereq in flagset.flags[key].prerequisites:
            if prereq.flag not in flagset.flags:
                continue
            if state.get(prereq.flag) == 1:
                return stack[stack.index(prereq.flag):] + [prereq.flag]
            if prereq.flag not in state and (found := visit(prereq.flag)):
                return found
        stack.pop()
        state[key] = 2
        return None

    for key in flagset.flags:
        if key not in state and (found := visit(key)):
            return found
    return None



#: `rollwise flags import --from NAME` -> the module translating NAME's definitions (model.imports.*)
IMPORT_SOURCES = {"flagd": "flagd", "growthbook": "growthbook", "unleash": "unleash"}


def import_definitions(path: str | Path, source: str) -> str:
    """flags.yml text translated from another system's JSON file, with notes as comments on top.

    Refusals are ConfigErrors (exit 2) naming file, line, key path and the expression; the result passes the same
    validation as flags.yml before it is returned.
    """
    import importlib

    import yaml

    from rollwise.flags.model.imports import Untranslatable, line_of
    from rollwise.yamlsource import dotted

    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read {file}: {exc.strerror}", file=file, fix="check the path") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ConfigError(f"not valid JSON: {exc.msg}", file=file, line=getattr(exc, "lineno", None),
                          fix="fix the JSON syntax (export the definitions as JSON)") from None
    translator = importlib.import_module(f"rollwise.flags.model.imports.{IMPORT_SOURCES[source]}")
    try:
        imported = translator.translate(data)
    except Untranslatable as exc:
        shown = f": {exc.shown()}" if exc.expression is not None else ""
        raise ConfigError(exc.why + shown, file=file, line=line_of(text, exc.where, exc.near),
                          key=dotted(exc.where) or None, fix=exc.fix or translator.FIX) from None
    body = yaml.safe_dump(imported.document(), sort_keys=False, allow_unicode=True, width=120)
    parse_flagset_text(body, f"{file} (translated)")
    header = [f"# translated from {file} by `rollwise flags import --from {source}`"]
    header += [f"# note: {note}" for note in imported.notes]
    return "\n".join(header) + "\n" + body


# --- lifecycle fields of a flag: stale_after and schedule ----------------------------------------------------------

def stale_after(raw: Mapping[str, Any], default: timedelta | None) -> timedelta | None:
    """The flag's ``stale_after`` (``30d``, ``12h`` or seconds; ``never`` for a permanent flag such as a kill
    switch: None), else ``default``; ValueError when unreadable."""
    if raw.get("stale_after") is None:
        return default
    if raw["stale_after"] == "never":
        return None
    from rollwise.units import parse_duration  # the one duration grammar of rollwise

    seconds = parse_duration(raw["stale_after"])
    if seconds <= 0:
        raise ValueError(f"'{raw['stale_after']}' is not a positive duration; write e.g. 30d")
    return timedelta(seconds=seconds)


def validate_lifecycle_fields(key: str, raw: Mapping[str, Any], variants: Mapping[str, Any], rules: list[str],
                              error) -> None:
    """Check ``stale_after`` and ``schedule``; ``error(path, problem, fix)`` builds the located ConfigError."""
    try:
        stale_after(raw, None)
    except ValueError as exc:
        raise error(("stale_after",), str(exc), "write a duration such as 30d, 2w or 12h, or never") from None
    schedule.validate(key, raw, variants, rules, error)


# --- .rollwise/coderefs.yml: what the code-reference scan looks for ------------------------------------------------

#: where the scan looks for its configuration when none is given
REFS_CONFIG_PATH = ".rollwise/coderefs.yml"


def refs_schema() -> dict[str, Any]:
    """The shipped JSON Schema of .rollwise/coderefs.yml."""
    from rollwise.shipped_schemas import load_schema

    return load_schema("coderefs")


def load_refs_config(path: str | Path | None, root: str | Path = ".") -> RefsConfig:
    """The configuration at ``path``; without one, ``.rollwise/coderefs.yml`` under ``root`` if it exists, else
    the built-in rules."""
    # imported here: FlagClient reads its flags through this module and keeps its memory small
    from rollwise.flags.model.coderefs import DEFAULT_PATTERNS, Pattern, PythonRules, RefsConfig
    from rollwise.yamlsource import load_yaml, validate_schema

    if path is None:
        candidate = Path(root) / REFS_CONFIG_PATH
        if not candidate.is_file():
            return RefsConfig()
        path = candidate
    doc = load_yaml(path)
    if doc.data is None:
        return RefsConfig(source=str(path))
    validate_schema(doc, refs_schema())
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
