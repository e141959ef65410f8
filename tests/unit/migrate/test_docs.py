"""Every rule has a section in its group's docs page, with the recipe the code gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from rollwise.migrate.model.rules import CATALOG

DOCS = Path(__file__).resolve().parents[3] / "docs" / "safe-migrate"


@pytest.mark.parametrize("rule_id", sorted(CATALOG), ids=sorted(CATALOG))
def test_rule_is_documented_with_its_recipe(rule_id):
    rule = CATALOG[rule_id]
    group = "operations" if rule.group == "expand-contract" else rule.group
    page = (DOCS / f"rules-{group}.md").read_text()
    assert f"### `{rule_id}`" in page
    first_line = rule.fix.format(table="<table>", column="<column>", index="<index>", name="<name>").splitlines()[0]
    assert first_line in page
