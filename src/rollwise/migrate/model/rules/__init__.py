"""The lint rules, pure functions over a scanned revision, grouped as the docs are:
destructive, locking, data, reversibility, operations (and expand-contract, applied by ``rollwise.migrate.model.lint``).
"""

from __future__ import annotations

from rollwise.migrate.model import Finding, RevisionSource
from rollwise.migrate.model.rules import data, destructive, locking, operations, reversibility
from rollwise.migrate.model.rules.common import Rule

GROUPS = (destructive, locking, data, reversibility, operations)

#: every rule by id, for docs, severity lookups and `--explain`
CATALOG: dict[str, Rule] = {rule.id: rule for group in GROUPS for rule in group.RULES}


def check_revision(rev: RevisionSource) -> list[Finding]:
    """Run every rule group over one revision; findings sorted by line."""
    findings: list[Finding] = []
    for group in GROUPS:
        findings.extend(group.check(rev))
    return sorted(findings, key=lambda f: (f.line, f.rule))
