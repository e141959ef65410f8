"""Faults a careless exporter or config brings to `rollwise gate`, on a real Prometheus: never a decision from them.

One Prometheus holds scenarios built like gate_data's, then bent: an errors selector on a label the metric does not
have, a NaN sample, swapped good/total selectors, a rollwise.yml with NaN or a duplicate key, and a server whose
answer is far too large.
"""

from __future__ import annotations

import json
import re
import subprocess
import threading
import time
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from rollwise.cli import main
from support import services

import gate_data

BAD = replace(gate_data.BASE, error_ratio=1 / 6)  # 16.7 % errors
SCENARIOS = {
    "bad_canary": {"baseline": (gate_data.BASE, gate_data.BASE), "canary": (gate_data.BASE, BAD)},
    "renamed_label": {"baseline": (gate_data.BASE, gate_data.BASE), "canary": (gate_data.BASE, BAD)},
    "nan_errors": {"baseline": (gate_data.BASE, gate_data.BASE), "canary": (gate_data.BASE, BAD)},
    "healthy": {"baseline": (gate_data.BASE, gate_data.BASE), "canary": (gate_data.BASE, gate_data.BASE)},
}


def _bend(text: str, end: int) -> str:
    """The canary of renamed_label labels status codes `status`; nan_errors' canary exports one NaN error sample."""
    nan_at = end  # the last sample: increase() over the window reads it
    out = []
    for line in text.splitlines():
        if 'scenario="renamed_label",track="canary"' in line:
            line = line.replace(",code=", ",status=")
        if 'scenario="nan_errors",track="canary",code="500"' in line and line.endswith(f" {nan_at}"):
            line = re.sub(r"\} \S+ ", "} NaN ", line)
        out.append(line)
    return "\n".join(out) + "\n"


@pytest.fixture(scope="module")
def prom(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("gate-faults")
    end = int(time.time() // 60 * 60) - 120
    source = workdir / "series.om"
    source.write_text(_bend(gate_data.generate(end, scenarios=SCENARIOS), end))
    storage = workdir / "tsdb"
    subprocess.run([services.find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics", str(source),
                    str(storage)], check=True, capture_output=True)
    service = services.start_prometheus(workdir, storage=storage)
    yield service.url, end
    service.stop()


CONFIG = """version: rollwise/v1
gate:
  alpha: {alpha}
  min_requests: 200
slos:
  - name: availability
    sli:
      ratio:
{sli}
    objective: 99.5%
    critical: true
"""
ERRORS_BY_CODE = '        errors: http_requests_total{job="api",code=~"5.."}\n        total: http_requests_total{job="api"}'
ERRORS_BY_STATUS = '        errors: http_requests_total{job="api",status=~"5.."}\n        total: http_requests_total{job="api"}'
SWAPPED_GOOD = '        good: http_requests_total{job="api"}\n        total: http_requests_total{job="api",code="200"}'


def gate(tmp_path, prom, scenario: str, config: str, *extra: str) -> tuple[int, dict, str]:
    url, end = prom
    path = tmp_path / "rollwise.yml"
    path.write_text(config)
    report = tmp_path / "report.json"
    code = main(["gate", "--config", str(path), "--prometheus-url", url,
                 "--baseline", f'{{scenario="{scenario}",track="baseline"}}',
                 "--canary", f'{{scenario="{scenario}",track="canary"}}',
                 "--start", str(end - gate_data.WINDOW), "--end", str(end), "--report", str(report), *extra])
    return code, (json.loads(report.read_text()) if report.exists() else {}), path.name


def test_config_control_the_bad_canary_is_rolled_back(tmp_path, prom):
    code, report, _ = gate(tmp_path, prom, "bad_canary", CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE))
    assert (code, report["decision"]) == (1, "rollback")


def test_missing_label_selector_is_a_config_error_not_proceed(tmp_path, prom, capsys):
    """The exporter labels status codes `code`, the config says `status`: 16.7 % errors must not pass."""
    code, report, name = gate(tmp_path, prom, "bad_canary", CONFIG.format(alpha=0.05, sli=ERRORS_BY_STATUS))
    err = capsys.readouterr().err
    assert code == 2 and report == {}
    assert f"{name}:" in err and "slos[0].sli.ratio.errors" in err and "label status" in err


def test_missing_label_on_the_canary_only_is_inconclusive_naming_it(tmp_path, prom):
    code, report, _ = gate(tmp_path, prom, "renamed_label", CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE))
    assert (code, report["decision"]) == (3, "inconclusive")
    assert report["slos"][0]["reason_code"] == "missing_label" and "label code" in report["reason"]


def test_nan_sample_from_the_exporter_is_unusable_data(tmp_path, prom):
    code, report, _ = gate(tmp_path, prom, "nan_errors", CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE))
    assert (code, report["decision"]) == (3, "inconclusive"), report["reason"]
    assert report["slos"][0]["reason_code"] == "unusable_data" and "NaN" in report["reason"]


def test_negative_counts_from_swapped_selectors_are_unusable_data(tmp_path, prom):
    code, report, _ = gate(tmp_path, prom, "bad_canary", CONFIG.format(alpha=0.05, sli=SWAPPED_GOOD))
    assert (code, report["decision"]) == (3, "inconclusive"), report["reason"]
    assert report["slos"][0]["reason_code"] == "unusable_data"


