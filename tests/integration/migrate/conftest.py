"""A copy of the example Alembic project per test, on SQLite or on a fresh database of the session's PostgreSQL."""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from rollwise.cli import main
from rollwise.migrate.adapters.dialects import for_url, snapshot
from support import services

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "migrate"


@dataclass
class Project:
    """The example project in a temp dir, bound to one database."""

    dir: Path
    url: str
    backend: str

    @property
    def ini(self) -> str:
        return str(self.dir / "alembic.ini")

    def add_fault(self, name: str) -> Path:
        target = self.dir / "migrations" / "versions" / name
        shutil.copy(EXAMPLE / "faults" / name, target)
        return target

    def rollwise(self, *args: str) -> int:
        command, rest = args[0], list(args[1:])
        return main(["migrate", command, "--alembic-config", self.ini, "--database-url", self.url, *rest])

    def engine(self) -> sa.Engine:
        return for_url(self.url).engine()

    def revision(self) -> str | None:
        engine = self.engine()
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").all()
        engine.dispose()
        return rows[0][0] if rows else None

    def checksums(self) -> dict:
        """Every table's checksum, computed by the database."""
        dialect = for_url(self.url)
        engine = dialect.engine()
        with engine.connect() as conn:
            result = {t: (c.columns, c.rows, c.checksum) for t, c in snapshot(conn, dialect).items()}
        engine.dispose()
        return result

    def contents(self, columns: dict[str, tuple[str, ...]] | None = None) -> dict:
        """Every row of every table (optionally only the given columns), sorted: an independent check."""
        engine = self.engine()
        out = {}
        with engine.connect() as conn:
            inspector_tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
            for table in sorted(inspector_tables):
                cols = (columns or {}).get(table) or tuple(c["name"] for c in sa.inspect(conn).get_columns(table))
                select = ", ".join(f'"{c}"' for c in cols)
                out[table] = sorted(tuple(map(str, r)) for r in conn.exec_driver_sql(f'SELECT {select} FROM "{table}"'))
        engine.dispose()
        return out

    def seed(self) -> None:
        """Schema at 0005 with sample rows in users and orders."""
        assert self.rollwise("apply", "--to", "0002", "--no-backup") == 0
        engine = self.engine()
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO users (id, email, name, plan_id) VALUES (:i, :e, :n, :p)"),
                         [{"i": i, "e": f"u{i}@example.com", "n": f"User {i}", "p": 1 + i % 3} for i in range(1, 121)])
            conn.execute(sa.text("INSERT INTO orders (id, user_id, total_cents) VALUES (:i, :u, :t)"),
                         [{"i": i, "u": 1 + i % 120, "t": i * 7} for i in range(1, 301)])
        engine.dispose()
        assert self.rollwise("apply", "--no-backup") == 0
        assert self.revision() == "0005"


def _copy(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(EXAMPLE / "alembic.ini", project)
    shutil.copytree(EXAMPLE / "migrations", project / "migrations", ignore=shutil.ignore_patterns("__pycache__"))
    return project


@pytest.fixture()
def sqlite_project(tmp_path, monkeypatch) -> Project:
    monkeypatch.chdir(tmp_path)
    project = _copy(tmp_path)
    return Project(project, f"sqlite:///{tmp_path / 'app.db'}", "sqlite")


@pytest.fixture()
def pg_project(tmp_path, monkeypatch, postgres_server) -> Project:
    monkeypatch.chdir(tmp_path)
    project = _copy(tmp_path)
    url = services.create_database(postgres_server, f"m_{uuid.uuid4().hex[:12]}")
    return Project(project, url, "postgres")


@pytest.fixture(params=["sqlite", "postgres"], ids=["sqlite", "postgres"])
def project(request) -> Project:
    """The same scenario on both databases."""
    return request.getfixturevalue(f"{'sqlite' if request.param == 'sqlite' else 'pg'}_project")
