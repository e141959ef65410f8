"""Shared data and helpers for flag tests against a real redis-server."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from rollwise.flags.model.changes import Audit
from support import services

FLAGS_YML = """\
version: rollwise/flags/v1
flags:
  checkout: {default: true}
  banner:
    variants: {none: "", sale: "Sale!"}
    default: none
  rollout:
    default: {rollout: {true: 25, false: 75}}
"""

AUDIT = Audit(actor="ci-bot", reason="integration test", run_url="https://github.com/o/r/actions/runs/7", sha="f00d")


def eventually(predicate, timeout: float = 5.0, interval: float = 0.01):
    """Poll ``predicate`` until it is truthy; return its value or fail with how long was waited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s", pytrace=False)




def start_redis_with(workdir: Path, *args: str, tls: bool = False) -> services.Service:
    """A redis-server with extra arguments (``--requirepass``, ``--tls-*``...); with ``tls`` it listens on TLS only."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = services.free_port()
    listen = ["--port", "0", "--tls-port", str(port)] if tls else ["--port", str(port)]
    log = workdir / "redis.log"
    process = subprocess.Popen([services.find_binary("redis-server"), *listen, "--bind", "127.0.0.1", "--save", "",
                                "--appendonly", "no", "--dir", str(workdir), *args],
                               stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    services.wait_for_port(port, process, what="redis-server")
    return services.Service("redis", port, process, workdir, log)


def make_certificates(directory: Path) -> dict[str, Path]:
    """A private CA, a server certificate for 127.0.0.1 and a client certificate, all signed by that CA."""
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make test certificates (apt-get install openssl)"
    directory.mkdir(parents=True, exist_ok=True)
    paths = {name: directory / f"{name}.pem" for name in ("ca", "ca-key", "server", "server-key", "client", "client-key")}

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(paths["ca-key"]), "-out", str(paths["ca"]),
        "-days", "1", "-subj", "/CN=rollwise test CA")
    for name, extension in (("server", "subjectAltName=IP:127.0.0.1"), ("client", "extendedKeyUsage=clientAuth")):
        request = directory / f"{name}.csr"
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(paths[f"{name}-key"]), "-out", str(request),
            "-subj", f"/CN={name}")
        ext = directory / f"{name}.ext"
        ext.write_text(extension + "\n")
        run("x509", "-req", "-in", str(request), "-CA", str(paths["ca"]), "-CAkey", str(paths["ca-key"]),
            "-CAcreateserial", "-out", str(paths[name]), "-days", "1", "-extfile", str(ext))
    return paths


class FakeServer:
    """A TCP server on loopback that answers the first request of each connection with ``reply`` (None: never)."""

    def __init__(self, reply: bytes | None = None) -> None:
        self.reply = reply
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.connections: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections.append(conn)
            if self.reply is not None:
                try:
                    conn.recv(65536)
                    conn.sendall(self.reply)
                except OSError:
                    pass

    def close(self) -> None:
        self.sock.close()
        for conn in self.connections:
            conn.close()
