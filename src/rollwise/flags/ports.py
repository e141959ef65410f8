"""What every flag store offers: a consistent snapshot, an atomic audited compare-and-set, and history; and the
files the code-reference scan reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

from rollwise.errors import InconclusiveError
from rollwise.flags.model import FlagSet
from rollwise.flags.model.changes import Audit, AuditEntry, Change


def redact(url: str) -> str:
    """A store URL fit for logs and reports: any password replaced by ***."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)))


class ConflictError(InconclusiveError):
    """Another writer changed a flag since it was read; nothing was written (exit 3)."""

    def __init__(self, key: str, expected: int, actual: int) -> None:
        super().__init__(
            f"conflict on '{key}': expected version {expected}, the store has {actual}; nothing was written. "
            "Re-read the flag (rollwise flags get) and apply the change again on top of the new version."
        )
        self.key, self.expected, self.actual = key, expected, actual


class StoreUnavailable(InconclusiveError):
    """The store could not be reached or read (exit 3)."""


@dataclass(frozen=True)
class Snapshot:
    """All flags at one store version.

    ``raw_flags``/``raw_segments`` are the stored definitions that parsed; ``versions`` maps "flag:<key>"
    and "segment:<key>" to the version that last wrote them; ``bad`` maps an unreadable flag key to why.
    """

    flagset: FlagSet
    version: int
    epoch: str
    raw_flags: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    raw_segments: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    versions: Mapping[str, int] = field(default_factory=dict)
    bad: Mapping[str, str] = field(default_factory=dict)

    def flag_version(self, key: str) -> int:
        return self.versions.get(f"flag:{key}", 0)


class Store(Protocol):
    """A flag store (``redis://`` or ``file://``)."""

    url: str

    def load(self) -> Snapshot:
        """Read every flag and segment at one version."""

    def apply(self, changes: Sequence[Change], audit: Audit) -> int:
        """Write ``changes`` atomically if every expected version still holds; return the new version.

        Raises ConflictError when one moved; the audit entry is written in the same atomic step.
        """

    def history(self, key: str | None = None, limit: int = 20) -> list[AuditEntry]:
        """The latest audit entries, newest first (only those touching ``key`` when given)."""

    def acknowledged(self, version: int) -> int:
        """How many clients report having applied ``version`` or later."""

    def close(self) -> None:
        """Release connections."""


class FileSource(Protocol):
    """A set of files to scan: a work tree or a commit."""

    label: str

    def files(self) -> list[str]:
        """Paths relative to the scanned directory, with '/' separators."""

    def read(self, path: str) -> str | None:
        """The text of a file, or None when it is binary, too large or gone."""

    def close(self) -> None:
        """Release what reading needed."""
