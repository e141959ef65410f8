#!/usr/bin/env bash
# Refresh uv.lock and requirements/action.txt (what scripts/bootstrap.sh installs) after a dependency change.
set -euo pipefail
cd "$(dirname "$0")/.."
uv lock
uv export --frozen --no-dev --extra all --no-emit-project --no-header --format requirements-txt -o requirements/action.txt >/dev/null
echo "uv.lock and requirements/action.txt are up to date"
