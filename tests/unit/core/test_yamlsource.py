"""Located YAML: every config error names file, line and key."""

from __future__ import annotations

import pytest

from rollwise.errors import ConfigError
from rollwise.yamlsource import did_you_mean, dotted, load_yaml, parse_yaml, validate_schema

SCHEMA = {
    "type": "object",
    "required": ["version"],
    "additionalProperties": False,
    "properties": {
        "version": {"enum": ["rollwise/v1"]},
        "slos": {"type": "array", "items": {"type": "object", "additionalProperties": False,
                                            "properties": {"name": {"type": "string"}, "objective": {"type": "number"}}}},
    },
}


def test_lines_of_nested_keys():
    doc = parse_yaml("version: rollwise/v1\nslos:\n  - name: a\n    objective: 99.9\n", "r.yml")
    assert doc.line_of(("slos", 0, "objective")) == 4
    assert doc.line_of(("slos", 0, "missing")) == 3


def test_unknown_key_gets_a_suggestion():
    doc = parse_yaml("version: rollwise/v1\nslos:\n  - name: a\n    objectiv: 99.9\n", "r.yml")
    with pytest.raises(ConfigError) as caught:
        validate_schema(doc, SCHEMA)
    assert str(caught.value) == "r.yml:4: slos[0].objectiv: unknown key 'objectiv'\n  fix: did you mean 'objective'?"


def test_wrong_type_is_located():
    doc = parse_yaml("version: rollwise/v1\nslos:\n  - name: a\n    objective: high\n", "r.yml")
    with pytest.raises(ConfigError) as caught:
        validate_schema(doc, SCHEMA)
    assert caught.value.location.line == 4 and caught.value.location.key == "slos[0].objective"
    assert "number" in caught.value.fix


def test_syntax_error_is_located():
    with pytest.raises(ConfigError) as caught:
        parse_yaml("version: rollwise/v1\nslos: [\n", "r.yml")
    assert caught.value.location.file == "r.yml" and caught.value.location.line == 3


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_yaml(tmp_path / "nope.yml")


def test_helpers():
    assert dotted(("slos", 2, "objective")) == "slos[2].objective"
    assert did_you_mean("treshold", ["threshold", "window"]) == "threshold"
    assert did_you_mean("zzz", ["threshold"]) is None
