"""An internal error (an unexpected exception, exit 4) run the way a runner runs the actions and the reusable
workflows: the step fails, ``decision`` is ``error``, the traceback sits in a collapsed log group, traffic and the
database are back in their safe state, and nothing downstream reads the crash as a rollback.

The exception is injected without touching rollwise: a ``sitecustomize.py`` on ``PYTHONPATH`` (which reaches the
python of the venv that scripts/bootstrap.sh creates) replaces the named service functions with one that raises.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from support.actionrunner import ActionResult, checkout, run_action, run_workflow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "canary"))
import canary_stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ROLLWISE = Path(sys.executable).parent / "rollwise"

SITECUSTOMIZE = '''\
import importlib
import os


def _crash(*args, **kwargs):
    raise RuntimeError("injected")


for _target in filter(None, os.environ.get("CRASH_AT", "").split(",")):
    _module, _, _name = _target.partition(":")
    try:
        _owner = importlib.import_module(_module)
    except ImportError:  # a python without rollwise (the one bootstrap.sh checks the version of)
        continue
    *_path, _last = _name.split(".")
    for _part in _path:
        _owner = getattr(_owner, _part)
    setattr(_owner, _last, _crash)
'''

GATE = "rollwise.gate.model.judge:judge"  # after both tracks were read from Prometheus
CANARY = "rollwise.canary.model.policy:after_analysis"  # phase 1 at weight 10, right after its first judgement
MIGRATE = "rollwise.migrate.service:run_verify"  # every revision applied, before the verify command
FLAGS = "rollwise.flags.service:_check_change"  # the flag read from the store, before the write


@pytest.fixture(scope="module")
def crash_env(tmp_path_factory):
    """``crash_env(*targets)``: the process environment of a runner whose rollwise raises at ``targets``."""
    site = tmp_path_factory.mktemp("crash-site")
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)

    def make(*targets: str) -> dict[str, str]:
        path = os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))
        return {**os.environ, "PYTHONPATH": path, "CRASH_AT": ",".join(targets)}

    return make


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A runner workspace: the service (alembic project, flags.yml) with rollwise checked out into .rollwise/."""
    root = tmp_path_factory.mktemp("crash-workspace")
    checkout(ROOT, root / ".rollwise")
    app = root / "service"
    app.mkdir()
    shutil.copy(ROOT / "examples" / "migrate" / "alembic.ini", app)
    shutil.copytree(ROOT / "examples" / "migrate" / "migrations", app / "migrations",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "examples" / "flags" / "flags.yml", app)
    return root


@pytest.fixture(scope="module")
def stack(workspace):
    """nginx in front of the example app (baseline and canary) and Prometheus; service/rollwise.yml points at them.
    No k6 warm-up and short analyses, so the injected crash comes within seconds of phase 1."""
    built = canary_stack.build(workspace / "service" / "canary", overrides={"analysis": {"interval": "1s"}})
    data = canary_stack.yaml.safe_load(built.config.read_text())
    del data["canary"]["warmup"]
    config = workspace / "service" / "rollwise.yml"
    config.write_text(canary_stack.yaml.safe_dump(data, sort_keys=False))
    built.config.unlink()
    built.config = config
    yield built
    built.stop()


def database(workspace: Path, name: str) -> str:
    """A SQLite database of the example project at revision 0003, with rows in it."""
    url = f"sqlite:///{workspace / 'service' / name}"
    subprocess.run([str(ROLLWISE), "migrate", "apply", "--alembic-config", str(workspace / "service" / "alembic.ini"),
                    "--database-url", url, "--to", "0003", "--no-backup"], check=True, capture_output=True)
    with sqlite3.connect(workspace / "service" / name) as db:
        db.executemany("INSERT INTO users (id, email, name, plan_id) VALUES (?, ?, ?, 1)",
                       [(i, f"u{i}@example.com", f"User {i}") for i in range(1, 31)])
    return url


def dump(path: Path) -> list[str]:
    """Every schema statement and row of a SQLite database, to compare states exactly."""
    with sqlite3.connect(path) as db:
        return list(db.iterdump())


def traceback_group(log: str, command: str) -> str:
    start = log.index(f"::group::rollwise {command}: traceback")
    return log[start:log.index("::endgroup::", start)]


