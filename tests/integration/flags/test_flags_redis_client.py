"""FlagClient against a real redis-server: push, restarts, missed messages, corrupt data."""

from __future__ import annotations

import json
import time

from rollwise.flags import FlagClient, service
from support import services

from flags_support import AUDIT, eventually


def test_a_change_reaches_a_subscribed_client_in_milliseconds(redis_server, seeded):
    store, _ = seeded
    seen = []
    with FlagClient.connect(redis_server.url, resync_interval=3600) as client:
        assert client.evaluate("checkout", {}, False).value is True
        assert client.propagation_delay is None  # loaded, nothing pushed yet
        client.on_change(lambda keys, version: seen.append((keys, version)))
        started = time.perf_counter()
        result = service.kill(store, "checkout", AUDIT)
        eventually(lambda: client.evaluate("checkout", {}, False).reason == "DISABLED", timeout=2)
        elapsed = time.perf_counter() - started
        evaluation = client.evaluate("checkout", {}, False)
        assert (evaluation.value, evaluation.version, evaluation.stale) == (False, result.version, False)
        assert elapsed < 0.5, f"propagation took {elapsed * 1000:.0f} ms"
        eventually(lambda: seen)
        assert seen == [(["checkout"], result.version)]
        # measured from the commit inside Redis (same machine, same clock): never negative, never longer
        # than the whole kill call took
        assert 0 <= client.propagation_delay <= elapsed


def test_clients_keep_serving_through_a_redis_restart_then_resync(redis_server, seeded, tmp_path):
    store, flags_file = seeded
    client = FlagClient.connect(redis_server.url, backoff_max=0.2, resync_interval=3600)
    restarted = None
    try:
        assert client.evaluate("banner", {}, "x").value == ""
        redis_server.stop()
        eventually(lambda: client.stale, timeout=5)
        down = client.evaluate("banner", {}, "x")
        assert (down.value, down.variant, down.stale) == ("", "none", True)
        restarted = services.start_redis(tmp_path / "redis-again", port=redis_server.port)
        time.sleep(0.5)  # reconnected to an empty Redis: still last-known values, still marked stale
        assert client.evaluate("banner", {}, "x").value == "" and client.stale
        # the operator re-syncs flags-as-code into the new Redis, with a change
        flags_file.write_text(flags_file.read_text().replace("default: none", "default: sale"))
        fresh = service.open_store(restarted.url)
        service.sync(fresh, flags_file, AUDIT)
        fresh.close()
        eventually(lambda: client.evaluate("banner", {}, "x").value == "Sale!", timeout=5)
        assert not client.stale and client.evaluate("banner", {}, "x").reason == "STATIC"
    finally:
        client.close()
        if restarted is not None:
            restarted.stop()


def test_a_dropped_invalidation_is_noticed_by_version_and_resynced(redis_server, seeded):
    store, _ = seeded
    with FlagClient.connect(redis_server.url, resync_interval=3600) as client:
        start = client.version
        # a change whose message never reached the client: written without PUBLISH
        r = store.redis
        r.hset(store.keys["flags"], "banner", json.dumps({"variants": {"none": "", "sale": "Sale!"}, "default": "sale"}))
        r.hset(store.keys["versions"], "flag:banner", start + 1)
        r.set(store.keys["version"], start + 1)
        time.sleep(0.2)
        assert client.evaluate("banner", {}, "").value == "", "the client cannot know yet"
        # the next change's message follows version start+1, which the client never saw
        service.kill(store, "checkout", AUDIT)
        eventually(lambda: client.version == start + 2)
        assert client.evaluate("banner", {}, "").value == "Sale!"
        assert client.evaluate("checkout", {}, True).reason == "DISABLED"


def test_corrupt_flag_data_is_ignored_and_the_last_good_kept(redis_server, seeded, caplog):
    store, _ = seeded
    with FlagClient.connect(redis_server.url, resync_interval=3600) as client:
        store.redis.hset(store.keys["flags"], "checkout", "{not json")
        store.redis.hset(store.keys["flags"], "banner", json.dumps({"default": "missing-variant",
                                                                     "variants": {"none": ""}}))
        result = service.set_rollout(store, "rollout", 50, AUDIT)  # a valid change triggers a full reload
        client.refresh()
        eventually(lambda: client.version >= result.version)
        assert client.evaluate("checkout", {}, False).value is True  # last good definition
        assert client.evaluate("banner", {}, "x").value == ""
        assert client.flags.flags["rollout"].default.percentages() == {"true": 50.0, "false": 50.0}
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "flag checkout" in messages and "unreadable" in messages and "unknown variant 'missing-variant'" in messages


def test_a_client_started_while_redis_is_down_serves_code_defaults_then_loads(tmp_path):
    port = services.free_port()
    client = FlagClient.connect(f"redis://127.0.0.1:{port}", timeout=0.3, backoff_max=0.1,
                                defaults={"checkout": False})
    server = None
    try:
        first = client.evaluate("checkout")
        assert (first.value, first.reason, first.error_code) == (False, "ERROR", "PROVIDER_NOT_READY")
        server = services.start_redis(tmp_path / "late", port=port)
        store = service.open_store(server.url)
        service.sync(store, _write(tmp_path), AUDIT)
        store.close()
        eventually(lambda: client.evaluate("checkout").value is True, timeout=5)
    finally:
        client.close()
        if server is not None:
            server.stop()


