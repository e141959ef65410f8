"""Every ``yaml`` block in docs/ that declares a rollwise schema version is a valid file of that version.

Blocks with ``version: rollwise/v1`` load as rollwise.yml (the gate's SLOs, and the canary: section when there
is one); blocks with ``version: rollwise/flags/v1`` load as flags.yml. So the docs cannot drift from the schemas.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rollwise.canary.config import load_plan
from rollwise.flags.config import load_flagset
from rollwise.gate.config import load_config

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: SLO files a snippet may import (``import: [slos/sloth.yml]``), by file name
IMPORTED = ROOT / "examples" / "gate" / "imported"
BLOCK = re.compile(r"^```ya?ml\n(?P<body>.*?)^```", re.S | re.M)
VERSION = re.compile(r"^version:\s*(rollwise/(?:flags/)?v1)\b", re.M)


def snippets() -> list[tuple[str, str, str]]:
    found = []
    for path in sorted(DOCS.rglob("*.md")):
        text = path.read_text(encoding="utf-8")
        for match in BLOCK.finditer(text):
            version = VERSION.search(match.group("body"))
            if version:
                line = text.count("\n", 0, match.start()) + 1
                found.append((f"{path.relative_to(DOCS)}:{line}", version.group(1), match.group("body")))
    return found


SNIPPETS = snippets()


def test_the_docs_hold_versioned_snippets_of_both_kinds():
    assert {version for _, version, _ in SNIPPETS} == {"rollwise/v1", "rollwise/flags/v1"}


@pytest.mark.parametrize("where,version,body", SNIPPETS, ids=[where for where, _, _ in SNIPPETS])
def test_snippet_is_valid(tmp_path, where, version, body):
    path = tmp_path / ("flags.yml" if version.endswith("flags/v1") else "rollwise.yml")
    path.write_text(body, encoding="utf-8")
    if version == "rollwise/flags/v1":
        assert load_flagset(path) is not None
        return
    for name in re.findall(r"^\s*-\s*(\S+\.ya?ml)", body.split("\nimport:", 1)[1] if "\nimport:" in body else "",
                           re.M):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text((IMPORTED / Path(name).name).read_text(encoding="utf-8"), encoding="utf-8")
    if re.search(r"^slos:", body, re.M):
        load_config(path)
    if re.search(r"^canary:\s*(#.*)?$", body, re.M):  # a canary: section with content (not the {} placeholder)
        load_plan(path)