def assert_internal_error(result: ActionResult, command: str, decision: bool = True, exit_output: bool = True):
    """A failed step that says internal error, never rollback."""
    assert result.exit_code == 1, result.log[-3000:]
    assert result.step("run").exit_code == 4, result.log[-3000:]
    if decision:
        assert result.outputs["decision"] == "error"
    if exit_output:
        assert result.outputs["exit-code"] == "4"
    assert "rollback" not in result.outputs.values()
    group = traceback_group(result.log, command)
    assert "Traceback (most recent call last)" in group and "RuntimeError: injected" in group
    assert any(level == "error" and "rollwise internal error" in props and f"internal error in `rollwise {command}`"
               in message and "not a verdict on your release" in message for level, props, message in result.annotations)
    # the headline of a summary (when the command wrote one) is the decision, error; nothing reads as a rollback
    headings = [line for line in result.summary.splitlines() if line.startswith("#")]
    assert not headings or headings[0].endswith(": error"), result.summary
    assert not any(re.search(r"(?i)rollback|rolled|⏪|↩️", heading) for heading in headings), headings


def test_slo_gate_crash_is_a_failed_step(repo_root, workspace, stack, crash_env):
    result = run_action(repo_root / "actions" / "slo-gate", {
        "config": str(stack.config), "prometheus-url": stack.prometheus.url, "window": "1m", "warmup": "0s",
        "report": str(workspace / "gate.json")}, env=crash_env(GATE), workdir=workspace)
    assert_internal_error(result, "gate")
    assert result.outputs["score"] == ""


def test_canary_deploy_returns_traffic_to_the_baseline(repo_root, workspace, stack, crash_env):
    report = workspace / "canary.json"
    result = run_action(repo_root / "actions" / "canary-deploy", {"config": str(stack.config), "report": str(report)},
                        env=crash_env(CANARY), workdir=workspace, timeout=120)
    assert_internal_error(result, "canary run", exit_output=False)
    assert result.summary.startswith("## 💥 canary-deploy: error\n")
    assert "canary: internal error, returning traffic to the baseline" in result.log
    assert stack.weight() == "0" and stack.tracks_served(20) == {"baseline": 20}
    data = json.loads(report.read_text())
    assert data["decision"] == "error" and data["phases"][0]["weight_set"] == 10
    assert json.loads((stack.workdir / "state.json").read_text())["weight"] == 0


def test_safe_migrate_ends_at_the_start_revision_with_equal_checksums(repo_root, workspace, crash_env, tmp_path):
    url = database(workspace, "migrate.db")
    before = dump(workspace / "service" / "migrate.db")
    result = run_action(repo_root / "actions" / "safe-migrate", {
        "command": "apply", "database-url": url, "verify": "true", "backup-dir": str(tmp_path / "backups"),
        "report": str(tmp_path / "migrate.json"), "working-directory": "service"},
        env=crash_env(MIGRATE), workdir=workspace)
    assert_internal_error(result, "migrate apply")
    assert result.summary.startswith("## 💥 safe-migrate apply: error\n")
    assert result.outputs["from-revision"] == "0003" and result.outputs["to-revision"] == "0003"
    assert dump(workspace / "service" / "migrate.db") == before
    report = json.loads((tmp_path / "migrate.json").read_text())
    assert report["decision"] == "error" and report["integrity"] and all(c["ok"] for c in report["integrity"])


def test_flag_toggle_leaves_the_store_unchanged(repo_root, workspace, redis_server, crash_env):
    subprocess.run([str(ROLLWISE), "flags", "sync", "--store", redis_server.url, "--file",
                    str(workspace / "service" / "flags.yml")], check=True, capture_output=True)
    before = json.loads(subprocess.run([str(ROLLWISE), "flags", "get", "new-checkout", "--store", redis_server.url],
                                       check=True, capture_output=True, text=True).stdout)
    result = run_action(repo_root / "actions" / "flag-toggle", {
        "command": "kill", "store": redis_server.url, "flag": "new-checkout", "working-directory": "service"},
        env=crash_env(FLAGS), workdir=workspace)
    assert_internal_error(result, "flags kill")
    after = json.loads(subprocess.run([str(ROLLWISE), "flags", "get", "new-checkout", "--store", redis_server.url],
                                      check=True, capture_output=True, text=True).stdout)
    assert after == before


