"""examples/canary/demo.sh end to end, in its fallback form (command router, gate on k6 data), as a machine
without nginx and Prometheus runs it; the nginx + Prometheus path is covered by test_rollout_nginx_prometheus.py.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_demo_promotes_the_healthy_canary_and_rolls_back_the_regressed_one(tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", "NGINX": "", "PROMETHEUS": "",
           "ROLLWISE_DEMO_DIR": str(tmp_path / "demo")}
    done = subprocess.run(["bash", str(ROOT / "examples" / "canary" / "demo.sh")], env=env, capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    assert "── healthy canary: router command, analyses on k6 data" in done.stdout
    healthy = json.loads((tmp_path / "demo" / "healthy" / "canary-report.json").read_text())
    regressed = json.loads((tmp_path / "demo" / "regressed" / "canary-report.json").read_text())
    assert (healthy["decision"], healthy["phase_reached"]) == ("proceed", 100)
    assert (regressed["decision"], regressed["phase_reached"], regressed["weight"]) == ("rollback", 10, 0)
    assert (tmp_path / "demo" / "regressed" / "weight").read_text().strip() == "0"
    assert "xychart-beta" in (tmp_path / "demo" / "healthy" / "summary.md").read_text()
    assert f"regressed: {tmp_path / 'demo'}/regressed/canary-report.json" in done.stdout
