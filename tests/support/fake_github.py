"""A GitHub REST API on loopback for action tests: records requests, answers commit statuses, issue comments,
and deployments with their statuses (kept per repository, listed newest first as GitHub does).

Identities behave as on github.com: a token listed in ``users`` is a personal token (``GET /user`` answers its
login); any other token is an installation token such as ``GITHUB_TOKEN`` (``GET /user`` is 403, and its comments
are written by ``github-actions[bot]``). Any token with write access may edit any comment, as maintainers can.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest


class FakeGitHub:
    """A GitHub REST API on loopback that records requests and answers statuses and issue comments."""

    #: how GitHub shows comments made with an Actions GITHUB_TOKEN
    ACTIONS_BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}

    def __init__(self, deny: bool = False, users: dict[str, str] | None = None, garbage: bool = False) -> None:
        self.requests: list[tuple[str, str, dict | None, str]] = []
        self.comments: list[dict] = []
        self.deployments: list[dict] = []
        self.deployment_statuses: dict[int, list[dict]] = {}
        #: called (with the request body) just before a deployment is created: a test's way to let another
        #: deploy get in between a client's read and its write
        self.before_create_deployment = None
        #: how many deployments requests still answer 502 (GitHub having a bad moment)
        self.deployments_unavailable = 0
        self.deny = deny
        self._lock = threading.Lock()
        self._ids = iter(range(1001, 10**9))
        self.users = dict(users or {})  # token -> login of a personal access token
        self.garbage = garbage  # answer every request with 200 and an HTML page (a proxy or a login wall)
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def _answer(self, code: int, body) -> None:
                data = json.dumps(body).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _handle(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length)) if length else None
                authorization = self.headers.get("Authorization", "")
                fake.requests.append((method, self.path, body, authorization))
                if fake.garbage:
                    page = b"<html><body>Sign in to continue</body></html>"
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(page)))
                    self.end_headers()
                    self.wfile.write(page)
                    return None
                token = authorization.removeprefix("Bearer ").removeprefix("token ")
                if method == "GET" and self.path == "/user":
                    if token in fake.users:
                        return self._answer(200, {"login": fake.users[token], "id": 1000 + len(token), "type": "User"})
                    return self._answer(403, {"message": "Resource not accessible by integration"})
                if fake.deny:
                    return self._answer(403, {"message": "Resource not accessible by integration"})
                if "/deployments" in self.path:
                    if fake.deployments_unavailable > 0:
                        fake.deployments_unavailable -= 1
                        return self._answer(502, {"message": "Server Error"})
                    return self._answer(*fake.deployments_api(method, self.path, body))
                if method == "POST" and "/statuses/" in self.path:
                    return self._answer(201, {"id": 1, **body})
                if method == "GET" and self.path.split("?")[0].endswith("/comments"):
                    return self._answer(200, fake.comments)
                if method == "POST" and self.path.endswith("/comments"):
                    author = ({"login": fake.users[token], "id": 1000 + len(token), "type": "User"}
                              if token in fake.users else dict(fake.ACTIONS_BOT))
                    comment = {"id": 100 + len(fake.comments), "body": body["body"], "user": author}
                    fake.comments.append(comment)
                    return self._answer(201, comment)
                if method == "PATCH" and "/issues/comments/" in self.path:
                    comment = next(c for c in fake.comments if self.path.endswith(f"/{c['id']}"))
                    comment["body"] = body["body"]
                    return self._answer(200, comment)
                return self._answer(404, {"message": "Not Found"})

            def do_GET(self):
                self._handle("GET")

            def do_POST(self):
                self._handle("POST")

            def do_PATCH(self):
                self._handle("PATCH")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def deployments_api(self, method: str, path: str, body: dict | None) -> tuple[int, object]:
        url = urlsplit(path)
        query = {key: values[-1] for key, values in parse_qs(url.query).items()}
        match = re.fullmatch(r"/repos/[^/]+/[^/]+/deployments(?:/(\d+)(/statuses)?)?", url.path)
        if match is None:
            return 404, {"message": "Not Found"}
        number, statuses = match.group(1), match.group(2)
        if method == "POST" and number is None:
            if not body or not body.get("ref"):
                return 422, {"message": "Invalid request: ref is required"}
            if self.before_create_deployment is not None:
                hook, self.before_create_deployment = self.before_create_deployment, None
                hook(body)
            return 201, self.create_deployment(body)
        if method == "GET" and number is None:
            with self._lock:
                found = [d for d in self.deployments
                         if all(key not in query or d[key] == query[key] for key in ("environment", "task"))]
            found.sort(key=lambda d: d["id"], reverse=True)
            return 200, found[: int(query.get("per_page", 30))]
        deployment = next((d for d in self.deployments if d["id"] == int(number)), None)
        if deployment is None or not statuses:
            return (404, {"message": "Not Found"}) if deployment is None else (200, deployment)
        if method == "POST":
            if body.get("state") not in ("error", "failure", "inactive", "in_progress", "queued", "pending", "success"):
                return 422, {"message": f"Invalid state {body.get('state')!r}"}
            status = {"id": next(self._ids), "state": body["state"], "description": body.get("description", ""),
                      "log_url": body.get("log_url", ""), "target_url": body.get("log_url", ""),
                      "environment_url": body.get("environment_url", ""), "environment": deployment["environment"],
                      "created_at": _now()}
            with self._lock:
                self.deployment_statuses.setdefault(deployment["id"], []).append(status)
            return 201, status
        return 200, list(reversed(self.deployment_statuses.get(deployment["id"], [])))

    def create_deployment(self, body: dict) -> dict:
        ref = body["ref"]
        deployment = {"id": next(self._ids), "ref": ref,
                      "sha": ref if re.fullmatch(r"[0-9a-f]{40}", ref) else "f" * 40,
                      "task": body.get("task", "deploy"), "payload": body.get("payload") or {},
                      "environment": body.get("environment", "production"),
                      "description": body.get("description", ""), "created_at": _now(),
                      "creator": {"login": "github-actions[bot]"}}
        with self._lock:
            self.deployments.append(deployment)
        return deployment

    def history(self, environment: str | None = None) -> list[tuple[int, str]]:
        """Every deployment status posted, in order: (deployment id, state)."""
        events = [(status["id"], deployment_id, status["state"])
                  for deployment_id, items in self.deployment_statuses.items() for status in items
                  if environment is None
                  or next(d for d in self.deployments if d["id"] == deployment_id)["environment"] == environment]
        return [(deployment_id, state) for _, deployment_id, state in sorted(events)]

    def add_comment(self, body: str, login: str) -> dict:
        """A comment someone else wrote on the PR (e.g. one that copies rollwise's hidden marker)."""
        comment = {"id": 100 + len(self.comments), "body": body, "user": {"login": login, "id": 7, "type": "User"}}
        self.comments.append(comment)
        return comment

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


@pytest.fixture()
def github(tmp_path):
    """A fake GitHub API and a pull_request event file (PR 7, head sha aaa...)."""
    fake = FakeGitHub()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "a" * 40}}}))
    yield fake, event
    fake.close()
