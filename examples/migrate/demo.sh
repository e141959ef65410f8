#!/usr/bin/env bash
# safe-migrate on SQLite, end to end: lint, plan, apply with backup and checksums, then a revision that fails
# on its second statement and is rolled back automatically. Uses only `rollwise` on PATH and this directory;
# writes to $ROLLWISE_DEMO_DIR (or a temp dir).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if ! command -v rollwise >/dev/null; then
  echo "rollwise is not on PATH: pip install -e . (or activate the venv) and rerun" >&2
  exit 2
fi
# the interpreter rollwise runs on (for the stdlib-only seed script)
python="$(head -1 "$(command -v rollwise)" | sed -n 's/^#!//p')"
[ -x "${python%% *}" ] || python=python3

base="${ROLLWISE_DEMO_DIR:-$(mktemp -d)}"
work="$base/safe-migrate"
rm -rf "$work" && mkdir -p "$work"
cp "$here/alembic.ini" "$work/" && cp -r "$here/migrations" "$work/migrations"
rm -rf "$work/migrations/__pycache__" "$work/migrations/versions/__pycache__"
cd "$work"
export ROLLWISE_DATABASE_URL="sqlite:///$work/app.db"
export ROLLWISE_BACKUP_DIR="$work/backups"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "1. The application's first release: schema at revision 0002, with sample data"
rollwise migrate apply --to 0002 --no-backup 2>/dev/null
"$python" "$here/demo_seed.py" "$work/app.db"

step "2. Lint the pending revisions (0003-0005): expand steps only, nothing dangerous"
rollwise migrate lint --report "$work/lint.json"

step "3. Plan: SQL, table sizes and a trial run rolled back"
rollwise migrate plan --report "$work/plan.json" 2>&1 | sed -n '1,12p'

step "4. Apply: backup, checksums before, one transaction per revision, checksums after"
rollwise migrate apply --report "$work/apply.json"

step "5. A new revision that fails on its second statement"
cp "$here/faults/0006_fails_on_second_statement.py" "$work/migrations/versions/"
set +e
rollwise migrate apply --report "$work/apply-failed.json"
code=$?
set -e
echo "exit code: $code (1 = danger found and acted on: rolled back)"
[ "$code" = 1 ] || { echo "expected exit 1" >&2; exit 1; }

step "Done: the database is back at 0005 with every table's checksum equal to before"
echo "reports: $work/*.json    backups: $work/backups/"
