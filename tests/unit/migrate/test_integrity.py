"""The before/after comparison rules of the integrity check."""

from __future__ import annotations

from rollwise.migrate.model import TableChecksum, integrity


def tc(table, rows, checksum, columns=("id", "a"), chunks=None):
    return TableChecksum(table, columns, rows, checksum, chunks or ((0, rows, checksum),))


def by_table(comparisons):
    return {c.table: c for c in comparisons}


def test_untouched_table_must_be_identical_and_names_the_chunk():
    before = {"t": tc("t", 10, "aa", chunks=((0, 5, "1"), (1, 5, "2")))}
    after = {"t": tc("t", 10, "ab", chunks=((0, 5, "1"), (1, 5, "3")))}
    [result] = integrity.after_migration(before, after, touched=set(), rows_change=set())
    assert not result.ok and result.differing_chunks == (1,) and "no revision touches it" in result.note


def test_touched_table_keeps_row_count_unless_declared():
    before = {"users": tc("users", 10, "aa")}
    grown = {"users": tc("users", 12, "bb", columns=("id", "a", "b"))}
    assert not integrity.all_ok(integrity.after_migration(before, grown, {"users"}, set()))
    assert integrity.all_ok(integrity.after_migration(before, grown, {"users"}, {"users"}))
    same_rows = {"users": tc("users", 10, "cc", columns=("id", "a", "b"))}
    assert by_table(integrity.after_migration(before, same_rows, {"users"}, set()))["users"].note == "row count kept"


def test_created_and_dropped_tables_need_a_revision_that_touches_them():
    before = {"old": tc("old", 1, "x")}
    after = {"new": tc("new", 0, "0")}
    result = by_table(integrity.after_migration(before, after, touched={"new"}, rows_change=set()))
    assert result["new"].ok and not result["old"].ok


def test_identical_rejects_leftovers_and_column_changes():
    before = {"t": tc("t", 3, "aa")}
    assert integrity.all_ok(integrity.identical(before, {"t": tc("t", 3, "aa")}))
    assert not integrity.all_ok(integrity.identical(before, {"t": tc("t", 3, "aa"), "n": tc("n", 0, "0")}))
    assert not integrity.all_ok(integrity.identical(before, {"t": tc("t", 3, "aa", columns=("id", "a", "b"))}))
