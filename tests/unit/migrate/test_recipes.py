"""The safe recipe of every rule on the rule pages lints clean under default settings, step by step, and the
dangerous form it replaces is an error. Each step is its own revision, judged with the history before it."""

from __future__ import annotations

import textwrap

import pytest

from rollwise.migrate.model import ERROR
from rollwise.migrate.model.history import with_history
from rollwise.migrate.model.lint import judge_revision
from rollwise.migrate.model.rules import CATALOG
from rollwise.migrate.model.scan import scan_source


def _source(index: int, upgrade: str, downgrade: str):
    text = (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = 'r{index}'\n"
            f"down_revision = {('r' + str(index - 1)) if index else None!r}\n\n\ndef upgrade():\n"
            f"{textwrap.indent(textwrap.dedent(upgrade).strip(), '    ')}\n\n\ndef downgrade():\n"
            f"{textwrap.indent(textwrap.dedent(downgrade).strip(), '    ')}\n")
    return scan_source(text, f"versions/r{index}.py")


def lint_steps(steps: list[tuple[str, str]], allow_contract: bool = False) -> list:
    """Findings of each step, every step a revision of its own after the ones before it."""
    sources = with_history([], [_source(i, up, down) for i, (up, down) in enumerate(steps)])
    return [f for s in sources for f in judge_revision(s, allow_contract=allow_contract).findings]


def errors(findings) -> list[tuple[str, int, str]]:
    return [(f.rule, f.line, f.message) for f in findings if f.severity == ERROR]


AUTOCOMMIT = "with op.get_context().autocommit_block():\n    "

