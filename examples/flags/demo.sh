#!/usr/bin/env bash
# Feature flags end to end: validate and sync examples/flags/flags.yml, evaluate, roll out, flip the kill switch,
# read the audit log; first on the file store, then on a real Redis (when redis-server is on PATH) with a running
# application client that receives every change by push.
#
#   bash examples/flags/demo.sh        # files and reports in $ROLLWISE_DEMO_DIR (default: a new temporary directory)
#
# Uses only the `rollwise` on PATH (and its Python for the application client). Redis listens on 127.0.0.1 and is
# stopped at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
demo="${ROLLWISE_DEMO_DIR:-$(mktemp -d -t rollwise-flags-demo.XXXXXX)}"
mkdir -p "$demo"
demo="$(cd "$demo" && pwd)"
rollwise_bin="$(command -v rollwise)" || { echo "rollwise is not on PATH (pip install 'rollwise[redis]', or activate .venv)" >&2; exit 2; }
python="$(head -1 "$rollwise_bin" | sed 's/^#!//')"
export ROLLWISE_ACTOR=demo GITHUB_STEP_SUMMARY="$demo/summary.md"
step() { printf '\n\033[1m▶ %s\033[0m\n' "$*"; }
expect() {  # expect CODE command...: run, and fail the demo unless it exits with CODE
  local want=$1 code=0; shift
  "$@" || code=$?
  if [ "$code" != "$want" ]; then echo "expected exit $want, got $code: $*" >&2; exit 1; fi
  echo "  (exit $code, as expected)"
}

cp "$here/flags.yml" "$demo/flags.yml"
cd "$demo"

step "file store: evaluate new-checkout for a German pro user"
rollwise flags get new-checkout --store file://flags.yml \
  --context '{"targetingKey": "user-7", "country": "DE", "plan": "pro", "app_version": "2.4.1"}'

step "a flags.yml with a prerequisite cycle is refused (exit 2) and nothing is written"
sed 's/^  payments-v2:$/  payments-v2:\n    prerequisites: [{flag: new-checkout}]/' flags.yml > broken.yml
expect 2 rollwise flags sync --store file://flags.yml --file broken.yml

step "roll new-checkout's EU rule out to 50 % (sticky: everyone in at 25 % stays in)"
rollwise flags rollout new-checkout 50 --rule eu-pro --store file://flags.yml --reason "canary healthy" \
  --report rollout.json

step "kill switch"
rollwise flags kill new-checkout --store file://flags.yml --reason "demo incident" --report kill.json
rollwise flags get new-checkout --store file://flags.yml --context '{"targetingKey": "demo-user"}'
rollwise flags history --store file://flags.yml

if ! command -v redis-server >/dev/null; then
  echo "redis-server is not on PATH: skipping the Redis part (apt-get install redis-server to see push updates)"
  exit 0
fi

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no >"$demo/redis.log" 2>&1 &
redis_pid=$!
app_pid=""
cleanup() { [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null; kill "$redis_pid" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
store="redis://127.0.0.1:$port"
for _ in $(seq 50); do "$python" -c "import socket; socket.create_connection(('127.0.0.1', $port), 0.2)" 2>/dev/null && break; sleep 0.1; done

step "Redis: dry run, then sync flags.yml (one atomic, audited change)"
cp "$here/flags.yml" flags.yml
rollwise flags sync --store "$store" --file flags.yml --dry-run --report sync-dry-run.json
rollwise flags sync --store "$store" --file flags.yml --report sync.json

step "an application client (separate process) follows the store by push"
cat > app.py <<'PY'
import sys, time
from rollwise.flags import FlagClient

client = FlagClient.connect(sys.argv[1])
user = {"targetingKey": "demo-user"}
client.on_change(lambda keys, version: print(f"  app: change pushed (version {version}: {', '.join(keys)}) -> "
                                             f"new-checkout={client.value('new-checkout', user, False)}", flush=True))
print(f"  app: version {client.version}, new-checkout={client.value('new-checkout', user, False)}", flush=True)
sys.stdin.read()
client.close()
PY
rm -f app.in
mkfifo app.in
"$python" app.py "$store" < app.in &
app_pid=$!
exec 3>app.in
sleep 1

step "kill payments-v2: new-checkout depends on it, so it turns off too; wait for 1 client to confirm"
rollwise flags kill payments-v2 --store "$store" --reason "payment errors" --wait-clients 1 --wait-timeout 10 \
  --report kill-redis.json
sleep 0.3

step "two writers race with the same expected version: one wins, the other gets a conflict (exit 3)"
version="$("$python" -c "import json, sys; print(json.load(open('kill-redis.json'))['version'])")"
rollwise flags set payments-v2 --enabled --store "$store" --expect-version "$version" --reason "fixed"
expect 3 rollwise flags set payments-v2 --disabled --store "$store" --expect-version "$version" --reason "stale writer"
sleep 0.3

step "audit log of payments-v2 (from the Redis stream)"
rollwise flags history payments-v2 --store "$store"
exec 3>&-
echo
echo "reports and summary: $demo"
