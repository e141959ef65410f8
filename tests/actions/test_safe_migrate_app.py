"""examples/workflows/migrate-app.yml run the way a runner runs it, on examples/migrate-app and real PostgreSQL:
the service's dependencies are installed first (its own pinned SQLAlchemy, Alembic and sqlalchemy-utils), then
safe-migrate lint, plan and apply with ``install: environment`` import env.py and every revision with them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import sqlalchemy as sa
import yaml

from support import services
from support.actionrunner import checkout, run_workflow

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "migrate-app"


def test_lint_plan_apply_with_the_apps_packages(tmp_path, postgres_server):
    workspace = tmp_path / "workspace"
    shutil.copytree(EXAMPLE, workspace, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    checkout(ROOT, workspace / ".rollwise")
    workflow = yaml.safe_load((ROOT / "examples" / "workflows" / "migrate-app.yml").read_text())
    for step in workflow["jobs"]["migrate"]["steps"]:
        if step.get("uses", "").startswith("your-org/rollwise/"):
            step["uses"] = "./.rollwise/" + step["uses"].split("/", 2)[2].split("@")[0]
    path = tmp_path / "migrate.yml"
    path.write_text(yaml.safe_dump(workflow, sort_keys=False))
    database = services.create_database(postgres_server, "shop_app")

    job = run_workflow(path, workdir=workspace, secrets={"DATABASE_URL": database}, timeout=1200)["migrate"]

    assert job is not None and job.exit_code == 0, job.log[-6000:]
    assert [uses.split("@")[0] for uses in job.skipped_uses] == ["actions/checkout", "actions/setup-python",
                                                                  "actions/upload-artifact"]
    # rollwise ran on the app's own pins, which it left as they were
    assert "running with SQLAlchemy 2.0.36 and Alembic 1.14.0" in job.log
    versions = subprocess.run([str(workspace / ".venv" / "bin" / "python"), "-c",
                               "import sqlalchemy, alembic; print(sqlalchemy.__version__, alembic.__version__)"],
                              capture_output=True, text=True, check=True).stdout.split()
    assert versions == ["2.0.36", "1.14.0"]
    # every revision imported and rendered: squawk judged all three (its advice is warnings, no errors)
    assert "safe-migrate lint: warnings" in job.summary and "squawk: ran\n" in job.summary
    assert "did not import" not in job.summary and "Not rendered" not in job.summary
    assert job.step("migrate").outputs["status"] == "applied"
    with sa.create_engine(database).connect() as conn:
        assert conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == "0003"
        columns = {c["name"]: str(c["type"]) for c in sa.inspect(conn).get_columns("customers")}
        assert columns["id"] == "UUID" and columns["nickname"] == "VARCHAR(80)"
        assert "ix_customers_nickname" in {i["name"] for i in sa.inspect(conn).get_indexes("customers")}


def test_an_unknown_install_mode_is_refused_before_anything_runs(tmp_path):
    from support.actionrunner import run_action

    result = run_action(ROOT / "actions" / "safe-migrate", {"command": "lint", "install": "global"}, workdir=tmp_path)
    assert result.exit_code == 1
    assert any("input install is 'global'; use isolated" in message for _, _, message in result.annotations)
