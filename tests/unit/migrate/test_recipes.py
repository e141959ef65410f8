"""The examples on the rule pages (docs/safe-migrate/rules-*.md) are tests: every ``python dangerous`` block is an
error for its rule under the default settings, and every ``python safe`` block lints clean, each of its revisions
judged with the ones before it (``python safe --allow-contract``: in a deploy that allows the contract step)."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from rollwise.migrate.model import ERROR
from rollwise.migrate.model.history import with_history
from rollwise.migrate.model.lint import judge_revision
from rollwise.migrate.model.rules import CATALOG
from rollwise.migrate.model.scan import scan_source

DOCS = Path(__file__).resolve().parents[3] / "docs" / "safe-migrate"
SECTION = re.compile(r"^### `(?P<rule>[a-z-]+)`$(?P<body>.*?)(?=^### `|\Z)", re.M | re.S)
EXAMPLE = re.compile(r"^```python (?P<kind>dangerous|safe(?: --allow-contract)?)\n(?P<code>.*?)^```$", re.M | re.S)
#: error rules that are not about one operation (file problems, deploy order, suppressions)
NOT_OPERATIONS = {"syntax-error", "invalid-directive", "mixed-expand-contract", "contract-step",
                  "contract-in-expand-deploy", "expired-suppression"}


def examples() -> dict[str, dict[str, str]]:
    """rule -> {"dangerous" | "safe" | "safe --allow-contract": code} from every rule page."""
    found: dict[str, dict[str, str]] = {}
    for page in sorted(DOCS.glob("rules-*.md")):
        for section in SECTION.finditer(page.read_text()):
            for block in EXAMPLE.finditer(section["body"]):
                found.setdefault(section["rule"], {})[block["kind"]] = block["code"]
    return found


EXAMPLES = examples()


def _source(index: int, code: str):
    text = (f"import sqlalchemy as sa\nfrom alembic import op\n\nrevision = 'r{index}'\n"
            f"down_revision = {('r' + str(index - 1)) if index else None!r}\n\n\n{code}")
    return scan_source(text, f"versions/r{index}.py")


def _revisions(code: str) -> list[str]:
    return [chunk for chunk in re.split(r"^# revision \d+\n", code, flags=re.M) if chunk.strip()]


def lint_code(code: str, allow_contract: bool = False) -> list:
    """Findings of each revision of an example (``# revision N`` separates them), judged in order."""
    sources = with_history([], [_source(i, chunk) for i, chunk in enumerate(_revisions(code))])
    return [f for s in sources for f in judge_revision(s, allow_contract=allow_contract).findings]


def lint_steps(steps: list[tuple[str, str]], allow_contract: bool = False) -> list:
    """The same for (upgrade body, downgrade body) pairs written in a test."""
    code = "".join(f"# revision {i}\ndef upgrade():\n{textwrap.indent(textwrap.dedent(up).strip(), '    ')}\n\n"
                   f"def downgrade():\n{textwrap.indent(textwrap.dedent(down).strip(), '    ')}\n"
                   for i, (up, down) in enumerate(steps))
    return lint_code(code, allow_contract)


def errors(findings) -> list[tuple[str, int, str]]:
    return [(f.rule, f.line, f.message) for f in findings if f.severity == ERROR]


def test_every_error_rule_has_a_dangerous_example_on_its_page():
    error_rules = {r.id for r in CATALOG.values() if r.severity == ERROR} - NOT_OPERATIONS
    missing = sorted(r for r in error_rules if "dangerous" not in EXAMPLES.get(r, {}))
    assert not missing, missing


@pytest.mark.parametrize("rule", sorted(r for r in EXAMPLES if "dangerous" in EXAMPLES[r]), ids=str)
def test_the_dangerous_example_is_an_error(rule):
    found = errors(lint_code(EXAMPLES[rule]["dangerous"]))
    assert rule in {r for r, _, _ in found}, found


@pytest.mark.parametrize("rule", sorted(r for r in EXAMPLES if "safe" in EXAMPLES[r]), ids=str)
def test_the_safe_example_lints_clean(rule):
    assert errors(lint_code(EXAMPLES[rule]["safe"])) == []


@pytest.mark.parametrize("rule", sorted(r for r in EXAMPLES if "safe --allow-contract" in EXAMPLES[r]), ids=str)
def test_a_contract_step_passes_when_the_deploy_allows_it(rule):
    assert errors(lint_code(EXAMPLES[rule]["safe --allow-contract"], allow_contract=True)) == []


def test_set_not_null_needs_the_check_validated_first():
    first, _, last = _revisions(EXAMPLES["set-not-null"]["safe"])
    assert "set-not-null" in {r for r, _, _ in errors(lint_code(f"# revision 0\n{first}# revision 1\n{last}"))}


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

    source = _source(1, 'def upgrade():\n    op.execute("CLUSTER users USING ix_users_email")\n\n\n'
                        'def downgrade():\n    pass  # no inverse\n')
    verdict = judge_revision(source)
    relax_small_tables([verdict], {"users": 40}, 1000)
    assert [(f.rule, f.severity) for f in verdict.findings] == [("cluster-table", "warning")]
    suppressed = _source(1, 'def upgrade():\n    op.execute("VACUUM FULL users")  # rollwise: ignore[vacuum-full] '
                            '40 rows, nightly\n\n\ndef downgrade():\n    pass  # nothing to undo\n')
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
