"""Real services for tests, started on 127.0.0.1 on free ports and stopped afterwards.

Each ``start_*`` returns a handle with its URL and a ``stop()``; nothing is installed or enabled system-wide.
A missing binary fails the test with the package to install (``./scripts/test.sh`` installs them all).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "redis-server": "redis-server",
    "nginx": "nginx-light",
    "initdb": "postgresql",
    "chromium": "chromium",
}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def find_binary(name: str) -> str:
    """Path of a service binary; fail the test (never skip) with the package to install when it is missing."""
    path = shutil.which(name)
    if name == "initdb":
        # the server's own directory holds postgres, pg_ctl and pg_isready beside initdb
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        path = found[-1] if found else None
    if name == "nginx" and not path and os.path.exists("/usr/sbin/nginx"):
        path = "/usr/sbin/nginx"
    if not path:
        pytest.fail(
            f"{name} is not installed: run ./scripts/test.sh (it installs the Debian package "
            f"'{PACKAGES.get(name, name)}'), or apt-get install {PACKAGES.get(name, name)}",
            pytrace=False,
        )
    return path


def wait_for_port(port: int, process: subprocess.Popen | None = None, timeout: float = 20.0, what: str = "") -> None:
    """Block until 127.0.0.1:port accepts connections (or the process died, or time ran out)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what or 'service'} exited with code {process.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what or 'service'} did not listen on 127.0.0.1:{port} within {timeout:.0f}s")


@dataclass
class Service:
    """A running service process."""

    name: str
    port: int
    process: subprocess.Popen
    workdir: Path
    log: Path
    extra: dict = field(default_factory=dict)

    @property
    def url(self) -> str:
        scheme = {"redis": "redis", "postgres": "postgresql"}.get(self.name, "http")
        return f"{scheme}://127.0.0.1:{self.port}"

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def logs(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def _spawn(cmd: list[str], log: Path, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(cmd, stdout=log.open("ab"), stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs)


def start_redis(workdir: Path, port: int | None = None) -> Service:
    """redis-server on loopback, no persistence."""
    binary = find_binary("redis-server")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / "redis.log"
    cmd = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
           "--dir", str(workdir), "--protected-mode", "yes"]
    process = _spawn(cmd, log)
    wait_for_port(port, process, what="redis-server")
    return Service("redis", port, process, workdir, log)


def start_prometheus(workdir: Path, scrape_configs: list[dict] | None = None, storage: Path | None = None,
                     extra_args: list[str] | None = None) -> Service:
    """Prometheus on loopback with the given scrape configs and storage (e.g. blocks made by promtool)."""
    import yaml

    binary = find_binary("prometheus")
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                                      "scrape_configs": scrape_configs or []}))
    storage = storage or workdir / "data"
    log = workdir / "prometheus.log"
    cmd = [binary, f"--config.file={config}", f"--storage.tsdb.path={storage}",
           f"--web.listen-address=127.0.0.1:{port}", "--storage.tsdb.retention.time=60d",
           "--web.enable-lifecycle", *(extra_args or [])]
    process = _spawn(cmd, log)
    wait_for_port(port, process, timeout=30, what="prometheus")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    else:
        raise RuntimeError("prometheus did not become ready:\n" + log.read_text()[-2000:])
    return Service("prometheus", port, process, workdir, log, {"config": config, "storage": storage})


def _postgres_user() -> tuple[int, int] | None:
    """PostgreSQL refuses to run as root: run it as the 'postgres' (or 'nobody') account then."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
            return entry.pw_uid, entry.pw_gid
        except KeyError:
            continue
    raise RuntimeError("running as root but neither a 'postgres' nor a 'nobody' account exists")


def start_postgres(workdir: Path | None = None) -> Service:
    """A throw-away PostgreSQL cluster on loopback; superuser 'rollwise' with password 'rollwise'."""
    initdb = find_binary("initdb")
    bindir = Path(initdb).parent
    port = free_port()
    # pytest's tmp dirs are private to root; the cluster lives in a directory its own user can reach.
    workdir = Path(tempfile.mkdtemp(prefix="rollwise-pg-")) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    os.chmod(workdir, 0o755)
    data = workdir / "data"
    owner = _postgres_user()
    log = workdir / "postgres.log"
    pwfile = workdir / "pw"
    pwfile.write_text("rollwise\n")
    kwargs: dict = {}
    if owner:
        os.chown(workdir, *owner)
        os.chown(pwfile, *owner)
        kwargs = {"user": owner[0], "group": owner[1], "extra_groups": []}
    subprocess.run([str(bindir / "initdb"), "-D", str(data), "-U", "rollwise", f"--pwfile={pwfile}",
                    "-A", "scram-sha-256", "--no-sync", "-E", "UTF8", "--locale=C"],
                   check=True, capture_output=True, cwd=workdir, **kwargs)
    cmd = [str(bindir / "postgres"), "-D", str(data), "-h", "127.0.0.1", "-p", str(port), "-k", str(workdir),
           "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
           "-c", "max_connections=50", "-c", "shared_buffers=64MB"]
    process = _spawn(cmd, log, cwd=workdir, **kwargs)
    wait_for_port(port, process, what="postgres")
    service = Service("postgres", port, process, workdir, log, {"bindir": bindir})
    # accepting TCP is not yet accepting logins; wait for the server to finish start-up
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        ready = subprocess.run([str(bindir / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True)
        if ready.returncode == 0:
            break
        time.sleep(0.1)
    return service


def postgres_url(service: Service, database: str = "postgres", driver: str = "postgresql+psycopg") -> str:
    """SQLAlchemy URL for a database on a ``start_postgres`` server."""
    return f"{driver}://rollwise:rollwise@127.0.0.1:{service.port}/{database}"


def create_database(service: Service, name: str) -> str:
    """Create a fresh database and return its SQLAlchemy URL."""
    import psycopg

    with psycopg.connect(f"host=127.0.0.1 port={service.port} user=rollwise password=rollwise dbname=postgres",
                         autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_url(service, name)


def start_nginx(workdir: Path, http_block: str, port: int | None = None) -> Service:
    """nginx in the foreground with a private prefix; ``http_block`` is the inside of ``http { }``."""
    binary = find_binary("nginx")
    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("logs", "tmp"):
        (workdir / sub).mkdir(exist_ok=True)
    conf = workdir / "nginx.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf.write_text(
        f"{user}worker_processes 1;\npid {workdir}/nginx.pid;\nerror_log {workdir}/logs/error.log warn;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n access_log off;\n client_body_temp_path {workdir}/tmp/body;\n"
        f" proxy_temp_path {workdir}/tmp/proxy;\n fastcgi_temp_path {workdir}/tmp/fcgi;\n"
        f" uwsgi_temp_path {workdir}/tmp/uwsgi;\n scgi_temp_path {workdir}/tmp/scgi;\n"
        f"{http_block.replace('$PORT', str(port))}\n}}\n"
    )
    log = workdir / "nginx.out"
    process = _spawn([binary, "-p", str(workdir), "-c", str(conf), "-g", "daemon off;"], log)
    wait_for_port(port, process, what="nginx")
    return Service("nginx", port, process, workdir, log, {"conf": conf, "binary": binary})
