"""A small instrumented HTTP service to run as baseline and as canary in the rollwise examples and tests.

    python app.py --port 8001 --track baseline
    APP_EXTRA_LATENCY_MS=120 APP_ERROR_RATE=0.03 python app.py --port 8002 --track canary

Endpoints: ``/`` and ``/api/items`` (work with a base latency), ``/healthz``, ``/metrics`` (Prometheus).
Every response carries ``X-Track``; metrics carry a ``track`` label so Prometheus can compare the two.
Regressions are injected with --extra-latency-ms / --error-rate (or APP_EXTRA_LATENCY_MS / APP_ERROR_RATE).
Listens on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest

BUCKETS = (0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.08, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0, 2.5)


def make_handler(track: str, base_latency: float, extra_latency: float, error_rate: float, seed: int | None):
    registry = CollectorRegistry()
    requests = Counter("http_requests", "Requests served.", ["track", "path", "code"], registry=registry)
    duration = Histogram("http_request_duration_seconds", "Time to serve a request.", ["track", "path"],
                         buckets=BUCKETS, registry=registry)
    chance = random.Random(seed)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            path = self.path.split("?", 1)[0]
            if path == "/metrics":
                self._send(200, generate_latest(registry), CONTENT_TYPE_LATEST)
                return
            if path == "/healthz":
                self._send(200, b"ok\n", "text/plain")
                return
            if path not in ("/", "/api/items"):
                self._send(404, b"not found\n", "text/plain")
                return
            started = time.perf_counter()
            # the work: a base latency with some jitter, plus the injected regression
            time.sleep(max(0.0, chance.gauss(base_latency, base_latency / 5)) + extra_latency)
            failed = chance.random() < error_rate
            code = 500 if failed else 200
            body = json.dumps({"track": track, "items": [] if failed else [1, 2, 3]}).encode() + b"\n"
            self._send(code, body, "application/json")
            duration.labels(track, path).observe(time.perf_counter() - started)
            requests.labels(track, path, str(code)).inc()

        def _send(self, code: int, body: bytes, content_type: str) -> None:
            self.send_response(code)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Track", track)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # quiet: the tests read metrics, not logs
            return

    return Handler


def main(argv: list[str] | None = None) -> int:
    env = os.environ
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port (see --port-file)")
    parser.add_argument("--port-file", help="write the port listened on here, once listening")
    parser.add_argument("--track", default=env.get("APP_TRACK", "baseline"))
    parser.add_argument("--base-latency-ms", type=float, default=float(env.get("APP_BASE_LATENCY_MS", 20)))
    parser.add_argument("--extra-latency-ms", type=float, default=float(env.get("APP_EXTRA_LATENCY_MS", 0)))
    parser.add_argument("--error-rate", type=float, default=float(env.get("APP_ERROR_RATE", 0)))
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    handler = make_handler(args.track, args.base_latency_ms / 1000, args.extra_latency_ms / 1000, args.error_rate,
                           args.seed)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler)
    server.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    port = server.server_address[1]
    if args.port_file:
        Path(args.port_file).write_text(f"{port}\n")
    print(f"{args.track} listening on 127.0.0.1:{port}", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
