"""The lock files match pyproject.toml, so installs (tests, demo, actions) are reproducible."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
UV = Path(sys.executable).parent / "uv" if (Path(sys.executable).parent / "uv").exists() else shutil.which("uv")


def test_uv_lock_matches_pyproject():
    result = subprocess.run([str(UV), "lock", "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"uv.lock is stale; run scripts/lock.sh\n{result.stderr}"


def test_action_requirements_match_the_lock():
    exported = subprocess.run(
        [str(UV), "export", "--frozen", "--no-dev", "--extra", "all", "--no-emit-project", "--no-header",
         "--format", "requirements-txt"], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120).stdout
    assert exported == (ROOT / "requirements" / "action.txt").read_text(), "run scripts/lock.sh"
