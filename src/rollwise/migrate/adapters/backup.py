"""Backup tools: finding pg_dump/pg_restore that match the server, and running them without leaking passwords."""

from __future__ import annotations

import glob
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from rollwise import shell
from rollwise.errors import ConfigError, RegressionError

DEBIAN_BINDIRS = "/usr/lib/postgresql/*/bin"


@dataclass(frozen=True)
class PgTools:
    pg_dump: Path
    pg_restore: Path
    major: int


def _major(binary: str) -> int | None:
    out = shell.run([binary, "--version"], timeout=10).stdout
    match = re.search(r"\)\s*(\d+)", out) or re.search(r"(\d+)\.\d+", out)
    return int(match[1]) if match else None


def candidates(name: str) -> list[str]:
    """``name`` on PATH first, then every Debian server directory, newest first."""
    found = [shutil.which(name)] if shutil.which(name) else []
    found += sorted(glob.glob(f"{DEBIAN_BINDIRS}/{name}"), key=lambda p: int(re.findall(r"/(\d+)/bin", p)[0] or 0),
                    reverse=True)
    return list(dict.fromkeys(found))


def pg_tools(server_major: int) -> PgTools:
    """pg_dump and pg_restore of the server's major version, or the oldest newer one (they read older servers)."""
    versions = [(path, _major(path)) for path in candidates("pg_dump")]
    usable = sorted(((m, p) for p, m in versions if m is not None and m >= server_major), key=lambda x: x[0])
    if not usable:
        seen = ", ".join(f"{p} ({m})" for p, m in versions) or "none"
        raise ConfigError(
            f"no pg_dump for PostgreSQL {server_major} (found: {seen}); nothing was changed",
            key="backup",
            fix=f"install the PostgreSQL {server_major} client (apt-get install postgresql-client-{server_major}), "
                "put it on PATH, or run with --no-backup if you accept migrating without one",
        )
    major, dump = usable[0]
    restore = Path(dump).with_name("pg_restore")
    if not restore.exists():
        raise ConfigError(f"{dump} has no pg_restore beside it", key="backup", fix="install the full client package")
    return PgTools(Path(dump), restore, major)


def libpq_env(url: sa.URL) -> dict[str, str]:
    """libpq settings for a URL; the password goes through PGPASSWORD, never the command line."""
    env = dict(os.environ)
    for key, value in (("PGHOST", url.host), ("PGPORT", url.port), ("PGUSER", url.username),
                       ("PGPASSWORD", url.password), ("PGDATABASE", url.database)):
        if value is not None:
            env[key] = str(value)
    return env


def pg_dump(tools: PgTools, url: sa.URL, schema: str, path: Path, lock_wait_s: float = 30,
            snapshot_id: str | None = None) -> None:
    """``pg_dump -Fc`` of one schema; with ``snapshot_id`` it dumps exactly what that exported snapshot sees."""
    path.parent.mkdir(parents=True, exist_ok=True)
    cmd = [str(tools.pg_dump), "--format=custom", f"--schema={schema}", f"--file={path}",
           f"--lock-wait-timeout={int(lock_wait_s * 1000)}"]
    if snapshot_id:
        cmd.append(f"--snapshot={snapshot_id}")
    _run(cmd, url, "backup")


def pg_restore(tools: PgTools, url: sa.URL, path: Path) -> None:
    _run([str(tools.pg_restore), "--single-transaction", "--exit-on-error", "--no-owner", "--no-comments",
          f"--dbname={url.database}", str(path)], url, "restore")


def _run(cmd: list[str], url: sa.URL, what: str) -> None:
    result = shell.run(cmd, env=libpq_env(url), timeout=None)
    if result.returncode != 0:
        raise RegressionError(f"{what} with {Path(cmd[0]).name} failed (exit {result.returncode}): "
                              f"{result.stderr.strip()[-600:]}")
