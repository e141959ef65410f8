"""Reference docs are generated from the action.yml files and schemas, and leave nothing undocumented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
ACTIONS = [ROOT / "action.yml", *sorted(ROOT.glob("actions/*/action.yml"))]


def test_generated_reference_is_current():
    result = subprocess.run([sys.executable, "scripts/gen_docs.py", "--check"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: p.parent.name if p.parent != ROOT else "rollwise")
def test_every_input_and_output_is_described(path):
    meta = yaml.safe_load(path.read_text())
    undocumented = [f"inputs.{name}" for name, spec in (meta.get("inputs") or {}).items()
                    if len(str((spec or {}).get("description", "")).strip()) < 10]
    undocumented += [f"outputs.{name}" for name, spec in (meta.get("outputs") or {}).items()
                     if len(str((spec or {}).get("description", "")).strip()) < 10]
    assert not undocumented, f"{path.relative_to(ROOT)}: describe {', '.join(undocumented)}"


@pytest.mark.parametrize("path", ACTIONS, ids=lambda p: p.parent.name if p.parent != ROOT else "rollwise")
def test_reference_page_lists_every_input(path):
    name = "rollwise" if path.parent == ROOT else path.parent.name
    page = (ROOT / "docs" / "reference" / "actions" / f"{name}.md").read_text()
    meta = yaml.safe_load(path.read_text())
    for input_name in meta.get("inputs") or {}:
        assert f"| `{input_name}` |" in page
    for output_name in meta.get("outputs") or {}:
        assert f"| `{output_name}` |" in page
