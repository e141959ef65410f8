"""Every action and workflow file passes actionlint, the GitHub JSON schemas and zizmor; each check bites."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"


def _actions() -> list[Path]:
    return sorted([ROOT / "action.yml", *ROOT.glob("actions/*/action.yml"), *ROOT.glob("examples/**/action.yml")])


def _workflows() -> list[Path]:
    return sorted([*ROOT.glob(".github/workflows/*.yml"), *ROOT.glob("examples/workflows/*.yml")])


def _tool(name: str) -> str:
    path = BIN / name if (BIN / name).exists() else shutil.which(name)
    if not path:
        pytest.fail(f"{name} is not installed: run ./scripts/test.sh (it installs the test extras)", pytrace=False)
    return str(path)


def _run(*args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_there_is_something_to_check():
    assert ROOT / "action.yml" in _actions()
    assert ROOT / ".github" / "workflows" / "ci.yml" in _workflows()


def test_actionlint_passes_on_every_workflow():
    result = _run(_tool("actionlint"), "-no-color", *_workflows())
    assert result.returncode == 0, result.stdout + result.stderr


def test_action_files_match_the_github_schema():
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", *_actions())
    assert result.returncode == 0, result.stdout + result.stderr


def test_workflow_files_match_the_github_schema():
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *_workflows())
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    result = _run(_tool("zizmor"), "--offline", "--no-progress", "--config", ZIZMOR_CONFIG, *_actions(), *_workflows())
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", _actions() + _workflows(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_expression_is_expanded_inside_a_run_script(path):
    doc = yaml.safe_load(path.read_text())
    steps = list((doc.get("runs") or {}).get("steps") or [])
    for job in (doc.get("jobs") or {}).values():
        steps += list((job or {}).get("steps") or [])
    for step in steps:
        assert "${{" not in str(step.get("run", "")), f"{path}: step {step.get('name') or step.get('id')} (pass it via env:)"


# --- each check catches a planted problem -------------------------------------------------------------------

INJECTED_ACTION = """\
name: planted
description: an action with a script injection
inputs:
  x:
    description: anything
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "${{ inputs.x }}"
"""

MISSPELLED_ACTION = """\
name: planted
description: an action with a misspelled key
runs:
  using: composite
  steps:
    - shel: bash
      run: echo hi
"""

MISSPELLED_WORKFLOW = """\
name: planted
on: push
permissions: {}
jobs:
  build:
    runs-onn: ubuntu-latest
    steps:
      - run: echo hi
"""


def test_zizmor_catches_an_input_expanded_in_run(tmp_path):
    planted = tmp_path / "action.yml"
    planted.write_text(INJECTED_ACTION)
    result = _run(_tool("zizmor"), "--offline", "--no-progress", "--config", ZIZMOR_CONFIG, planted)
    assert result.returncode != 0
    assert "template-injection" in result.stdout


def test_schema_check_catches_a_misspelled_key(tmp_path):
    planted = tmp_path / "action.yml"
    planted.write_text(MISSPELLED_ACTION)
    result = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", planted)
    assert result.returncode != 0


def test_actionlint_catches_a_misspelled_key(tmp_path):
    planted = tmp_path / ".github" / "workflows" / "planted.yml"
    planted.parent.mkdir(parents=True)
    planted.write_text(MISSPELLED_WORKFLOW)
    result = _run(_tool("actionlint"), "-no-color", planted)
    assert result.returncode != 0
    assert "runs-onn" in result.stdout
