"""The Redis store and `rollwise flags` against a real redis-server: CAS races, audit, sync refusals, acks."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from rollwise.cli import main
from rollwise.flags import FlagClient, service
from rollwise.flags.adapters import ConflictError
from rollwise.flags.model.changes import Audit
from support import services

from flags_support import AUDIT, FLAGS_YML, eventually


def _audit_entries(store) -> list[dict]:
    return [json.loads(fields[b"entry"]) for _, fields in store.redis.xrange(store.keys["audit"])]


def test_two_writers_racing_on_one_flag_one_wins_and_only_its_change_is_audited(redis_server, seeded):
    store, _ = seeded
    version = store.load().flag_version("rollout")
    audits_before = len(_audit_entries(store))
    barrier = threading.Barrier(2)
    outcomes: dict[str, object] = {}

    def writer(name: str, percentage: float) -> None:
        own = service.open_store(redis_server.url)  # separate connections, as two CI jobs would have
        barrier.wait()
        try:
            outcomes[name] = service.set_rollout(own, "rollout", percentage, Audit(actor=name),
                                                 expected_version=version)
        except ConflictError as exc:
            outcomes[name] = exc
        finally:
            own.close()

    threads = [threading.Thread(target=writer, args=("alice", 40)), threading.Thread(target=writer, args=("bob", 60))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [n for n, o in outcomes.items() if not isinstance(o, ConflictError)]
    losers = [o for o in outcomes.values() if isinstance(o, ConflictError)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    assert losers[0].exit_code == 3 and losers[0].expected == version
    entries = _audit_entries(store)
    assert len(entries) == audits_before + 1
    assert entries[-1]["actor"] == winners[0]
    winning_share = {"alice": 40, "bob": 60}[winners[0]]
    assert store.load().raw_flags["rollout"]["default"]["rollout"]["true"] == winning_share
    assert entries[-1]["changes"][0]["after"]["default"]["rollout"]["true"] == winning_share


def test_the_audit_entry_is_written_with_the_change(seeded):
    store, _ = seeded
    result = service.kill(store, "checkout", AUDIT)
    [entry] = service.history(store, "checkout", limit=1)
    assert entry.version == result.version and entry.audit == AUDIT
    assert entry.changes[0]["before"] == {"default": "true"}
    assert entry.changes[0]["after"] == {"default": "true", "enabled": False}


@pytest.mark.parametrize(("broken", "message"), [
    ("  checkout:\n    default: true\n    prerequisites: [{flag: banner}]\n  banner:\n    prerequisites: [{flag: checkout}]\n",
     "prerequisite cycle: checkout -> banner -> checkout"),
    ("  rollout:\n    default: {rollout: {true: 125, false: 0}}\n", "percentage 125 for 'true' is outside 0..100"),
], ids=["prerequisite-cycle", "percentage-over-100"])
def test_sync_refuses_invalid_flags_with_exit_2_and_writes_nothing(redis_server, seeded, tmp_path, capsys, broken, message):
    store, _ = seeded
    before = (store.redis.get(store.keys["version"]), store.redis.hgetall(store.keys["flags"]),
              store.redis.xlen(store.keys["audit"]))
    bad = tmp_path / "bad.yml"
    bad.write_text("version: rollwise/flags/v1\nflags:\n" + broken)
    code = main(["flags", "sync", "--store", redis_server.url, "--file", str(bad), "--report", str(tmp_path / "r.json")])
    assert code == 2
    assert message in capsys.readouterr().err
    after = (store.redis.get(store.keys["version"]), store.redis.hgetall(store.keys["flags"]),
             store.redis.xlen(store.keys["audit"]))
    assert after == before
    assert json.loads((tmp_path / "r.json").read_text())["status"] == "invalid"


def test_sync_dry_run_shows_the_diff_and_sync_writes_only_changed_flags(redis_server, seeded, tmp_path, capsys):
    store, _ = seeded
    desired = tmp_path / "desired.yml"
    desired.write_text(FLAGS_YML.replace("default: none", "default: sale"))
    version = store.load().version
    assert main(["flags", "sync", "--store", redis_server.url, "--file", str(desired), "--dry-run",
                 "--report", str(tmp_path / "dry.json")]) == 0
    dry = json.loads((tmp_path / "dry.json").read_text())
    assert dry["status"] == "dry-run" and [c["key"] for c in dry["changes"]] == ["banner"]
    assert store.load().version == version
    flags_before = store.redis.hgetall(store.keys["versions"])
    assert main(["flags", "sync", "--store", redis_server.url, "--file", str(desired)]) == 0
    versions_after = store.redis.hgetall(store.keys["versions"])
    assert versions_after[b"flag:banner"] == str(version + 1).encode()
    assert versions_after[b"flag:checkout"] == flags_before[b"flag:checkout"]


def test_cli_conflict_and_lost_redis_exit_3(redis_server, seeded, capsys):
    store, _ = seeded
    stale = store.load().flag_version("checkout")
    service.kill(store, "checkout", AUDIT)
    assert main(["flags", "set", "checkout", "--enabled", "--store", redis_server.url,
                 "--expect-version", str(stale)]) == 3
    assert "conflict on 'checkout'" in capsys.readouterr().err
    dead = f"redis://127.0.0.1:{services.free_port()}"
    assert main(["flags", "kill", "checkout", "--store", dead]) == 3
    assert "unreachable" in capsys.readouterr().err


def test_kill_waits_until_clients_acknowledge(redis_server, seeded, tmp_path):
    clients = [FlagClient.connect(redis_server.url) for _ in range(3)]
    try:
        code = main(["flags", "kill", "checkout", "--store", redis_server.url, "--wait-clients", "3",
                     "--wait-timeout", "5", "--report", str(tmp_path / "r.json")])
        assert code == 0
        report = json.loads((tmp_path / "r.json").read_text())
        assert report["acks"] == 3 and all(c.evaluate("checkout", {}, True).reason == "DISABLED" for c in clients)
        assert main(["flags", "set", "checkout", "--enabled", "--store", redis_server.url, "--wait-clients", "4",
                     "--wait-timeout", "0.3", "--report", str(tmp_path / "r2.json")]) == 3
        unconfirmed = json.loads((tmp_path / "r2.json").read_text())
        assert unconfirmed["status"] == "unconfirmed" and unconfirmed["changes"] and "only 3 of 4 clients" in unconfirmed["message"]
    finally:
        for client in clients:
            client.close()


def test_clients_acknowledge_only_changes_a_writer_waits_for(redis_server, seeded):
    store, _ = seeded
    with FlagClient.connect(redis_server.url) as client:
        loaded = client.version
        eventually(lambda: store.acknowledged(loaded) == 1, timeout=2)  # its initial load is acknowledged
        quiet = service.kill(store, "checkout", AUDIT)
        eventually(lambda: client.version == quiet.version)
        time.sleep(0.5)  # past the acknowledgement delay
        assert store.acknowledged(quiet.version) == 0  # nobody waits: no write from the client
        store.request_acks = True
        waited = service.set_enabled(store, "checkout", True, AUDIT)
        eventually(lambda: store.acknowledged(waited.version) == 1, timeout=2)


def test_clients_in_other_processes_see_a_kill(redis_server, seeded):
    script = (
        "import sys, time\n"
        "from rollwise.flags import FlagClient\n"
        f"c = FlagClient.connect({redis_server.url!r})\n"
        "print(c.evaluate('checkout', {}, True).reason, flush=True)\n"
        "deadline = time.monotonic() + 5\n"
        "while c.evaluate('checkout', {}, True).reason != 'DISABLED' and time.monotonic() < deadline:\n"
        "    time.sleep(0.001)\n"
        "print(c.evaluate('checkout', {}, True).reason, flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "STATIC"
    store, _ = seeded
    service.kill(store, "checkout", AUDIT)
    assert proc.stdout.readline().strip() == "DISABLED"
    assert proc.wait(10) == 0


def test_sentinel_url(redis_server, seeded, tmp_path):
    port = services.free_port()
    conf = tmp_path / "sentinel.conf"
    conf.write_text(f"port {port}\nbind 127.0.0.1\nsentinel monitor flagsmaster 127.0.0.1 {redis_server.port} 1\n")
    proc = subprocess.Popen([services.find_binary("redis-server"), str(conf), "--sentinel"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        services.wait_for_port(port, proc, what="redis-sentinel")
        url = f"redis+sentinel://127.0.0.1:{port}/flagsmaster"
        deadline = time.monotonic() + 10
        while True:
            try:
                store = service.open_store(url)
                snapshot = store.load()
                break
            except Exception:  # sentinel needs a moment to learn about its master
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert set(snapshot.flagset.flags) == {"checkout", "banner", "rollout"}
        with FlagClient.connect(url) as client:
            service.kill(store, "checkout", AUDIT)
            eventually_disabled = time.monotonic() + 5
            while client.evaluate("checkout", {}, True).reason != "DISABLED":
                assert time.monotonic() < eventually_disabled
                time.sleep(0.01)
        store.close()
    finally:
        proc.terminate()
        proc.wait(5)


def test_cluster_url(tmp_path):
    import redis

    port = services.free_port()
    while port > 55535:  # a cluster node also listens on port + 10000 (its bus)
        port = services.free_port()
    proc = subprocess.Popen([services.find_binary("redis-server"), "--port", str(port), "--bind", "127.0.0.1",
                             "--cluster-enabled", "yes", "--cluster-config-file", str(tmp_path / "nodes.conf"),
                             "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        services.wait_for_port(port, proc, what="redis-server (cluster)")
        node = redis.Redis(port=port)
        node.execute_command("CLUSTER", "ADDSLOTSRANGE", 0, 16383)  # a one-node cluster owning every slot
        deadline = time.monotonic() + 10
        while b"cluster_state:ok" not in node.execute_command("CLUSTER", "INFO"):
            assert time.monotonic() < deadline, "the one-node cluster did not become ready"
            time.sleep(0.1)
        url = f"redis+cluster://127.0.0.1:{port}"
        (tmp_path / "flags.yml").write_text(FLAGS_YML)
        store = service.open_store(url)
        assert service.sync(store, tmp_path / "flags.yml", AUDIT).version == 1
        with FlagClient.connect(url) as client:
            result = service.kill(store, "checkout", AUDIT)
            assert client.wait_for_version(result.version, timeout=5)
            assert client.evaluate("checkout", {}, True).reason == "DISABLED"
        assert [e.version for e in service.history(store)] == [2, 1]
        store.close()
    finally:
        proc.terminate()
        proc.wait(5)


def test_sync_repairs_a_corrupt_flag(redis_server, seeded):
    store, flags_file = seeded
    store.redis.hset(store.keys["flags"], "banner", "{garbage")
    assert "banner" in store.load().bad
    result = service.sync(store, flags_file, AUDIT)
    [change] = result.changes
    assert change.key == "banner" and change.action == "update" and "unreadable" in change.before
    assert store.load().bad == {} and store.load().raw_flags["banner"]["default"] == "none"


def test_a_kill_works_even_when_another_stored_flag_is_broken(redis_server, seeded):
    store, _ = seeded
    # a flag whose prerequisite was lost (e.g. written by hand): the set is invalid, the kill must still work
    store.redis.hset(store.keys["flags"], "orphan", json.dumps({"prerequisites": [{"flag": "gone"}], "default": "true"}))
    result = service.kill(store, "checkout", AUDIT)
    assert result.changes and store.load().flagset.flags["checkout"].enabled is False
    assert "orphan" in store.load().raw_flags  # left for `flags sync` to repair or prune
