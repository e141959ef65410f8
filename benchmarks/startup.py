"""How long rollwise takes to start: ``rollwise --help`` and the bootstrap's cached second run.

Both are printed next to ``python -c pass`` measured in the same run, as ratios. Also what importing the gate's
statistics costs against importing scipy for them (``scipy.special``, ``scipy.stats``): the reason the judge keeps
its tests on the standard library and checks them against scipy and statsmodels in the tests instead.

    python benchmarks/startup.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the gate's statistics, and the scipy modules they would otherwise import
STATISTICS = ("rollwise.gate.model.judge", "rollwise.gate.model.sequential", "scipy.special", "scipy.stats")


def timed(cmd: list[str], runs: int, env: dict | None = None) -> float:
    """Median wall time of ``runs`` executions, in seconds."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def slowest_imports(limit: int = 5) -> list[tuple[int, str]]:
    """The modules with the largest cumulative import time under ``rollwise --help``."""
    code = "from rollwise.cli import main; main(['--help'])"
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True).stderr
    rows = []
    for line in err.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line.split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.rstrip()))
    return sorted(rows, reverse=True)[:limit]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()

    floor = timed([sys.executable, "-c", "pass"], args.runs)
    help_time = timed([sys.executable, "-m", "rollwise.cli", "--help"], args.runs)

    cache = Path(tempfile.mkdtemp(prefix="rollwise-bench-cache-"))
    env = {**os.environ, "ROLLWISE_VENV_DIR": str(cache)}
    bootstrap = ["bash", "-c", f'source "{ROOT}/scripts/bootstrap.sh" && "$ROLLWISE" --version']
    started = time.perf_counter()
    subprocess.run(bootstrap, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    first = time.perf_counter() - started
    second = timed(bootstrap, max(3, args.runs // 3), env)
    shutil.rmtree(cache, ignore_errors=True)

    print(f"python -c pass                    {floor * 1000:8.1f} ms   1.00x")
    print(f"rollwise --help                   {help_time * 1000:8.1f} ms   {help_time / floor:5.2f}x python -c pass")
    print(f"bootstrap, first run (install)    {first * 1000:8.1f} ms   {first / floor:5.2f}x python -c pass")
    print(f"bootstrap, cached second run      {second * 1000:8.1f} ms   {second / floor:5.2f}x python -c pass"
          "  (includes rollwise --version)")
    imports = {module: timed([sys.executable, "-c", f"import {module}"], max(3, args.runs // 3))
               for module in STATISTICS}
    for module, seconds in imports.items():
        print(f"import {module:34} {seconds * 1000:8.1f} ms   {seconds / floor:5.2f}x python -c pass")
    print("slowest imports under --help (cumulative):")
    for micros, name in slowest_imports():
        print(f"  {micros / 1000:7.1f} ms  {name.strip()}")


if __name__ == "__main__":
    main()
