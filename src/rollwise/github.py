"""GitHub REST adapter shared by the actions: a commit status (``rollwise/<tool>``) and one sticky PR comment per
tool, found by a hidden marker and updated in place.

Reporting never changes a decision: a token without write access (fork PRs get a read-only ``GITHUB_TOKEN``) or
any other API problem becomes a warning, and the judgement stands.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import httpx

from rollwise.ghactions import Annotation, annotate, mask
from rollwise.redact import redact_text

#: GitHub refuses comment bodies over 65536 characters
COMMENT_LIMIT = 65_000


@dataclass(frozen=True)
class PullRequest:
    repo: str
    sha: str
    number: int | None
    run_url: str | None


def pull_request_from_env(env: dict[str, str] | None = None) -> PullRequest | None:
    """Repository, head commit, PR number and run link from the Actions environment and event payload."""
    env = dict(os.environ if env is None else env)
    repo = env.get("GITHUB_REPOSITORY")
    if not repo:
        return None
    sha, number = env.get("GITHUB_SHA", ""), None
    event_path = env.get("GITHUB_EVENT_PATH")
    if event_path and os.path.exists(event_path):
        with open(event_path, encoding="utf-8") as handle:
            event = json.load(handle)
        pr = event.get("pull_request") or {}
        sha = (pr.get("head") or {}).get("sha") or sha
        number = pr.get("number") or (event.get("issue") or {}).get("number")
    run_url = None
    if env.get("GITHUB_RUN_ID"):
        run_url = f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{repo}/actions/runs/{env['GITHUB_RUN_ID']}"
    return PullRequest(repo, sha, number, run_url)


def _short(text: str, limit: int = 140) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fit_comment(body: str, limit: int = COMMENT_LIMIT) -> str:
    """Cut a comment to GitHub's size limit at a line boundary, closing an open code fence or details block."""
    if len(body) <= limit:
        return body
    note = "\n\n> **Cut to fit GitHub's comment limit**; the job summary and the JSON report have everything.\n"
    cut = body[: limit - len(note) - 32]
    cut = cut[: cut.rfind("\n") + 1]
    if cut.count("```") % 2:
        cut += "```\n"
    if cut.count("<details>") > cut.count("</details>"):
        cut += "</details>\n"
    return cut + note


#: the author of comments made with an Actions ``GITHUB_TOKEN``
ACTIONS_BOT = "github-actions[bot]"


def _author(comment: dict) -> str:
    user = comment.get("user")
    return str(user.get("login") or "") if isinstance(user, dict) else ""


