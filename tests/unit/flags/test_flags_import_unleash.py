"""`rollwise flags import --from unleash`: exports and client payloads become boolean flags that answer alike."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main
from rollwise.errors import ConfigError
from rollwise.flags.config import import_definitions, parse_flagset_text
from rollwise.flags.model.evaluate import evaluate
from rollwise.flags.model.imports.unleash import translate

EXPORT = {
    "features": [
        {"name": "everyone", "description": "on for all", "type": "release", "project": "default"},
        {"name": "beta-users", "type": "release", "project": "default"},
        {"name": "half", "type": "experiment", "project": "default"},
        {"name": "switched-off", "type": "kill-switch", "project": "default"},
        {"name": "no-strategy", "type": "release", "project": "default"},
        {"name": "child", "type": "release", "project": "default"},
    ],
    "featureStrategies": [
        {"name": "default", "featureName": "everyone", "parameters": {}, "constraints": [], "segments": []},
        {"name": "flexibleRollout", "featureName": "beta-users", "sortOrder": 2,
         "parameters": {"rollout": "25", "stickiness": "userId", "groupId": "beta-users"}, "constraints": []},
        {"name": "userWithId", "featureName": "beta-users", "sortOrder": 1, "parameters": {"userIds": "ann, bob"}},
        {"name": "default", "featureName": "beta-users", "sortOrder": 0, "parameters": {},
         "constraints": [{"contextName": "appVersion", "operator": "SEMVER_GTE", "value": "2.0.0", "inverted": False},
                         {"contextName": "country", "operator": "IN", "values": ["NO", "SE"]},
                         {"contextName": "tier", "operator": "NUM_GT", "value": "2", "inverted": True}]},
        {"name": "flexibleRollout", "featureName": "half",
         "parameters": {"rollout": "50", "stickiness": "default", "groupId": "half"}},
        {"name": "default", "featureName": "switched-off", "parameters": {}},
        {"name": "default", "featureName": "child", "parameters": {}},
        {"name": "remoteAddress", "featureName": "child", "disabled": True, "parameters": {"IPs": "10.0.0.1"}},
    ],
    "featureEnvironments": [
        {"featureName": "everyone", "environment": "production", "enabled": True, "variants": []},
        {"featureName": "beta-users", "environment": "production", "enabled": True, "variants": []},
        {"featureName": "half", "environment": "production", "enabled": True, "variants": []},
        {"featureName": "switched-off", "environment": "production", "enabled": False, "variants": []},
        {"featureName": "no-strategy", "environment": "production", "enabled": True, "variants": []},
        {"featureName": "child", "environment": "production", "enabled": True, "variants": []},
    ],
    "dependencies": [{"feature": "child", "dependencies": [{"feature": "everyone"}]}],
    "tagTypes": [],
}


@pytest.fixture(autouse=True)
def _workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _render(data, name: str = "export.json") -> str:
    """`rollwise flags import --from unleash export.json`, as text."""
    with open(name, "w") as out:
        out.write(json.dumps(data, indent=2))
    return import_definitions(name, "unleash")


def _flags(data) -> tuple:
    return translate(data), parse_flagset_text(_render(data))


@pytest.mark.parametrize(("key", "context", "value"), [
    ("everyone", {}, True),
    ("beta-users", {"userId": "bob"}, True),
    ("beta-users", {"appVersion": "2.1.0", "country": "SE", "tier": 1}, True),
    ("beta-users", {"appVersion": "2.1.0", "country": "SE", "tier": 3}, False),
    ("beta-users", {"appVersion": "1.9.0", "country": "SE", "tier": 1}, False),
    ("switched-off", {}, False),
    ("no-strategy", {}, True),
    ("child", {}, True),
])
def test_the_export_answers_as_unleash_would(key, context, value):
    _, flags = _flags(EXPORT)
    assert evaluate(flags, key, {"targetingKey": "t", **context}, None).value is value


def test_rollouts_go_last_keep_their_percentage_and_say_buckets_differ():
    imported, flags = _flags(EXPORT)
    rules = imported.flags["beta-users"]["rules"]
    assert [r["name"] for r in rules] == ["default 1", "userWithId 2", "flexibleRollout 3"]
    assert rules[-1]["serve"] == {"rollout": {"true": 25, "false": 75}, "by": "userId"}
    on = sum(evaluate(flags, "half", {"userId": f"u{i}"}).value for i in range(2000))
    assert 850 < on < 1150
    assert any("rollwise hashes differently from Unleash" in note for note in imported.notes)
    assert imported.flags["switched-off"]["enabled"] is False and imported.flags["child"]["prerequisites"] == [{"flag": "everyone"}]


def test_client_payload_with_segment_constraints():
    payload = {"version": 2, "features": [
        {"name": "nordics", "enabled": True, "strategies": [{"name": "default", "segments": [7]}]}],
        "segments": [{"id": 7, "name": "nordics", "constraints": [
            {"contextName": "country", "operator": "IN", "values": ["NO", "SE"]}]}]}
    _, flags = _flags(payload)
    assert evaluate(flags, "nordics", {"country": "NO"}).value is True
    assert evaluate(flags, "nordics", {"country": "DE"}).value is False


REFUSED = [
    ({"name": "gradualRolloutRandom", "parameters": {"percentage": "5"}}, "strategies[0]", "'gradualRolloutRandom'"),
    ({"name": "flexibleRollout", "parameters": {"rollout": "10", "stickiness": "random"}}, "strategies[0]", "random"),
    ({"name": "default", "constraints": [{"contextName": "email", "operator": "STR_ENDS_WITH", "values": ["@x.io"],
                                          "caseInsensitive": True}]}, "strategies[0].constraints[0]", "case-insensitive"),
    ({"name": "default", "segments": [3]}, "strategies[0].segments[0]", "segment 3 comes without its constraints"),
]


@pytest.mark.parametrize(("strategy", "where", "problem"), REFUSED, ids=["strategy", "random", "case", "segment"])
def test_untranslatable_toggles_are_refused_naming_toggle_and_place(strategy, where, problem):
    payload = {"features": [{"name": "other", "enabled": True, "strategies": []},
                            {"name": "odd", "enabled": True, "strategies": [strategy]}]}
    with pytest.raises(ConfigError) as caught:
        _render(payload, "unleash.json")
    error = caught.value
    assert error.location.key == f"features.odd.{where}" and error.location.line == 9  # the line naming the toggle
    assert "Unleash toggle 'odd'" in error.problem and problem in error.problem


def test_variants_and_two_partial_rollouts_are_refused():
    with pytest.raises(ConfigError, match="it has variants"):
        _render({"features": [{"name": "v", "enabled": True, "strategies": [],
                               "variants": [{"name": "a", "weight": 1000}]}]})
    rollout = {"name": "flexibleRollout", "parameters": {"rollout": "10", "stickiness": "userId"}}
    with pytest.raises(ConfigError, match="more than one partial rollout"):
        _render({"features": [{"name": "r", "enabled": True, "strategies": [rollout, rollout]}]})


def test_cli(tmp_path, capsys):
    path = tmp_path / "export.json"
    path.write_text(json.dumps(EXPORT))
    assert main(["flags", "import", "--from", "unleash", str(path)]) in (0, None)
    assert evaluate(parse_flagset_text(capsys.readouterr().out), "everyone").value is True
    path.write_text("{not json")
    assert main(["flags", "import", "--from", "unleash", str(path)]) == 2
    assert "not valid JSON" in capsys.readouterr().err
