# shellcheck shell=bash
# Sourced by demo.sh and test.sh (from the repository root): check the Python, then make .venv hold rollwise
# with its locked dependencies. Expects a say() function for progress lines.

python=${PYTHON:-python3}

require_python() {
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "rollwise needs Python 3.10 or newer as '$python' (set PYTHON=/path/to/python3.x)" >&2
    exit 2
  fi
}

# sync_venv EXTRA...: install the locked dependencies with those extras (others already there stay)
sync_venv() {
  if [ ! -x .venv/bin/python ]; then
    say "creating .venv"
    "$python" -m venv .venv
  fi
  [ -x .venv/bin/uv ] || .venv/bin/python -m pip install --quiet --disable-pip-version-check uv
  local extras=() extra
  for extra in "$@"; do extras+=(--extra "$extra"); done
  UV_PROJECT_ENVIRONMENT=.venv .venv/bin/uv sync --quiet --locked --inexact "${extras[@]}"
  export PATH="$PWD/.venv/bin:$PATH"
}
