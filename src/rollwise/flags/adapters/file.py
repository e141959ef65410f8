"""The embedded file store: ``flags.yml`` is the source of truth, written back with compare-and-set.

A write locks ``<file>.lock``, re-reads the file, checks the expected versions against its ``revision``,
writes the new file atomically (temp file + rename) with ``revision`` + 1, and appends the audit entry to
``<file>.audit.jsonl``. Comments in flags.yml are not preserved by writes.
"""

from __future__ import annotations

import fcntl
import json
import os
import tempfile
from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

import yaml

from rollwise.flags.config import parse_document
from rollwise.flags.model import SCHEMA_VERSION
from rollwise.flags.model.changes import Audit, AuditEntry, Change
from rollwise.flags.ports import ConflictError, Snapshot
from rollwise.yamlsource import load_yaml


class FileStore:
    """Flags in a YAML file (``file://flags.yml``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = f"file://{path}"
        self.audit_path = self.path.with_name(self.path.name + ".audit.jsonl")

    def load(self) -> Snapshot:
        doc = load_yaml(self.path)
        data = doc.data if isinstance(doc.data, dict) else {}
        revision = data.get("revision", 0) if isinstance(data.get("revision"), int) else 0
        flag_keys = data.get("flags") if isinstance(data.get("flags"), dict) else {}
        flagset = parse_document(doc, versions={key: revision for key in flag_keys}, version=revision)
        versions = {f"flag:{k}": revision for k in flagset.flags} | {f"segment:{k}": revision for k in flagset.segments}
        return Snapshot(
            flagset=flagset, version=revision, epoch=f"file:{self.path.resolve()}",
            raw_flags={k: f.raw for k, f in flagset.flags.items()},
            raw_segments={k: s.raw for k, s in flagset.segments.items()}, versions=versions,
        )

    @contextmanager
    def _locked(self):
        lock_path = self.path.with_name(self.path.name + ".lock")
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def apply(self, changes: Sequence[Change], audit: Audit) -> int:
        with self._locked():
            current = self.load()
            for change in changes:
                actual = current.versions.get(f"{change.kind}:{change.key}", 0)
                if actual != change.expected_version:
                    raise ConflictError(change.key, change.expected_version, actual)
            data = yaml.safe_load(self.path.read_text(encoding="utf-8")) or {}
            for change in changes:
                section = data.setdefault("flags" if change.kind == "flag" else "segments", {})
                if change.after is None:
                    section.pop(change.key, None)
                else:
                    section[change.key] = json.loads(json.dumps(change.after))
            version = current.version + 1
            body = {"version": SCHEMA_VERSION, "revision": version,
                    **{k: v for k, v in data.items() if k not in ("version", "revision")}}
            self._write(yaml.safe_dump(body, sort_keys=False, allow_unicode=True))
            entry = AuditEntry(version, _now(), audit, [c.to_dict() for c in changes], id=str(version))
            with self.audit_path.open("a", encoding="utf-8") as log:
                log.write(json.dumps(entry.to_dict(), ensure_ascii=False) + "\n")
            return version

    def _write(self, text: str) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def history(self, key: str | None = None, limit: int = 20) -> list[AuditEntry]:
        if not self.audit_path.exists():
            return []
        entries = []
        for line in reversed(self.audit_path.read_text(encoding="utf-8").splitlines()):
            raw = json.loads(line)
            if key is not None and all(c["key"] != key for c in raw["changes"]):
                continue
            audit = Audit(raw["actor"], raw["reason"], raw["run_url"], raw["sha"])
            entries.append(AuditEntry(raw["version"], raw["at"], audit, raw["changes"], raw["id"]))
            if len(entries) >= limit:
                break
        return entries

    def acknowledged(self, version: int) -> int:
        return 0

    def close(self) -> None:
        pass


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")
