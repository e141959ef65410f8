"""How long going back to the last good release takes: rollwise's fast path against going through every phase
again — what Argo Rollouts' ``undo`` does without a ``rollbackWindow`` (and what the canary runbook used to
say: "deploy the previous version as a new rollout").

The example app runs as baseline and canary, the ``command`` router sets the split, k6 warms each phase up and
its own data judges it (examples/canary/rollwise.yml's timing: 2 s warm-up, 4 s windows, phases 10/50/100).
v1 and v2 are promoted, then the same revert runs from the same ledger twice: ``canary.revert.fast: true`` and
``false``. Prints both wall times and their ratio.

    python benchmarks/revert.py
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
ROLLWISE = Path(sys.executable).parent / "rollwise"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(track: str, port: int, logs: Path) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, str(ROOT / "examples" / "app" / "app.py"), "--port", str(port),
                                "--track", track], stdout=(logs / f"{track}.log").open("wb"), stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the example app ({track}) did not start; see {logs}")


def write_config(work: Path, ports: dict[str, int], fast: bool) -> Path:
    data = yaml.safe_load((ROOT / "examples" / "canary" / "rollwise.yml").read_text())
    del data["prometheus"]  # judge on k6's own data
    data["slos"] = [slo for slo in data["slos"] if slo["name"] == "availability"]
    canary = data["canary"]
    canary["router"] = {"type": "command", "command": f"echo {{weight}} > {work}/weight; cat {work}/weight"}
    canary["warmup"].update(baseline_url=f"http://127.0.0.1:{ports['baseline']}",
                            canary_url=f"http://127.0.0.1:{ports['canary']}")
    canary["commands"]["deploy"] = 'echo "$ROLLWISE_VERSION" >> deploys.log'
    canary["revert"] = {"fast": fast}
    config = work / "rollwise.yml"
    config.write_text(yaml.safe_dump(data, sort_keys=False))
    return config


def rollwise(*args: str, env: dict | None = None) -> float:
    started = time.perf_counter()
    done = subprocess.run([str(ROLLWISE), *args], capture_output=True, text=True, env={**os.environ, **(env or {})})
    if done.returncode != 0:
        raise SystemExit(f"rollwise {' '.join(args)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="rollwise-bench-revert-"))
    ports = {"baseline": free_port(), "canary": free_port()}
    apps = [start_app(track, port, work) for track, port in ports.items()]
    try:
        config = write_config(work, ports, fast=True)
        for version in ("v1", "v2"):
            rollwise("canary", "run", "--config", str(config), "--environment", "bench", "--workdir", str(work / "k6"),
                     "--report", str(work / f"{version}.json"),
                     env={"ROLLWISE_VERSION": version, "ROLLWISE_SHA": version.encode().hex().ljust(40, "0")})
        state = work / "state"
        shutil.copytree(state, work / "state-before-revert")
        fast = rollwise("release", "revert", "--config", str(config), "--environment", "bench",
                        "--workdir", str(work / "k6"), "--reason", "benchmark")
        shutil.rmtree(state)
        shutil.copytree(work / "state-before-revert", state)
        config = write_config(work, ports, fast=False)
        phases = rollwise("release", "revert", "--config", str(config), "--environment", "bench",
                          "--workdir", str(work / "k6"), "--reason", "benchmark")
    finally:
        for app in apps:
            app.terminate()
            app.wait(10)
    print("revert to the last good release (example timing: 2 s warm-up, 4 s windows, phases 10/50/100):")
    print(f"  through every phase again (Argo Rollouts undo without rollbackWindow): {phases:6.1f} s")
    print(f"  rollwise fast path (100 % + one confirming analysis):               {fast:6.1f} s")
    print(f"  ratio: the fast path takes {fast / phases:.2f}x the time ({phases / fast:.1f}x faster)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
