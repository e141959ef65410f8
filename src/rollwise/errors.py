"""Errors that carry the exit codes every rollwise command shares (the table is in :mod:`rollwise.outcome`).

    RollwiseError                  base; never raised itself
     ├── RegressionError      (1)  a regression or danger was found and acted on
     ├── ConfigError          (2)  usage or configuration error; nothing was changed
     └── InconclusiveError    (3)  not enough data, a source unreachable, a lock not obtained
    any other exception       (4)  internal error: a bug, reported as a failed step, never as a rollback
     └── Crashed                   a service crashed after putting traffic or the database back in their safe state

Raise them deep; ``rollwise.cli.main`` turns them into the exit code in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


class RollwiseError(Exception):
    """Base of all rollwise errors; ``exit_code`` is what the process exits with."""

    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class RegressionError(RollwiseError):
    """A regression or danger was found (and acted on): exit 1."""

    exit_code = 1


class InconclusiveError(RollwiseError):
    """The data could not support a decision: exit 3, never reported as success."""

    exit_code = 3


@dataclass(frozen=True)
class Location:
    """Where in a user's file a problem sits: ``file:line`` plus the dotted key path."""

    file: str | None = None
    line: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where += f":{self.line}"
        if self.key:
            where += f": {self.key}"
        return where


class ConfigError(RollwiseError):
    """Bad usage or configuration: exit 2. The message names the file, line and key, and the fix."""

    exit_code = 2

    def __init__(
        self,
        problem: str,
        *,
        file: str | None = None,
        line: int | None = None,
        key: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.location = Location(file, line, key)
        self.fix = fix
        message = problem
        if file or key or line is not None:
            message = f"{self.location}: {problem}"
        if fix:
            message += f"\n  fix: {fix}"
        super().__init__(message)


class Crashed(Exception):
    """An unexpected exception (its ``__cause__``) met by a service that first put things back in their safe
    state; ``result`` is what it did, for the CLI to publish before the crash is reported (exit 4)."""

    def __init__(self, result: object) -> None:
        super().__init__(f"crashed after returning to the safe state: {getattr(result, 'reason', '')}")
        self.result = result
