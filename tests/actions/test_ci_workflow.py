"""The `actions` job of .github/workflows/ci.yml — every action as users call it — run step by step here."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

from support.actionrunner import run_workflow

ROOT = Path(__file__).resolve().parents[2]


def checkout(destination: Path) -> Path:
    """A copy of the files git tracks here, as actions/checkout would leave them."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for name in filter(None, tracked.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def test_the_actions_job_passes(tmp_path):
    # checkout and setup-python are the runner's business; the rest runs as on GitHub
    workspace = checkout(tmp_path / "rollwise")
    try:
        jobs = run_workflow(workspace / ".github" / "workflows" / "ci.yml", jobs=["actions"], workdir=workspace,
                            timeout=600)
    finally:
        _stop_leftover_apps()
    result = jobs["actions"]
    assert result.exit_code == 0, result.log[-6000:]
    assert "root: 0, migrate: applied, flag: changed, canary: PROCEED, gate: proceed" in result.log
    assert result.skipped_uses == [
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
        "actions/setup-python@e797f83bcb11b83ae66e0230d6156d7c80228e7c",
    ]
    assert "slo-gate" in result.summary and "canary" in result.summary.lower()


def _stop_leftover_apps() -> None:
    for pids in Path("/tmp").glob("runner-temp-*/apps/pids"):
        for pid in pids.read_text().split():
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
