"""Alembic behind a small surface: load a project, walk revision ranges, render one revision's offline SQL with
markers that map every statement to its ``op.*`` line, and run upgrade/downgrade/stamp on a given connection.
"""

from __future__ import annotations

import configparser
import contextlib
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from alembic.script.revision import RevisionError
from alembic.util.exc import CommandError

from rollwise.errors import ConfigError

MARKER = "-- rollwise-line: "
_MARKER_LINE = re.compile(r"^-- rollwise-line: (\d+)$")
ENV_RECIPE = (
    "in env.py's run_migrations_online use the connection rollwise passes in (Alembic cookbook, 'Sharing a "
    "Connection'):\n    connectable = config.attributes.get(\"connection\")\n    if connectable is not None:\n"
    "        context.configure(connection=connectable, target_metadata=target_metadata)\n"
    "        with context.begin_transaction():\n            context.run_migrations()\n        return"
)


@dataclass(frozen=True)
class Revision:
    """One revision of the project: id, parent(s) and file."""

    id: str
    down: tuple[str, ...]
    path: str

    @classmethod
    def of(cls, script: Script) -> Revision:
        down = script.down_revision
        downs = () if down is None else (down,) if isinstance(down, str) else tuple(down)
        return cls(script.revision, downs, script.path)


class Project:
    """An Alembic project (``alembic.ini`` + script directory) with an optional database URL override."""

    def __init__(self, ini: str | Path, database_url: str | None = None) -> None:
        self.ini = Path(ini)
        if not self.ini.is_file():
            raise ConfigError(f"Alembic config {self.ini} does not exist", key="alembic-config",
                              fix="pass --alembic-config path/to/alembic.ini (action input alembic-config)")
        try:
            parser = configparser.ConfigParser()
            parser.read(self.ini)
        except configparser.MissingSectionHeaderError as exc:
            raise ConfigError("not an INI file: the first line is not a [section] header", file=str(self.ini),
                              line=exc.lineno, fix="start the file with [alembic]") from None
        except configparser.Error as exc:
            line = getattr(exc, "lineno", None) or _first_error_line(exc)
            raise ConfigError(f"cannot parse: {exc.message.splitlines()[0]}", file=str(self.ini), line=line,
                              fix="fix the INI syntax (key = value lines under [sections])") from None
        if not parser.has_option("alembic", "script_location"):
            raise ConfigError("no script_location in the [alembic] section", file=str(self.ini), key="script_location",
                              fix="add `script_location = %(here)s/migrations` under [alembic]")
        self.config = self._config()
        self.database_url = database_url or self.config.get_main_option("sqlalchemy.url")
        try:
            self.script = ScriptDirectory.from_config(self.config)
            self._revisions = {s.revision: s for s in self.script.walk_revisions()}
        except CommandError as exc:
            raise ConfigError(str(exc), file=str(self.ini), key="script_location",
                              fix="point script_location at the directory holding env.py and versions/") from None
        except Exception as exc:  # a revision that fails to import is a broken project, reported with its file
            raise ConfigError(f"a revision file failed to load: {type(exc).__name__}: {exc}", file=str(self.ini),
                              fix="run `alembic heads` to see the failing file and fix it") from None
        self.env_path = Path(self.script.dir) / "env.py"

    def _config(self, output: io.StringIO | None = None) -> Config:
        config = Config(str(self.ini), output_buffer=output, stdout=io.StringIO())
        return config

    def config_for(self, connection: sa.Connection | None = None, url: str | None = None,
                   output: io.StringIO | None = None) -> Config:
        config = self._config(output)
        if url or self.database_url:
            config.set_main_option("sqlalchemy.url", (url or self.database_url).replace("%", "%%"))
        if connection is not None:
            config.attributes["connection"] = connection
        return config

    # -- the revision graph ------------------------------------------------------------------------------------
    def heads(self) -> tuple[str, ...]:
        return tuple(self.script.get_heads())

    def single_head(self) -> str:
        heads = self.heads()
        if len(heads) != 1:
            raise ConfigError(
                f"the project has {len(heads)} heads ({', '.join(heads) or 'none'}); rollwise migrates to one head",
                file=str(self.env_path.parent / "versions"),
                fix="merge them: `alembic merge -m merge " + " ".join(heads) + "`, or pass --to <revision>",
            )
        return heads[0]

    def resolve(self, name: str | None, what: str = "revision") -> str | None:
        """A full revision id for an id, unique prefix, 'head' or 'base' (None); ConfigError if unknown."""
        if name in (None, "", "base"):
            return None
        if name == "head":
            return self.single_head()
        try:
            found = self.script.get_revision(name)
        except (CommandError, RevisionError) as exc:
            raise ConfigError(f"{what} '{name}': {exc}", key=what, file=str(self.ini),
                              fix="use a revision id from `alembic history`, 'head' or 'base'") from None
        if found is None:
            raise ConfigError(f"{what} '{name}' is not in {self.script.dir}", key=what,
                              fix="use a revision id from `alembic history`, 'head' or 'base'")
        return found.revision

    def path_between(self, lower: str | None, upper: str | None) -> list[Revision]:
        """Revisions after ``lower`` up to and including ``upper``, oldest first."""
        if upper is None:
            return []
        try:
            scripts = list(self.script.iterate_revisions(upper, lower or "base"))
        except (CommandError, RevisionError) as exc:
            raise ConfigError(f"no upgrade path from {lower or 'base'} to {upper}: {exc}", key="range",
                              fix="check the range with `alembic history -r FROM:TO`") from None
        return [Revision.of(s) for s in reversed(scripts)]

    def revision(self, rev_id: str) -> Revision:
        return Revision.of(self._revisions[rev_id])

    def check_env_shares_connection(self) -> None:
        """apply/plan run revisions inside rollwise's transaction, which env.py must accept."""
        text = self.env_path.read_text(encoding="utf-8") if self.env_path.exists() else ""
        if 'attributes.get("connection")' not in text and "attributes.get('connection')" not in text and \
                'attributes["connection"]' not in text:
            raise ConfigError("env.py opens its own connection, so rollwise cannot run revisions inside its "
                              "transaction (and roll them back)", file=str(self.env_path), key="run_migrations_online",
                              fix=ENV_RECIPE)

    # -- offline SQL -------------------------------------------------------------------------------------------
    def offline_sql(self, rev: Revision, url: str) -> str:
        """``alembic upgrade <down>:<rev> --sql`` for one revision, with a marker before each op's statements."""
        output = io.StringIO()
        config = self.config_for(url=url, output=output)
        start = rev.down[0] if len(rev.down) == 1 else None
        target = f"{start}:{rev.id}" if start else rev.id
        with _line_markers(rev.path):
            command.upgrade(config, target, sql=True)
        return output.getvalue()

    # -- online commands on a given connection -----------------------------------------------------------------
    def current(self, conn: sa.Connection) -> tuple[str, ...]:
        return tuple(MigrationContext.configure(conn).get_current_heads())

    def upgrade(self, conn: sa.Connection, target: str) -> None:
        command.upgrade(self.config_for(conn), target)

    def downgrade(self, conn: sa.Connection, target: str | None) -> None:
        command.downgrade(self.config_for(conn), target or "base")

    def stamp(self, conn: sa.Connection, target: str | None) -> None:
        command.stamp(self.config_for(conn), target or "base", purge=True)


