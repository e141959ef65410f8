"""Benchmark `rollwise gate`: 20 SLOs over a 30-minute window on a real Prometheus, end to end (start-up and
imports included), against the fetch floor (a bare httpx script sending the same queries all at once) and
prometheus-api-client sending them one by one; on plain loopback and through a proxy adding 50 ms per response.
rollwise batches a judgement's queries into a few requests (``label_replace(...) or ...``), so it can beat the
one-request-per-query floor.

    .venv/bin/python benchmarks/gate.py [--runs 5]

Targets: judgement < 1 s on loopback; through the proxy, rollwise's fetch within 1.3x of the floor and at least
5x faster than prometheus-api-client one by one; peak RSS < 100 MiB. Not part of the test run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "integration" / "gate")]

from support import services  # noqa: E402

import gate_data  # noqa: E402  (the scenario generator the integration tests use)

DELAY = 0.050
ROLLWISE = str(Path(sys.executable).parent / "rollwise")


def slo_config(path: Path) -> None:
    """20 SLOs: 8 ratios, 8 quantiles, 4 slow-request shares, all on the `healthy` scenario's series."""
    lines = ["version: rollwise/v1", "gate: {min_requests: 100}", "slos:"]
    for i in range(8):
        lines += [f"  - name: availability-{i}", "    sli:", "      ratio:",
                  f'        errors: http_requests_total{{job="api",code=~"5..",i!="{i}"}}',
                  f'        total: http_requests_total{{job="api",i!="{i}"}}', f"    objective: {99 - i * 0.1:.1f}"]
    for i in range(8):
        lines += [f"  - name: latency-p{50 + i * 6}", "    sli:", "      latency:",
                  f'        histogram: http_request_duration_seconds{{job="api",i!="{i}"}}',
                  f"        quantile: {0.50 + i * 0.06:.2f}", "    objective: {max: 2s}"]
    for i, bound in enumerate(("0.3", "0.5", "1", "2.5")):
        lines += [f"  - name: slow-{bound}", "    sli:", "      latency:",
                  '        histogram: http_request_duration_seconds{job="api"}', f"        slower_than: {bound}s",
                  "    objective: 95"]
    path.write_text("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------------------------- delay proxy


def _proxy(port: int, upstream: int, delay: float, ready) -> None:
    """A TCP proxy that holds back each response's first bytes by ``delay`` (a remote Prometheus)."""

    async def pipe(reader, writer, request_seen: asyncio.Event | None, delayed: asyncio.Event | None) -> None:
        try:
            while data := await reader.read(65536):
                if delayed is not None and request_seen.is_set():
                    request_seen.clear()
                    await asyncio.sleep(delay)
                if delayed is None and request_seen is not None:
                    request_seen.set()
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def handle(client_reader, client_writer) -> None:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", upstream)
        seen = asyncio.Event()
        await asyncio.gather(pipe(client_reader, server_writer, seen, None),
                             pipe(server_reader, client_writer, seen, seen))

    async def serve() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=1024)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


# ----------------------------------------------------------------------------------------------- measurements


BREAKDOWN = r"""
import time, json, sys, asyncio
t0 = time.perf_counter()
import click, rollwise.cli
import rollwise.gate.cli, rollwise.gate.config, rollwise.gate.service, rollwise.gate.report, rollwise.templating
import httpx, jinja2, jsonschema, yaml, promql_parser
t1 = time.perf_counter()
from rollwise.gate.config import load_config
from rollwise.gate.adapters.prometheus import PrometheusSource
from rollwise.gate.model import judge as core
from rollwise.gate import service
from rollwise.gate.report import render_markdown
config_path, url, start, end = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
config = load_config(config_path)
t2 = time.perf_counter()
source = PrometheusSource.from_config(config.prometheus, url)
window = core.Window(start + config.policy.warmup, end)
step = service.auto_step(window.seconds, source.rate_window(0.0))
async def fetch():
    jobs = [source.measure(s, tr, window, step) for s in config.slos for tr in ('{scenario="healthy",track="canary"}', '{scenario="healthy",track="baseline"}')]
    out = await asyncio.gather(*jobs)
    await source.aclose()
    return out
out = asyncio.run(fetch())
t3 = time.perf_counter()
data = {s.name: (out[2 * i], out[2 * i + 1], None) for i, s in enumerate(config.slos)}
result = core.judge(list(config.slos), data, config.policy, window, baseline="b", canary="c", step=step)
t4 = time.perf_counter()
markdown = render_markdown(result); text = json.dumps(result.to_dict())
t5 = time.perf_counter()
print(json.dumps({"imports": t1 - t0, "config": t2 - t1, "fetch": t3 - t2, "judge": t4 - t3, "render": t5 - t4,
                  "queries": source.queries_sent, "decision": result.decision}))
"""


