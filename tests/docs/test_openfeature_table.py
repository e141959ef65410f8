"""docs/flags/openfeature.md names every conformance scenario rollwise runs, and every known deviation with its reason."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "flags" / "openfeature.md").read_text()
FEATURES = sorted((ROOT / "tests" / "integration" / "openfeature" / "features").glob("*.feature"))
TITLES = [title.strip() for feature in FEATURES
          for title in re.findall(r"^\s*Scenario(?: Outline)?:(.+)$", feature.read_text(), flags=re.M)]


def test_there_are_scenarios():
    assert len(TITLES) >= 25


@pytest.mark.parametrize("title", TITLES)
def test_each_scenario_is_in_the_table(title):
    assert title in PAGE, f"docs/flags/openfeature.md does not mention the scenario {title!r}"


def test_each_deviation_is_marked_with_its_reason():
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "integration" / "openfeature"))
    try:
        from openfeature_deviations import DEVIATIONS
    finally:
        sys.path.pop(0)
    rows = [line for line in PAGE.splitlines() if "**deviation**" in line]
    assert len(rows) == len(DEVIATIONS)
    for title, reason in DEVIATIONS.items():
        assert any(title in row and reason in row for row in rows), title
