"""The reusable progressive-delivery workflow and the manual rollback workflow, run job by job and step by step
against the example service on real PostgreSQL, Redis, nginx, Prometheus and k6.

The workspace is laid out as on a runner: the service's repository (alembic.ini and migrations, flags.yml,
rollwise.yml) with rollwise checked out into .rollwise/ by the workflow's own checkout step.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

from support import services
from support.actionrunner import checkout, run_workflow

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "canary"))
import canary_stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
ROLLWISE = Path(sys.executable).parent / "rollwise"


@pytest.fixture()
def service(tmp_path, postgres_server, redis_server, request):
    """The example service at revision 0003 with data, its flags store, and its canary stack."""
    workspace = tmp_path / "workspace"
    checkout(ROOT, workspace / ".rollwise")
    app = workspace / "service"
    app.mkdir(parents=True)
    shutil.copy(ROOT / "examples" / "migrate" / "alembic.ini", app)
    shutil.copytree(ROOT / "examples" / "migrate" / "migrations", app / "migrations")
    shutil.copy(ROOT / "examples" / "flags" / "flags.yml", app)
    database = services.create_database(postgres_server, f"shop_{request.node.name[-20:].lower()}")
    subprocess.run([str(ROLLWISE), "migrate", "apply", "--alembic-config", str(app / "alembic.ini"),
                    "--database-url", database, "--to", "0003", "--no-backup"], check=True, capture_output=True)
    with sa.create_engine(database).begin() as db:
        db.exec_driver_sql("INSERT INTO users (id, email, name, plan_id) "
                           "SELECT i, 'user' || i || '@example.com', 'User ' || i, 1 + i %% 3 FROM generate_series(1, 200) i")
        db.exec_driver_sql("INSERT INTO orders (id, user_id, total_cents) "
                           "SELECT i, 1 + i %% 200, 100 + i * 7 FROM generate_series(1, 500) i")
    stacks = []

    def canary(**overrides):
        stack = canary_stack.build(app / "canary", overrides={"kill_switch": {"flags": ["new-checkout"]},
                                                              **overrides})
        shutil.move(stack.config, app / "rollwise.yml")
        stack.config = app / "rollwise.yml"
        stacks.append(stack)
        return stack

    yield {"workspace": workspace, "dir": app, "database": database, "redis": redis_server.url, "canary": canary}
    for stack in stacks:
        stack.stop()


def deploy(service, **inputs) -> dict:
    return run_workflow(
        WORKFLOWS / "progressive-delivery.yml", workdir=service["workspace"],
        inputs={"environment": "staging", "rollwise-repository": "acme/rollwise", "working-directory": "service",
                "alembic-config": "alembic.ini", "flags-file": "flags.yml", **inputs},
        secrets={"database-url": service["database"], "flag-store-url": service["redis"]})


def roll_back(service) -> dict:
    return run_workflow(
        WORKFLOWS / "rollback.yml", workdir=service["workspace"],
        inputs={"what": "all", "reason": "checkout errors", "environment": "staging", "revision": "0003",
                "flags": "new-checkout", "working-directory": "service", "rollwise-repository": "acme/rollwise"},
        secrets={"database-url": service["database"], "flag-store-url": service["redis"]})


def database_state(url: str) -> dict:
    """Revision, columns and a checksum of every row, to compare states exactly."""
    with sa.create_engine(url).connect() as db:
        return {
            "revision": db.exec_driver_sql("SELECT version_num FROM alembic_version").scalar(),
            "columns": db.exec_driver_sql("SELECT string_agg(table_name || '.' || column_name, ',' ORDER BY 1) "
                                          "FROM information_schema.columns WHERE table_schema = 'public'").scalar(),
            "users": db.exec_driver_sql("SELECT md5(string_agg(u::text, ',' ORDER BY u.id)) FROM users u").scalar(),
            "orders": db.exec_driver_sql("SELECT md5(string_agg(o::text, ',' ORDER BY o.id)) FROM orders o").scalar(),
        }


def flag(service, key: str) -> dict:
    out = subprocess.run([str(ROLLWISE), "flags", "get", key, "--store", service["redis"]],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_deploy_migrates_syncs_flags_and_promotes_a_healthy_canary(service):
    stack = service["canary"]()
    jobs = deploy(service)

    assert jobs["migrate"].exit_code == 0, jobs["migrate"].log[-4000:]
    assert jobs["migrate"].outputs == {"from-revision": "0003", "to-revision": "0005", "status": "applied"}
    assert "safe-migrate lint" in jobs["migrate"].summary
    assert database_state(service["database"])["revision"] == "0005"

    assert jobs["flags"].exit_code == 0, jobs["flags"].log[-4000:]
    assert flag(service, "new-checkout")["definition"]["prerequisites"] == [{"flag": "payments-v2"}]

    canary = jobs["canary"]
    assert canary.exit_code == 0, canary.log[-4000:]
    assert canary.outputs["decision"] == "proceed" and canary.outputs["phase-reached"] == "100"
    assert jobs["decide-hold"] is None
    assert set(stack.tracks_served(30)) == {"canary"}
    # the state file is uploaded for a later promote or rollback
    assert any(uses.startswith("actions/upload-artifact@") for uses in canary.skipped_uses)


def held_canary(service):
    """A canary whose analyses stay inconclusive (Prometheus down) and whose plan says hold."""
    dead = services.free_port()  # nothing listens there
    stack = service["canary"](analysis={"inconclusive_limit": 0, "on_inconclusive": "hold"})
    config = yaml.safe_load((service["dir"] / "rollwise.yml").read_text())
    config["prometheus"].update(url=f"http://127.0.0.1:{dead}", timeout="500ms", deadline="1s", retries=0)
    (service["dir"] / "rollwise.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    return stack


def test_an_approved_hold_is_promoted(service):
    stack = held_canary(service)
    jobs = deploy(service, **{"approval-environment": "staging-approval"})
    assert jobs["canary"].outputs["decision"] == "inconclusive"
    approval = jobs["decide-hold"]
    assert approval.exit_code == 0, approval.log[-4000:]
    assert "held rollout promoted by approval at weight 100 %" in approval.log
    assert set(stack.tracks_served(30)) == {"canary"}


def test_a_held_canary_is_rolled_back_with_everything_and_a_second_rollback_changes_nothing(service):
    before = database_state(service["database"])
    stack = held_canary(service)
    jobs = deploy(service)
    assert jobs["migrate"].outputs["to-revision"] == "0005"
    assert jobs["canary"].outputs["decision"] == "inconclusive", jobs["canary"].log[-4000:]
    assert jobs["canary"].exit_code == 1  # a hold fails the run (exit 3): the canary waits at its weight
    assert jobs["decide-hold"] is None  # no approval environment given
    assert "canary" in stack.tracks_served(40)

    first = roll_back(service)
    assert [first[job].exit_code for job in ("canary", "database", "flags", "summary")] == [0, 0, 0, 0], \
        {job: result.log[-3000:] for job, result in first.items() if result}
    assert set(stack.tracks_served(30)) == {"baseline"}
    after_first = database_state(service["database"])
    assert after_first == before  # revision 0003 with every row as it was before the deploy
    killed = flag(service, "new-checkout")
    assert killed["definition"]["enabled"] is False
    summary = first["summary"].summary
    assert "| canary traffic | ✅ success | rolled_back |" in summary
    assert "(0005 → 0003)" in summary and "killed: new-checkout" in summary

    second = roll_back(service)
    assert [second[job].exit_code for job in ("canary", "database", "flags", "summary")] == [0, 0, 0, 0], \
        {job: result.log[-3000:] for job, result in second.items() if result}
    assert database_state(service["database"]) == after_first
    assert flag(service, "new-checkout") == killed  # same version: nothing was written
    assert set(stack.tracks_served(30)) == {"baseline"}
    assert "already rolled back" in second["canary"].log