def test_root_action_passes_exit_4_through(repo_root, workspace, crash_env):
    before = (workspace / "service" / "flags.yml").read_text()
    result = run_action(repo_root, {"args": "flags kill new-checkout --store file://flags.yml",
                                    "working-directory": "service"}, env=crash_env(FLAGS), workdir=workspace)
    assert_internal_error(result, "flags kill", decision=False)
    assert (workspace / "service" / "flags.yml").read_text() == before


def test_progressive_delivery_stops_at_a_crashed_migration(workspace, crash_env):
    url = database(workspace, "deploy.db")
    before = dump(workspace / "service" / "deploy.db")
    jobs = run_workflow(
        WORKFLOWS / "progressive-delivery.yml", workdir=workspace, env=crash_env(MIGRATE),
        inputs={"environment": "staging", "rollwise-repository": "acme/rollwise", "working-directory": "service",
                "alembic-config": "alembic.ini", "migrate-verify": "true", "approval-environment": "staging-approval"},
        secrets={"database-url": url})
    migrate = jobs["migrate"]
    assert migrate.exit_code == 1, migrate.log[-3000:]
    assert migrate.step("lint").outcome == "success"
    assert (migrate.step("apply").outputs["decision"], migrate.step("apply").outputs["exit-code"]) == ("error", "4")
    assert migrate.outputs["to-revision"] == "0003"
    assert "## 💥 safe-migrate apply: error" in migrate.summary
    assert dump(workspace / "service" / "deploy.db") == before
    # a failed migration job: no canary starts and nobody is asked to approve anything
    assert jobs["canary"] is None and jobs["decide-hold"] is None


def test_progressive_delivery_crashed_canary_is_not_sent_for_approval(workspace, stack, crash_env):
    jobs = run_workflow(
        WORKFLOWS / "progressive-delivery.yml", workdir=workspace, env=crash_env(CANARY),
        inputs={"environment": "staging", "rollwise-repository": "acme/rollwise", "working-directory": "service",
                "approval-environment": "staging-approval"},
        github={"token": ""})  # releases go to the local ledger
    assert jobs["migrate"] is None and jobs["flags"] is None
    canary = jobs["canary"]
    assert canary.exit_code == 1, canary.log[-3000:]
    assert canary.outputs["decision"] == "error"  # the workflow's own decision output
    assert "RuntimeError: injected" in traceback_group(canary.log, "canary run")
    assert jobs["decide-hold"] is None
    assert stack.weight() == "0"


def test_rollback_workflow_reports_crashed_parts_as_failed_not_undone(workspace, stack, redis_server, crash_env):
    url = database(workspace, "rollback.db")
    before = dump(workspace / "service" / "rollback.db")
    subprocess.run([str(ROLLWISE), "flags", "sync", "--store", redis_server.url, "--file",
                    str(workspace / "service" / "flags.yml")], check=True, capture_output=True)
    (stack.workdir / "state.json").unlink(missing_ok=True)  # the state is lost: roll back from the config
    jobs = run_workflow(
        WORKFLOWS / "rollback.yml", workdir=workspace,
        env=crash_env("rollwise.canary.service:rollback_from_config", "rollwise.migrate.service:_start_run", FLAGS),
        inputs={"what": "all", "reason": "checkout errors", "environment": "staging", "revision": "0002",
                "flags": "new-checkout", "working-directory": "service", "rollwise-repository": "acme/rollwise"},
        secrets={"database-url": url, "flag-store-url": redis_server.url},
        github={"token": ""})  # releases go to the local ledger
    for name, command in (("canary", "canary rollback"), ("database", "migrate rollback"), ("flags", "flags kill")):
        assert jobs[name].exit_code == 1, jobs[name].log[-3000:]
        assert "RuntimeError: injected" in traceback_group(jobs[name].log, command)
    assert jobs["canary"].outputs["decision"] == "error"
    assert jobs["database"].step("rollback").outputs["exit-code"] == "4"
    assert jobs["flags"].step("kill").exit_code == 4 and jobs["flags"].outputs["killed"] == ""
    assert dump(workspace / "service" / "rollback.db") == before
    summary = jobs["summary"]
    assert summary.exit_code == 1  # the run fails
    lines = [line for line in summary.summary.splitlines() if line.startswith("| ")][1:]
    assert lines == ["| canary traffic | ❌ failure | — |", "| release | ✅ success | unchanged |",
                     "| database | ❌ failure | —  |", "| flags | ❌ failure |  |"]  # no release was recorded
    assert not re.search(r"rolled|killed", summary.summary)
