"""The `flags` job of examples/workflows/pr-checks.yml, run step by step on a pull request of the sample repository:
flag-toggle `command: check` fails on a key flags.yml lacks, warns on a stale flag from the store's audit log,
lists the reads the pull request adds, annotates the lines, and keeps one commit status and one sticky comment on
the (fake) GitHub API. And flag-toggle `command: run-schedule`, run twice on a file store."""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

from rollwise.flags import service
from rollwise.flags.model.changes import Audit
from support.actionrunner import checkout, run_action, run_workflow
from support.gitrepo import commit_all

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "tests" / "unit" / "flags" / "sample_repo"


def pull_request(tmp_path: Path) -> tuple[Path, str]:
    """The sample repository: a base commit without the web client, and the pull request that adds it."""
    workspace = shutil.copytree(SAMPLE, tmp_path / "shop")
    added = (workspace / "web" / "src" / "checkout.ts").read_text()
    (workspace / "web" / "src" / "checkout.ts").unlink()
    base = commit_all(workspace, "base")
    (workspace / "web" / "src" / "checkout.ts").write_text(added)
    commit_all(workspace, "web checkout")
    # rollwise itself, where the workflow finds the action (outside the scanned code: git ignores it)
    checkout(ROOT, workspace / ".rollwise")
    with open(workspace / ".git" / "info" / "exclude", "a") as exclude:
        exclude.write(".rollwise/\n")
    return workspace, base


def killed_long_ago(workspace: Path, key: str, days: int) -> str:
    """A file store whose audit log says ``key`` was killed ``days`` ago."""
    shutil.copy(workspace / "flags.yml", workspace / "store.yml")
    store = service.open_store(f"file://{workspace / 'store.yml'}")
    service.kill(store, key, Audit("oncall", "search results were wrong"))
    log = workspace / "store.yml.audit.jsonl"
    entry = json.loads(log.read_text())
    entry["at"] = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat()
    log.write_text(json.dumps(entry) + "\n")
    return "file://store.yml"


def workflow(tmp_path: Path) -> Path:
    """pr-checks.yml as users copy it, its rollwise actions resolved to the local checkout."""
    text = (ROOT / "examples" / "workflows" / "pr-checks.yml").read_text()
    local = text.replace("your-org/rollwise/actions/", "./.rollwise/actions/").replace("@v1\n", "\n")
    path = tmp_path / "pr-checks.yml"
    path.write_text(local)
    return path


def test_pull_request_check_sets_a_status_one_sticky_comment_and_annotations(tmp_path, github):
    fake, _ = github
    workspace, base = pull_request(tmp_path)
    store_url = killed_long_ago(workspace, "search-v2", days=45)
    event = tmp_path / "event.json"
    payload = {"pull_request": {"number": 7, "head": {"sha": "a" * 40}, "base": {"sha": base}}}
    event.write_text(json.dumps(payload))
    context = {"api_url": fake.url, "event_name": "pull_request", "repository": "acme/shop", "event": payload}
    for _ in range(2):  # a second push edits the same comment
        jobs = run_workflow(workflow(tmp_path), jobs=["flags"], workdir=workspace, github=context,
                            env={**os.environ, "GITHUB_EVENT_PATH": str(event)},
                            secrets={"FLAG_STORE_READ_URL": store_url})
        result = jobs["flags"]
        assert result.exit_code == 1, result.log[-4000:]
    assert result.skipped_uses == ["actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8",
                                   "actions/setup-python@e797f83bcb11b83ae66e0230d6156d7c80228e7c"]

    statuses = [body for method, path, body, _ in fake.requests if "/statuses/" in path]
    assert len(statuses) == 2 and statuses[-1]["state"] == "failure"
    assert statuses[-1]["context"] == "rollwise/flags-check"
    assert statuses[-1]["description"] == "1 error(s), 2 warning(s), 6 notice(s) in 6 flag(s)"
    assert len(fake.comments) == 1 and [m for m, p, _, _ in fake.requests if "/comments" in p].count("PATCH") == 1
    comment = fake.comments[0]["body"]
    assert comment.startswith("<!-- rollwise:flags-check -->") and "❌ flags check: failed" in comment
    assert "compared with `" + base + "`" in comment

    annotations = {(level, props.split(",title=")[0]): message for level, props, message in result.annotations}
    assert "did you mean 'new-checkout'?" in annotations[("error", "file=web/src/checkout.ts,line=8")]
    stale = annotations[("warning", "file=shop/search.py,line=10")]
    assert "flag 'search-v2' has served the code default to everyone since" in stale and "(45 days" in stale
    assert "this change adds 1 read(s) of flag 'new-chekout'" in annotations[("notice", "file=web/src/checkout.ts,line=8")]
    assert ("warning", "file=flags.yml,line=16") in annotations  # never-read: defined, read nowhere


def test_run_schedule_through_the_action_applies_due_entries_once(tmp_path):
    (tmp_path / "flags.yml").write_text(
        "version: rollwise/flags/v1\nflags:\n  ramp:\n    default: {rollout: {true: 5, false: 95}}\n"
        "    schedule:\n      - {at: 2020-01-01T00:00:00Z, rollout: 25}\n      - {at: 2999-01-01T00:00:00Z, rollout: 50}\n")
    inputs = {"command": "run-schedule", "store": "file://flags.yml", "reason": "nightly ramp"}
    first = run_action(ROOT / "actions" / "flag-toggle", inputs, workdir=tmp_path)
    assert first.exit_code == 0, first.log
    assert first.outputs["status"] == "changed" and json.loads(first.outputs["applied"]) == ["ramp@2020-01-01T00:00:00Z"]
    assert first.outputs["decision"] == "proceed" and first.outputs["exit-code"] == "0"
    assert "| 2999-01-01T00:00:00+00:00 | `ramp` | rollout to 50 % | pending |" in first.summary
    second = run_action(ROOT / "actions" / "flag-toggle", inputs, workdir=tmp_path)
    assert second.outputs["status"] == "unchanged" and second.outputs["changed"] == "false"
    assert second.outputs["version"] == first.outputs["version"] == "1"
