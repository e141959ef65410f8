"""The state file of a rollout: what was done so far, so a later ``rollwise canary rollback`` can undo it.

Written atomically after every change of weight or status; it holds the router and commands needed to undo the
rollout without the original config.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from rollwise.errors import ConfigError

SCHEMA = "rollwise/canary-state/v1"
#: statuses after which nothing is left to undo
FINISHED = ("promoted", "rolled_back")


class StateFile:
    """One JSON file recording a rollout."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.data: dict[str, Any] = {}

    def read(self) -> dict[str, Any] | None:
        """The recorded state, or None when there is none."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"state file is not valid JSON ({exc.msg})", file=str(self.path), line=exc.lineno,
                              fix="restore it from the workflow artifact, or undo the rollout by hand (see the runbook)")
        if data.get("schema") != SCHEMA:
            raise ConfigError(f"not a rollwise canary state file (schema {data.get('schema')!r})", file=str(self.path),
                              fix="pass the file written by `rollwise canary run` (--state-file)")
        self.data = data
        return data

    def write(self, **changes: Any) -> None:
        """Merge ``changes`` into the state and write the file atomically."""
        self.data.update(changes)
        self.data["schema"] = SCHEMA
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(self.data, out, indent=2, default=str)
            out.write("\n")
        os.replace(temporary, self.path)

    def add_event(self, event: dict[str, Any]) -> None:
        self.write(events=[*self.data.get("events", []), event])
