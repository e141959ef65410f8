"""A GitHub REST API on loopback for action tests: records requests, answers commit statuses and issue comments.

Identities behave as on github.com: a token listed in ``users`` is a personal token (``GET /user`` answers its
login); any other token is an installation token such as ``GITHUB_TOKEN`` (``GET /user`` is 403, and its comments
are written by ``github-actions[bot]``). Any token with write access may edit any comment, as maintainers can.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeGitHub:
    """A GitHub REST API on loopback that records requests and answers statuses and issue comments."""

    #: how GitHub shows comments made with an Actions GITHUB_TOKEN
    ACTIONS_BOT = {"login": "github-actions[bot]", "id": 41898282, "type": "Bot"}

    def __init__(self, deny: bool = False, users: dict[str, str] | None = None, garbage: bool = False) -> None:
        self.requests: list[tuple[str, str, dict | None, str]] = []
        self.comments: list[dict] = []
        self.deny = deny
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

    def add_comment(self, body: str, login: str) -> dict:
        """A comment someone else wrote on the PR (e.g. one that copies rollwise's hidden marker)."""
        comment = {"id": 100 + len(self.comments), "body": body, "user": {"login": login, "id": 7, "type": "User"}}
        self.comments.append(comment)
        return comment

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def github(tmp_path):
    """A fake GitHub API and a pull_request event file (PR 7, head sha aaa...)."""
    fake = FakeGitHub()
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "a" * 40}}}))
    yield fake, event
    fake.close()
