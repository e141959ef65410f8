"""The Alembic histories of Airflow, MLflow and CKAN, taken from their published wheels (see support.realworld),
linted twice as a user would: with nothing of the application installed, and with stand-ins of its packages.

Without the app the revision graph is read from the files, every source rule runs on every revision, and each
revision says why its SQL was not rendered; with the stand-ins Alembic loads the same graph and the source rules
find exactly the same things.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from support.realworld import HISTORIES, Checkout, extract

ROLLWISE = str(Path(sys.executable).with_name("rollwise"))
#: how many revisions each pinned history has, and findings on known lines (rule, file name, line)
EXPECTED = {
    "airflow": (124, {
        ("unbatched-backfill", "0017_2_9_2_fix_inconsistency_between_ORM_and_migration_files.py", 132),
        ("truncate-table", "0047_3_0_0_add_dag_versioning.py", 50),
        ("drop-index-not-concurrent", "0008_2_8_1_refactor_dag_run_indexes.py", 48),
        ("set-not-null", "0003_2_7_0_add_include_deferred_column_to_pool.py", 48),
    }),
    "mlflow": (67, {
        ("change-column-type", "181f10493468_allow_nulls_for_metric_values.py", 19),
        ("drop-index-not-concurrent", "5d2d30f0abce_update_job_table.py", 21),
        ("create-index-not-concurrent", "bd07f7e963c5_create_index_on_run_uuid.py", 20),
    }),
    "ckan": (109, {
        ("unbatched-backfill", "084_d85ce5783688_add_metadata_created.py", 27),
        ("drop-index-not-concurrent", "105_4a5e3465beb6_autogenerate_sync.py", 21),
        ("add-foreign-key-validating", "029_1bfdf4240915_version_groups.py", 78),
    }),
}

#: revisions whose offline SQL renders with the stand-ins (Airflow's env.py needs the real settings module)
RENDERED_AT_LEAST = {"airflow": 0, "mlflow": 30, "ckan": 100}


@pytest.fixture(scope="session", params=HISTORIES, ids=[h.name for h in HISTORIES])
def history(request, tmp_path_factory) -> Checkout:
    return extract(request.param, tmp_path_factory.mktemp(request.param.name))


def lint(checkout: Checkout, stubs: bool, tmp_path: Path) -> tuple[int, dict, str]:
    report, summary = tmp_path / f"lint-{stubs}.json", tmp_path / f"summary-{stubs}.md"
    env = {**checkout.env(stubs), "GITHUB_STEP_SUMMARY": str(summary)}
    done = subprocess.run([ROLLWISE, "migrate", "lint", "--alembic-config", str(checkout.ini), "--range",
                           "base:head", "--report", str(report)], capture_output=True, text=True, env=env,
                          timeout=300)
    assert done.returncode in (0, 1), done.stderr[-3000:]
    return done.returncode, json.loads(report.read_text()), summary.read_text()


def source_findings(report: dict) -> set[tuple[str, str, int]]:
    return {(f["rule"], Path(f["file"]).name, f["line"]) for f in report["findings"] if f["source"] == "alembic"}


def test_without_the_app_every_revision_is_linted_from_its_source(history, tmp_path):
    count, known = EXPECTED[history.history.name]
    code, report, summary = lint(history, stubs=False, tmp_path=tmp_path)
    assert code == 1 and report["graph"].startswith("static")
    assert report["load_error"].startswith("ModuleNotFoundError")
    assert len(report["revisions"]) == count
    assert known <= source_findings(report)
    # squawk needs the rendered SQL: each revision says why it has none, and the summary says how to fix it
    assert {n["revision"] for n in report["not_rendered"]} == {r["revision"] for r in report["revisions"]}
    own = [n["reason"] for n in report["not_rendered"] if n["reason"].startswith("ModuleNotFoundError")]
    assert own and all("No module named" in reason for reason in own)
    assert "**Not rendered**" in summary and "install: environment" in summary


def test_with_the_apps_packages_alembic_loads_the_same_graph(history, tmp_path):
    count, known = EXPECTED[history.history.name]
    _, bare, _ = lint(history, stubs=False, tmp_path=tmp_path)
    _, report, _ = lint(history, stubs=True, tmp_path=tmp_path)
    assert report["graph"] == "alembic" and report["load_error"] is None
    assert sorted(r["revision"] for r in report["revisions"]) == sorted(r["revision"] for r in bare["revisions"])
    assert len(report["revisions"]) == count
    assert source_findings(report) == source_findings(bare)
    assert not any("ModuleNotFoundError" in n["reason"] for n in report["not_rendered"])
    rendered = count - len(report["not_rendered"])
    assert rendered >= RENDERED_AT_LEAST[history.history.name]
    if rendered:
        assert report["squawk"].startswith("ran") and any(f["source"] == "squawk" for f in report["findings"])
