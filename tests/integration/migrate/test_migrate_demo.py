"""examples/migrate/demo.sh runs end to end with only `rollwise` on PATH and ends with the rollback shown."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_demo_script(repo_root, tmp_path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "ROLLWISE_DEMO_DIR": str(tmp_path)}
    done = subprocess.run(["bash", str(repo_root / "examples" / "migrate" / "demo.sh")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    work = tmp_path / "safe-migrate"
    assert json.loads((work / "apply.json").read_text())["status"] == "applied"
    failed = json.loads((work / "apply-failed.json").read_text())
    assert failed["status"] == "rolled-back" and failed["to_revision"] == "0005"
    assert all(c["ok"] and c["checksum_before"] == c["checksum_after"] for c in failed["integrity"])
