"""Errors that carry the exit codes every rollwise command shares.

    RollwiseError                  base; never raised itself
     ├── RegressionError      (1)  a regression or danger was found and acted on
     ├── ConfigError          (2)  usage or configuration error; nothing was changed
     └── InconclusiveError    (3)  not enough data, a source unreachable, a lock not obtained

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
