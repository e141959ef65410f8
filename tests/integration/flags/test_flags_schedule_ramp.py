"""A scheduled ramp applied by consecutive runs with an injected clock, on the file store and on a real Redis:
each due entry is applied once (the second run is a no-op) and a manual change after it is not overwritten."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from rollwise.flags import service
from rollwise.flags.model.changes import Audit
from rollwise.flags.service import run_schedule
from support.clock import FakeClock

RAMP = """\
version: rollwise/flags/v1
flags:
  new-checkout:
    default: {rollout: {true: 5, false: 95}}
    schedule:
      - {at: 2026-12-01T09:00:00Z, rollout: 25}
      - {at: 2026-12-03T09:00:00Z, rollout: 50}
      - {at: 2026-12-05T09:00:00Z, rollout: 100, description: everyone}
  banner:
    enabled: false
    schedule:
      - {at: 2026-12-24T00:00:00Z, enabled: true}
      - {at: 2026-12-27T00:00:00Z, enabled: false}
  plain: {default: true}
"""
CRON = Audit(actor="github-actions", reason="nightly ramp", run_url="https://github.com/o/r/actions/runs/9")


def at(text: str) -> FakeClock:
    """A clock stopped at ``text`` (UTC)."""
    return FakeClock(datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp())


@pytest.fixture(params=["file", "redis"])
def store(request, tmp_path):
    path = tmp_path / "flags.yml"
    path.write_text(RAMP)
    if request.param == "file":
        opened = service.open_store(f"file://{path}")
    else:
        opened = service.open_store(request.getfixturevalue("redis_server").url)
        service.sync(opened, path, Audit("seed"))
    yield opened
    opened.close()


def rollout(store) -> dict:
    return dict(store.load().raw_flags["new-checkout"]["default"]["rollout"])


def statuses(run) -> list[tuple[str, str]]:
    return [(step.change.id, step.status) for step in run.steps]


def test_ramp_is_applied_once_per_entry(store, tmp_path):
    flags_file = tmp_path / "desired.yml"
    flags_file.write_text(RAMP)
    start = store.load().version
    before = run_schedule(store, CRON, clock=at("2026-11-30T12:00:00"))
    assert before.status == "unchanged" and before.version == start
    assert [s for _, s in statuses(before)] == ["pending"] * 5

    first = run_schedule(store, CRON, clock=at("2026-12-01T10:00:00"))
    assert first.status == "changed" and [s.change.id for s in first.applied] == ["new-checkout@2026-12-01T09:00:00Z"]
    assert rollout(store) == {"true": 25, "false": 75} and first.version == start + 1
    [entry] = service.history(store, "new-checkout", limit=1)
    assert entry.audit.actor == "github-actions" and entry.audit.run_url.endswith("/runs/9")
    assert entry.audit.reason == ("nightly ramp; scheduled rollout to 25 % (due 2026-12-01T09:00:00+00:00) "
                                  "[schedule new-checkout@2026-12-01T09:00:00Z]")

    written = len(service.history(store, None, limit=100))
    second = run_schedule(store, CRON, clock=at("2026-12-01T10:00:00"))
    assert second.status == "unchanged" and second.version == first.version
    assert len(service.history(store, None, limit=100)) == written and store.load().version == first.version

    # a deploy syncs flags.yml (still at 5 %): the step the schedule took is kept, not undone
    assert not service.sync(store, flags_file, Audit("deploy")).changes
    assert rollout(store) == {"true": 25, "false": 75}

    # an operator steps back; the entry already applied is not replayed over that decision
    service.set_rollout(store, "new-checkout", 10, Audit("oncall", "errors at 25 %"))
    assert run_schedule(store, CRON, clock=at("2026-12-02T10:00:00")).status == "unchanged"
    assert rollout(store) == {"true": 10, "false": 90}
    # a sync writes flags.yml plus the steps taken, as it overrides any change made outside flags.yml
    assert [c.key for c in service.sync(store, flags_file, Audit("deploy")).changes] == ["new-checkout"]
    assert rollout(store) == {"true": 25, "false": 75}

    # the cron missed two days: both due entries are applied, oldest first, each with its own audit entry
    late = run_schedule(store, CRON, clock=at("2026-12-06T10:00:00"))
    assert [s.change.id for s in late.applied] == ["new-checkout@2026-12-03T09:00:00Z",
                                                   "new-checkout@2026-12-05T09:00:00Z"]
    assert rollout(store) == {"true": 100, "false": 0}
    again = run_schedule(store, CRON, clock=at("2026-12-06T10:00:00"))
    assert again.status == "unchanged" and again.version == late.version


def test_enable_and_kill_on_schedule(store):
    run_schedule(store, CRON, clock=at("2026-12-24T01:00:00"), keys=["banner"])
    assert store.load().flagset.flags["banner"].enabled is True
    dry = run_schedule(store, CRON, clock=at("2026-12-28T00:00:00"), keys=["banner"], dry_run=True)
    assert statuses(dry) == [("banner@2026-12-27T00:00:00Z", "due")] and dry.status == "dry-run"
    assert store.load().flagset.flags["banner"].enabled is True
    run_schedule(store, CRON, clock=at("2026-12-28T00:00:00"), keys=["banner"])
    assert store.load().flagset.flags["banner"].enabled is False
    assert run_schedule(store, CRON, clock=at("2026-12-28T00:00:00")).applied[0].change.key == "new-checkout"
