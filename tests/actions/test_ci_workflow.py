"""The `actions` job of .github/workflows/ci.yml — every action as users call it — run step by step here."""

from __future__ import annotations

import os
import signal
import tempfile
from pathlib import Path

from support.actionrunner import checkout, run_workflow

ROOT = Path(__file__).resolve().parents[2]


def test_the_actions_job_passes(tmp_path, monkeypatch):
    # checkout and setup-python are the runner's business; the rest runs as on GitHub
    workspace = checkout(ROOT, tmp_path / "rollwise")
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the job's RUNNER_TEMP lands in this test's tmp_path
    try:
        jobs = run_workflow(workspace / ".github" / "workflows" / "ci.yml", jobs=["actions"], workdir=workspace,
                            timeout=600)
    finally:
        _stop_leftover_apps(tmp_path)
    result = jobs["actions"]
    assert result.exit_code == 0, result.log[-6000:]
    assert "root: 0, migrate: applied, flag: changed, canary: proceed, gate: proceed" in result.log
    assert result.skipped_uses == [
        "actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
        "actions/setup-python@e797f83bcb11b83ae66e0230d6156d7c80228e7c",
    ]
    assert "slo-gate" in result.summary and "canary" in result.summary.lower()


def _stop_leftover_apps(where: Path) -> None:
    """Stop the example apps this job started, should its own clean-up step not have run."""
    for pids in where.glob("runner-temp-*/apps/pids"):
        for pid in pids.read_text().split():
            try:
                os.kill(int(pid), signal.SIGTERM)
            except (ProcessLookupError, ValueError):
                pass
