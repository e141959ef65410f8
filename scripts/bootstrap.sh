# shellcheck shell=bash
# Sourced by every rollwise action: installs rollwise from the action's own checkout into an isolated venv,
# once per job (the venv is keyed by a hash of the sources), and exports ROLLWISE, the path of the executable.
#
#   source "$GITHUB_ACTION_PATH/../../scripts/bootstrap.sh"   # then: "$ROLLWISE" gate ...
#
# Where the venv lives: $ROLLWISE_VENV_DIR, else $RUNNER_TOOL_CACHE/rollwise, else $RUNNER_TEMP/rollwise.
# uv is used when it is on PATH, pip otherwise. Nothing is installed into the caller's Python.
# Cache across jobs with actions/cache on path "${{ runner.tool_cache }}/rollwise" (see docs/actions.md).

rollwise_bootstrap() {
  local root python base key venv lock started
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  python="${ROLLWISE_PYTHON:-python3}"
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "::error title=rollwise::Python 3.10 or newer is needed as '$python' (found: $("$python" --version 2>&1 || echo none)). Add actions/setup-python before this step, or set ROLLWISE_PYTHON."
    return 2
  fi
  base="${ROLLWISE_VENV_DIR:-${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}/rollwise}"
  key="$(
    cd "$root" && {
      "$python" -c 'import sys; print(sys.version)'
      cat pyproject.toml requirements/action.txt
      find src -type f \( -name '*.py' -o -name '*.j2' -o -name '*.json' -o -name '*.lua' \) | LC_ALL=C sort | xargs cat
    } | sha256sum | cut -c1-16
  )"
  venv="$base/$key"
  if [ -f "$venv/.complete" ]; then
    echo "rollwise: using the installed copy in $venv"
  else
    mkdir -p "$base"
    lock="$base/.lock-$key"
    started=$SECONDS
    # another rollwise action of the same runner may be installing the same key right now
    exec 9>"$lock"
    command -v flock >/dev/null && flock 9
    if [ ! -f "$venv/.complete" ]; then
      echo "::group::Installing rollwise into $venv"
      rm -rf "$venv"
      if ! (
        set -e
        unset VIRTUAL_ENV PYTHONHOME PYTHONPATH UV_SYSTEM_PYTHON UV_PYTHON UV_PROJECT_ENVIRONMENT PIP_USER
        if command -v uv >/dev/null; then
          uv venv --quiet --python "$python" "$venv"
          uv pip install --quiet --python "$venv/bin/python" -r "$root/requirements/action.txt"
          uv pip install --quiet --python "$venv/bin/python" --no-deps "$root"
        else
          "$python" -m venv "$venv"
          "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$root/requirements/action.txt"
          "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps "$root"
        fi
        touch "$venv/.complete"
      ); then
        echo "::endgroup::"
        echo "::error title=rollwise::installing rollwise into $venv failed (see the log above); nothing was changed in your environment"
        rm -rf "$venv"
        exec 9>&-
        return 2
      fi
      echo "rollwise: installed in $((SECONDS - started)) s"
      echo "::endgroup::"
    fi
    exec 9>&-
  fi
  export ROLLWISE="$venv/bin/rollwise"
  export ROLLWISE_VENV="$venv"
}

rollwise_bootstrap || exit $?
