"""Releases as GitHub Deployments (REST API, over httpx): one deployment per rollout or revert, its statuses as
the rollout moves.

Deployments are created with ``auto_merge: false`` and ``required_contexts: []`` — GitHub's documented way to skip
its commit-status check — so the API never merges branches or blocks on checks the workflow already ran. Statuses
are posted with ``auto_inactive: false``: rollwise marks superseded releases ``inactive`` itself, the same way in
both ledgers. GitHub has no conditional create, so compare-and-set is checked around the write: the newest
deployment must be the one read before, and right after creating, the deployment just older than ours must still
be it; a deployment that lost that race gets an ``error`` status and the caller a :class:`StaleLedger`.
"""

from __future__ import annotations

import os
import time
from typing import Any

import httpx

from rollwise.errors import ConfigError, InconclusiveError
from rollwise.release.model import NewRelease, Release, Status
from rollwise.release.ports import StaleLedger

#: deployments read per environment (with one statuses request each)
PAGE = 30
#: the task of rollwise's deployments: jobs with ``environment:`` get GitHub's own deployments (task ``deploy``),
#: which are neither releases nor part of the compare-and-set
TASK = "deploy:rollwise"
ATTEMPTS = 3


class GitHubLedger:
    """The Deployments API of one repository."""

    def __init__(self, token: str, repository: str, api_url: str | None = None,
                 client: httpx.Client | None = None) -> None:
        self.repository = repository
        self.name = f"github:{repository}"
        self.api_url = (api_url or os.environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        self._client = client or httpx.Client(timeout=15.0)
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                         "X-GitHub-Api-Version": "2022-11-28", "User-Agent": "rollwise-release"}

    def _call(self, method: str, path: str, what: str, **kwargs: Any) -> Any:
        url = f"{self.api_url}/repos/{self.repository}{path}"
        problem = ""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._client.request(method, url, headers=self._headers, **kwargs)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code in (401, 403, 404):
                    raise ConfigError(
                        f"GitHub refused to {what}: HTTP {response.status_code} {_message(response)}",
                        key="github-token",
                        fix="give the job `permissions: deployments: write` and pass `github-token: "
                            "${{ github.token }}`, or run without a token to use the local release ledger")
                if response.status_code < 500 and response.status_code != 429:
                    if response.status_code >= 400:
                        raise ConfigError(f"GitHub rejected the request to {what}: HTTP {response.status_code} "
                                          f"{_message(response)}", key="github-token")
                    return response.json()
                problem = f"HTTP {response.status_code} {_message(response)}"
            if attempt < ATTEMPTS:
                time.sleep(0.5 * attempt)
        raise InconclusiveError(f"could not {what} after {ATTEMPTS} attempts: {problem}; nothing was changed "
                                "by this step, run it again when GitHub answers")

    def _latest(self, environment: str, count: int) -> list[dict[str, Any]]:
        return self._call("GET", "/deployments", f"list the deployments of '{environment}'",
                          params={"environment": environment, "task": TASK, "per_page": count})

    def releases(self, environment: str) -> list[Release]:
        found = []
        for item in self._latest(environment, PAGE):
            statuses = self._call("GET", f"/deployments/{item['id']}/statuses",
                                  f"read the statuses of deployment {item['id']}", params={"per_page": 100})
            found.append(_release(item, statuses))
        return sorted(found, key=lambda release: release.id, reverse=True)

    def create(self, release: NewRelease, *, expect_latest: int | None) -> Release:
        before = self._latest(release.environment, 1)
        latest = before[0]["id"] if before else None
        if latest != expect_latest:
            raise StaleLedger(_stale(release.environment, latest, expect_latest))
        body = {"ref": release.ref, "task": TASK, "auto_merge": False, "required_contexts": [],
                "payload": release.payload, "environment": release.environment,
                "description": release.description[:140],
                "production_environment": release.environment == "production"}
        item = self._call("POST", "/deployments", f"create a deployment of {release.ref} in '{release.environment}'",
                          json=body)
        created = _release(item, [])
        after = [d["id"] for d in self._latest(release.environment, 10)]
        older = [deployment_id for deployment_id in after if deployment_id < created.id]
        previous = older[0] if older else None
        if previous != expect_latest:
            self.add_status(created, Status("error", "", "superseded by a concurrent deployment"))
            raise StaleLedger(_stale(release.environment, previous, expect_latest))
        return created

    def add_status(self, release: Release, status: Status) -> Release:
        body: dict[str, Any] = {"state": status.state, "description": status.description[:140],
                                "auto_inactive": False}
        if status.log_url:
            body["log_url"] = status.log_url
        if status.environment_url:
            body["environment_url"] = status.environment_url
        item = self._call("POST", f"/deployments/{release.id}/statuses",
                          f"set deployment {release.id} to {status.state}", json=body)
        return Release(release.id, release.environment, release.ref, release.sha, release.created_at,
                       release.payload, release.description, (*release.statuses, _status(item)))

    def close(self) -> None:
        self._client.close()


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json().get("message", ""))[:200]
    except ValueError:
        return response.text[:200]


def _stale(environment: str, latest: int | None, expected: int | None) -> str:
    return (f"environment '{environment}' has a newer deployment (#{latest}) than the one this run read "
            f"(#{expected}); another deploy or revert got there first — nothing was changed; look at "
            "`rollwise release list` and run again if still needed")


def _status(item: dict[str, Any]) -> Status:
    return Status(item.get("state", ""), item.get("created_at", ""), item.get("description") or "",
                  item.get("log_url") or item.get("target_url") or None, item.get("environment_url") or None)


def _release(item: dict[str, Any], statuses: list[dict[str, Any]]) -> Release:
    payload = item.get("payload") or {}
    if not isinstance(payload, dict):  # deployments created by other tools may carry a string
        payload = {"raw": payload}
    ordered = sorted(statuses, key=lambda s: s.get("id") or 0)  # GitHub lists them newest first
    return Release(id=int(item["id"]), environment=item.get("environment", ""), ref=item.get("ref", ""),
                   sha=item.get("sha", ""), created_at=item.get("created_at", ""), payload=payload,
                   description=item.get("description") or "", statuses=tuple(_status(s) for s in ordered))
