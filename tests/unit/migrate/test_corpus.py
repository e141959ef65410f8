"""The lint corpus: every dangerous revision is caught on the right line with the right rule; safe ones are clean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rollwise.migrate.model.lint import judge_revision
from rollwise.migrate.model.scan import scan_source

CORPUS = Path(__file__).resolve().parents[3] / "examples" / "migrate" / "lint-corpus"
EXPECT = re.compile(r"#\s*expect:\s*(?P<rules>[\w, -]+)$")
DANGEROUS = sorted((CORPUS / "dangerous").glob("*.py"))
SAFE = sorted((CORPUS / "safe").glob("*.py"))


def expected(text: str) -> set[tuple[int, str]]:
    out = set()
    for number, line in enumerate(text.splitlines(), 1):
        if match := EXPECT.search(line):
            out |= {(number, rule.strip()) for rule in match["rules"].split(",") if rule.strip()}
    return out


def test_corpus_is_present():
    assert len(DANGEROUS) >= 12 and len(SAFE) >= 5


@pytest.mark.parametrize("path", DANGEROUS, ids=[p.stem for p in DANGEROUS])
def test_dangerous_revision_findings_match_their_markers(path: Path):
    text = path.read_text()
    want = expected(text)
    assert want, f"{path.name} has no '# expect:' markers"
    verdict = judge_revision(scan_source(text, str(path)))
    got = {(f.line, f.rule) for f in verdict.findings}
    assert got == want


@pytest.mark.parametrize("path", SAFE, ids=[p.stem for p in SAFE])
def test_safe_revision_has_no_findings(path: Path):
    verdict = judge_revision(scan_source(path.read_text(), str(path)))
    assert [(f.line, f.rule, f.message) for f in verdict.findings] == []
