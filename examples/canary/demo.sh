#!/usr/bin/env bash
# canary-deploy on one machine: the example app (examples/app/app.py) as baseline and as canary, nginx splitting
# traffic between them (the `command` router when nginx is not installed), Prometheus scraping both (the gate
# judges k6's own results when Prometheus is not installed), k6 warm-up traffic in every phase.
#
#   bash examples/canary/demo.sh        # reports in $ROLLWISE_DEMO_DIR (default: a new temporary directory)
#
# Two rollouts: a healthy canary is promoted; a canary with +50 % p95 latency and 3 % errors is rolled back.
# Then releases: v1 and v2 are promoted one after the other, `rollwise release revert` takes the environment back
# to v1 in one command (fast path: straight to 100 % with one confirming analysis), and a second revert changes
# nothing. Without a GitHub token the releases go to the local ledger (releases.json next to the state file).
# Uses the `rollwise` on PATH; NGINX= / PROMETHEUS= (empty) leave that service out. Everything listens on 127.0.0.1 on free ports and is stopped at the end.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
examples="$(dirname "$here")"
demo="${ROLLWISE_DEMO_DIR:-$(mktemp -d -t rollwise-canary-demo.XXXXXX)}"
mkdir -p "$demo"
demo="$(cd "$demo" && pwd)"

rollwise_bin="$(command -v rollwise)" || { echo "rollwise is not on PATH (pip install rollwise, or activate .venv)" >&2; exit 2; }
# rollwise's own Python (it has PyYAML) writes the config; the example app also needs prometheus_client
python="$(head -1 "$rollwise_bin" | sed 's/^#!//')"
if ! "$python" -c 'import rollwise, yaml' 2>/dev/null; then
  echo "cannot find the Python that runs $rollwise_bin (its first line: $(head -1 "$rollwise_bin"))" >&2
  exit 2
fi
app_python="$python"
if ! "$python" -c 'import prometheus_client' 2>/dev/null; then
  echo "prometheus_client is missing from rollwise's Python; installing it for the example app into $demo/app-venv"
  "$python" -m venv "$demo/app-venv"
  "$demo/app-venv/bin/pip" install --quiet --disable-pip-version-check prometheus-client
  app_python="$demo/app-venv/bin/python"
fi

# NGINX= or PROMETHEUS= (set and empty) runs the demo without that service, as on a machine without it
if [ -z "${NGINX+set}" ]; then
  NGINX="$(command -v nginx || true)"
  if [ -z "$NGINX" ] && [ -x /usr/sbin/nginx ]; then NGINX=/usr/sbin/nginx; fi
fi
[ -z "${PROMETHEUS+set}" ] && PROMETHEUS="$(command -v prometheus || true)"
nginx_bin="$NGINX"
prometheus_bin="$PROMETHEUS"

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  pids=()
}
trap cleanup EXIT INT TERM

free_port() { "$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_http() {  # url, what
  "$python" - "$1" "$2" <<'EOF'
import sys, time, urllib.request
url, what = sys.argv[1], sys.argv[2]
for _ in range(300):
    try:
        urllib.request.urlopen(url, timeout=1).read()
        sys.exit(0)
    except Exception:
        time.sleep(0.1)
sys.exit(f"{what} did not answer on {url}")
EOF
}

start_stack() {  # name, app environment for the canary...; sets dir, router, entry (declared local by the caller)
  local name="$1"
  shift
  dir="$demo/$name"
  rm -rf "$dir"
  mkdir -p "$dir/nginx/tmp" "$dir/prometheus"
  local baseline canary prom
  baseline="$(free_port)"; canary="$(free_port)"; entry="$(free_port)"; prom="$(free_port)"

  "$app_python" "$examples/app/app.py" --port "$baseline" --track baseline >"$dir/app-baseline.log" 2>&1 &
  pids+=($!)
  env "$@" "$app_python" "$examples/app/app.py" --port "$canary" --track canary >"$dir/app-canary.log" 2>&1 &
  pids+=($!)
  wait_http "http://127.0.0.1:$baseline/healthz" baseline
  wait_http "http://127.0.0.1:$canary/healthz" canary

  router=command
  if [ -n "$nginx_bin" ]; then
    router=nginx
    sed -e "s|@PREFIX@|$dir/nginx|g" -e "s|@PORT@|$entry|g" "$here/nginx.conf.template" >"$dir/nginx/nginx.conf"
    # before the first phase the baseline takes all traffic
    printf 'upstream app {\n    server 127.0.0.1:%s;\n}\nmap $host $rollwise_canary_weight {\n    default "0";\n}\n' \
      "$baseline" >"$dir/nginx/upstream.conf"
    [ "$(id -u)" = 0 ] && sed -i '1i user root;' "$dir/nginx/nginx.conf"
    "$nginx_bin" -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' >"$dir/nginx/nginx.out" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$entry/.rollwise/weight" nginx
  fi

  local source=k6
  if [ -n "$prometheus_bin" ]; then
    source=prometheus
    printf 'global: {scrape_interval: 1s, evaluation_interval: 1s}\nscrape_configs:\n  - job_name: app\n    static_configs: [{targets: ["127.0.0.1:%s", "127.0.0.1:%s"]}]\n' \
      "$baseline" "$canary" >"$dir/prometheus/prometheus.yml"
    "$prometheus_bin" --config.file="$dir/prometheus/prometheus.yml" --storage.tsdb.path="$dir/prometheus/data" \
      --web.listen-address="127.0.0.1:$prom" >"$dir/prometheus/prometheus.log" 2>&1 &
    pids+=($!)
    wait_http "http://127.0.0.1:$prom/-/ready" prometheus
    sleep 2  # a couple of scrapes before the first phase
  fi

  # the example rollwise.yml, pointed at this run's ports and files
  "$python" - "$here/rollwise.yml" "$dir" "$router" "$source" "$baseline" "$canary" "$entry" "$prom" <<'EOF'
import sys
import yaml
src, out, router, source, baseline, canary, entry, prom = sys.argv[1:]
text = open(src).read()
for old, new in (("127.0.0.1:8001", f"127.0.0.1:{baseline}"), ("127.0.0.1:8002", f"127.0.0.1:{canary}"),
                 ("127.0.0.1:8080", f"127.0.0.1:{entry}"), ("127.0.0.1:9090", f"127.0.0.1:{prom}")):
    text = text.replace(old, new)
data = yaml.safe_load(text)
if source == "k6":
    del data["prometheus"]
if router == "command":
    # no nginx: a command "sets" the split; a real setup would call its load balancer here
    data["canary"]["router"] = {"type": "command", "command": f"echo {{weight}} > {out}/weight; cat {out}/weight"}
open(f"{out}/rollwise.yml", "w").write(yaml.safe_dump(data, sort_keys=False))
EOF
  echo "── $name canary: router $router, analyses on $source data"
}

