"""Variant names are names: quoted "on"/"off" stay names of boolean variants; unquoted YAML booleans name true/false."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main
from rollwise.errors import ConfigError
from rollwise.flags import service
from rollwise.flags.adapters.file import FileStore
from rollwise.flags.config import parse_flagset_text
from rollwise.flags.model.changes import Audit
from rollwise.flags.model.evaluate import evaluate

QUOTED = """\
version: rollwise/flags/v1
flags:
  boolean-flag:
    variants: {"on": true, "off": false}
    default: "on"
    off: "off"
"""

UNQUOTED = """\
version: rollwise/flags/v1
flags:
  boolean-flag:
    variants: {on: true, off: false}
    default: on
    off: off
"""

#: (yaml, variant served, the other variant)
FORMS = [(QUOTED, "on", "off"), (UNQUOTED, "true", "false")]
IDS = ["quoted", "unquoted"]

AUDIT = Audit(actor="test", reason="variant names", run_url=None, sha=None)


@pytest.mark.parametrize(("text", "served", "other"), FORMS, ids=IDS)
def test_validation_keeps_the_form_that_was_written(text, served, other):
    flag = parse_flagset_text(text).flags["boolean-flag"]
    assert flag.variants == {served: True, other: False}
    assert (flag.default.variant, flag.off) == (served, other)
    assert evaluate(parse_flagset_text(text), "boolean-flag").variant == served


@pytest.mark.parametrize("names", [("enabled", "disabled"), ("yes-please", "no-thanks"), ("on", "default")])
def test_any_names_for_boolean_values(names):
    text = f'flags:\n  f:\n    variants: {{"{names[0]}": true, "{names[1]}": false}}\n    default: "{names[1]}"\n'
    flag = parse_flagset_text(text).flags["f"]
    assert flag.variants == {names[0]: True, names[1]: False} and flag.default.variant == names[1]


def test_object_values_keep_keys_that_look_like_fields():
    text = 'flags:\n  f:\n    variants: {a: {"off": false, variant: 1, default: on}}\n    default: a\n'
    assert parse_flagset_text(text).flags["f"].variants["a"] == {"off": False, "variant": 1, "default": True}


def test_the_type_check_looks_at_values_only():
    with pytest.raises(ConfigError) as caught:
        parse_flagset_text('flags:\n  f:\n    variants: {"on": true, "off": "no"}\n    default: "on"\n')
    assert "variant 'off' is a string but 'on' is a boolean" in caught.value.problem


def test_unquoted_reference_to_quoted_names_says_what_yaml_read():
    with pytest.raises(ConfigError) as caught:
        parse_flagset_text('flags:\n  f:\n    variants: {"on": true, "off": false}\n    default: on\n')
    error = caught.value
    assert error.location.line == 4 and error.location.key == "flags.f.default"
    assert "unknown variant 'true' (read as the YAML boolean true" in error.problem and "'on', 'off'" in error.problem
    assert error.fix == 'quote the variant name, e.g. `default: "on"`'


def test_quoted_reference_to_unquoted_names_says_what_yaml_read():
    with pytest.raises(ConfigError) as caught:
        parse_flagset_text('flags:\n  f:\n    variants: {on: true, off: false}\n    default: "on"\n')
    assert "variant names were read as the YAML booleans true/false" in caught.value.problem
    assert "quote the variant names" in caught.value.fix


@pytest.mark.parametrize(("text", "served", "other"), FORMS, ids=IDS)
def test_file_store_and_sync_keep_the_names(tmp_path, text, served, other):
    source = tmp_path / "flags.yml"
    source.write_text(text)
    assert FileStore(source).load().flagset.flags["boolean-flag"].default.variant == served
    target = FileStore(tmp_path / "store.yml")
    target.path.write_text("version: rollwise/flags/v1\nflags: {}\n")
    result = service.sync(target, source, AUDIT)
    assert result.changed
    stored = target.load()
    assert stored.raw_flags["boolean-flag"]["variants"] == {served: True, other: False}
    assert evaluate(stored.flagset, "boolean-flag").variant == served
    # a second sync of the same file finds nothing to change: the stored form is the written form
    assert not service.sync(target, source, AUDIT).changes


@pytest.mark.parametrize(("text", "served", "other"), FORMS, ids=IDS)
def test_cli_get_shows_the_names(tmp_path, monkeypatch, capsys, text, served, other):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flags.yml").write_text(text)
    assert main(["flags", "get", "boolean-flag", "--store", "file://flags.yml"]) in (0, None)
    body = json.loads(capsys.readouterr().out)
    assert body["definition"]["variants"] == {served: True, other: False} and body["definition"]["default"] == served
    assert main(["flags", "get", "boolean-flag", "--store", "file://flags.yml", "--context", "{}"]) in (0, None)
    evaluation = json.loads(capsys.readouterr().out)["evaluation"]
    assert (evaluation["value"], evaluation["variant"], evaluation["reason"]) == (True, served, "STATIC")


def test_a_flag_without_variants_says_its_variants_are_true_and_false():
    with pytest.raises(ConfigError) as caught:
        parse_flagset_text('flags:\n  f:\n    default: "on"\n')
    assert "this flag has no `variants:`, so its variants are 'true' and 'false'" in caught.value.problem
    assert caught.value.fix.startswith('declare them, e.g. `variants: {"on": true, "off": false}`')
