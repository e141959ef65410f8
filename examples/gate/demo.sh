#!/usr/bin/env bash
# slo-gate on one machine: a Prometheus (Debian package) backfilled with generated series for several canary
# scenarios, then one `rollwise gate` judgement per scenario, each with its decision, exit code and reason.
#
#   bash examples/gate/demo.sh        # reports in $ROLLWISE_DEMO_DIR (default: a new temporary directory)
#
# Uses the `rollwise` on PATH, prometheus and promtool; everything listens on 127.0.0.1 and stops at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
demo="${ROLLWISE_DEMO_DIR:-$(mktemp -d -t rollwise-gate-demo.XXXXXX)}"
mkdir -p "$demo"
demo="$(cd "$demo" && pwd)"

rollwise_bin="$(command -v rollwise)" || { echo "rollwise is not on PATH (pip install rollwise, or activate .venv)" >&2; exit 2; }
python="$(head -1 "$rollwise_bin" | sed 's/^#!//')"
for tool in prometheus promtool; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed: apt-get install prometheus" >&2; exit 2; }
done

end=$(( $(date +%s) / 60 * 60 - 120 ))
start=$(( end - 1800 ))
echo "generating 90 minutes of series for every scenario (ending $(date -u -d "@$end" +%H:%M) UTC)"
PYTHONPATH="$root/tests/integration/gate" "$python" -c \
  "import sys, gate_data; open(sys.argv[1], 'w').write(gate_data.generate(int(sys.argv[2])))" "$demo/series.om" "$end"
rm -rf "$demo/tsdb"
promtool tsdb create-blocks-from openmetrics "$demo/series.om" "$demo/tsdb" >/dev/null

port="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
printf 'global: {scrape_interval: 15s}\n' > "$demo/prometheus.yml"
prometheus --config.file="$demo/prometheus.yml" --storage.tsdb.path="$demo/tsdb" \
  --storage.tsdb.retention.time=60d --web.listen-address="127.0.0.1:$port" >"$demo/prometheus.log" 2>&1 &
prom_pid=$!
trap 'kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  curl -fs "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break
  sleep 0.2
done

for scenario in healthy latency_regression latency_spread error_regression canary_better environmental low_traffic no_canary; do
  echo
  echo "── scenario: $scenario"
  set +e
  GITHUB_STEP_SUMMARY="$demo/$scenario.md" rollwise gate --config "$here/rollwise.yml" \
    --prometheus-url "http://127.0.0.1:$port" \
    --baseline "{scenario=\"$scenario\",track=\"baseline\"}" --canary "{scenario=\"$scenario\",track=\"canary\"}" \
    --start "$start" --end "$end" --report "$demo/$scenario.json" --html "$demo/$scenario.html" 2>/dev/null
  code=$?
  set -e
  echo "   exit code $code; report $demo/$scenario.json, summary $demo/$scenario.md, HTML $demo/$scenario.html"
done
echo
echo "── pre-deploy error-budget check (baseline of the environmental scenario, 2 % errors in the last 30 min)"
set +e
rollwise gate --mode budget --config "$here/rollwise.yml" --prometheus-url "http://127.0.0.1:$port" \
  --selector '{scenario="environmental",track="baseline"}' --end "$end" --report "$demo/budget.json" 2>/dev/null
echo "   exit code $?"
set -e
