"""The file store and the service API on it: compare-and-set, audit, rollout edits, sync diffs."""

from __future__ import annotations

import json

import pytest
import yaml

from rollwise.errors import ConfigError
from rollwise.flags import service
from rollwise.flags.adapters import ConflictError
from rollwise.flags.adapters.file import FileStore
from rollwise.flags.model.changes import Audit
from rollwise.flags.model.evaluate import evaluate

AUDIT = Audit(actor="ci-bot", reason="test", run_url="https://github.com/o/r/actions/runs/1", sha="abc123")
FLAGS = """\
version: rollwise/flags/v1
flags:
  checkout:
    default: {rollout: {false: 90, true: 10}}
  banner:
    variants: {none: "", sale: "Sale!"}
    default: none
    rules:
      - name: eu
        conditions: [{attribute: country, op: in, values: [DE]}]
        serve: sale
"""


@pytest.fixture()
def store(tmp_path):
    path = tmp_path / "flags.yml"
    path.write_text(FLAGS)
    return FileStore(path)


def test_kill_writes_audit_and_bumps_revision(store):
    result = service.kill(store, "checkout", AUDIT)
    assert result.version == 1 and [c.key for c in result.changes] == ["checkout"]
    snapshot = store.load()
    assert snapshot.version == 1 and snapshot.flagset.flags["checkout"].enabled is False
    [entry] = service.history(store)
    assert (entry.version, entry.audit) == (1, AUDIT)
    assert entry.changes[0]["fields"] == [{"field": "enabled", "before": None, "after": False}]


def test_second_kill_is_a_no_op(store):
    service.kill(store, "checkout", AUDIT)
    again = service.kill(store, "checkout", AUDIT)
    assert again.changes == [] and again.version == 1 and len(service.history(store)) == 1


def test_stale_expected_version_conflicts_and_writes_nothing(store):
    service.kill(store, "checkout", AUDIT)
    before = store.path.read_text()
    with pytest.raises(ConflictError) as caught:
        service.set_enabled(store, "checkout", True, AUDIT, expected_version=0)
    assert caught.value.exit_code == 3 and "expected version 0, the store has 1" in caught.value.message
    assert store.path.read_text() == before


def test_rollout_keeps_the_variant_order_so_users_stay(store):
    users = [f"u{i}" for i in range(5000)]
    before = store.load().flagset
    on_before = {u for u in users if evaluate(before, "checkout", {"targetingKey": u}).value}
    service.set_rollout(store, "checkout", 40, AUDIT)
    raw = yaml.safe_load(store.path.read_text())["flags"]["checkout"]["default"]["rollout"]
    assert list(raw.items()) == [("false", 60), ("true", 40)]
    after = store.load().flagset
    on_after = {u for u in users if evaluate(after, "checkout", {"targetingKey": u}).value}
    assert on_before <= on_after and abs(len(on_after) / len(users) - 0.4) < 0.03


def test_rollout_of_a_rule_turns_a_fixed_variant_into_a_split(store):
    service.set_rollout(store, "banner", 30, AUDIT, variant="sale", rule="eu")
    serve = store.load().raw_flags["banner"]["rules"][0]["serve"]
    assert serve == {"rollout": {"sale": 30, "none": 70}}


@pytest.mark.parametrize(("kwargs", "problem"), [
    ({"key": "chekout", "percentage": 5}, "did you mean 'checkout'"),
    ({"key": "banner", "percentage": 5, "variant": "sale", "rule": "us"}, "has no rule 'us'"),
    ({"key": "checkout", "percentage": 101}, "outside 0..100"),
], ids=["unknown-flag", "unknown-rule", "over-100"])
def test_bad_rollouts_are_config_errors(store, kwargs, problem):
    before = store.path.read_text()
    with pytest.raises(ConfigError) as caught:
        service.set_rollout(store, audit=AUDIT, **kwargs)
    assert problem in caught.value.message and store.path.read_text() == before


def test_sync_writes_only_changed_flags_and_dry_run_writes_nothing(store, tmp_path):
    desired = tmp_path / "desired.yml"
    data = yaml.safe_load(FLAGS)
    data["flags"]["banner"]["default"] = "sale"
    data["flags"]["fresh"] = {"default": True}
    desired.write_text(yaml.safe_dump(data))
    dry = service.sync(store, desired, AUDIT, dry_run=True)
    assert dry.dry_run and sorted((c.key, c.action) for c in dry.changes) == [("banner", "update"), ("fresh", "create")]
    assert store.load().version == 0
    done = service.sync(store, desired, AUDIT)
    assert done.version == 1 and len(done.changes) == 2
    assert service.sync(store, desired, AUDIT).changes == []
    assert json.loads(store.audit_path.read_text().splitlines()[-1])["version"] == 1


def test_audit_fields_name_the_changed_leaves(store):
    service.set_rollout(store, "checkout", 40, AUDIT)
    [entry] = service.history(store, "checkout", limit=1)
    assert entry.changes[0]["fields"] == [
        {"field": "default.rollout.false", "before": 90, "after": 60},
        {"field": "default.rollout.true", "before": 10, "after": 40},
    ]


def test_a_kill_reports_the_flags_it_turns_off_through_prerequisites(tmp_path):
    path = tmp_path / "flags.yml"
    path.write_text("flags:\n  payments: {default: true}\n  checkout: {prerequisites: [{flag: payments}], default: true}\n"
                    "  upsell: {prerequisites: [{flag: checkout}], default: true}\n  other: {default: true}\n")
    result = service.kill(FileStore(path), "payments", AUDIT)
    assert result.affected == ["checkout", "upsell"]