run_scenario() {  # name, expected exit code, app environment for the canary...
  local name="$1" expected="$2"
  shift 2
  local dir router entry
  start_stack "$name" "$@"
  local code=0
  GITHUB_STEP_SUMMARY="$dir/summary.md" "$rollwise_bin" canary run --config "$dir/rollwise.yml" \
    --report "$dir/canary-report.json" --workdir "$dir/k6" || code=$?
  if [ "$router" = nginx ]; then
    "$python" - "http://127.0.0.1:$entry/" <<'EOF'
import collections, sys, urllib.request
seen = collections.Counter(urllib.request.urlopen(sys.argv[1], timeout=5).headers["X-Track"] for _ in range(40))
print("   40 requests through nginx afterwards were served by: " + ", ".join(f"{k} {v}" for k, v in seen.items()))
EOF
  fi
  cleanup
  if [ "$code" != "$expected" ]; then
    echo "the $name canary ended with exit code $code, expected $expected (see $dir)" >&2
    return 1
  fi
}

run_releases() {  # v1 then v2 promoted, then one revert back to v1 and a second one that changes nothing
  local dir router entry
  start_stack releases
  # the deploy command gets the release's commit and version (a real one would deploy that build); the SLOs are
  # trimmed to availability: this part shows releases, the two scenarios above show the gate
  "$python" - "$dir/rollwise.yml" <<'EOF'
import sys
import yaml
data = yaml.safe_load(open(sys.argv[1]))
data["canary"]["commands"]["deploy"] = 'echo "deploying $ROLLWISE_VERSION ($ROLLWISE_SHA)" | tee -a deploys.log'
data["slos"] = [slo for slo in data["slos"] if slo["name"] == "availability"]
open(sys.argv[1], "w").write(yaml.safe_dump(data, sort_keys=False))
EOF
  local version sha
  for version in v1 v2; do
    sha="$(printf '%s' "$version" | sha1sum | cut -c1-40)"
    echo "   rollout of $version ($sha)"
    ROLLWISE_VERSION="$version" ROLLWISE_SHA="$sha" "$rollwise_bin" canary run --config "$dir/rollwise.yml" \
      --environment demo --report "$dir/canary-$version.json" --workdir "$dir/k6" 2>"$dir/rollout-$version.log" \
      || { echo "the $version rollout was not promoted (see $dir/rollout-$version.log)" >&2; cleanup; return 1; }
  done
  "$rollwise_bin" release list --config "$dir/rollwise.yml" --environment demo
  echo "   v2 turns out to be bad: one command goes back to v1"
  GITHUB_STEP_SUMMARY="$dir/revert-summary.md" "$rollwise_bin" release revert --config "$dir/rollwise.yml" \
    --environment demo --reason "demo: v2 is bad" --report "$dir/revert.json" --workdir "$dir/k6" \
    2>"$dir/revert.log" || { echo "the revert failed (see $dir/revert.log)" >&2; cleanup; return 1; }
  sed -n '1,12p' "$dir/revert-summary.md"
  "$rollwise_bin" release list --config "$dir/rollwise.yml" --environment demo
  echo "   a second revert changes nothing:"
  "$rollwise_bin" release revert --config "$dir/rollwise.yml" --environment demo --reason "demo: again" \
    --report "$dir/revert-again.json" 2>&1 | grep 'nothing to revert' || true
  cleanup
}

status=0
run_scenario healthy 0 || status=1
run_scenario regressed 1 APP_EXTRA_LATENCY_MS=14 APP_ERROR_RATE=0.03 || status=1
run_releases || status=1

echo
echo "reports:"
for name in healthy regressed; do
  echo "  $name: $demo/$name/canary-report.json (JSON), $demo/$name/summary.md (job summary with mermaid timeline)"
done
echo "  releases: $demo/releases/revert.json (JSON), $demo/releases/revert-summary.md (job summary of the revert)"
exit $status