#: rule -> (dangerous upgrade, its downgrade), [safe recipe steps (upgrade, downgrade)], contract allowed
RECIPES = {
    "change-column-type": (
        ('op.alter_column("users", "age", type_=sa.BigInteger(), existing_type=sa.Integer())',
         'op.alter_column("users", "age", type_=sa.Integer(), existing_type=sa.BigInteger())'),
        [('op.alter_column("users", "name", type_=sa.String(200), existing_type=sa.String(50))',
          'op.alter_column("users", "name", type_=sa.String(50), existing_type=sa.String(200))'),
         ('op.alter_column("users", "bio", type_=sa.Text(), existing_type=sa.String(500))',
          'op.alter_column("users", "bio", type_=sa.String(500), existing_type=sa.Text())'),
         ('op.execute("ALTER TABLE users ALTER COLUMN note TYPE text")',
          'op.execute("ALTER TABLE users ALTER COLUMN note TYPE varchar(40)")')]),
    "set-not-null": (
        ('op.alter_column("users", "email", nullable=False)', 'op.alter_column("users", "email", nullable=True)'),
        [('op.create_check_constraint("users_email_not_null", "users", "email IS NOT NULL", '
          'postgresql_not_valid=True)', 'op.drop_constraint("users_email_not_null", "users", type_="check")'),
         ('op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_email_not_null")', 'pass  # nothing to undo'),
         ('op.alter_column("users", "email", nullable=False)\n'
          'op.drop_constraint("users_email_not_null", "users", type_="check")',
          'op.create_check_constraint("users_email_not_null", "users", "email IS NOT NULL")\n'
          'op.alter_column("users", "email", nullable=True)')]),
    "add-required-column": (
        ('op.add_column("users", sa.Column("plan", sa.Text(), nullable=False))', 'op.drop_column("users", "plan")'),
        [('op.add_column("users", sa.Column("plan", sa.Text(), nullable=False, server_default="free"))',
          'op.drop_column("users", "plan")')]),
    "add-column-volatile-default": (
        ('op.add_column("users", sa.Column("token", sa.Text(), server_default=sa.text("gen_random_uuid()")))',
         'op.drop_column("users", "token")'),
        [('op.add_column("users", sa.Column("token", sa.Text()))', 'op.drop_column("users", "token")'),
         ('op.alter_column("users", "token", server_default=sa.text("gen_random_uuid()"))',
          'op.alter_column("users", "token", server_default=None)')]),
    "create-index-not-concurrent": (
        ('op.create_index("ix_users_email", "users", ["email"])', 'op.drop_index("ix_users_email")'),
        [(AUTOCOMMIT + 'op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True, '
          'if_not_exists=True)',
          AUTOCOMMIT + 'op.drop_index("ix_users_email", table_name="users", postgresql_concurrently=True, '
          'if_exists=True)')]),
    "drop-index-not-concurrent": (
        ('op.drop_index("ix_users_email", table_name="users")', 'op.create_index("ix_users_email", "users", '
                                                                 '["email"])'),
        [(AUTOCOMMIT + 'op.drop_index("ix_users_email", table_name="users", postgresql_concurrently=True, '
          'if_exists=True)',
          AUTOCOMMIT + 'op.create_index("ix_users_email", "users", ["email"], postgresql_concurrently=True)')]),
    "concurrent-index-in-transaction": (
        ('op.create_index("ix_a", "users", ["a"], postgresql_concurrently=True)', 'op.drop_index("ix_a")'),
        [(AUTOCOMMIT + 'op.create_index("ix_a", "users", ["a"], postgresql_concurrently=True)',
          AUTOCOMMIT + 'op.drop_index("ix_a", postgresql_concurrently=True)')]),
    "add-foreign-key-validating": (
        ('op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"])',
         'op.drop_constraint("fk_orders_user", "orders", type_="foreignkey")'),
        [('op.create_foreign_key("fk_orders_user", "orders", "users", ["user_id"], ["id"], '
          'postgresql_not_valid=True)', 'op.drop_constraint("fk_orders_user", "orders", type_="foreignkey")'),
         ('op.execute("ALTER TABLE orders VALIDATE CONSTRAINT fk_orders_user")', 'pass')]),
    "add-check-validating": (
        ('op.create_check_constraint("ck_total", "orders", "total >= 0")',
         'op.drop_constraint("ck_total", "orders", type_="check")'),
        [('op.create_check_constraint("ck_total", "orders", "total >= 0", postgresql_not_valid=True)',
          'op.drop_constraint("ck_total", "orders", type_="check")'),
         ('op.execute("ALTER TABLE orders VALIDATE CONSTRAINT ck_total")', 'pass')]),
    "add-unique-constraint": (
        ('op.create_unique_constraint("uq_email", "users", ["email"])',
         'op.drop_constraint("uq_email", "users", type_="unique")'),
        [(AUTOCOMMIT + 'op.create_index("uq_email", "users", ["email"], unique=True, postgresql_concurrently=True)',
          AUTOCOMMIT + 'op.drop_index("uq_email", postgresql_concurrently=True)'),
         ('op.execute("ALTER TABLE users ADD CONSTRAINT uq_email UNIQUE USING INDEX uq_email")',
          'op.drop_constraint("uq_email", "users", type_="unique")')]),
    "add-primary-key": (
        ('op.create_primary_key("pk_events", "events", ["id"])', 'op.drop_constraint("pk_events", "events")'),
        [(AUTOCOMMIT + 'op.execute("CREATE UNIQUE INDEX CONCURRENTLY pk_events ON events (id)")',
          AUTOCOMMIT + 'op.execute("DROP INDEX CONCURRENTLY pk_events")'),
         ('op.execute("ALTER TABLE events ADD CONSTRAINT pk_events PRIMARY KEY USING INDEX pk_events")',
          'op.drop_constraint("pk_events", "events")')]),
    "cluster-table": (('op.execute("CLUSTER users USING ix_users_email")', 'pass  # CLUSTER has no inverse'), []),
    "vacuum-full": ((AUTOCOMMIT + 'op.execute("VACUUM FULL users")', 'pass  # nothing to undo'), []),
    "reindex-not-concurrent": (
        ('op.execute("REINDEX INDEX ix_users_email")', 'pass  # nothing to undo'),
        [(AUTOCOMMIT + 'op.execute("REINDEX INDEX CONCURRENTLY ix_users_email")', 'pass  # nothing to undo')]),
    "lock-table": (
        ('op.execute("LOCK TABLE users IN SHARE MODE")\nop.add_column("users", sa.Column("x", sa.Text()))',
         'op.drop_column("users", "x")'),
        [('op.add_column("users", sa.Column("x", sa.Text()))', 'op.drop_column("users", "x")')]),
    "table-rewrite": (('op.execute("ALTER TABLE users SET LOGGED")', 'op.execute("ALTER TABLE users SET UNLOGGED")'),
                      []),
    "unbatched-backfill": (
        ('op.execute("UPDATE users SET plan = \'free\'")', 'pass  # data only'),
        [(AUTOCOMMIT + 'while op.get_bind().execute(sa.text("UPDATE users SET plan = \'free\' WHERE id IN '
          '(SELECT id FROM users WHERE plan IS NULL LIMIT 1000)")).rowcount:\n        pass', 'pass  # data only')]),
    "drop-table": (('op.drop_table("legacy")', 'op.create_table("legacy", sa.Column("id", sa.Integer()))'), None),
    "drop-column": (('op.drop_column("users", "nickname")', 'op.add_column("users", sa.Column("nickname", sa.Text()))'),
                    None),
    "rename-table": (('op.rename_table("users", "accounts")', 'op.rename_table("accounts", "users")'), None),
    "rename-column": (('op.alter_column("users", "name", new_column_name="full_name")',
                       'op.alter_column("users", "full_name", new_column_name="name")'), None),
    "truncate-table": (('op.execute("TRUNCATE sessions")', 'pass  # rows are gone'), None),
    "missing-downgrade": (('op.add_column("users", sa.Column("x", sa.Text()))', 'raise NotImplementedError()'),
                          [('op.add_column("users", sa.Column("x", sa.Text()))', 'op.drop_column("users", "x")')]),
    "empty-downgrade": (('op.add_column("users", sa.Column("x", sa.Text()))', 'pass'),
                        [('op.add_column("users", sa.Column("x", sa.Text()))', 'op.drop_column("users", "x")')]),
    "downgrade-incomplete": (
        ('op.add_column("users", sa.Column("x", sa.Text()))\nop.create_index("ix_x", "users", ["x"])',
         'op.drop_index("ix_x")'),
        [('op.add_column("users", sa.Column("x", sa.Text()))', 'op.drop_column("users", "x")')]),
}
#: error rules whose recipe is the expand/contract sequence: the dangerous step ships later, with --allow-contract
CONTRACT_RULES = {rule for rule, (_, steps) in RECIPES.items() if steps is None}
#: error rules that are not about one operation (file problems, deploy order, suppressions)
NOT_OPERATIONS = {"syntax-error", "invalid-directive", "mixed-expand-contract", "contract-step",
                  "contract-in-expand-deploy", "expired-suppression"}


