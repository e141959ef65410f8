"""The lint verdict of one revision: rule findings, expand/contract gate, suppressions. Pure."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from rollwise.migrate.model import CONTRACT, ERROR, EXPAND, MIXED, WARNING, Finding, RevisionSource, RevisionVerdict
from rollwise.migrate.model.classify import classify, op_kind, touched_tables
from rollwise.migrate.model.rules import CATALOG, check_revision
from rollwise.migrate.model.rules.common import created_tables
from rollwise.migrate.model.rules.operations import (
    CONTRACT_STEP,
    CONTRACT_WITH_EXPAND,
    EXPIRED_SUPPRESSION,
    UNUSED_SUPPRESSION,
)
from rollwise.migrate.model.rules.operations import MIXED as MIXED_RULE

#: findings no comment can silence: they mean the file or the comment itself is broken
UNSUPPRESSIBLE = {"syntax-error", "invalid-directive", "unused-suppression", "expired-suppression"}


def judge_revision(
    rev: RevisionSource, allow_contract: bool = False, extra: list[Finding] | None = None, today: date | None = None
) -> RevisionVerdict:
    """Findings of one revision after the expand/contract gate and its suppressions.

    ``allow_contract`` is the deploy's explicit permission for this revision to contract the schema: its
    destructive findings then become warnings (they stay in the report), the locking ones stay errors.
    ``extra`` are findings from elsewhere (squawk) to gate and suppress the same way. Suppressions whose
    ``until`` is before ``today`` (when given) no longer apply and are reported.
    """
    findings = check_revision(rev) + list(extra or [])
    classification = classify(rev)
    line = rev.upgrade_line or 1
    if classification == MIXED:
        new_tables = created_tables(rev)
        kinds = {kind: ", ".join(f"{c.name} (line {c.line})" for c in rev.upgrade if op_kind(c, new_tables) == kind)
                 for kind in (EXPAND, CONTRACT)}
        findings.append(MIXED_RULE.finding(
            rev, line, f"revision {rev.revision} expands with {kinds[EXPAND]} and contracts with {kinds[CONTRACT]}"))
    elif classification == CONTRACT and not allow_contract:
        findings.append(CONTRACT_STEP.finding(rev, line, f"revision {rev.revision} is a contract step",
                                              name=rev.revision))
    if allow_contract:
        findings = [replace(f, severity=WARNING) if _destructive(f) and f.severity == ERROR else f for f in findings]

    kept: list[Finding] = []
    suppressed = []
    used = set()
    active = [s for s in rev.suppressions if s.until is None or today is None or today <= s.until]
    for expired in (s for s in rev.suppressions if s not in active):
        kept.append(EXPIRED_SUPPRESSION.finding(rev, expired.line, f"ignore[{', '.join(expired.rules)}] expired on "
                                                                 f"{expired.until.isoformat()}"))
        used.add(id(expired))
    for finding in findings:
        match = None
        if finding.rule not in UNSUPPRESSIBLE and finding.file == rev.path:
            match = next((s for s in active if s.covers(finding.rule, finding.line)), None)
        if match is None:
            kept.append(finding)
        else:
            used.add(id(match))
            suppressed.append((finding, match))
    for suppression in rev.suppressions:
        if id(suppression) not in used:
            kept.append(UNUSED_SUPPRESSION.finding(rev, suppression.line, f"ignore[{', '.join(suppression.rules)}]"))
    kept.sort(key=lambda f: (f.line, f.severity != ERROR, f.rule))
    return RevisionVerdict(
        revision=rev.revision,
        file=rev.path,
        classification=classification,
        contract_allowed=allow_contract,
        findings=kept,
        suppressed=suppressed,
        tables=touched_tables(rev),
    )


def judge_deploy(revisions: list[tuple[RevisionSource, RevisionVerdict]]) -> None:
    """Across the revisions of one deploy (oldest first): a contract step may not follow an expand step."""
    expand = None
    for source, verdict in revisions:
        if verdict.classification == CONTRACT and expand is not None:
            verdict.findings.append(CONTRACT_WITH_EXPAND.finding(
                source, source.upgrade_line or 1, f"contract revision {verdict.revision} follows expand revision "
                f"{expand} in this deploy"))
        elif verdict.classification == EXPAND and expand is None:
            expand = verdict.revision


def relax_small_tables(verdicts: list[RevisionVerdict], rows: dict[str, int], limit: int) -> None:
    """Locking errors on tables with fewer than ``limit`` rows (catalog estimate) become warnings: the lock is
    held for milliseconds. Destructive and expand/contract findings never relax."""
    if limit <= 0:
        return
    for verdict in verdicts:
        for index, finding in enumerate(verdict.findings):
            rule = CATALOG.get(finding.rule)
            count = rows.get(finding.table or "")
            if rule and rule.group == "locking" and finding.severity == ERROR and count is not None and count < limit:
                verdict.findings[index] = replace(finding, severity=WARNING, message=(
                    f"{finding.message} (warning only: {finding.table} has about {count} rows, under "
                    f"--small-table-rows {limit})"))


def _destructive(finding: Finding) -> bool:
    rule = CATALOG.get(finding.rule)
    return rule is not None and rule.group == "destructive"
