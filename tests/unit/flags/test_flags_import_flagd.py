"""`rollwise flags import --from flagd`: what translates, how it then evaluates, and what is refused."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main
from rollwise.errors import ConfigError
from rollwise.flags.config import import_definitions, parse_flagset_text
from rollwise.flags.model.evaluate import evaluate
from rollwise.flags.model.imports import percentages
from rollwise.flags.model.imports.flagd import translate


def _flags(**flags) -> str:
    return json.dumps({"$schema": "https://flagd.dev/schema/v0/flags.json", "flags": flags}, indent=2)


@pytest.fixture(autouse=True)
def _workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _render(text: str) -> str:
    """`rollwise flags import --from flagd flags.json`, as text."""
    with open("flags.json", "w") as out:
        out.write(text)
    return import_definitions("flags.json", "flagd")


def _imported(text: str):
    return parse_flagset_text(_render(text))


COLORS = {"red": "#f00", "blue": "#00f", "green": "#0f0"}


def test_variants_default_state_and_metadata_carry_over():
    text = json.dumps({"metadata": {"team": "web"}, "flags": {
        "on-off": {"state": "ENABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on",
                   "metadata": {"version": "1.0.2"}},
        "dead": {"state": "DISABLED", "variants": {"on": True, "off": False}, "defaultVariant": "on"}}})
    flags = _imported(text)
    flag = flags.flags["on-off"]
    assert flag.variants == {"on": True, "off": False} and flag.default.variant == "on" and flag.enabled
    assert flag.raw["metadata"] == {"team": "web", "version": "1.0.2"}
    assert not flags.flags["dead"].enabled
    assert evaluate(flags, "dead", {}, False).reason == "DISABLED"
    # the names stay quoted in the YAML, so reading it back keeps them names
    assert "'on': true" in _render(text)


CASES = [
    # (targeting, context, expected variant)
    ({"if": [{"==": [{"var": "email"}, "a@x.com"]}, "blue"]}, {"email": "a@x.com"}, "blue"),
    ({"if": [{"==": ["a@x.com", {"var": "email"}]}, "blue"]}, {"email": "b@x.com"}, "red"),
    ({"if": [{"in": [{"var": "country"}, ["DE", "FR"]]}, "blue", "green"]}, {"country": "FR"}, "blue"),
    ({"if": [{"in": [{"var": "country"}, ["DE", "FR"]]}, "blue", "green"]}, {"country": "US"}, "green"),
    ({"if": [{"in": ["@corp", {"var": "email"}]}, "blue"]}, {"email": "x@corp.com"}, "blue"),
    ({"if": [{"starts_with": [{"var": "id"}, "qa-"]}, "green"]}, {"id": "qa-7"}, "green"),
    ({"if": [{"ends_with": [{"var": "email"}, "@faas.com"]}, "green"]}, {"email": "x@faas.com"}, "green"),
    ({"if": [{"sem_ver": [{"var": "v"}, ">=", "1.2.0"]}, "blue"]}, {"v": "1.10.0"}, "blue"),
    ({"if": [{"sem_ver": [{"var": "v"}, "^", "1.2.0"]}, "blue"]}, {"v": "2.0.0"}, "red"),
    ({"if": [{"sem_ver": [{"var": "v"}, "~", "1.2.0"]}, "blue"]}, {"v": "1.2.9"}, "blue"),
    ({"if": [{"and": [{">": [{"var": "age"}, 10]}, {"!": {"var": "customer"}}]}, "blue"]},
     {"age": 65, "customer": False}, "blue"),
    ({"if": [{"and": [{">": [{"var": "age"}, 10]}, {"!": {"var": "customer"}}]}, "blue"]},
     {"age": 65, "customer": True}, "red"),
    ({"if": [{"or": [{"==": [{"var": "a"}, 1]}, {"==": [{"var": "b"}, 2]}]}, "green"]}, {"b": 2}, "green"),
    ({"if": [{"<": [1, {"var": "n"}, 5]}, "blue"]}, {"n": 5}, "red"),
    ({"if": [{"==": [{"var": "tier"}, "gold"]}, {"if": [{"==": [{"var": "beta"}, True]}, "green"]},
             {"==": [{"var": "country"}, "DE"]}, "blue"]}, {"tier": "gold", "beta": False, "country": "DE"}, "red"),
    ({"if": [{"$ref": "staff"}, "green"]}, {"email": "x@staff.io"}, "green"),
]


@pytest.mark.parametrize(("targeting", "context", "variant"), CASES, ids=[str(i) for i in range(len(CASES))])
def test_json_logic_targeting_evaluates_as_flagd_would(targeting, context, variant):
    text = json.dumps({"$evaluators": {"staff": {"ends_with": [{"var": "email"}, "@staff.io"]}},
                       "flags": {"color": {"state": "ENABLED", "variants": COLORS, "defaultVariant": "red",
                                           "targeting": targeting}}})
    assert evaluate(_imported(text), "color", context).variant == variant


def test_fractional_keeps_the_percentages_and_the_attribute_and_says_buckets_differ():
    targeting = {"fractional": [{"cat": [{"var": "$flagd.flagKey"}, {"var": "email"}]}, ["red", 50], ["blue", 25],
                                ["green", 25]]}
    text = _flags(color={"variants": COLORS, "defaultVariant": "red", "targeting": targeting})
    imported = translate(json.loads(text))
    assert imported.flags["color"]["default"] == {"rollout": {"red": 50, "blue": 25, "green": 25}, "by": "email"}
    assert "rollwise hashes differently from flagd" in imported.notes[0]
    assert "# note: color: its `fractional` split" in _render(text)
    flags = _imported(text)
    seen = {evaluate(flags, "color", {"email": f"u{i}@x.io"}).variant for i in range(200)}
    assert seen == {"red", "blue", "green"}


def test_uneven_weights_round_to_exactly_100_percent():
    assert percentages([("a", 1), ("b", 1), ("c", 1)]) == {"a": 33.334, "b": 33.333, "c": 33.333}
    assert sum(percentages([("a", 7), ("b", 11), ("c", 13)]).values()) == pytest.approx(100)


REFUSED = [
    ({"if": [{"==": [{"var": "$flagd.timestamp"}, 5]}, "blue"]}, "targeting.if[0]", "$flagd.timestamp"),
    ({"if": [{"matches_regex": [{"var": "email"}, ".*"]}, "blue"]}, "targeting.if[0]", "matches_regex"),
    ({"if": [{"==": [{"var": "email"}, "x"]}, "purple"]}, "targeting.if[1]", "'purple' is not a variant"),
    ({"if": [{"!": {"or": [{"var": "a"}, {"var": "b"}]}}, "blue"]}, "targeting.if[0]", "`!` is translated only"),
    ({"fractional": [{"var": "$flagd.flagKey"}, ["red", 1]]}, "targeting.fractional[0]", "one context attribute"),
    ({"if": [{"$ref": "nope"}, "blue"]}, "targeting.if[0]", "no shared evaluator 'nope'"),
    ({"if": [{"==": [{"var": "a"}, 1]}, 7]}, "targeting.if[1]", "a branch must yield a variant name"),
]


@pytest.mark.parametrize(("targeting", "where", "problem"), REFUSED, ids=[str(i) for i in range(len(REFUSED))])
def test_untranslatable_targeting_is_refused_naming_flag_and_expression(targeting, where, problem):
    text = _flags(color={"state": "ENABLED", "variants": COLORS, "defaultVariant": "red", "targeting": targeting})
    with pytest.raises(ConfigError) as caught:
        _render(text)
    error = caught.value
    # JSON keeps no positions: the line is that of the deepest key of the path ("if" or "fractional")
    assert error.location.file == "flags.json" and error.location.line == 13
    assert error.location.key == f"flags.color.{where}"
    assert "flag 'color'" in error.problem and problem in error.problem
    assert "docs/flags/moving.md" in error.fix


@pytest.mark.parametrize(("flag", "problem"), [
    ({"variants": {"a": 1}}, "has no defaultVariant"),
    ({"variants": {"a": 1}, "defaultVariant": None}, "has no defaultVariant"),
    ({"variants": {"a": 1}, "defaultVariant": "b"}, "defaultVariant 'b' of flag 'color' is not a variant"),
    ({"variants": {"a": 1}, "defaultVariant": "a", "state": "OFF"}, "neither ENABLED nor DISABLED"),
    ({"variants": {"a": 1}, "defaultVariant": "a", "contextEvaluator": "x"}, "'contextEvaluator'"),
])
def test_bad_flags_are_refused(flag, problem):
    with pytest.raises(ConfigError) as caught:
        _render(_flags(color=flag))
    assert problem in caught.value.problem and caught.value.fix


def test_cli_prints_yaml_and_exits_2_on_refusal(tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(_flags(color={"variants": COLORS, "defaultVariant": "blue",
                                  "targeting": {"if": [{"==": [{"var": "email"}, "a@x.com"]}, "green"]}}))
    assert main(["flags", "import", "--from", "flagd", str(good)]) in (0, None)
    out = capsys.readouterr().out
    assert evaluate(parse_flagset_text(out), "color", {"email": "a@x.com"}).variant == "green"
    bad = tmp_path / "bad.json"
    bad.write_text(_flags(color={"variants": COLORS, "defaultVariant": "blue",
                                 "targeting": {"if": [{"var": "$flagd.flagKey"}, "green"]}}))
    assert main(["flags", "import", "--from", "flagd", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "flag 'color'" in captured.err and "$flagd.flagKey" in captured.err
    assert main(["flags", "import", "--from", "flagd", str(tmp_path / "missing.json")]) == 2


def test_every_import_source_is_offered_by_the_cli():
    from rollwise.flags.cli import import_command
    from rollwise.flags.config import IMPORT_SOURCES

    choices = next(p for p in import_command.params if p.name == "source").type.choices
    assert sorted(choices) == sorted(IMPORT_SOURCES)
