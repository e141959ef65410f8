"""`rollwise flags import --from growthbook`: SDK payload features become flags that answer alike."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main
from rollwise.errors import ConfigError
from rollwise.flags.config import import_definitions, parse_flagset_text
from rollwise.flags.model.evaluate import evaluate
from rollwise.flags.model.imports.growthbook import translate

PAYLOAD = {"status": 200, "features": {
    "dark-mode": {"defaultValue": False, "rules": [
        {"id": "fr_staff", "condition": {"email": {"$regex": "@acme\\.io$"}}, "force": True},
        {"id": "fr_nordics", "condition": {"$or": [{"country": "NO"}, {"country": {"$in": ["SE", "DK"]}}],
                                           "version": {"$vgte": "2.0.0"}}, "force": True},
        {"id": "fr_half", "coverage": 0.5, "hashAttribute": "id", "force": True}]},
    "button-color": {"defaultValue": "blue", "rules": [
        {"id": "ex_1", "key": "button-test", "variations": ["blue", "green", "red"], "weights": [0.5, 0.25, 0.25],
         "coverage": 0.8, "hashAttribute": "id"}]},
    "limit": {"defaultValue": 10, "rules": [{"condition": {"plan": {"$ne": "free"}, "seats": {"$gt": 5}}, "force": 100}]},
    "layout": {"defaultValue": {"columns": 2}, "rules": [{"condition": {"beta": True}, "force": {"columns": 3}}]},
}}


@pytest.fixture(autouse=True)
def _workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _render(data) -> str:
    """`rollwise flags import --from growthbook features.json`, as text."""
    with open("features.json", "w") as out:
        out.write(json.dumps(data, indent=2))
    return import_definitions("features.json", "growthbook")


def _flags(data=PAYLOAD):
    return translate(data), parse_flagset_text(_render(data))


@pytest.mark.parametrize(("key", "context", "value"), [
    ("dark-mode", {"email": "ann@acme.io"}, True),
    ("dark-mode", {"country": "DK", "version": "2.1.0"}, True),
    ("dark-mode", {"country": "DK", "version": "1.9.0"}, False),
    ("limit", {"plan": "pro", "seats": 8}, 100),
    ("limit", {"plan": "free", "seats": 8}, 10),
    ("layout", {"beta": True}, {"columns": 3}),
    ("layout", {}, {"columns": 2}),
])
def test_values_and_conditions_answer_as_growthbook_would(key, context, value):
    _, flags = _flags()
    assert evaluate(flags, key, context).value == value


def test_values_become_named_variants_and_splits_keep_percentages():
    imported, flags = _flags()
    assert imported.flags["button-color"]["variants"] == {"blue": "blue", "green": "green", "red": "red"}
    assert imported.flags["button-color"]["rules"][0]["serve"] == {
        "rollout": {"blue": 60, "green": 20, "red": 20}, "by": "id"}
    assert imported.flags["layout"]["variants"] == {"value-1": {"columns": 2}, "value-2": {"columns": 3}}
    assert imported.flags["dark-mode"]["rules"][-1]["serve"] == {"rollout": {"true": 50, "false": 50}, "by": "id"}
    assert any("rollwise hashes differently from GrowthBook" in note for note in imported.notes)
    seen = {evaluate(flags, "button-color", {"id": f"u{i}"}).value for i in range(300)}
    assert seen == {"blue", "green", "red"}


@pytest.mark.parametrize(("feature", "where", "problem"), [
    ({"defaultValue": 1, "rules": [{"coverage": 0.5, "force": 2}, {"force": 3}]}, "rules[0]", "not the last rule"),
    ({"defaultValue": 1, "rules": [{"force": 2, "namespace": ["ns", 0, 0.5]}]}, "rules[0].namespace", "`namespace`"),
    ({"defaultValue": 1, "rules": [{"force": 2, "condition": {"tags": {"$elemMatch": {"$eq": "x"}}}}]},
     "rules[0].condition.tags.$elemMatch", "`$elemMatch`"),
    ({"defaultValue": 1, "rules": [{"force": 2, "condition": {"$nor": [{"a": 1}]}}]}, "rules[0].condition.$nor", "`$nor`"),
    ({"rules": []}, "defaultValue", "no defaultValue"),
], ids=["split-not-last", "namespace", "elemMatch", "nor", "no-default"])
def test_untranslatable_features_are_refused(feature, where, problem):
    with pytest.raises(ConfigError) as caught:
        _render({"features": {"f": feature}})
    error = caught.value
    assert error.location.key == f"features.f.{where}" and error.location.line == 3
    assert "GrowthBook feature 'f'" in error.problem and problem in error.problem


def test_cli(tmp_path, capsys):
    path = tmp_path / "features.json"
    path.write_text(json.dumps(PAYLOAD))
    assert main(["flags", "import", "--from", "growthbook", str(path)]) in (0, None)
    assert evaluate(parse_flagset_text(capsys.readouterr().out), "limit", {}).value == 10
