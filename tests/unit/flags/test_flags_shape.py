"""The stored-definition checker agrees with jsonschema on flags.schema.json."""

from __future__ import annotations

import jsonschema
import pytest

from rollwise.flags.config import schema
from rollwise.flags.model import shape

FLAGS = [
    {"default": "true"},
    {"enabled": False, "off": "false", "description": "d", "tags": ["a"], "metadata": {"owner": "x"}},
    {"variants": {"a": 1, "b": 2.5}, "default": {"rollout": {"a": 50, "b": 50}, "by": "userId"}},
    {"rules": [{"name": "r", "conditions": [{"attribute": "c", "op": "in", "values": ["DE"]}], "segments": ["s"],
                "serve": {"variant": "true"}}]},
    {"prerequisites": [{"flag": "other", "variants": ["true"]}], "targets": {"true": ["u1", 7]}},
    {"enabled": "yes"},
    {"defualt": "true"},
    {"default": {"variant": "true", "rollout": {"true": 100}}},
    {"default": {"rollout": {}}},
    {"default": {"rollout": {"true": "50"}}},
    {"default": ""},
    {"rules": [{"conditions": [{"attribute": "c", "op": "bogus", "value": 1}], "serve": "true"}]},
    {"rules": [{"conditions": [{"attribute": "", "op": "in", "values": ["x"]}], "serve": "true"}]},
    {"rules": [{"conditions": [{"attribute": "c", "op": "in", "values": []}], "serve": "true"}]},
    {"rules": [{"serve": "true", "segments": ["bad key!"]}]},
    {"prerequisites": [{"variants": ["true"]}]},
    {"targets": {"true": [1.5]}},
    {"variants": {}},
    {"variants": {"a": None}, "default": "a"},
    ["not", "an", "object"],
]


@pytest.mark.parametrize("flag", FLAGS, ids=[f"case-{i}" for i in range(len(FLAGS))])
def test_agrees_with_jsonschema(flag):
    document = {"flags": {"k": flag}}
    expected = jsonschema.Draft202012Validator(schema()).is_valid(document)
    assert (shape.problem(document, schema(), schema()) is None) is expected


def test_reports_the_path_of_the_problem():
    found = shape.problem({"flags": {"k": {"rules": [{"serve": "true", "conditions": [{"attribute": "a", "op": "x", "value": 1}]}]}}},
                          schema(), schema())
    assert found[0] == ("flags", "k", "rules", 0, "conditions", 0, "op")


def test_stored_texts_are_checked_once_and_invalid_ones_always_refused():
    import json

    from rollwise.errors import ConfigError
    from rollwise.flags.config import parse_stored_flag

    good = json.dumps({"default": "true", "enabled": False})
    assert parse_stored_flag("cached", good, "redis://t", version=3).version == 3
    assert parse_stored_flag("cached", good, "redis://t", version=4).version == 4  # same text, new version
    bad = json.dumps({"enabled": "no"})
    for _ in range(2):
        with pytest.raises(ConfigError, match="is not of type boolean"):
            parse_stored_flag("cached", bad, "redis://t")
