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
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"cannot read the state file: {getattr(exc, 'strerror', None) or exc}",
                              file=str(self.path), fix="pass the file written by `rollwise canary run` (--state-file)")
        try:
            data = json.loads(text, parse_constant=_no_constant)
        except (json.JSONDecodeError, ValueError, RecursionError) as exc:
            raise ConfigError(f"state file is not valid JSON ({getattr(exc, 'msg', exc)})", file=str(self.path),
                              line=getattr(exc, "lineno", None),
                              fix="restore it from the workflow artifact, or undo the rollout by hand (see the runbook)")
        if not isinstance(data, dict) or data.get("schema") != SCHEMA:
            found = data.get("schema") if isinstance(data, dict) else type(data).__name__
            raise ConfigError(f"not a rollwise canary state file (schema {found!r})", file=str(self.path),
                              fix="pass the file written by `rollwise canary run` (--state-file)")
        _check_shape(data, str(self.path))
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


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number a state file can hold")


def _check_shape(data: dict[str, Any], file: str) -> None:
    """Validate a state file against its JSON Schema; a hand-edited or foreign file is exit 2, not a traceback."""
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files("rollwise").joinpath("schemas/canary-state.schema.json").read_text("utf-8"))
    error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema).iter_errors(data))
    if error is not None:
        key = ".".join(str(p) for p in error.absolute_path) or None
        raise ConfigError(f"the state file does not have the shape rollwise writes: {error.message}", file=file,
                          key=key, fix="restore it from the workflow artifact, or undo the rollout by hand "
                                       "(see docs/canary-deploy/runbook-half-done-rollout.md)")
