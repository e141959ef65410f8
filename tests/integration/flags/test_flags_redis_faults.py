"""The flag client and `rollwise flags` against a real redis-server that refuses, limits, encrypts, hangs or lies:
AUTH, ACL (a read-only user), TLS with client certificates, a server that sends garbage, one that never answers."""

from __future__ import annotations

import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from rollwise.cli import main
from rollwise.errors import ConfigError
from rollwise.flags import FlagClient, service
from rollwise.flags.ports import StoreUnavailable

from flags_support import AUDIT, FLAGS_YML, FakeServer, eventually, make_certificates, start_redis_with

ROLLWISE = Path(sys.executable).parent / "rollwise"


def _seed(url: str, tmp_path: Path):
    path = tmp_path / "flags.yml"
    path.write_text(FLAGS_YML)
    store = service.open_store(url)
    service.sync(store, path, AUDIT)
    return store


def _rollwise(*args: str) -> tuple[subprocess.CompletedProcess, float, float]:
    """Run the CLI as a process: its result, wall seconds, and CPU seconds it used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    out = subprocess.run([str(ROLLWISE), *args], capture_output=True, text=True, timeout=120)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return out, wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.fixture()
def no_github(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)


# -- AUTH and ACL ----------------------------------------------------------------------------------------------
def test_a_wrong_password_is_a_clear_error_and_every_refused_socket_is_closed(tmp_path, no_github, capsys):
    server = start_redis_with(tmp_path / "redis", "--requirepass", "right-pw")
    admin = redis.Redis(port=server.port, password="right-pw")
    try:
        client = FlagClient.connect(f"redis://:wrong-pw@127.0.0.1:{server.port}", timeout=1, backoff_max=0.05)
        try:
            eventually(lambda: client.last_error and "refused the credentials" in client.last_error)
            assert "WRONGPASS" in client.last_error and "wrong-pw" not in client.last_error
            assert client.evaluate("checkout", {}, False).error_code == "PROVIDER_NOT_READY"
            time.sleep(0.5)  # many retries later
            # each refused connection was closed by the client: only the admin's is left
            assert len(admin.client_list()) == 1, admin.client_list()
        finally:
            client.close()
        assert main(["flags", "kill", "checkout", "--store", f"redis://:wrong-pw@127.0.0.1:{server.port}"]) == 3
        err = capsys.readouterr().err
        assert "refused the credentials" in err and "wrong-pw" not in err
    finally:
        admin.close()
        server.stop()


def test_a_read_only_acl_user_loads_flags_and_follows_changes(tmp_path, no_github, capsys):
    """The ACL of docs/flags/acl.md: read commands on the flag keys, SUBSCRIBE on the change channel, PING."""
    server = start_redis_with(tmp_path / "redis")
    admin = redis.Redis(port=server.port)
    store = _seed(server.url, tmp_path)
    admin.execute_command("ACL", "SETUSER", "reader", "on", ">reader-pw", "resetkeys", "~{rollwise}:*",
                          "resetchannels", "&{rollwise}:changes", "-@all", "+@read", "+subscribe", "+ping")
    reader = f"redis://reader:reader-pw@127.0.0.1:{server.port}"
    try:
        with FlagClient.connect(reader, resync_interval=3600) as client:
            assert client.evaluate("checkout", {}, False).reason == "STATIC" and not client.stale
            result = service.kill(store, "checkout", AUDIT)
            assert client.wait_for_version(result.version)
            assert client.evaluate("checkout", {}, True).reason == "DISABLED"
            client.refresh()  # a full load again, as after a missed message
            assert not client.stale and client.last_error is None
        assert main(["flags", "get", "--store", reader]) == 0  # the CLI reads with it too
        assert main(["flags", "kill", "rollout", "--store", reader]) == 3  # ... but cannot write
        assert "refused the change: this user has no permissions to run the 'evalsha'" in capsys.readouterr().err
        # the writer's ACL of the same page
        admin.script_flush()
        admin.execute_command("ACL", "SETUSER", "writer", "on", ">writer-pw", "resetkeys", "~{rollwise}:*",
                              "resetchannels", "&{rollwise}:changes", "-@all", "+@read", "+@write", "+evalsha",
                              "+script|load", "+publish", "+time", "+ping")
        writer = f"redis://writer:writer-pw@127.0.0.1:{server.port}"
        assert main(["flags", "kill", "rollout", "--store", writer]) == 0, capsys.readouterr().err
        assert main(["flags", "history", "rollout", "--store", writer]) == 0
    finally:
        store.close()
        admin.close()
        server.stop()


def test_a_user_without_access_to_the_flag_keys_is_told_what_it_needs(tmp_path):
    server = start_redis_with(tmp_path / "redis")
    admin = redis.Redis(port=server.port)
    _seed(server.url, tmp_path).close()
    admin.execute_command("ACL", "SETUSER", "other", "on", ">pw", "resetkeys", "~other:*", "resetchannels",
                          "&{rollwise}:changes", "-@all", "+@read", "+subscribe", "+ping")
    try:
        client = FlagClient.connect(f"redis://other:pw@127.0.0.1:{server.port}", timeout=1)
        try:
            eventually(lambda: client.last_error and "NOPERM" in client.last_error)
            assert "docs/flags/acl.md" in client.last_error
        finally:
            client.close()
    finally:
        admin.close()
        server.stop()


# -- TLS with client certificates ------------------------------------------------------------------------------
def test_mutual_tls_with_a_client_certificate(tmp_path, no_github):
    certs = make_certificates(tmp_path / "certs")
    server = start_redis_with(tmp_path / "redis", "--tls-cert-file", str(certs["server"]), "--tls-key-file",
                              str(certs["server-key"]), "--tls-ca-cert-file", str(certs["ca"]),
                              "--tls-auth-clients", "yes", tls=True)
    trusted = f"rediss://127.0.0.1:{server.port}/0?ssl_ca_certs={certs['ca']}"
    url = f"{trusted}&ssl_certfile={certs['client']}&ssl_keyfile={certs['client-key']}"
    try:
        store = _seed(url, tmp_path)  # the CLI side (redis-py) with the same URL
        with FlagClient.connect(url, resync_interval=3600) as client:
            assert client.evaluate("checkout", {}, False).reason == "STATIC"
            assert main(["flags", "kill", "checkout", "--store", url]) == 0
            eventually(lambda: client.evaluate("checkout", {}, True).reason == "DISABLED", timeout=3)
        store.close()
        # without a client certificate the server ends the handshake: not ready, with the reason, no traceback
        anonymous = FlagClient.connect(trusted, timeout=1)
        try:
            assert anonymous.evaluate("checkout", {}, True).error_code == "PROVIDER_NOT_READY"
            # the server's alert or its closing the socket, whichever the client reads first
            assert anonymous.last_error and "cannot subscribe" in anonymous.last_error
        finally:
            anonymous.close()
    finally:
        server.stop()


# -- servers that lie or hang ----------------------------------------------------------------------------------
def test_a_server_that_sends_garbage_is_named_as_such(tmp_path, no_github, capsys, caplog):
    fake = FakeServer(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
    url = f"redis://127.0.0.1:{fake.port}"
    try:
        client = FlagClient.connect(url, timeout=1, backoff_max=0.1)
        try:
            eventually(lambda: client.last_error)
            assert "is not Redis protocol" in client.last_error and "is this Redis?" in client.last_error
            assert client.evaluate("checkout", {}, False).error_code == "PROVIDER_NOT_READY"
        finally:
            client.close()
        assert main(["flags", "kill", "checkout", "--store", url]) == 3
        assert "is not Redis" in capsys.readouterr().err
    finally:
        fake.close()
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the logs"


def test_a_server_that_never_answers_holds_nothing_up(tmp_path, no_github):
    fake = FakeServer(None)
    try:
        client = FlagClient.connect(f"redis://127.0.0.1:{fake.port}?socket_timeout=0.3", timeout=2)
        assert client.evaluate("checkout", {}, False).error_code == "PROVIDER_NOT_READY"
        assert "no complete reply from Redis within 0.3s" in client.last_error
        started = time.monotonic()
        client.close()
        assert time.monotonic() - started < 2.5, "close() waited on a server that never answers"
        out, wall, cpu = _rollwise("flags", "kill", "checkout", "--store", f"redis://127.0.0.1:{fake.port}")
        assert out.returncode == 3 and "Traceback" not in out.stderr, out.stderr
        assert cpu < wall / 2, f"flags kill burnt {cpu:.1f}s of CPU in {wall:.1f}s waiting on a hung server"
    finally:
        fake.close()


def test_a_stopped_redis_keeps_neither_close_nor_kill_waiting(tmp_path, no_github):
    server = start_redis_with(tmp_path / "redis")
    store = _seed(server.url, tmp_path)
    store.close()
    client = FlagClient.connect(f"{server.url}?socket_timeout=0.5", resync_interval=3600)
    try:
        assert client.evaluate("checkout", {}, False).reason == "STATIC"
        server.process.send_signal(signal.SIGSTOP)  # alive, connected, silent
        eventually(lambda: client.stale, timeout=10)
        assert client.evaluate("checkout", {}, False).value is True  # last known values
        started = time.monotonic()
        client.close()
        assert time.monotonic() - started < 2.5, "close() waited on a stopped Redis"
        out, wall, cpu = _rollwise("flags", "kill", "checkout", "--store", server.url)
        assert out.returncode == 3 and "unreachable" in out.stderr and "Traceback" not in out.stderr, out.stderr
        assert cpu < wall / 2, f"flags kill burnt {cpu:.1f}s of CPU in {wall:.1f}s waiting on a stopped Redis"
    finally:
        server.process.send_signal(signal.SIGCONT)
        server.stop()


def test_an_unknown_url_parameter_is_refused_by_the_cli_and_the_client(redis_server, no_github, capsys):
    url = f"{redis_server.url}?ssl_cert=/client.pem"
    assert main(["flags", "get", "--store", url]) == 2
    assert "unknown parameter 'ssl_cert'" in capsys.readouterr().err
    with pytest.raises(ConfigError, match="unknown parameter 'ssl_cert'"):
        FlagClient.connect(url)


def test_a_reply_over_the_size_limit_closes_the_connection(monkeypatch):
    from rollwise.flags.adapters import resp

    monkeypatch.setattr(resp, "MAX_REPLY_BYTES", 4096)
    fake = FakeServer(b"$1000000\r\n" + b"x" * 20_000)
    store = resp.RespStore(f"redis://127.0.0.1:{fake.port}?socket_timeout=2")
    try:
        with pytest.raises(StoreUnavailable, match="a reply larger than"):
            store.load()
    finally:
        store.close()
        fake.close()
