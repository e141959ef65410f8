"""Both release ledgers — GitHub Deployments (against the suite's GitHub API stand-in, over HTTP) and the local
JSON file — record the same history, refuse a stale write, and carry a whole revert."""

from __future__ import annotations

import threading

import pytest

from rollwise.errors import ConfigError, InconclusiveError
from rollwise.release import service
from rollwise.release.adapters.github import GitHubLedger
from rollwise.release.adapters.local import LocalLedger
from rollwise.release.model import NewRelease, RevertPolicy
from rollwise.release.ports import StaleLedger
from support.fake_github import FakeGitHub

SHA = {"good": "a" * 40, "bad": "b" * 40, "other": "c" * 40}
CONTEXT = service.RunContext("https://github.com/acme/shop/actions/runs/7", "7-1", "octocat")


@pytest.fixture(params=["github", "local"])
def ledger(request, tmp_path):
    if request.param == "local":
        yield LocalLedger(tmp_path / "releases.json"), None
        return
    fake = FakeGitHub()
    yield GitHubLedger("ghs_test", "acme/shop", api_url=fake.url), fake
    fake.close()


def promote(ledger, name, environment="staging"):
    new = service.rollout_release(environment, SHA[name], SHA[name], name, router="nginx", digest="sha256:x",
                                  context=CONTEXT, report=f"artifact report-{name}")
    recorder = service.Recorder.start(ledger, new, CONTEXT, environment_url="https://staging.example")
    recorder.finish("proceed", f"{name} promoted")
    return recorder.release


def states(ledger, environment="staging"):
    return {r.version: [s.state for s in r.statuses] for r in ledger.releases(environment)}


def test_promotions_record_in_progress_success_and_supersede_the_previous(ledger):
    store, _ = ledger
    good = promote(store, "good")
    bad = promote(store, "bad")
    promote(store, "other", environment="production")  # another environment is left alone
    assert states(store) == {"good": ["in_progress", "success", "inactive"], "bad": ["in_progress", "success"]}
    listed = store.releases("staging")
    assert [r.id for r in listed] == [bad.id, good.id]
    assert listed[0].payload["gate_config_digest"] == "sha256:x" and listed[0].payload["kind"] == "rollout"
    assert listed[0].run_url == CONTEXT.run_url and listed[0].environment_url == "https://staging.example"
    assert listed[0].report == "artifact report-bad"


def test_a_write_over_a_newer_deployment_refuses_with_exit_3(ledger):
    store, _ = ledger
    good = promote(store, "good")
    new = NewRelease("staging", SHA["bad"], SHA["bad"], {"kind": "rollout"})
    promote(store, "other")
    with pytest.raises(StaleLedger) as caught:
        store.create(new, expect_latest=good.id)
    assert caught.value.exit_code == 3 and "another deploy or revert got there first" in caught.value.message
    assert [r.version for r in store.releases("staging")] == ["other", "good"]


def test_a_deploy_slipping_in_between_read_and_write_is_caught_after_the_create():
    """GitHub has no conditional create: the check after it sees the deployment that got in first."""
    fake = FakeGitHub()
    try:
        store = GitHubLedger("ghs_test", "acme/shop", api_url=fake.url)
        good = promote(store, "good")
        fake.before_create_deployment = lambda body: fake.create_deployment(
            {"ref": SHA["other"], "environment": "staging", "task": "deploy:rollwise", "payload": {"version": "other"}})
        with pytest.raises(StaleLedger):
            store.create(NewRelease("staging", SHA["bad"], SHA["bad"], {"version": "bad"}), expect_latest=good.id)
        lost = store.releases("staging")[0]
        assert (lost.version, lost.state) == ("bad", "error")
    finally:
        fake.close()


def test_local_writes_from_threads_never_lose_a_deployment(tmp_path):
    store = LocalLedger(tmp_path / "releases.json")
    won, lost = [], []

    def deploy():
        latest = store.releases("staging")
        try:
            won.append(store.create(NewRelease("staging", "r", "s", {}), expect_latest=latest[0].id if latest else None))
        except StaleLedger:
            lost.append(1)

    threads = [threading.Thread(target=deploy) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) + len(lost) == 8 and len(store.releases("staging")) == len(won) >= 1
    assert len({r.id for r in won}) == len(won)


def scripted(decision, calls):
    def run(target, fast, record):
        calls.append((target.sha, fast, record["release"]["id"]))
        return decision, f"scripted {decision}", {"decision": decision}
    return lambda fast: run


