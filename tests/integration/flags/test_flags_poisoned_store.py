"""One poisoned value in a real redis-server breaks nothing else: kill and sync still work, clients keep serving."""

from __future__ import annotations

import json
import time

import pytest

from rollwise.cli import main
from rollwise.flags import FlagClient, service

from flags_support import AUDIT, eventually

# (what is damaged, how: a function of the store that damages it, the name `flags get` reports it under)
POISONS = {
    "deeply nested JSON": (lambda s: s.redis.hset(s.keys["flags"], "banner", "[" * 100_000 + "]" * 100_000), "banner"),
    "nested JSON under the parser's limit": (
        lambda s: s.redis.hset(s.keys["flags"], "banner", json.dumps(
            {"variants": {"none": "", "sale": _nested(200)}, "default": "none"})), "banner"),
    "oversized value": (lambda s: s.redis.hset(s.keys["flags"], "banner", json.dumps(
        {"variants": {"none": "", "sale": "x" * 300_000}, "default": "none"})), "banner"),
    "value that is not UTF-8": (lambda s: s.redis.hset(s.keys["flags"], "banner", b'{"default": "\xff"}'), "banner"),
    "field name that is not UTF-8": (lambda s: s.redis.hset(s.keys["flags"], b"bad-\xff", b'{"default": true}'),
                                     "bad-\\xff"),
    "segment name that is not UTF-8": (lambda s: s.redis.hset(s.keys["segments"], b"seg-\xfe", b'{"include": []}'),
                                       "segment:seg-\\xfe"),
    "non-numeric version": (lambda s: s.redis.set(s.keys["version"], "oops"), "store:version"),
    "damaged epoch": (lambda s: s.redis.set(s.keys["epoch"], 'x","version":99}'), "store:epoch"),
    "damaged flag version": (lambda s: s.redis.hset(s.keys["versions"], "flag:banner", "1.5e3"),
                             "store:versions:flag:banner"),
}


def _nested(depth: int):
    value: object = "deep"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("poison", list(POISONS), ids=lambda p: p.replace(" ", "-"))
def test_one_poisoned_value_breaks_no_other_flag(redis_server, seeded, tmp_path, monkeypatch, caplog, poison):
    store, flags_file = seeded
    damage, reported_as = POISONS[poison]
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    with FlagClient.connect(redis_server.url, resync_interval=0.2) as connected:
        assert connected.evaluate("checkout", {}, False).value is True
        damage(store)
        time.sleep(0.5)  # a couple of periodic reloads over the damaged data
        assert not connected.stale and connected.last_error is None, connected.last_error

        # the damage is reported by name; every other flag reads fine, in a new client too
        snapshot = service.open_store(redis_server.url).load()
        assert reported_as in snapshot.bad, snapshot.bad
        assert {"checkout", "rollout"} <= set(snapshot.raw_flags)
        with FlagClient.connect(redis_server.url) as fresh:
            assert fresh.evaluate("checkout", {}, False).reason == "STATIC" and not fresh.stale

        # the kill switch works from the CLI, and reaches the client that was connected all along
        assert main(["flags", "kill", "checkout", "--store", redis_server.url, "--report", "kill.json"]) == 0
        assert json.loads((tmp_path / "kill.json").read_text())["status"] == "changed"
        eventually(lambda: connected.evaluate("checkout", {}, True).reason == "DISABLED", timeout=3)
        assert not connected.stale

        # flags-as-code repairs the store: afterwards nothing is unreadable
        assert main(["flags", "sync", "--store", redis_server.url, "--file", str(flags_file)]) == 0
        repaired = service.open_store(redis_server.url).load()
        assert dict(repaired.bad) == {} and set(repaired.raw_flags) == {"checkout", "banner", "rollout"}
        eventually(lambda: connected.evaluate("checkout", {}, False).reason == "STATIC", timeout=3)
        assert connected.evaluate("banner", {}, "x").value == "" and not connected.stale
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the logs"


def test_a_kill_still_works_while_another_stored_flag_is_broken(redis_server, seeded):
    """What docs/flags/cli.md promises, through the service API that canary-deploy uses."""
    store, _ = seeded
    store.redis.hset(store.keys["flags"], "banner", "{not json")
    result = service.kill(store, "checkout", AUDIT)
    assert result.changed and store.load().flagset.flags["checkout"].enabled is False


def test_a_key_of_the_wrong_type_is_named_with_its_fix_and_the_flags_still_serve(redis_server, seeded, monkeypatch,
                                                                                tmp_path):
    store, _ = seeded
    monkeypatch.chdir(tmp_path)
    store.redis.set(store.keys["segments"], "not a hash")
    snapshot = store.load()
    assert "redis-cli DEL '{rollwise}:segments'" in snapshot.bad["store:{rollwise}:segments"]
    with FlagClient.connect(redis_server.url) as client:
        assert client.evaluate("checkout", {}, False).value is True and not client.stale
        assert main(["flags", "kill", "checkout", "--store", redis_server.url]) == 0
        eventually(lambda: client.evaluate("checkout", {}, True).reason == "DISABLED", timeout=3)


def test_a_damaged_audit_entry_is_skipped_and_the_rest_of_the_history_shown(redis_server, seeded, caplog):
    store, _ = seeded
    store.redis.xadd(store.keys["audit"], {"version": "x", "entry": "[" * 50_000})
    store.redis.xadd(store.keys["audit"], {"entry": b"\xff"})
    service.kill(store, "checkout", AUDIT)
    entries = service.history(store)
    assert [e.version for e in entries] == [2, 1] and entries[0].changes[0]["key"] == "checkout"
    assert "skipping unreadable audit entry" in caplog.text
