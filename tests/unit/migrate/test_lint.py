"""Expand/contract gate, suppressions and scanning details of single revisions."""

from __future__ import annotations

import textwrap

import pytest

from rollwise.migrate.model import CONTRACT, ERROR, EXPAND, MIXED, NEUTRAL, WARNING
from rollwise.migrate.model.classify import classify, touched_tables
from rollwise.migrate.model.lint import judge_revision
from rollwise.migrate.model.scan import scan_source


def rev(body: str, downgrade: str = "pass"):
    text = textwrap.dedent(
        """\
        import sqlalchemy as sa
        from alembic import op
        revision = "r1"
        down_revision = "r0"

        def upgrade():
        {body}

        def downgrade():
            {downgrade}
        """
    ).format(body=textwrap.indent(textwrap.dedent(body), "    "), downgrade=downgrade)
    return scan_source(text, "versions/r1.py")


@pytest.mark.parametrize(
    "body, kind",
    [
        ('op.add_column("t", sa.Column("c", sa.Text()))', EXPAND),
        ('op.drop_column("t", "c")', CONTRACT),
        ('op.alter_column("t", "c", nullable=True)', EXPAND),
        ('op.alter_column("t", "c", nullable=False)', CONTRACT),
        ('op.create_check_constraint("ck", "t", "c > 0", postgresql_not_valid=True)', CONTRACT),
        ('op.create_table("n", sa.Column("id", sa.Integer()))\n'
         'op.create_check_constraint("ck", "n", "id > 0")', EXPAND),
        ('op.add_column("t", sa.Column("c", sa.Text()))\nop.drop_column("t", "d")', MIXED),
        ('op.execute("UPDATE t SET c = 1 WHERE id < 10 LIMIT 5")', NEUTRAL),
        ('op.execute("ALTER TABLE t RENAME COLUMN a TO b")', CONTRACT),
        ('op.execute("CREATE INDEX CONCURRENTLY ix ON t (c)")', EXPAND),
    ],
    ids=["add-column", "drop-column", "loosen", "tighten", "not-valid-check", "constraint-on-new-table", "mixed",
         "data-only", "raw-rename", "raw-index"],
)
def test_classify(body, kind):
    assert classify(rev(body)) == kind


def test_contract_allowed_keeps_destructive_findings_as_warnings():
    source = rev('op.drop_column("users", "old")', downgrade='op.add_column("users", sa.Column("old", sa.Text()))')
    refused = judge_revision(source)
    assert {(f.rule, f.severity) for f in refused.findings} == {("drop-column", ERROR), ("contract-step", ERROR)}
    allowed = judge_revision(source, allow_contract=True)
    assert [(f.rule, f.severity) for f in allowed.findings] == [("drop-column", WARNING)]


def test_suppression_is_listed_with_its_reason():
    source = rev(
        '# rollwise: ignore[create-index-not-concurrent] lookup table of 40 rows\n'
        'op.create_index("ix", "countries", ["code"])',
        downgrade='op.drop_index("ix", table_name="countries")',
    )
    verdict = judge_revision(source)
    assert verdict.findings == []
    [(finding, suppression)] = verdict.suppressed
    assert finding.rule == "create-index-not-concurrent" and finding.line == 8
    assert suppression.reason == "lookup table of 40 rows" and suppression.line == 7


def test_fix_names_the_users_table_and_column():
    verdict = judge_revision(rev('op.alter_column("orders", "total", nullable=False)', downgrade="op.f('x')"))
    finding = next(f for f in verdict.findings if f.rule == "set-not-null")
    assert 'op.create_check_constraint("orders_total_not_null", "orders", "total IS NOT NULL"' in finding.fix
    assert finding.lock == "ACCESS EXCLUSIVE (full scan)" and finding.file == "versions/r1.py" and finding.line == 7


def test_touched_tables_include_raw_sql_and_rename_targets():
    source = rev('op.rename_table("a", "b")\nop.execute("UPDATE c SET x = 1")\n'
                 'op.create_foreign_key("f", "d", "e", ["x"], ["y"])')
    assert touched_tables(source) == ("a", "b", "c", "d", "e")


def test_directive_without_reason_is_an_error_and_suppresses_nothing():
    source = rev('op.create_index("ix", "t", ["c"])  # rollwise: ignore[create-index-not-concurrent]',
                 downgrade='op.drop_index("ix", table_name="t")')
    rules = sorted(f.rule for f in judge_revision(source).findings)
    assert rules == ["create-index-not-concurrent", "invalid-directive"]


def test_contract_step_may_not_ship_with_an_expand_step():
    from rollwise.migrate.model.lint import judge_deploy

    expand = rev('op.add_column("users", sa.Column("new", sa.Text()))', downgrade='op.drop_column("users", "new")')
    expand.revision = "e1"
    contract = rev('op.drop_column("users", "old")', downgrade='op.add_column("users", sa.Column("old", sa.Text()))')
    contract.revision = "c1"
    pairs = [(expand, judge_revision(expand)), (contract, judge_revision(contract, allow_contract=True))]
    judge_deploy(pairs)
    assert pairs[0][1].findings == []
    [finding] = [f for f in pairs[1][1].findings if f.severity == ERROR]
    assert finding.rule == "contract-in-expand-deploy" and "follows expand revision e1" in finding.message
    alone = [(contract, judge_revision(contract, allow_contract=True))]
    judge_deploy(alone)
    assert [f.rule for f in alone[0][1].findings] == ["drop-column"]


def test_suppression_expires_and_is_then_reported():
    from datetime import date

    source = rev('# rollwise: ignore[create-index-not-concurrent] until=2026-06-30 backfill job owns this table\n'
                 'op.create_index("ix", "t", ["c"])', downgrade='op.drop_index("ix", table_name="t")')
    [suppression] = source.suppressions
    assert suppression.until == date(2026, 6, 30) and suppression.reason == "backfill job owns this table"
    assert judge_revision(source, today=date(2026, 6, 30)).findings == []
    late = judge_revision(source, today=date(2026, 7, 1))
    assert sorted(f.rule for f in late.findings) == ["create-index-not-concurrent", "expired-suppression"]


def test_malformed_expiry_is_an_invalid_directive():
    source = rev('op.create_index("ix", "t", ["c"])  # rollwise: ignore[create-index-not-concurrent] until=soon ok',
                 downgrade='op.drop_index("ix", table_name="t")')
    assert sorted(f.rule for f in judge_revision(source).findings) == ["create-index-not-concurrent",
                                                                        "invalid-directive"]


def test_mixed_revision_names_its_expand_and_contract_ops():
    source = rev('op.add_column("users", sa.Column("a", sa.Text()))\nop.drop_column("users", "b")',
                 downgrade='op.drop_column("users", "a")')
    mixed = next(f for f in judge_revision(source).findings if f.rule == "mixed-expand-contract")
    assert "expands with add_column (line 7) and contracts with drop_column (line 8)" in mixed.message