def test_a_revert_goes_back_to_the_good_release_and_a_second_one_changes_nothing(ledger):
    store, fake = ledger
    good = promote(store, "good")
    bad = promote(store, "bad")
    calls = []
    result = service.revert(store, "staging", RevertPolicy(), scripted("proceed", calls), reason="checkout errors",
                            context=CONTEXT)
    assert (result.status, result.exit_code, result.plan.fast) == ("reverted", 0, True)
    assert calls == [(SHA["good"], True, result.release.id)]
    revert = store.releases("staging")[0]
    assert revert.kind == "revert" and revert.reverted == {"from": bad.id, "to": good.id, "reason": "checkout errors",
                                                           "path": "fast"}
    assert states(store)["bad"] == ["in_progress", "success", "inactive"]
    assert [s.state for s in revert.statuses] == ["in_progress", "success"]
    if fake is not None:
        assert fake.history("staging")[-3:] == [(revert.id, "in_progress"), (revert.id, "success"),
                                                (bad.id, "inactive")]
        created = [body for method, path, body, _ in fake.requests if method == "POST" and path.endswith("/deployments")]
        assert created[-1]["auto_merge"] is False and created[-1]["required_contexts"] == []
        assert created[-1]["ref"] == SHA["good"] and created[-1]["task"] == "deploy:rollwise"
        # a job's own deployment (GitHub creates one for `environment:`) is not a release and breaks no CAS
        fake.create_deployment({"ref": SHA["bad"], "environment": "staging", "task": "deploy"})

    again = service.revert(store, "staging", RevertPolicy(), scripted("proceed", calls), reason="checkout errors",
                           context=CONTEXT)
    assert (again.status, again.exit_code, again.release) == ("unchanged", 0, None)
    assert len(calls) == 1 and len(store.releases("staging")) == 3


def test_a_revert_whose_confirming_analysis_fails_is_recorded_as_failure(ledger):
    store, _ = ledger
    promote(store, "good")
    promote(store, "bad")
    result = service.revert(store, "staging", RevertPolicy(), scripted("rollback", []), reason="x", context=CONTEXT)
    assert (result.status, result.exit_code) == ("rolled_back", 1)
    assert [s.state for s in store.releases("staging")[0].statuses] == ["in_progress", "failure"]
    assert service.current_release(store, "staging").version == "bad"


def test_github_refusing_the_token_is_a_usage_error_and_a_flaky_api_is_retried():
    fake = FakeGitHub(deny=True)
    try:
        store = GitHubLedger("ghs_test", "acme/shop", api_url=fake.url)
        with pytest.raises(ConfigError) as caught:
            store.releases("staging")
        assert caught.value.exit_code == 2 and "deployments: write" in caught.value.fix
        fake.deny, fake.deployments_unavailable = False, 2
        assert store.releases("staging") == []  # the third attempt answers
        fake.deployments_unavailable = 3
        with pytest.raises(InconclusiveError, match="after 3 attempts: HTTP 502"):
            store.releases("staging")
    finally:
        fake.close()


def test_a_rollout_whose_release_cannot_be_recorded_changes_nothing(tmp_path, monkeypatch, capsys):
    """A token without `deployments: write`: canary run stops with exit 2 before the router or any command ran."""
    from rollwise.cli import main

    fake = FakeGitHub(deny=True)
    try:
        config = tmp_path / "rollwise.yml"
        config.write_text(
            "version: rollwise/v1\nslos:\n  - name: availability\n    objective: 99%\n"
            "    sli: {ratio: {errors: 'http_requests_total{code=~\"5..\"}', total: http_requests_total}}\n"
            "canary:\n  router: {type: command, command: 'touch moved'}\n"
            "  commands: {deploy: touch deployed}\n  warmup: {script: warmup.js}\n")
        (tmp_path / "warmup.js").write_text("export default function () {}\n")
        for name, value in (("ROLLWISE_GITHUB_TOKEN", "ghs_test"), ("GITHUB_REPOSITORY", "acme/shop"),
                            ("GITHUB_API_URL", fake.url), ("GITHUB_SHA", SHA["good"])):
            monkeypatch.setenv(name, value)
        assert main(["canary", "run", "--config", str(config), "--environment", "staging",
                     "--workdir", str(tmp_path / "k6")]) == 2
        assert "GitHub refused to list the deployments of 'staging': HTTP 403" in capsys.readouterr().err
        assert not (tmp_path / "moved").exists() and not (tmp_path / "deployed").exists()
    finally:
        fake.close()