@pytest.mark.parametrize("alpha", [".nan", ".inf"])
def test_nonfinite_config_number_is_exit_2_not_a_decision(tmp_path, prom, capsys, alpha):
    code, report, name = gate(tmp_path, prom, "bad_canary", CONFIG.format(alpha=alpha, sli=ERRORS_BY_CODE))
    assert (code, report) == (2, {})
    assert f"{name}:3: gate.alpha" in capsys.readouterr().err


def test_duplicate_key_config_is_exit_2_naming_both_lines(tmp_path, prom, capsys):
    # the second `critical:` would silently make the availability SLO non-critical
    config = CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE) + "    critical: false\n"
    code, report, name = gate(tmp_path, prom, "bad_canary", config)
    err = capsys.readouterr().err
    assert (code, report) == (2, {})
    assert f"{name}:13: slos[0].critical" in err and "lines 12 and 13" in err


@pytest.mark.parametrize("option,value", [("--end", "nan"), ("--window", "inf"), ("--warmup", "-1m"),
                                          ("--step", "nan")])
def test_nonfinite_option_is_exit_2(tmp_path, prom, capsys, option, value):
    url, end = prom
    report = tmp_path / "r.json"
    path = tmp_path / "rollwise.yml"
    path.write_text(CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE))
    args = ["gate", "--config", str(path), "--prometheus-url", url, "--baseline", '{track="baseline"}',
            "--canary", '{track="canary"}', "--report", str(report), option, value]
    if option != "--window":
        args += ["--window", "10m"]
    assert main(args) == 2 and not report.exists()
    assert option in capsys.readouterr().err


def test_oversized_answer_is_inconclusive_and_never_read_whole(tmp_path, prom):
    """A server streaming 100 MB: the gate stops reading at its limit and says inconclusive."""
    sent = {"bytes": 0}
    chunk = b"x" * 65536

    class Huge(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.endswith("/labels"):
                body = b'{"status":"success","data":[]}'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()  # no Content-Length: the client must count as it reads
            try:
                for _ in range(100 * 2**20 // len(chunk)):
                    self.wfile.write(chunk)
                    sent["bytes"] += len(chunk)
            except OSError:
                pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Huge)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _, end = prom
        code, report, _ = gate(tmp_path, (f"http://127.0.0.1:{server.server_address[1]}", end), "healthy",
                               CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE))
    finally:
        server.shutdown()
        server.server_close()
    assert (code, report["decision"]) == (3, "inconclusive")
    assert "more than 32 MiB" in report["reason"]
    assert sent["bytes"] < 100 * 2**20


def _pr_checks_selector(repo_root) -> str:
    import yaml

    workflow = yaml.safe_load((repo_root / "examples/workflows/pr-checks.yml").read_text())
    step = next(s for s in workflow["jobs"]["error-budget"]["steps"] if "slo-gate" in s.get("uses", ""))
    return step["with"]["selector"]


def budget(tmp_path, prom, config, selector: str) -> tuple[int, dict]:
    """`rollwise gate --mode budget` with ``config`` (a path, or the text of one) at the end of the data."""
    url, end = prom
    if not isinstance(config, Path):
        (tmp_path / "rollwise.yml").write_text(config)
        config = tmp_path / "rollwise.yml"
    report = tmp_path / "budget.json"
    code = main(["gate", "--mode", "budget", "--config", str(config), "--prometheus-url", url, "--selector", selector,
                 "--end", str(end), "--report", str(report)])
    return code, (json.loads(report.read_text()) if report.exists() else {})


def test_shipped_example_config_and_pr_checks_selector_agree(repo_root, tmp_path, prom, capsys):
    code, report = budget(tmp_path, prom, repo_root / "examples/gate/rollwise.yml", _pr_checks_selector(repo_root))
    assert code in (0, 1, 3) and report, capsys.readouterr().err


def test_budget_selector_that_contradicts_the_slo_is_exit_2(repo_root, tmp_path, prom, capsys):
    code, report = budget(tmp_path, prom, repo_root / "examples/gate/rollwise.yml", '{job="shop"}')
    err = capsys.readouterr().err
    assert (code, report) == (2, {})
    assert "rollwise.yml:" in err and "--selector" in err and "already matches on job" in err


@pytest.mark.parametrize("url", ["ftp://prometheus:9090", "http://[::1", "http://127.0.0.1:99999", "http://"])
def test_malformed_prometheus_url_is_exit_2_at_once(tmp_path, prom, capsys, url):
    _, end = prom
    code, report, _ = gate(tmp_path, (url, end), "healthy", CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE))
    assert (code, report) == (2, {})
    assert "--prometheus-url" in capsys.readouterr().err


def test_missing_label_selector_in_budget_mode_is_a_config_error(tmp_path, prom, capsys):
    code, report = budget(tmp_path, prom, CONFIG.format(alpha=0.05, sli=ERRORS_BY_STATUS), '{scenario="bad_canary"}')
    err = capsys.readouterr().err
    assert (code, report) == (2, {})
    assert "slos[0].sli.ratio.errors" in err and "label status" in err


def test_nan_sample_in_budget_mode_is_inconclusive_not_a_full_budget(tmp_path, prom):
    code, report = budget(tmp_path, prom, CONFIG.format(alpha=0.05, sli=ERRORS_BY_CODE),
                          '{scenario="nan_errors",track="canary"}')
    assert (code, report["decision"]) == (3, "inconclusive"), report["reason"]
    assert "NaN" in report["reason"]