def _first_error_line(exc: configparser.Error) -> int | None:
    errors = getattr(exc, "errors", None)
    return errors[0][0] if errors else None


@contextlib.contextmanager
def _line_markers(path: str) -> Iterator[None]:
    """Write ``-- rollwise-line: N`` before the SQL of each op, N being the revision file line that called it."""
    from alembic.operations.base import Operations

    original = Operations.invoke
    target = str(Path(path).resolve())

    def invoke(self: Operations, operation: object) -> object:
        frame = sys._getframe(1)
        while frame is not None and str(Path(frame.f_code.co_filename).resolve()) != target:
            frame = frame.f_back
        if frame is not None and self.migration_context.as_sql:
            self.migration_context.impl.static_output(f"{MARKER}{frame.f_lineno}")
        return original(self, operation)

    Operations.invoke = invoke  # type: ignore[method-assign]
    try:
        yield
    finally:
        Operations.invoke = original  # type: ignore[method-assign]


def sql_line_map(sql: str) -> list[int | None]:
    """For each line of rendered SQL (0-based), the revision file line of the op that produced it (or None)."""
    mapping: list[int | None] = []
    current: int | None = None
    for line in sql.splitlines():
        match = _MARKER_LINE.match(line.strip())
        if match:
            current = int(match[1])
        elif line.startswith("-- Running ") or line.startswith("UPDATE alembic_version") or \
                line.startswith("INSERT INTO alembic_version") or line.startswith("CREATE TABLE alembic_version"):
            current = None
        mapping.append(current)
    return mapping


def strip_markers(sql: str) -> str:
    return "\n".join(line for line in sql.splitlines() if not _MARKER_LINE.match(line.strip()))