class GitHub:
    """The two calls an action makes for ``tool`` (e.g. ``slo-gate``), over httpx; ``client`` lets tests point it
    at a local server."""

    def __init__(self, token: str, tool: str, api_url: str | None = None, client: httpx.Client | None = None) -> None:
        mask(token)
        self.tool = tool
        self.api_url = (api_url or os.environ.get("GITHUB_API_URL") or "https://api.github.com").rstrip("/")
        self._client = client or httpx.Client(timeout=10.0)
        self._identity: str | None = None  # "" once looked up and unknown
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/vnd.github+json",
                         "X-GitHub-Api-Version": "2022-11-28", "User-Agent": f"rollwise-{tool}"}

    def _request(self, method: str, path: str, what: str, **kwargs) -> httpx.Response | None:
        try:
            response = self._client.request(method, f"{self.api_url}{path}", headers=self._headers, **kwargs)
        except httpx.HTTPError as exc:
            self._warn(f"could not {what}: {type(exc).__name__}: {redact_text(str(exc))}")
            return None
        if response.status_code in (401, 403, 404):
            self._warn(f"could not {what}: HTTP {response.status_code} (the token cannot write here; pull requests "
                       "from forks get a read-only GITHUB_TOKEN). The result is in the job summary.")
            return None
        if response.status_code >= 400:
            self._warn(f"could not {what}: HTTP {response.status_code}: {redact_text(response.text[:200])}")
            return None
        return response

    def _json(self, response: httpx.Response | None, what: str, kind: type) -> object | None:
        """The JSON body of ``response`` if it is a ``kind`` (list or dict); otherwise warn and return None."""
        if response is None:
            return None
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, kind):
            self._warn(f"could not {what}: the API answered HTTP {response.status_code} with something other than "
                       "GitHub's JSON (a proxy or a login page?); check GITHUB_API_URL")
            return None
        return body

    def identity(self) -> str | None:
        """The login that comments made with this token carry.

        ``ROLLWISE_GITHUB_COMMENT_AUTHOR`` when set (a GitHub App's ``<slug>[bot]``); else ``GET /user`` for a
        personal token; an installation token (``GITHUB_TOKEN``) cannot read /user and writes as github-actions[bot].
        """
        if self._identity is not None:
            return self._identity or None
        configured = os.environ.get("ROLLWISE_GITHUB_COMMENT_AUTHOR", "").strip()
        if configured:
            self._identity = configured
            return configured
        try:
            response = self._client.get(f"{self.api_url}/user", headers=self._headers)
        except httpx.HTTPError:
            response = None
        if response is not None and response.status_code == 200:
            body = self._json(response, "read the token's user", dict)
            self._identity = str((body or {}).get("login") or "")
        elif response is not None and response.status_code in (401, 403):
            self._identity = ACTIONS_BOT
        else:
            self._identity = ""
        return self._identity or None

    def _warn(self, message: str) -> None:
        annotate([Annotation("warning", message, title=self.tool)])

    def set_status(self, pr: PullRequest, state: str, description: str) -> bool:
        """Commit status ``rollwise/<tool>`` on the PR's head commit; ``state`` is success, failure or error."""
        body = {"state": state, "context": f"rollwise/{self.tool}", "description": _short(description)}
        if pr.run_url:
            body["target_url"] = pr.run_url
        response = self._request("POST", f"/repos/{pr.repo}/statuses/{pr.sha}", "set the commit status", json=body)
        return self._json(response, "set the commit status", dict) is not None

    def upsert_comment(self, pr: PullRequest, body: str, marker: str) -> bool:
        """Create the PR comment carrying ``marker``, or edit it in place when it exists."""
        if pr.number is None:
            self._warn("no pull request in this event; the PR comment was skipped")
            return False
        # Only a comment this token wrote is ours to edit: anyone can paste the hidden marker into their own.
        me = self.identity()
        page, existing = 1, None
        while existing is None:
            response = self._request("GET", f"/repos/{pr.repo}/issues/{pr.number}/comments", "read PR comments",
                                     params={"per_page": 100, "page": page})
            comments = self._json(response, "read PR comments", list)
            if comments is None:
                return False
            existing = next((c for c in comments if isinstance(c, dict) and marker in str(c.get("body") or "")
                             and me is not None and _author(c).lower() == me.lower()), None)
            if len(comments) < 100:
                break
            page += 1
        body = fit_comment(body)
        if existing and isinstance(existing.get("id"), int):
            response = self._request("PATCH", f"/repos/{pr.repo}/issues/comments/{existing['id']}",
                                     "update the PR comment", json={"body": body})
            return self._json(response, "update the PR comment", dict) is not None
        response = self._request("POST", f"/repos/{pr.repo}/issues/{pr.number}/comments", "comment on the PR",
                                 json={"body": body})
        return self._json(response, "comment on the PR", dict) is not None

    def close(self) -> None:
        self._client.close()


def report_to_pull_request(tool: str, state: str, description: str, markdown: str, marker: str, *, status: bool,
                           comment: bool) -> None:
    """Set the commit status and/or the sticky comment from the Actions environment; warn when that is impossible."""
    token = os.environ.get("ROLLWISE_GITHUB_TOKEN") or os.environ.get("GITHUB_TOKEN")
    pr = pull_request_from_env()
    if not token or pr is None:
        annotate([Annotation("warning", "PR status/comment skipped: needs GITHUB_TOKEN and GITHUB_REPOSITORY",
                             title=tool)])
        return
    client = GitHub(token, tool)
    try:
        if status:
            client.set_status(pr, state, description)
        if comment:
            client.upsert_comment(pr, markdown, marker)
    finally:
        client.close()
