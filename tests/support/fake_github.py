"""A GitHub REST API on loopback for action tests: records requests, answers commit statuses and issue comments."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class FakeGitHub:
    """A GitHub REST API on loopback that records requests and answers statuses and issue comments."""

    def __init__(self, deny: bool = False) -> None:
        self.requests: list[tuple[str, str, dict | None, str]] = []
        self.comments: list[dict] = []
        self.deny = deny
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
                fake.requests.append((method, self.path, body, self.headers.get("Authorization", "")))
                if fake.deny:
                    return self._answer(403, {"message": "Resource not accessible by integration"})
                if method == "POST" and "/statuses/" in self.path:
                    return self._answer(201, {"id": 1, **body})
                if method == "GET" and self.path.split("?")[0].endswith("/comments"):
                    return self._answer(200, fake.comments)
                if method == "POST" and self.path.endswith("/comments"):
                    comment = {"id": 100 + len(fake.comments), "body": body["body"]}
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
