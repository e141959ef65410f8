"""Lint throughput on real Alembic histories (Airflow, MLflow, CKAN, from their published wheels, see
tests/support/realworld.py), against squawk on the same revisions' offline SQL.

    .venv/bin/python benchmarks/lint.py [--repeat 3]

rollwise: `rollwise migrate lint --range base:head --no-squawk` as a new process with nothing of the application
installed (the revision graph read from the files, the rules on each revision's source: what a CI job without the
app gets), best of --repeat runs. Target: 200 real revisions in under 2 s.
squawk: the same revisions rendered to offline SQL (with stand-ins of the app's packages; the revisions whose
offline SQL cannot be rendered that way are left out), then squawk-cli on those files, one process for all of them
(as rollwise runs it) and one process per file (as a per-migration CI step runs it).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "src"))

from support.realworld import HISTORIES, Checkout, extract  # noqa: E402

RENDER = """
import sys
from pathlib import Path
from rollwise.migrate.adapters.alembic import Project, strip_markers
project = Project(sys.argv[1])
out = Path(sys.argv[2])
for rev in project.path_between(None, project.single_head()):
    try:
        sql = strip_markers(project.offline_sql(rev, "postgresql+psycopg://"))
    except Exception:
        continue
    (out / f"{rev.id}.sql").write_text(sql)
"""


def best_of(repeat: int, command: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return min(times)


def revisions_of(checkout: Checkout) -> int:
    from rollwise.migrate.adapters.alembic import read_graph

    return len(read_graph([checkout.versions]).nodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rollwise = str(Path(sys.executable).with_name("rollwise"))
    squawk = str(Path(sys.executable).with_name("squawk"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for history in HISTORIES:
            checkout = extract(history, Path(tmp) / history.name)
            count = revisions_of(checkout)
            ours = best_of(args.repeat, [rollwise, "migrate", "lint", "--alembic-config", str(checkout.ini),
                                         "--range", "base:head", "--no-squawk"], checkout.env(stubs=False))
            sql_dir = Path(tmp) / f"{history.name}-sql"
            sql_dir.mkdir()
            subprocess.run([sys.executable, "-c", RENDER, str(checkout.ini), str(sql_dir)],
                           env={**checkout.env(stubs=True), "PYTHONPATH": os.pathsep.join(
                               [checkout.env(stubs=True)["PYTHONPATH"], str(ROOT / "src")])},
                           capture_output=True, text=True)
            files = sorted(str(p) for p in sql_dir.glob("*.sql"))
            one = per_file = None
            if files:
                one = best_of(args.repeat, [squawk, "--reporter", "json", *files], dict(os.environ))
                started = time.perf_counter()
                for path in files:
                    subprocess.run([squawk, "--reporter", "json", path], capture_output=True)
                per_file = time.perf_counter() - started
            rows.append((history.name, count, ours, len(files), one, per_file))

    print(f"{'history':<10} {'revisions':>9} {'rollwise s':>10} {'rev/s':>7}   {'rendered':>8} "
          f"{'squawk 1 proc s':>15} {'rev/s':>7} {'squawk per file s':>17} {'rev/s':>7}")
    for name, count, ours, rendered, one, per_file in rows:
        squawk_cols = (f"{one:>15.2f} {rendered / one:>7.0f} {per_file:>17.2f} {rendered / per_file:>7.0f}"
                       if one else f"{'n/a (env.py needs the app)':>49}")
        print(f"{name:<10} {count:>9} {ours:>10.2f} {count / ours:>7.0f}   {rendered:>8} {squawk_cols}")
    total = sum(r[1] for r in rows)
    ours_total = sum(r[2] for r in rows)
    rendered_total = sum(r[3] for r in rows)
    one_total = sum(r[4] or 0 for r in rows)
    per_file_total = sum(r[5] or 0 for r in rows)
    per_200 = ours_total / total * 200
    print(f"\nrollwise: {total} real revisions in {ours_total:.2f} s over {len(rows)} processes = "
          f"{total / ours_total:.0f} revisions/s; 200 revisions ~ {per_200:.2f} s (target < 2 s: "
          f"{'met' if per_200 < 2 else 'NOT met'})")
    if rendered_total:
        print(f"squawk on the {rendered_total} rendered revisions: {rendered_total / one_total:.0f} revisions/s in one "
              f"process, {rendered_total / per_file_total:.0f} revisions/s one process per file; "
              f"ratio rollwise/squawk (revisions/s) = {(total / ours_total) / (rendered_total / one_total):.2f} "
              f"(one process), {(total / ours_total) / (rendered_total / per_file_total):.2f} (per file). squawk "
              "needs the SQL rendered first, which needs the app importable.")


if __name__ == "__main__":
    main()