def test_every_error_rule_has_a_recipe_case():
    error_rules = {r.id for r in CATALOG.values() if r.severity == ERROR} - NOT_OPERATIONS
    assert error_rules <= set(RECIPES), sorted(error_rules - set(RECIPES))


@pytest.mark.parametrize("rule", sorted(RECIPES), ids=sorted(RECIPES))
def test_the_dangerous_form_is_an_error(rule):
    (upgrade, downgrade), _ = RECIPES[rule]
    found = errors(lint_steps([(upgrade, downgrade)]))
    assert any(r == rule for r, _, _ in found), found


@pytest.mark.parametrize("rule", sorted(r for r, (_, s) in RECIPES.items() if s), ids=str)
def test_the_safe_recipe_lints_clean(rule):
    _, steps = RECIPES[rule]
    assert errors(lint_steps(steps)) == []


@pytest.mark.parametrize("rule", sorted(CONTRACT_RULES), ids=str)
def test_a_contract_step_passes_when_the_deploy_allows_it(rule):
    (upgrade, downgrade), _ = RECIPES[rule]
    assert errors(lint_steps([(upgrade, downgrade)], allow_contract=True)) == []


def test_set_not_null_needs_the_check_validated_first():
    steps = RECIPES["set-not-null"][1]
    skipped_validation = [steps[0], steps[2]]
    assert "set-not-null" in {r for r, _, _ in errors(lint_steps(skipped_validation))}


def test_whole_table_update_built_with_sqlalchemy_is_an_error():
    found = errors(lint_steps([(
        'users = sa.table("users", sa.column("plan"))\nop.execute(users.update().values(plan="free"))',
        'pass  # data only')]))
    assert [r for r, _, _ in found] == ["unbatched-backfill"]


def test_set_not_null_recipe_in_raw_sql():
    steps = [
        ('op.execute("ALTER TABLE users ADD CONSTRAINT users_email_nn CHECK (email IS NOT NULL) NOT VALID")',
         'op.execute("ALTER TABLE users DROP CONSTRAINT users_email_nn")'),
        ('op.execute("ALTER TABLE users VALIDATE CONSTRAINT users_email_nn")', 'pass  # nothing to undo'),
        ('op.execute("ALTER TABLE users ALTER COLUMN email SET NOT NULL")',
         'op.execute("ALTER TABLE users ALTER COLUMN email DROP NOT NULL")'),
    ]
    assert errors(lint_steps(steps)) == []
    assert "set-not-null" in {r for r, _, _ in errors(lint_steps([steps[0], steps[2]]))}


def test_small_tables_and_suppressions_relax_the_new_lock_rules():
    from rollwise.migrate.model.lint import relax_small_tables

    source = _source(1, 'op.execute("CLUSTER users USING ix_users_email")', 'pass  # no inverse')
    verdict = judge_revision(source)
    relax_small_tables([verdict], {"users": 40}, 1000)
    assert [(f.rule, f.severity) for f in verdict.findings] == [("cluster-table", "warning")]
    suppressed = _source(1, 'op.execute("VACUUM FULL users")  # rollwise: ignore[vacuum-full] 40 rows, nightly',
                         'pass  # nothing to undo')
    assert judge_revision(suppressed).findings == []


@pytest.mark.parametrize("upgrade, rule", [
    ('op.add_column("users", sa.Column("n", sa.BigInteger(), sa.Identity()))', "add-column-volatile-default"),
    ('op.add_column("users", sa.Column("n", sa.Integer(), sa.Computed("id + 1")))', "add-column-volatile-default"),
    ('op.execute("ALTER TABLE users ADD COLUMN n bigserial")', "add-column-volatile-default"),
    ('op.execute("ALTER TABLE users ADD COLUMN n int GENERATED ALWAYS AS (id + 1) STORED")',
     "add-column-volatile-default"),
    ('op.execute("ALTER TABLE users ADD CONSTRAINT no_overlap EXCLUDE USING gist (during WITH &&)")',
     "add-unique-constraint"),
    ('op.execute("LOCK users")', "lock-table"),
    ('op.execute("ALTER TABLE users SET TABLESPACE archive")', "table-rewrite"),
    ('op.drop_index("ix_users_email", table_name="users")', "drop-index-not-concurrent"),
], ids=["identity", "computed", "bigserial", "generated", "exclusion", "lock-default-mode", "tablespace",
        "drop-index-op"])
def test_more_dangerous_forms_are_errors(upgrade, rule):
    assert rule in {r for r, _, _ in errors(lint_steps([(upgrade, 'op.execute("SELECT 1")  # nothing to undo')]))}
