"""The oldest SQLAlchemy and Alembic that pyproject.toml admits (SQLAlchemy 1.4, the bottom of the Alembic range),
in a second virtualenv, running lint, plan, apply and rollback on real PostgreSQL; the newest end is the suite's
own environment."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support import services

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "migrate"


def lowest(package: str) -> str:
    """The lower bound of ``package`` in pyproject.toml's dependencies."""
    match = re.search(rf'"{package}>=([0-9.]+)', (ROOT / "pyproject.toml").read_text())
    assert match, f"no lower bound for {package} in pyproject.toml"
    return match[1]


@pytest.fixture(scope="session")
def oldest(tmp_path_factory) -> Path:
    """A virtualenv with the oldest supported SQLAlchemy and Alembic, and rollwise installed with ranges."""
    venv = tmp_path_factory.mktemp("oldest") / "venv"
    uv = str(Path(sys.executable).with_name("uv"))
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, str(venv)], check=True, timeout=300)
    subprocess.run([uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"),
                    f"sqlalchemy=={lowest('sqlalchemy')}", f"alembic=={lowest('alembic')}", f"{ROOT}[postgres]",
                    # SQLAlchemy 1.4 has no psycopg 3 dialect: apps on 1.4 use psycopg2
                    "psycopg2-binary"],
                   check=True, timeout=900, capture_output=True)
    return venv


def test_the_oldest_versions_are_what_runs(oldest):
    versions = subprocess.run([str(oldest / "bin" / "python"), "-c",
                               "import sqlalchemy, alembic; print(sqlalchemy.__version__, alembic.__version__)"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert versions == [lowest("sqlalchemy"), lowest("alembic")] and versions[0].startswith("1.4.")


def test_lint_plan_apply_rollback_on_postgresql(oldest, tmp_path, postgres_server):
    project = tmp_path / "project"
    shutil.copytree(EXAMPLE / "migrations", project / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(EXAMPLE / "alembic.ini", project)
    url = services.create_database(postgres_server, "oldest_versions").replace("postgresql+psycopg://",
                                                                             "postgresql://")

    def rollwise(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(oldest / "bin" / "rollwise"), "migrate", *args, "--alembic-config",
                               str(project / "alembic.ini")], capture_output=True, text=True, cwd=tmp_path,
                              timeout=600)

    lint = rollwise("lint", "--range", "base:head", "--squawk")
    assert lint.returncode == 0, lint.stderr
    applied = rollwise("apply", "--database-url", url, "--to", "0003", "--backup-dir", str(tmp_path / "b"))
    assert applied.returncode == 0 and "apply applied" in applied.stderr, applied.stderr
    plan = rollwise("plan", "--database-url", url, "--report", str(tmp_path / "plan.json"))
    assert plan.returncode == 0 and "0003 -> 0005: 2 revision(s), ok" in plan.stderr, plan.stderr
    applied = rollwise("apply", "--database-url", url, "--backup-dir", str(tmp_path / "b"))
    assert applied.returncode == 0 and "applied 2 revision(s) 0003 -> 0005" in applied.stderr, applied.stderr
    back = rollwise("rollback", "--database-url", url, "--to", "0003", "--backup-dir", str(tmp_path / "b"))
    assert back.returncode == 0 and "rolled back 0005 -> 0003" in back.stderr, back.stderr
