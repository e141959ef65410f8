"""Releases through the workflows, run job by job the way the runner runs them: the pipeline records every
rollout as a deployment, and one dispatch of rollback.yml (what: release) goes back to the last good release.

Each scenario runs twice: against the suite's GitHub API stand-in (Deployments API), and without a token, on the
local release ledger. The service is the example app behind real nginx, judged on k6's own data.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

from support.actionrunner import checkout, run_workflow
from support.fake_github import FakeGitHub

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration" / "canary"))
import canary_stack  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
GOOD, BAD, NEXT = "a1" * 20, "b2" * 20, "c3" * 20


@pytest.fixture(params=["github", "local"])
def service(tmp_path, request):
    """The example service in a workspace laid out as on a runner, with a canary stack and (maybe) GitHub."""
    workspace = tmp_path / "workspace"
    checkout(ROOT, workspace / ".rollwise")
    app = workspace / "service"
    app.mkdir(parents=True)
    stack = canary_stack.build(app / "canary", prometheus=False, overrides={
        "phases": [50, 100], "analysis": {"warmup": "1s", "interval": "3s", "count": 1, "inconclusive_limit": 1},
        "commands": {"deploy": 'echo "$ROLLWISE_SHA $ROLLWISE_VERSION $ROLLWISE_REF" >> deploys.log'}})
    data = canary_stack.yaml.safe_load(stack.config.read_text())
    # availability alone: a latency SLO judged on a machine busy with other tests would make this test about load
    data["slos"] = [slo for slo in data["slos"] if slo["name"] == "availability"]
    # a tolerance that the seconds of traffic of this rollout can show the canary within (sequential analysis)
    data["slos"][0]["tolerance"] = {"relative": "50%", "absolute": "5%"}
    (app / "rollwise.yml").write_text(canary_stack.yaml.safe_dump(data, sort_keys=False))
    stack.config.unlink()
    fake = FakeGitHub() if request.param == "github" else None
    yield {"workspace": workspace, "dir": app, "stack": stack, "fake": fake, "ledger": stack.workdir / "releases.json"}
    stack.stop()
    if fake:
        fake.close()


def github(service, sha: str, run_id: str) -> dict:
    fake = service["fake"]
    return {"sha": sha, "run_id": run_id, "api_url": fake.url if fake else "http://127.0.0.1:9",
            "token": "ghs_test_token" if fake else ""}


def deploy(service, sha: str, version: str, run_id: str):
    return run_workflow(WORKFLOWS / "progressive-delivery.yml", workdir=service["workspace"], jobs=["canary"],
                        inputs={"environment": "staging", "rollwise-repository": "acme/rollwise",
                                "working-directory": "service", "version": version},
                        github=github(service, sha, run_id))


def dispatch(service, run_id: str, reason: str = "checkout errors after v2", **inputs):
    return run_workflow(WORKFLOWS / "rollback.yml", workdir=service["workspace"],
                        inputs={"what": "release", "reason": reason, "environment": "staging",
                                "working-directory": "service", "rollwise-repository": "acme/rollwise", **inputs},
                        github={**github(service, "0" * 40, run_id), "event_name": "workflow_dispatch"})


def deploys(service) -> list[str]:
    return (service["dir"] / "deploys.log").read_text().splitlines()


def releases(service) -> list[dict]:
    """(id, version, sha, states) of every release of staging, oldest first, from wherever they were recorded."""
    fake = service["fake"]
    if fake:
        items = [(d["id"], d["payload"]["version"], d["sha"], d["payload"].get("kind"),
                  [s["state"] for s in fake.deployment_statuses.get(d["id"], [])])
                 for d in fake.deployments if d["environment"] == "staging"]
    else:
        data = json.loads(service["ledger"].read_text())
        items = [(d["id"], d["payload"]["version"], d["sha"], d["payload"].get("kind"),
                  [s["state"] for s in d["statuses"]]) for d in data["deployments"]]
    return sorted(items)


def test_a_bad_promoted_release_is_reverted_with_one_dispatch_and_a_second_changes_nothing(service):
    first = deploy(service, GOOD, "v1", "101")["canary"]
    assert first.exit_code == 0, first.log[-3000:]
    second = deploy(service, BAD, "v2", "102")["canary"]
    assert second.exit_code == 0 and second.outputs["decision"] == "proceed", second.log[-3000:]
    assert deploys(service) == [f"{GOOD} v1 {GOOD}", f"{BAD} v2 {BAD}"]

    jobs = dispatch(service, "103")
    revert = jobs["release"]
    assert revert.exit_code == 0, revert.log[-4000:]
    assert jobs["canary"] is None and jobs["flags"] is None and jobs["database"] is None
    # the deploy command got the good release's commit, and the fast path took it straight to 100 %
    assert deploys(service)[-1] == f"{GOOD} v1 {GOOD}"
    assert "phase 1/1: weight 100 %" in revert.log and "phase 1/2" not in revert.log
    assert service["stack"].weight() == "100"
    (good_id, *_), (bad_id, *_), (revert_id, *_) = history = releases(service)
    assert history == [
        (good_id, "v1", GOOD, "rollout", ["in_progress", "success", "inactive"]),
        (bad_id, "v2", BAD, "rollout", ["in_progress", "success", "inactive"]),
        (revert_id, "v1", GOOD, "revert", ["in_progress", "success"]),
    ]
    if service["fake"]:  # the statuses in the order they were posted
        assert service["fake"].history("staging") == [
            (good_id, "in_progress"), (good_id, "success"),
            (bad_id, "in_progress"), (bad_id, "success"), (good_id, "inactive"),
            (revert_id, "in_progress"), (revert_id, "success"), (bad_id, "inactive")]
        logs = {s["log_url"] for s in service["fake"].deployment_statuses[revert_id]}
        assert logs == {"https://github.com/acme/shop/actions/runs/103"}
    assert revert.outputs["status"] == "reverted"
    assert any(uses.startswith("actions/upload-artifact@") for uses in revert.skipped_uses)  # the revert's state
    assert revert.outputs["from-release"].startswith(f"v2 (#{bad_id}, {BAD[:7]})")
    assert revert.outputs["to-release"].startswith(f"v1 (#{good_id}, {GOOD[:7]})")
    summary = revert.summary
    assert "## ⏪ release revert: reverted in `staging`" in summary
    assert "> checkout errors after v2 (by octocat)" in summary
    assert f"**What went back:** v1 (commit `{GOOD[:12]}`) replaces v2 (commit `{BAD[:12]}`)" in summary
    assert f"the last good release before v2 (#{bad_id}" in summary and "fast path" in summary
    assert f"| release | ✅ success | reverted: v2 (#{bad_id}, {BAD[:7]}) → v1 (#{good_id}, {GOOD[:7]}) |" \
        in jobs["summary"].summary

    again = dispatch(service, "104")
    assert again["release"].exit_code == 0, again["release"].log[-3000:]
    assert again["release"].outputs["status"] == "unchanged"
    # no rollout ran, so there is no state to keep
    assert not any(uses.startswith("actions/upload-artifact@") for uses in again["release"].skipped_uses)
    assert "Nothing went back: the current release" in again["release"].summary
    assert releases(service) == history and len(deploys(service)) == 3
    assert again["summary"].exit_code == 0


def test_a_revert_racing_a_deploy_refuses_with_exit_3_and_changes_nothing(service):
    assert deploy(service, GOOD, "v1", "201")["canary"].exit_code == 0
    assert deploy(service, BAD, "v2", "202")["canary"].exit_code == 0
    data = canary_stack.yaml.safe_load((service["dir"] / "rollwise.yml").read_text())
    data["canary"]["analysis"].update(interval="6s", warmup="2s")  # a third deploy that takes a while
    (service["dir"] / "rollwise.yml").write_text(canary_stack.yaml.safe_dump(data, sort_keys=False))
    running = {}
    thread = threading.Thread(target=lambda: running.update(deploy(service, NEXT, "v3", "203")))
    thread.start()
    try:
        deadline = time.monotonic() + 60
        while not any(item[1] == "v3" and item[-1] == ["in_progress"] for item in releases(service)):
            assert time.monotonic() < deadline, "the third deploy never started"
            time.sleep(0.2)
        before = releases(service)
        jobs = dispatch(service, "204")
    finally:
        thread.join(120)
    revert = jobs["release"]
    assert revert.exit_code == 1 and revert.outputs["status"] == "refused"
    assert "still rolling out" in revert.log and "Nothing was changed (exit 3)" in revert.summary
    # no revert was recorded (the third deploy went on to finish its own statuses)
    assert [item[:4] for item in releases(service)] == [item[:4] for item in before] and len(before) == 3
    assert jobs["summary"].exit_code == 1  # the rollback run fails visibly
    assert running["canary"].exit_code == 0, running["canary"].log[-3000:]
    assert deploys(service)[-1].startswith(NEXT)


@pytest.mark.parametrize("service", ["github"], indirect=True)
def test_a_revert_whose_read_went_stale_refuses_with_exit_3(service):
    """A deploy that creates its deployment between the revert's read and its write wins; the revert refuses.
    (The local ledger's compare-and-set under its file lock is tested in tests/integration/release.)"""
    fake = service["fake"]
    assert deploy(service, GOOD, "v1", "301")["canary"].exit_code == 0
    assert deploy(service, BAD, "v2", "302")["canary"].exit_code == 0
    fake.before_create_deployment = lambda body: fake.create_deployment(
        {"ref": NEXT, "environment": "staging", "task": "deploy:rollwise", "payload": {"version": "v3"}})
    revert = dispatch(service, "303")["release"]
    assert revert.exit_code == 1 and revert.outputs["status"] == "refused", revert.log[-3000:]
    assert "another deploy or revert got there first" in revert.log
    assert "Nothing was changed (exit 3)" in revert.summary
    assert len(deploys(service)) == 2  # the deploy command never ran
