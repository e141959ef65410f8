"""The code passes ruff (pyflakes, pycodestyle, import order) and the import-linter layer contracts, as configured
in pyproject.toml."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).parent / "ruff"
    command = str(ruff) if ruff.exists() else shutil.which("ruff")
    assert command, "ruff is not installed: run ./scripts/test.sh (it installs the test extra)"
    result = subprocess.run([command, "check", "src", "tests", "benchmarks", "scripts"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_layer_contracts_hold():
    """Models import no adapters, services or CLIs; adapters no service; only cli modules import click; a
    capability reaches another only through its service (contracts in pyproject.toml)."""
    linter = Path(sys.executable).parent / "lint-imports"
    command = str(linter) if linter.exists() else shutil.which("lint-imports")
    assert command, "import-linter is not installed: run ./scripts/test.sh (it installs the test extra)"
    result = subprocess.run([command, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "broken" not in result.stdout.replace("0 broken", "")