def run_rollwise(config: Path, url: str, start: int, end: int, report: Path) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MiB) and exit code of one `rollwise gate` process."""
    args = [ROLLWISE, "gate", "--config", str(config), "--prometheus-url", url,
            "--baseline", '{scenario="healthy",track="baseline"}', "--canary", '{scenario="healthy",track="canary"}',
            "--start", str(start), "--end", str(end), "--report", str(report)]
    began = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "GITHUB_STEP_SUMMARY": os.devnull})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, process.returncode


def queries_of(report: dict, start: float, end: float, step: float, rate_window: float) -> list[tuple]:
    """The requests rollwise sent, from its report: instant queries at the end, the last of each track a range."""
    out = []
    for slo in report["slos"]:
        for track in ("canary", "baseline"):
            qs = slo[track]["queries"]
            out += [("instant", q) for q in qs[:-1]] + [("range", qs[-1])]
    return out


async def bare_fetch(url: str, queries: list[tuple], end: float, range_start: float, step: float) -> float:
    import httpx

    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=None, max_keepalive_connections=None)) as client:
        began = time.perf_counter()

        async def one(kind, q):
            if kind == "instant":
                r = await client.post(f"{url}/api/v1/query", data={"query": q, "time": end})
            else:
                r = await client.post(f"{url}/api/v1/query_range",
                                      data={"query": q, "start": range_start, "end": end, "step": step})
            r.raise_for_status()

        await asyncio.gather(*(one(k, q) for k, q in queries))
        return time.perf_counter() - began


def pac_fetch(url: str, queries: list[tuple], end: float, range_start: float, step: float) -> float:
    from datetime import datetime, timezone

    from prometheus_api_client import PrometheusConnect

    prom = PrometheusConnect(url, disable_ssl=True)
    began = time.perf_counter()
    for kind, q in queries:
        if kind == "instant":
            prom.custom_query(q, params={"time": end})
        else:
            prom.custom_query_range(q, datetime.fromtimestamp(range_start, tz=timezone.utc),
                                    datetime.fromtimestamp(end, tz=timezone.utc), f"{step:g}s")
    return time.perf_counter() - began


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="rollwise-bench-gate-"))
    end = int(time.time() // 60 * 60) - 120
    start = end - gate_data.WINDOW
    (work / "series.om").write_text(gate_data.generate(end, scenarios={"healthy": gate_data.SCENARIOS["healthy"]}))
    subprocess.run([services.find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics",
                    str(work / "series.om"), str(work / "tsdb")], check=True, capture_output=True)
    prometheus = services.start_prometheus(work / "prom", storage=work / "tsdb")
    proxy_port = free_port()
    ready = multiprocessing.Event()
    proxy = multiprocessing.Process(target=_proxy, args=(proxy_port, prometheus.port, DELAY, ready), daemon=True)
    proxy.start()
    ready.wait(10)
    config = work / "rollwise.yml"
    slo_config(config)
    startup = statistics.median(
        _timed([sys.executable, "-c", "pass"]) for _ in range(args.runs))
    print(f"rollwise gate: 20 SLOs, 30-minute window, real Prometheus; {args.runs} runs, medians; "
          f"{os.cpu_count()} CPUs")
    print(f"python start-up (python -c pass): {startup * 1000:.0f} ms\n")
    ok = True
    try:
        for label, url in (("loopback", prometheus.url), (f"proxy +{DELAY * 1000:.0f} ms", f"http://127.0.0.1:{proxy_port}")):
            report = work / "report.json"
            runs = [run_rollwise(config, url, start, end, report) for _ in range(args.runs)]
            wall = statistics.median(r[0] for r in runs)
            rss = max(r[1] for r in runs)
            codes = {r[2] for r in runs}
            payload = json.loads(report.read_text())
            step = payload["window"]["step_seconds"]
            rate_window = max(step, 60)
            analysis_start = start + payload["window"]["warmup_seconds"]
            queries = queries_of(payload, analysis_start, end, step, rate_window)
            phases = [json.loads(subprocess.run([sys.executable, "-c", BREAKDOWN, str(config), url, str(start),
                                                 str(end)], capture_output=True, text=True, check=True).stdout)
                      for _ in range(args.runs)]
            phase = {k: statistics.median(p[k] for p in phases) for k in ("imports", "config", "fetch", "judge",
                                                                          "render")}
            range_start = min(analysis_start + rate_window, end)
            floor = statistics.median(asyncio.run(bare_fetch(url, queries, end, range_start, step))
                                      for _ in range(args.runs))
            pac = statistics.median(pac_fetch(url, queries, end, range_start, step) for _ in range(min(3, args.runs)))
            print(f"== {label}: exit codes {sorted(codes)}, decision {payload['decision']}, {len(queries)} queries "
                  f"(rollwise sends them in {phases[0]['queries']} HTTP requests; the others one request each)")
            print(f"   rollwise gate end to end   {wall * 1000:7.0f} ms   peak RSS {rss:.0f} MiB")
            print(f"     start-up {startup * 1000:.0f} ms, imports {phase['imports'] * 1000:.0f} ms, config "
                  f"{phase['config'] * 1000:.0f} ms, fetch {phase['fetch'] * 1000:.0f} ms, judge "
                  f"{phase['judge'] * 1000:.0f} ms, render {phase['render'] * 1000:.0f} ms")
            print(f"   bare httpx, all at once    {floor * 1000:7.0f} ms   (fetch floor)")
            print(f"   prometheus-api-client, 1x1 {pac * 1000:7.0f} ms")
            print(f"   rollwise fetch / floor     {phase['fetch'] / floor:7.2f}x")
            print(f"   prometheus-api-client / rollwise fetch {pac / phase['fetch']:5.1f}x\n")
            if label == "loopback":
                ok &= _target("judgement under 1 s on loopback", wall < 1.0, f"{wall:.2f} s")
            else:
                ok &= _target("fetch within 1.3x of the floor", phase["fetch"] <= 1.3 * floor,
                              f"{phase['fetch'] / floor:.2f}x")
                ok &= _target("5x faster than prometheus-api-client", pac >= 5 * phase["fetch"],
                              f"{pac / phase['fetch']:.1f}x")
            ok &= _target(f"peak RSS under 100 MiB ({label})", rss < 100, f"{rss:.0f} MiB")
    finally:
        proxy.terminate()
        prometheus.stop()
    return 0 if ok else 1


def _timed(cmd: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(cmd, check=True)
    return time.perf_counter() - began


def _target(name: str, met: bool, value: str) -> bool:
    print(f"   target {'met' if met else 'MISSED'}: {name}: {value}")
    return met


if __name__ == "__main__":
    sys.exit(main())
