"""Reversibility rules: automatic rollback needs a downgrade that really undoes the upgrade."""

from __future__ import annotations

from collections.abc import Iterator

from rollwise.migrate.model import ERROR, Finding, RevisionSource, sqlfacts
from rollwise.migrate.model.effects import describe, effects, not_undone
from rollwise.migrate.model.rules.common import Rule, sql_facts
from rollwise.migrate.model.rules.data import expression_write

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
DOWNGRADE_INCOMPLETE = Rule(
    "downgrade-incomplete", ERROR, "reversibility", None, None,
    "downgrade() does not undo every schema change of upgrade(), so a rollback stamps the old revision over a "
    "schema the old release does not expect (and the next upgrade fails on what is left behind)",
    "In downgrade(), drop what upgrade() creates and create again what it drops, in reverse order; "
    "`rollwise migrate plan` runs upgrade -> downgrade -> upgrade on a database and compares the schemas.",
)
RULES = (MISSING_DOWNGRADE, EMPTY_DOWNGRADE, DOWNGRADE_INCOMPLETE)


def check(rev: RevisionSource) -> Iterator[Finding]:
    if not rev.upgrade:
        return
    line = rev.downgrade_line or rev.upgrade_line or 1
    if rev.downgrade_state == "missing":
        yield MISSING_DOWNGRADE.finding(rev, line, "no downgrade() function")
    elif rev.downgrade_state == "raises":
        yield MISSING_DOWNGRADE.finding(rev, line, "downgrade() raises NotImplementedError")
    elif rev.downgrade_state == "empty" and changes_schema(rev):
        yield EMPTY_DOWNGRADE.finding(rev, line, "downgrade() is empty")
    elif not rev.downgrade_helpers:
        yield from _compare(rev, line)


def changes_schema(rev: RevisionSource) -> bool:
    """Whether upgrade() changes the schema (not only rows, statistics or constraint validation)."""
    for call in rev.upgrade:
        if call.name == "bulk_insert":
            continue
        if call.name != "execute":
            return True
        if expression_write(call.args[0] if call.args else None) is not None:
            continue
        facts = sql_facts(call)
        if facts is None or any(s.kind not in sqlfacts.DATA_KINDS and not _validates_only(s) for s in facts):
            return True
    return False


def _validates_only(statement: sqlfacts.Statement) -> bool:
    return statement.kind == "alter_table" and all(a.kind == "ValidateConstraint" for a in statement.actions)


def _compare(rev: RevisionSource, line: int) -> Iterator[Finding]:
    down = effects(rev.downgrade)
    if down.opaque:
        return
    for how, obj, at in not_undone(effects(rev.upgrade), down):
        verb = "creates" if how == "created" else "drops"
        undo = "drop it" if how == "created" else "create it again"
        yield DOWNGRADE_INCOMPLETE.finding(rev, line, f"upgrade() {verb} {describe(obj)} (line {at}) and "
                                                      f"downgrade() does not {undo}")
