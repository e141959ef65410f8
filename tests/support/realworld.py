"""Alembic histories of open-source projects, taken from their published wheels at test time (nothing of theirs
is kept in this repository): each pinned wheel is downloaded once with ``pip download --no-deps`` into a cache,
and only its migrations package is extracted, next to a generated ``alembic.ini``.

A failed download fails the tests that need the corpus; it never skips them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path

SUPPORT = Path(__file__).resolve().parent


@dataclass(frozen=True)
class History:
    """A project whose wheel ships its Alembic migrations package."""

    name: str
    requirement: str  # pinned, so the known findings stay on their lines
    package_dir: str  # the migrations package inside the wheel
    #: top-level packages its env.py and revisions import that are neither the stdlib nor SQLAlchemy/Alembic
    app_packages: tuple[str, ...]


HISTORIES = (
    History("airflow", "apache-airflow-core==3.3.2", "airflow/migrations", ("airflow", "uuid6", "structlog", "lazy_object_proxy")),
    History("mlflow", "mlflow-skinny==3.17.2", "mlflow/store/db_migrations", ("mlflow",)),
    History("ckan", "ckan==2.12.0", "ckan/migration", ("ckan",)),
)


def cache_dir() -> Path:
    root = os.environ.get("ROLLWISE_CORPUS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rollwise-corpus")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def wheel(history: History) -> Path:
    """The pinned wheel, from the cache or downloaded into it (a download failure raises)."""
    name, version = history.requirement.split("==")
    prefix = f"{name.replace('-', '_')}-{version}-"
    cached = [p for p in cache_dir().glob("*.whl") if p.name.lower().startswith(prefix.lower())]
    if cached:
        return cached[0]
    done = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                           "--disable-pip-version-check", "-q", "-d", str(cache_dir()), history.requirement],
                          capture_output=True, text=True, timeout=600)
    cached = [p for p in cache_dir().glob("*.whl") if p.name.lower().startswith(prefix.lower())]
    if done.returncode != 0 or not cached:
        raise RuntimeError(f"downloading {history.requirement} failed (exit {done.returncode}): "
                           f"{done.stderr.strip()[-800:]}")
    return cached[0]


@dataclass(frozen=True)
class Checkout:
    """An extracted history: ``site/`` holds the migrations package at its import path, ``alembic.ini`` points at it."""

    history: History
    root: Path

    @property
    def ini(self) -> Path:
        return self.root / "alembic.ini"

    @property
    def site(self) -> Path:
        return self.root / "site"

    @property
    def versions(self) -> Path:
        return self.site / self.history.package_dir / "versions"

    def env(self, stubs: bool) -> dict[str, str]:
        """Environment for a rollwise process: with stubs, the app's packages import as stand-ins."""
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GITHUB_STEP_SUMMARY",
                                                                 "GITHUB_OUTPUT")}
        if stubs:
            env["PYTHONPATH"] = os.pathsep.join([str(self.root / "stubs"), str(self.site)])
        return env


def extract(history: History, target: Path) -> Checkout:
    """Only the migrations package of the wheel, and a small alembic.ini (PostgreSQL URL: squawk runs)."""
    site = target / "site"
    with zipfile.ZipFile(wheel(history)) as archive:
        for member in archive.namelist():
            if member.startswith(history.package_dir + "/") and not member.endswith("/"):
                archive.extract(member, site)
    (target / "alembic.ini").write_text(
        "[alembic]\n"
        f"script_location = %(here)s/site/{history.package_dir}\n"
        "sqlalchemy.url = postgresql+psycopg://rollwise@127.0.0.1:1/corpus\n")
    stubs = target / "stubs"
    stubs.mkdir()
    shutil.copy(SUPPORT / "appstubs.py", stubs / "appstubs.py")
    (stubs / "sitecustomize.py").write_text(
        f"import appstubs\n\nappstubs.install({list(history.app_packages)!r})\n")
    return Checkout(history, target)
