"""What the release service needs from a place that keeps deployments: GitHub's Deployments API or a local
JSON file. Both write with compare-and-set on the newest deployment id of the environment.
"""

from __future__ import annotations

from typing import Protocol

from rollwise.errors import InconclusiveError
from rollwise.release.model import NewRelease, Release, Status


class StaleLedger(InconclusiveError):
    """Another deployment was created since the ledger was read: the caller's view is stale (exit 3)."""


class DeploymentLedger(Protocol):
    """Deployments of one repository (GitHub) or one service (local file), grouped by environment."""

    #: how the ledger is named in messages and state files: ``github:acme/shop`` or ``file:/path/releases.json``
    name: str

    def releases(self, environment: str) -> list[Release]:
        """The environment's releases with their statuses, newest first."""

    def create(self, release: NewRelease, *, expect_latest: int | None) -> Release:
        """Create a deployment, provided the newest one of the environment is still ``expect_latest`` (None: there
        was none). Raises :class:`StaleLedger` otherwise, leaving no live deployment behind."""

    def add_status(self, release: Release, status: Status) -> Release:
        """Append a status to a deployment and return it with the new status."""
