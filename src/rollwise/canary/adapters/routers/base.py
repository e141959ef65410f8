"""The base class of traffic routers: send a percentage of traffic to the canary and say what was actually set.

A router is small: it validates its options (a JSON Schema), changes the split, and reads back the weight the
platform reports. Third parties add routers through the ``rollwise.routers`` entry-point group.
"""

from __future__ import annotations

import abc
import threading
from pathlib import Path
from typing import Any, ClassVar

from rollwise import shell
from rollwise.canary.ports import RouterError


class Router(abc.ABC):
    """Moves traffic between baseline and canary.

    Subclasses set ``name`` and ``options_schema`` (the keys allowed beside ``type`` under ``canary.router``)
    and implement :meth:`set_weight`.
    """

    name: ClassVar[str]
    #: JSON Schema of this router's options (``type`` included)
    options_schema: ClassVar[dict[str, Any]]

    def __init__(self, options: dict[str, Any], *, base_dir: Path | None = None,
                 cancel: threading.Event | None = None) -> None:
        self.options = options
        self.base_dir = base_dir or Path.cwd()
        #: set when the rollout is cancelled, so slow platform commands stop early (never during rollback)
        self.cancel = cancel

    @abc.abstractmethod
    def set_weight(self, weight: int) -> int:
        """Send ``weight`` percent of traffic to the canary; return the weight the platform now has.

        Raise :class:`RouterError` with the platform's message when the change fails or cannot be confirmed.
        """

    def describe(self) -> str:
        """A short human description for the log, e.g. ``nginx upstream app in /etc/nginx/canary.conf``."""
        return self.name

    def path(self, value: str) -> Path:
        """A path option, relative to the directory of rollwise.yml."""
        return (self.base_dir / value).resolve()

    def run(self, command: str | list[str], what: str, *, timeout: float = 60.0, stdin: str | None = None,
            env: dict[str, str] | None = None) -> shell.CommandResult:
        """Run a platform command in the directory of rollwise.yml; a failure becomes a RouterError saying what
        was being done."""
        result = shell.run(command, timeout=timeout, cancel=self.cancel, stdin=stdin, env=env, cwd=str(self.base_dir))
        if not result.ok:
            hint = " (is it installed and on PATH?)" if result.returncode == 127 else ""
            raise RouterError(f"{self.name} router: {what} failed: {result.failure()}{hint}")
        return result


def split(weight: int) -> tuple[int, int]:
    """Baseline and canary shares (summing to 100) for a canary weight in percent."""
    if not 0 <= weight <= 100:
        raise ValueError(f"weight {weight} is outside 0..100")
    return 100 - weight, weight
