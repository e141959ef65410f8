"""Facts a revision inherits from the revisions before it: the validated ``CHECK (col IS NOT NULL)``
constraints that make a later ``SET NOT NULL`` a catalog-only change (PostgreSQL 12+ skips the scan). Pure.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from rollwise.migrate.model import RevisionSource, sqlfacts
from rollwise.migrate.model.rules.common import params, sql_facts, table_of, text


class NotNullChecks:
    """CHECK (col IS NOT NULL) constraints by name, and whether each has been validated."""

    def __init__(self) -> None:
        self.constraints: dict[str, tuple[str | None, str, bool]] = {}

    def guaranteed(self) -> frozenset[tuple[str | None, str | None]]:
        return frozenset((table, column) for table, column, valid in self.constraints.values() if valid)

    def observe(self, rev: RevisionSource) -> None:
        for call in rev.upgrade:
            p = params(call)
            if call.name == "create_check_constraint" and isinstance(p.get("condition"), str):
                column = sqlfacts.check_condition_column(p["condition"])
                name = text(p.get("constraint_name"))
                if column and name:
                    self.constraints[name] = (table_of(call), column, p.get("postgresql_not_valid") is not True)
            elif call.name == "drop_constraint":
                self.constraints.pop(text(p.get("constraint_name")) or "", None)
            elif call.name == "execute":
                for statement in sql_facts(call) or ():
                    for action in statement.actions:
                        self._raw(statement.table, action)

    def _raw(self, table: str | None, action: sqlfacts.Action) -> None:
        if action.kind == "AddConstraint" and action.not_null_check and action.name:
            self.constraints[action.name] = (table, action.not_null_check, not action.not_valid)
        elif action.kind == "ValidateConstraint" and action.name in self.constraints:
            owner, column, _ = self.constraints[action.name]
            self.constraints[action.name] = (owner, column, True)
        elif action.kind == "DropConstraint":
            self.constraints.pop(action.name or "", None)


def with_history(earlier: Iterable[RevisionSource], revisions: list[RevisionSource]) -> list[RevisionSource]:
    """``revisions`` (oldest first) with what ``earlier`` and each predecessor in the list guarantee."""
    checks = NotNullChecks()
    for rev in earlier:
        checks.observe(rev)
    out = []
    for rev in revisions:
        out.append(replace(rev, not_null_checked=checks.guaranteed()))
        checks.observe(rev)
    return out