def _write(tmp_path):
    from flags_support import FLAGS_YML

    path = tmp_path / "late.yml"
    path.write_text(FLAGS_YML)
    return path


async def test_listeners_can_run_on_an_asyncio_loop(redis_server, seeded):
    import asyncio

    store, _ = seeded
    client = await FlagClient.connect_async(redis_server.url)
    try:
        loop = asyncio.get_running_loop()
        changed = asyncio.Event()
        client.on_change(lambda keys, version: changed.set(), loop=loop)
        await asyncio.to_thread(service.kill, store, "checkout", AUDIT)
        await asyncio.wait_for(changed.wait(), 2)
        assert client.evaluate("checkout", {}, True).reason == "DISABLED"
    finally:
        client.close()


def test_evaluation_from_many_threads_while_changes_arrive(redis_server, seeded):
    import threading

    store, _ = seeded
    errors, seen = [], set()
    with FlagClient.connect(redis_server.url) as client:
        stop = threading.Event()

        def reader():
            while not stop.is_set():
                try:
                    result = client.evaluate("checkout", {"targetingKey": "u"}, False)
                    seen.add((result.value, result.reason))
                except Exception as exc:  # noqa: BLE001 - the assertion below reports it
                    errors.append(exc)

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for t in threads:
            t.start()
        for i in range(30):
            service.set_enabled(store, "checkout", i % 2 == 1, AUDIT)
        last = service.set_enabled(store, "checkout", True, AUDIT)
        assert client.wait_for_version(last.version, timeout=5)
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert seen <= {(True, "STATIC"), (False, "DISABLED")} and len(seen) == 2


def test_a_segment_change_is_pushed_and_names_the_flags_using_it(redis_server, tmp_path):
    path = tmp_path / "flags.yml"
    text = ("segments:\n  staff: {include: [alice]}\nflags:\n  beta:\n    rules: [{segments: [staff], serve: true}]\n"
            "  gated: {prerequisites: [{flag: beta}], default: true}\n  other: {default: true}\n")
    path.write_text(text)
    store = service.open_store(redis_server.url)
    service.sync(store, path, AUDIT)
    seen = []
    with FlagClient.connect(redis_server.url) as client:
        client.on_change(lambda keys, version: seen.append(keys))
        assert client.evaluate("beta", {"targetingKey": "bob"}, False).value is False
        path.write_text(text.replace("include: [alice]", "include: [alice, bob]"))
        result = service.sync(store, path, AUDIT)
        assert [c.key for c in result.changes] == ["staff"]
        assert client.wait_for_version(result.version)
        assert client.evaluate("beta", {"targetingKey": "bob"}, False).value is True
        eventually(lambda: seen)
        assert seen == [["beta", "gated"]]
    store.close()


def test_an_application_client_does_not_import_redis_py(redis_server, seeded):
    import subprocess
    import sys

    script = ("import sys\nfrom rollwise.flags import FlagClient\n"
              f"c = FlagClient.connect({redis_server.url!r})\n"
              "assert c.evaluate('checkout', {}, False).value is True\n"
              "heavy = sorted(m for m in ('redis', 'jsonschema', 'yaml', 'asyncio') if m in sys.modules)\n"
              "print(','.join(heavy))\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"the client imported {out.stdout.strip()} (memory budget)"


def test_rediss_url_with_a_private_ca(tmp_path):
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make a test certificate (apt-get install openssl)"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "key.pem"),
                    "-out", str(tmp_path / "cert.pem"), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    port = services.free_port()
    proc = subprocess.Popen([services.find_binary("redis-server"), "--port", "0", "--tls-port", str(port),
                             "--bind", "127.0.0.1", "--tls-cert-file", str(tmp_path / "cert.pem"),
                             "--tls-key-file", str(tmp_path / "key.pem"), "--tls-ca-cert-file", str(tmp_path / "cert.pem"),
                             "--tls-auth-clients", "no", "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        services.wait_for_port(port, proc, what="redis-server (TLS)")
        url = f"rediss://127.0.0.1:{port}/0?ssl_ca_certs={tmp_path / 'cert.pem'}"
        path = tmp_path / "flags.yml"
        from flags_support import FLAGS_YML

        path.write_text(FLAGS_YML)
        store = service.open_store(url)
        service.sync(store, path, AUDIT)
        with FlagClient.connect(url) as client:
            assert client.evaluate("checkout", {}, False).reason == "STATIC"
            result = service.kill(store, "checkout", AUDIT)
            assert client.wait_for_version(result.version)
            assert client.evaluate("checkout", {}, True).reason == "DISABLED"
        store.close()
        untrusted = FlagClient.connect(url.split("?")[0], timeout=1)  # the default trust store rejects it
        try:
            assert untrusted.evaluate("checkout", {}, True).error_code == "PROVIDER_NOT_READY"
        finally:
            untrusted.close()
    finally:
        proc.terminate()
        proc.wait(5)
