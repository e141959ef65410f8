"""A whole canary setup on loopback for integration tests: the example app as baseline and canary, nginx
splitting between them, Prometheus scraping both, and a rollwise.yml (from examples/canary) pointing at them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

from rollwise.canary.adapters.routers.nginx import NginxRouter
from support import services

ROOT = Path(__file__).resolve().parents[3]
APP = ROOT / "examples" / "app" / "app.py"
EXAMPLE_CONFIG = ROOT / "examples" / "canary" / "rollwise.yml"
ROLLWISE = Path(sys.executable).parent / "rollwise"


def start_app(workdir: Path, track: str, port: int, **regression: float) -> subprocess.Popen:
    env = {**os.environ, "APP_EXTRA_LATENCY_MS": str(regression.get("latency_ms", 0)),
           "APP_ERROR_RATE": str(regression.get("error_rate", 0))}
    log = (workdir / f"app-{track}.log").open("ab")
    process = subprocess.Popen([sys.executable, str(APP), "--port", str(port), "--track", track], env=env,
                               stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    services.wait_for_port(port, process, what=f"example app ({track})")
    return process


@dataclass
class Stack:
    workdir: Path
    config: Path
    nginx: services.Service
    prometheus: services.Service | None
    apps: dict[str, subprocess.Popen]
    ports: dict[str, int]
    extra: dict = field(default_factory=dict)

    @property
    def entry(self) -> str:
        return self.nginx.url

    def tracks_served(self, requests: int = 60) -> Counter:
        """Which track answered each of ``requests`` requests sent through nginx."""
        seen: Counter = Counter()
        # a fresh connection per request, as new clients arrive (a kept-alive one may outlive a reload)
        with httpx.Client(timeout=5, limits=httpx.Limits(max_keepalive_connections=0)) as client:
            for _ in range(requests):
                seen[client.get(f"{self.entry}/").headers.get("x-track")] += 1
        return seen

    def weight(self) -> str:
        return httpx.get(f"{self.entry}/.rollwise/weight", timeout=5).text

    def run(self, *args: str, timeout: float = 120, env: dict | None = None) -> subprocess.CompletedProcess:
        """``rollwise canary run`` on this stack's config; the report goes to workdir/report.json."""
        return subprocess.run([str(ROLLWISE), "canary", "run", "--config", str(self.config),
                               "--report", str(self.report_path), "--workdir", str(self.workdir / "k6"), *args],
                              capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})

    @property
    def report_path(self) -> Path:
        return self.workdir / "report.json"

    def stop(self) -> None:
        for process in self.apps.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
                process.wait(10)
        self.nginx.stop()
        if self.prometheus:
            self.prometheus.stop()


def build(workdir: Path, canary: dict | None = None, prometheus: bool = True, overrides: dict | None = None) -> Stack:
    """Start everything and write ``workdir/rollwise.yml``; ``canary`` holds the regression to inject."""
    workdir.mkdir(parents=True, exist_ok=True)
    ports = {"baseline": services.free_port(), "canary": services.free_port()}
    apps = {"baseline": start_app(workdir, "baseline", ports["baseline"]),
            "canary": start_app(workdir, "canary", ports["canary"], **(canary or {}))}
    nginx_dir = workdir / "nginx"
    nginx_dir.mkdir()
    router_options = {"upstream_file": str(nginx_dir / "upstream.conf"), "upstream": "app",
                      "baseline": f"127.0.0.1:{ports['baseline']}", "canary": f"127.0.0.1:{ports['canary']}"}
    # nginx needs the included file before it starts: the baseline takes all traffic
    (nginx_dir / "upstream.conf").write_text(NginxRouter(router_options).render(0))
    nginx = services.start_nginx(nginx_dir, (
        f"include {nginx_dir}/upstream.conf;\n"
        "server {\n listen 127.0.0.1:$PORT;\n"
        " location / { proxy_pass http://app; proxy_next_upstream off; }\n"
        " location = /.rollwise/weight { return 200 $rollwise_canary_weight; }\n}\n"))
    prom = None
    if prometheus:
        targets = [f"127.0.0.1:{port}" for port in ports.values()]
        prom = services.start_prometheus(workdir / "prometheus", scrape_configs=[
            {"job_name": "app", "scrape_interval": "1s", "static_configs": [{"targets": targets}]}])
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    if prom:
        data["prometheus"]["url"] = prom.url
    else:
        data.pop("prometheus")
    router = data["canary"]["router"]
    router.update(router_options, conf=str(nginx_dir / "nginx.conf"), prefix=str(nginx_dir),
                  weight_url=f"{nginx.url}/.rollwise/weight")
    warmup = data["canary"]["warmup"]
    warmup.update(baseline_url=f"http://127.0.0.1:{ports['baseline']}",
                  canary_url=f"http://127.0.0.1:{ports['canary']}")
    data["canary"]["state_file"] = str(workdir / "state.json")
    for section, values in (overrides or {}).items():
        data["canary"].setdefault(section, {})
        if isinstance(values, dict):
            data["canary"][section].update(values)
        else:
            data["canary"][section] = values
    config = workdir / "rollwise.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    stack = Stack(workdir, config, nginx, prom, apps, ports)
    if prom:
        _wait_for_targets(prom)
    return stack


@contextmanager
def stacks(workdir: Path) -> Iterator[Callable[..., Stack]]:
    """``make(canary=None, **options)`` builds stacks under ``workdir``; every one is stopped at the end."""
    made: list[Stack] = []

    def make(canary: dict | None = None, **options) -> Stack:
        stack = build(workdir / f"stack{len(made)}", canary, **options)
        made.append(stack)
        return stack

    try:
        yield make
    finally:
        for stack in made:
            stack.stop()


def _wait_for_targets(prom: services.Service, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        targets = httpx.get(f"{prom.url}/api/v1/targets", timeout=2).json()["data"]["activeTargets"]
        if targets and all(t["health"] == "up" for t in targets):
            return
        time.sleep(0.2)
    raise RuntimeError("prometheus did not scrape both app processes")
