"""Reversibility rules: automatic rollback needs a downgrade that really undoes the upgrade."""

from __future__ import annotations

from collections.abc import Iterator

from rollwise.migrate.model import ERROR, Finding, RevisionSource
from rollwise.migrate.model.rules.common import Rule

MISSING_DOWNGRADE = Rule(
    "missing-downgrade", ERROR, "reversibility", None, None,
    "without a downgrade a failure after this revision commits can only be undone by restoring the backup, "
    "which loses writes made since",
    "Write `def downgrade():` with the inverse op calls (drop what upgrade created, in reverse order), and let CI "
    "run the round trip (rollwise migrate apply, then rollback).",
)
EMPTY_DOWNGRADE = Rule(
    "empty-downgrade", ERROR, "reversibility", None, None,
    "downgrade() does nothing while upgrade() changes the schema, so a rollback would stamp the old revision "
    "over the new schema",
    "Undo every op of upgrade() in reverse order inside downgrade().",
)
RULES = (MISSING_DOWNGRADE, EMPTY_DOWNGRADE)


def check(rev: RevisionSource) -> Iterator[Finding]:
    if not rev.upgrade:
        return
    line = rev.downgrade_line or rev.upgrade_line or 1
    if rev.downgrade_state == "missing":
        yield MISSING_DOWNGRADE.finding(rev, line, "no downgrade() function")
    elif rev.downgrade_state == "raises":
        yield MISSING_DOWNGRADE.finding(rev, line, "downgrade() raises NotImplementedError")
    elif rev.downgrade_state == "empty":
        yield EMPTY_DOWNGRADE.finding(rev, line, "downgrade() is empty")
