"""The local release ledger: one JSON file (``releases.json`` next to the canary state file) holding the same
records GitHub's Deployments API would, for laptops, self-hosted runners and runs without a token.

Every write holds an exclusive ``flock`` on ``<file>.lock``, re-reads the file, checks the newest deployment id of
the environment (compare-and-set) and replaces the file atomically.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rollwise.errors import ConfigError
from rollwise.release.model import NewRelease, Release, Status, newest_first
from rollwise.release.ports import StaleLedger

SCHEMA = "rollwise/releases/v1"


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def release_from_dict(data: dict[str, Any]) -> Release:
    return Release(id=int(data["id"]), environment=data["environment"], ref=data.get("ref", ""),
                   sha=data.get("sha", ""), created_at=data.get("created_at", ""), payload=data.get("payload") or {},
                   description=data.get("description", ""),
                   statuses=tuple(Status(s["state"], s.get("created_at", ""), s.get("description", ""),
                                         s.get("log_url"), s.get("environment_url"))
                                  for s in data.get("statuses") or ()))


def _release_to_dict(release: Release) -> dict[str, Any]:
    return {"id": release.id, "environment": release.environment, "ref": release.ref, "sha": release.sha,
            "created_at": release.created_at, "payload": release.payload, "description": release.description,
            "statuses": [status.to_dict() for status in release.statuses]}


class LocalLedger:
    """Releases in a JSON file."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.name = f"file:{self.path}"

    def _read(self) -> dict[str, Any]:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"schema": SCHEMA, "next_id": 1, "deployments": []}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"the release ledger is not valid JSON ({exc.msg})", file=str(self.path),
                              line=exc.lineno, fix="restore it from a backup, or move it aside to start a new one")
        if data.get("schema") != SCHEMA:
            raise ConfigError(f"not a rollwise release ledger (schema {data.get('schema')!r})", file=str(self.path),
                              fix="point --ledger at the releases.json written by `rollwise canary run`")
        return data

    def _write(self, data: dict[str, Any]) -> None:
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(data, out, indent=2)
            out.write("\n")
        os.replace(temporary, self.path)

    @contextmanager
    def _locked(self) -> Iterator[dict[str, Any]]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield self._read()
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def releases(self, environment: str) -> list[Release]:
        data = self._read()
        return newest_first([release_from_dict(d) for d in data["deployments"] if d["environment"] == environment])

    def create(self, release: NewRelease, *, expect_latest: int | None) -> Release:
        with self._locked() as data:
            mine = [d for d in data["deployments"] if d["environment"] == release.environment]
            latest = max((int(d["id"]) for d in mine), default=None)
            if latest != expect_latest:
                raise StaleLedger(f"{self.path}: environment '{release.environment}' has a newer deployment "
                                  f"(#{latest}) than the one this run read (#{expect_latest}); another deploy or "
                                  "revert got there first — nothing was changed; look at `rollwise release list` "
                                  "and run again if still needed")
            created = Release(id=int(data["next_id"]), environment=release.environment, ref=release.ref,
                              sha=release.sha, created_at=now(), payload=release.payload,
                              description=release.description)
            data["next_id"] = created.id + 1
            data["deployments"].append(_release_to_dict(created))
            self._write(data)
        return created

    def add_status(self, release: Release, status: Status) -> Release:
        stamped = Status(status.state, status.created_at or now(), status.description, status.log_url,
                         status.environment_url)
        with self._locked() as data:
            record = next((d for d in data["deployments"] if int(d["id"]) == release.id), None)
            if record is None:
                raise ConfigError(f"deployment #{release.id} is not in the release ledger", file=str(self.path),
                                  fix="was the ledger replaced since the rollout started? check `rollwise release list`")
            record.setdefault("statuses", []).append(stamped.to_dict())
            self._write(data)
            return release_from_dict(record)
