"""Before/after comparison of table checksums. Pure: the checksums themselves are computed in the database.

``after_migration``: tables the migration does not touch must be bit-for-bit equal; touched tables keep their row
count unless the revision declares ``# rollwise: rows-change[table]``. ``identical``: after a rollback or restore,
every table must equal its before-snapshot and no table may be left behind.
"""

from __future__ import annotations

from rollwise.migrate.model import TableChecksum, TableComparison


def _differing_chunks(before: TableChecksum, after: TableChecksum) -> tuple[int, ...]:
    b = {c[0]: c[1:] for c in before.chunks}
    a = {c[0]: c[1:] for c in after.chunks}
    return tuple(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))


def _same(before: TableChecksum, after: TableChecksum) -> bool:
    return before.columns == after.columns and before.rows == after.rows and before.checksum == after.checksum


def after_migration(before: dict[str, TableChecksum], after: dict[str, TableChecksum], touched: set[str],
                    rows_change: set[str]) -> list[TableComparison]:
    out = []
    for table in sorted(set(before) | set(after)):
        b, a = before.get(table), after.get(table)
        if b is None:
            ok = table in touched
            out.append(TableComparison(table, None, a, ok, "created" if ok else "appeared, but no revision creates it"))
        elif a is None:
            ok = table in touched
            out.append(TableComparison(table, b, None, ok, "dropped or renamed" if ok else
                                       "disappeared, but no revision touches it"))
        elif table not in touched:
            ok = _same(b, a)
            out.append(TableComparison(table, b, a, ok, "unchanged" if ok else
                                       "changed, but no revision touches it", () if ok else _differing_chunks(b, a)))
        elif b.rows == a.rows or table in rows_change:
            note = "row count kept" if b.rows == a.rows else f"rows {b.rows} -> {a.rows} (declared rows-change)"
            if _same(b, a):
                note = "unchanged"
            out.append(TableComparison(table, b, a, True, note))
        else:
            out.append(TableComparison(table, b, a, False, f"row count {b.rows} -> {a.rows}; declare it with "
                                       f"`# rollwise: rows-change[{table}] <why>` if intended",
                                       _differing_chunks(b, a)))
    return out


def identical(before: dict[str, TableChecksum], after: dict[str, TableChecksum]) -> list[TableComparison]:
    out = []
    for table in sorted(set(before) | set(after)):
        b, a = before.get(table), after.get(table)
        if b is None:
            out.append(TableComparison(table, None, a, False, "left behind (not in the before-snapshot)"))
        elif a is None:
            out.append(TableComparison(table, b, None, False, "missing"))
        else:
            ok = _same(b, a)
            out.append(TableComparison(table, b, a, ok, "identical" if ok else "differs from before",
                                       () if ok else _differing_chunks(b, a)))
    return out


def all_ok(comparisons: list[TableComparison]) -> bool:
    return all(c.ok for c in comparisons)
