"""Secrets never leave: every command runs once with passwords in every URL it takes, against real services, and
then nothing it wrote or sent — stdout, stderr, JSON and HTML reports, job summary, step outputs, state and audit
files, request bodies to the GitHub API — holds a password. The runner is told to mask each one (``::add-mask::``).

Prometheus is reached as ``http://user:PASSWORD@...`` (it ignores the credentials); Redis and PostgreSQL check
theirs. Each leg also runs once against a closed port, so the error messages are scanned too.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from integration.gate import gate_data

from rollwise.cli import main
from support import services
from support.fake_github import FakeGitHub

PROM_PW = "prom-Pw-7f3a91"
REDIS_PW = "redis-Pw-2b8c44"
PG_PW = "pg-Pw-9d1e05"
TOKEN = "ghs_secret_token_5e6f"
SECRETS = (PROM_PW, REDIS_PW, PG_PW, TOKEN)
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
#: files the tests write as input (they hold the secrets on purpose)
INPUTS = {"canary.yml"}


@pytest.fixture(scope="module")
def world(tmp_path_factory, postgres_server):
    work = tmp_path_factory.mktemp("secrets")
    end = int(time.time() // 60 * 60) - 120
    (work / "series.om").write_text(gate_data.generate(end, scenarios={"healthy": gate_data.SCENARIOS["healthy"]}))
    subprocess.run([services.find_binary("promtool"), "tsdb", "create-blocks-from", "openmetrics",
                    str(work / "series.om"), str(work / "tsdb")], check=True, capture_output=True)
    prometheus = services.start_prometheus(work / "prom", storage=work / "tsdb")
    redis = services.start_redis(work / "redis")
    import redis as redis_py

    redis_py.Redis(port=redis.port).config_set("requirepass", REDIS_PW)
    import psycopg

    role = f"leaky_{uuid.uuid4().hex[:8]}"
    database = services.create_database(postgres_server, f"s_{uuid.uuid4().hex[:8]}").rsplit("/", 1)[1]
    with psycopg.connect(f"host=127.0.0.1 port={postgres_server.port} user=rollwise password=rollwise "
                         "dbname=postgres", autocommit=True) as conn:
        conn.execute(f"CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{PG_PW}'")
    github = FakeGitHub()
    yield {"prom": prometheus, "end": end, "redis": redis, "pg_port": postgres_server.port, "role": role,
           "db": database, "github": github}
    github.close()
    redis.stop()
    prometheus.stop()


@pytest.fixture()
def actions_env(tmp_path, monkeypatch, world):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"sha": "a" * 40}}}))
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
           "GITHUB_OUTPUT": str(tmp_path / "output.txt"), "GITHUB_REPOSITORY": "acme/shop",
           "GITHUB_EVENT_PATH": str(event), "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": world["github"].url,
           "GITHUB_RUN_ID": "1"}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scan(tmp_path: Path, captured, github: FakeGitHub) -> tuple[list[str], str]:
    """Where a secret shows up (outside the runner's mask commands), and the mask commands themselves."""
    masks = "\n".join(line for line in captured.out.splitlines() if line.startswith("::add-mask::"))
    places = {"stdout": "\n".join(line for line in captured.out.splitlines() if not line.startswith("::add-mask::")),
              "stderr": captured.err,
              "github requests": json.dumps([r[:3] for r in github.requests])}
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.name not in INPUTS and path.suffix not in (".py", ".pyc", ".mako", ".ini"):
            places[str(path.relative_to(tmp_path))] = path.read_text(errors="replace")
    leaks = [f"{secret} in {where}" for where, text in places.items() for secret in SECRETS if secret in text]
    return leaks, masks


GATE_CONFIG = """version: rollwise/v1
gate: {min_requests: 100}
slos:
  - name: availability
    sli:
      ratio:
        errors: http_requests_total{code=~"5.."}
        total: http_requests_total
    objective: 99%
"""


def test_gate_and_canary_keep_prometheus_and_github_secrets(world, actions_env, capsys):
    tmp = actions_env
    prom = world["prom"].url.replace("http://", f"http://reader:{PROM_PW}@")
    closed = f"http://reader:{PROM_PW}@127.0.0.1:{services.free_port()}"
    (tmp / "rollwise.yml").write_text(GATE_CONFIG)
    end, start = world["end"], world["end"] - gate_data.WINDOW
    tracks = ["--baseline", '{scenario="healthy",track="baseline"}', "--canary", '{scenario="healthy",track="canary"}']
    assert main(["gate", "--prometheus-url", prom, *tracks, "--start", str(start), "--end", str(end),
                 "--report", "gate.json", "--html", "gate.html", "--github-status", "--github-comment"]) == 0
    assert main(["gate", "--prometheus-url", closed, *tracks, "--start", str(start), "--end", str(end),
                 "--report", "down.json", "--github-comment"]) == 3
    assert main(["gate", "--mode", "budget", "--prometheus-url", prom, "--end", str(end), "--report", "budget.json",
                 "--github-comment"]) in (0, 1, 3)
    (tmp / "canary.yml").write_text(GATE_CONFIG + f"""prometheus: {{url: "{closed}", timeout: 1s, deadline: 2s, retries: 0}}
canary:
  phases: [10, 100]
  analysis: {{warmup: 0s, interval: 300ms, count: 1, inconclusive_limit: 1, on_inconclusive: hold}}
  router: {{type: command, command: "echo {{weight}} > weight"}}
  state_file: state.json
""")
    assert main(["canary", "run", "--config", "canary.yml", "--report", "canary.json"]) == 3
    assert main(["canary", "rollback", "--state-file", "state.json", "--report", "rollback.json"]) == 0
    leaks, masks = _scan(tmp, capsys.readouterr(), world["github"])
    assert leaks == []
    assert PROM_PW in masks and TOKEN in masks
    assert any("/graph?" in r[2]["body"] for r in world["github"].requests if r[2] and "body" in r[2])


def test_migrate_keeps_database_passwords(world, actions_env, capsys):
    tmp = actions_env
    project = tmp / "project"
    shutil.copytree(EXAMPLES / "migrate", project, ignore=shutil.ignore_patterns("__pycache__", "*.db"))
    ini = str(project / "alembic.ini")
    url = f"postgresql+psycopg://{world['role']}:{PG_PW}@127.0.0.1:{world['pg_port']}/{world['db']}"
    down = f"postgresql+psycopg://{world['role']}@127.0.0.1:{services.free_port()}/x?password={PG_PW}"
    assert main(["migrate", "lint", "--alembic-config", ini, "--database-url", url, "--range", "base:head",
                 "--report", "lint.json", "--github-comment", "--github-status"]) in (0, 1)
    assert main(["migrate", "apply", "--alembic-config", ini, "--database-url", url, "--report", "apply.json",
                 "--backup-dir", str(tmp / "backups")]) == 0
    assert main(["migrate", "rollback", "--alembic-config", ini, "--database-url", url, "--to", "0004",
                 "--report", "rollback.json", "--backup-dir", str(tmp / "backups")]) == 0
    assert main(["migrate", "plan", "--alembic-config", ini, "--database-url", down, "--report", "plan.json"]) in (2, 3)
    assert main(["migrate", "apply", "--alembic-config", ini, "--database-url", down, "--report", "down.json",
                 "--backup-dir", str(tmp / "backups")]) in (2, 3)
    leaks, masks = _scan(tmp, capsys.readouterr(), world["github"])
    assert leaks == []
    assert PG_PW in masks


def test_flags_keep_redis_passwords(world, actions_env, capsys, monkeypatch):
    tmp = actions_env
    store = f"redis://:{REDIS_PW}@127.0.0.1:{world['redis'].port}/0"
    down = f"redis://127.0.0.1:{services.free_port()}/0?password={REDIS_PW}"
    flags = str(EXAMPLES / "flags" / "flags.yml")
    audit = ["--actor", "ci", "--reason", "test"]
    assert main(["flags", "sync", "--store", store, "--file", flags, "--report", "sync.json", *audit]) == 0
    assert main(["flags", "kill", "payments-v2", "--store", store, "--report", "kill.json", *audit]) == 0
    assert main(["flags", "get", "payments-v2", "--store", store]) == 0
    assert main(["flags", "history", "--store", store, "--report", "history.json"]) == 0
    assert main(["flags", "kill", "payments-v2", "--store", down, "--report", "down.json", *audit]) == 3
    assert main(["flags", "run-schedule", "--store", store, "--dry-run", "--report", "schedule.json"]) == 0
    assert main(["flags", "run-schedule", "--store", down, "--report", "schedule-down.json"]) == 3
    (tmp / "app.py").write_text("from rollwise.flags import FlagClient\nFlagClient.connect('x').evaluate('payments-v2', {}, False)\n")
    assert main(["flags", "check", "--file", flags, "--root", str(tmp), "--store", store, "--report", "check.json"]) in (0, 1)
    # a canary whose kill switch names the store with its password: the state file (an artifact) must not keep it
    (tmp / "canary.yml").write_text(GATE_CONFIG + f"""prometheus: {{url: "http://127.0.0.1:{services.free_port()}",
  timeout: 1s, deadline: 2s, retries: 0}}
canary:
  phases: [10, 100]
  analysis: {{warmup: 0s, interval: 300ms, count: 1, inconclusive_limit: 1, on_inconclusive: hold}}
  router: {{type: command, command: "echo {{weight}} > weight"}}
  kill_switch: {{store: "{store}", flags: [new-checkout]}}
  state_file: state.json
""")
    assert main(["canary", "run", "--config", "canary.yml", "--report", "canary.json"]) == 3
    monkeypatch.setenv("ROLLWISE_FLAGS_STORE", store)  # the secret, as the workflow passes it
    assert main(["canary", "rollback", "--state-file", "state.json", "--report", "rollback.json"]) == 0
    assert main(["flags", "history", "new-checkout", "--store", store, "--report", "after.json"]) == 0
    assert "rollwise-canary" in (tmp / "after.json").read_text()  # the kill switch reached the store
    leaks, masks = _scan(tmp, capsys.readouterr(), world["github"])
    assert leaks == []
    assert REDIS_PW in masks
