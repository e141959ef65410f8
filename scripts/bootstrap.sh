# shellcheck shell=bash
# Sourced by every rollwise action: installs rollwise from the action's own checkout into an isolated venv,
# once per job (the venv is keyed by a hash of the sources), and exports ROLLWISE, the path of the executable.
#
#   source "$GITHUB_ACTION_PATH/../../scripts/bootstrap.sh"   # then: "$ROLLWISE" gate ...
#
# Where the venv lives: $ROLLWISE_VENV_DIR, else $RUNNER_TOOL_CACHE/rollwise, else $RUNNER_TEMP/rollwise.
# uv is used when it is on PATH, pip otherwise. Nothing is installed into the caller's Python.
# Cache across jobs with actions/cache on path "${{ runner.tool_cache }}/rollwise" (see docs/actions.md).
#
# ROLLWISE_INSTALL=environment (safe-migrate's `install: environment`) instead installs rollwise into the job's
# own Python environment ($VIRTUAL_ENV when a virtualenv is active, else ROLLWISE_PYTHON), with version ranges
# rather than pins, so Alembic imports env.py and the revisions with the app's packages and the app's own
# SQLAlchemy and Alembic (kept as they are when they are in the supported ranges).

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

rollwise_install_environment() {
  local root python scripts installer key marker
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  python="${ROLLWISE_PYTHON:-python3}"
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    python="$VIRTUAL_ENV/bin/python"
  fi
  if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' 2>/dev/null; then
    echo "::error title=rollwise::install: environment needs Python 3.10 or newer as '$python' (found: $("$python" --version 2>&1 || echo none)). Activate the app's virtualenv (VIRTUAL_ENV) or set input python."
    return 2
  fi
  key="$(
    cd "$root" && {
      "$python" -c 'import sys; print(sys.executable, sys.version)'
      cat pyproject.toml
      find src -type f \( -name '*.py' -o -name '*.j2' -o -name '*.json' -o -name '*.lua' \) | LC_ALL=C sort | xargs cat
    } | sha256sum | cut -c1-16
  )"
  marker="${RUNNER_TEMP:-${TMPDIR:-/tmp}}/rollwise-environment-$key"
  scripts="$("$python" -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
  if [ -f "$marker" ] && [ -x "$scripts/rollwise" ]; then
    echo "rollwise: using the copy installed in $python's environment"
  else
    echo "::group::Installing rollwise into $python's environment (the app's own SQLAlchemy and Alembic stay)"
    if "$python" -m pip --version >/dev/null 2>&1; then
      installer=("$python" -m pip install --quiet --disable-pip-version-check)
    elif command -v uv >/dev/null; then
      installer=(uv pip install --quiet --python "$python")
    else
      echo "::endgroup::"
      echo "::error title=rollwise::install: environment needs pip or uv for '$python'"
      return 2
    fi
    # ranges, not pins: what the app installed is kept when it satisfies them (only-if-needed upgrades)
    if ! "${installer[@]}" "$root[postgres]"; then
      echo "::endgroup::"
      echo "::error title=rollwise::installing rollwise into $python's environment failed (see the log above). Its SQLAlchemy must be 1.4.36 or newer (up to 2.1) and its Alembic 1.13 or newer; an externally managed system Python needs actions/setup-python or a virtualenv."
      return 2
    fi
    touch "$marker"
    echo "::endgroup::"
  fi
  "$python" -c 'import alembic, sqlalchemy; print(f"rollwise: running with SQLAlchemy {sqlalchemy.__version__} and Alembic {alembic.__version__} of the app environment")'
  export ROLLWISE="$scripts/rollwise"
  export ROLLWISE_VENV=""
}

case "${ROLLWISE_INSTALL:-isolated}" in
  isolated) rollwise_bootstrap || exit $? ;;
  environment) rollwise_install_environment || exit $? ;;
  *) echo "::error title=rollwise::input install is '${ROLLWISE_INSTALL}'; use isolated (rollwise in its own venv) or environment (into the job's Python, for actions that import your code)"
     exit 2 ;;
esac
