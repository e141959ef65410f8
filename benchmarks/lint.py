"""Lint throughput: `rollwise migrate lint --range base:head` over a generated Alembic project of N revisions
(a mix of safe and dangerous ops), against squawk on the same revisions' offline SQL.

    .venv/bin/python benchmarks/lint.py [--revisions 200] [--squawk-sample 20]

Target: 200 revisions in under 2 s (whole command: loading the script directory, scanning, rules, report).
squawk is timed on a sample of the revisions (offline SQL rendering + one squawk process each) and scaled.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPS = [
    'op.add_column("t{n}", sa.Column("c{n}", sa.String(20), nullable=True))',
    'op.create_index("ix_{n}", "t{n}", ["c{n}"])',
    'op.drop_column("t{n}", "old{n}")',
    'op.alter_column("t{n}", "c{n}", nullable=False)',
    'op.execute("UPDATE t{n} SET c{n} = 1")',
    'op.create_table("n{n}", sa.Column("id", sa.Integer(), primary_key=True))',
    'op.create_foreign_key("fk{n}", "t{n}", "u", ["u_id"], ["id"], postgresql_not_valid=True)',
]


def make_project(root: Path, count: int) -> Path:
    shutil.copy(ROOT / "examples" / "migrate" / "alembic.ini", root)
    (root / "migrations" / "versions").mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "migrate" / "migrations" / "env.py", root / "migrations")
    shutil.copy(ROOT / "examples" / "migrate" / "migrations" / "script.py.mako", root / "migrations")
    previous = None
    for n in range(count):
        ops = "\n    ".join(OPS[(n + k) % len(OPS)].format(n=n) for k in range(3))
        (root / "migrations" / "versions" / f"r{n:04d}.py").write_text(
            f'import sqlalchemy as sa\nfrom alembic import op\n\nrevision = "r{n:04d}"\n'
            f'down_revision = {previous!r}\n\n\ndef upgrade():\n    {ops}\n\n\ndef downgrade():\n'
            f'    op.drop_table("n{n}")\n'
        )
        previous = f"r{n:04d}"
    return root / "alembic.ini"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--revisions", type=int, default=200)
    parser.add_argument("--squawk-sample", type=int, default=20)
    args = parser.parse_args()
    rollwise = str(Path(sys.executable).with_name("rollwise"))
    with tempfile.TemporaryDirectory() as tmp:
        ini = make_project(Path(tmp), args.revisions)
        report = Path(tmp) / "lint.json"
        started = time.perf_counter()
        done = subprocess.run([rollwise, "migrate", "lint", "--alembic-config", str(ini), "--range", "base:head",
                               "--no-squawk", "--report", str(report)], capture_output=True, text=True)
        ours = time.perf_counter() - started
        import json

        findings = len(json.loads(report.read_text())["findings"])
        sys.path.insert(0, str(ROOT / "src"))
        from rollwise.migrate.adapters import squawk
        from rollwise.migrate.adapters.alembic import Project

        project = Project(ini)
        revisions = project.path_between(None, project.single_head())[: args.squawk_sample]
        started = time.perf_counter()
        for rev in revisions:
            squawk.lint_revision(project, rev, "postgresql+psycopg://")
        per_revision = (time.perf_counter() - started) / max(len(revisions), 1)
    print(f"rollwise migrate lint, {args.revisions} revisions (process start included): {ours:.2f}s, "
          f"{findings} findings, exit {done.returncode} (target < 2 s: {'met' if ours < 2 else 'NOT met'})")
    print(f"squawk per revision (offline SQL + squawk process): {per_revision * 1000:.0f} ms "
          f"-> {per_revision * args.revisions:.1f}s for {args.revisions}; ratio rollwise/squawk = "
          f"{ours / (per_revision * args.revisions):.2f}")


if __name__ == "__main__":
    main()
