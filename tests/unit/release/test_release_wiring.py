"""Which ledger a run uses, and what it records about where it runs."""

from __future__ import annotations

import pytest

from rollwise.release.adapters.github import GitHubLedger
from rollwise.release.adapters.local import LocalLedger
from rollwise.release.model import config_digest
from rollwise.release.service import RunContext, open_ledger

ACTIONS = {"GITHUB_REPOSITORY": "acme/shop", "GITHUB_RUN_ID": "42", "GITHUB_RUN_ATTEMPT": "2",
           "GITHUB_SERVER_URL": "https://github.example", "GITHUB_ACTOR": "octocat"}


@pytest.mark.parametrize(("env", "ledger", "expected"), [
    ({**ACTIONS, "ROLLWISE_GITHUB_TOKEN": "t"}, None, "github:acme/shop"),
    ({**ACTIONS, "GITHUB_TOKEN": "t"}, None, "github:acme/shop"),
    (ACTIONS, None, "file:/srv/app/state/releases.json"),
    ({"GITHUB_TOKEN": "t"}, None, "file:/srv/app/state/releases.json"),
    ({**ACTIONS, "ROLLWISE_GITHUB_TOKEN": "t"}, "/tmp/mine.json", "file:/tmp/mine.json"),
], ids=["token-in-actions", "github-token-env", "no-token", "token-without-repository", "ledger-named"])
def test_the_ledger_is_github_with_a_token_in_actions_else_the_file_next_to_the_state(env, ledger, expected):
    store = open_ledger("/srv/app/state/canary-state.json", ledger, env=env)
    assert store.name == expected
    assert isinstance(store, GitHubLedger if expected.startswith("github:") else LocalLedger)


def test_the_run_context_links_the_run_and_names_the_attempt():
    context = RunContext.from_environment(ACTIONS)
    assert context == RunContext("https://github.example/acme/shop/actions/runs/42", "42-2", "octocat")
    local = RunContext.from_environment({"USER": "dev"})
    assert local.run_url is None and local.actor == "dev" and len(local.rollout_id) == 12


def test_the_gate_digest_ignores_key_order_and_everything_but_the_judgement():
    one = {"gate": {"alpha": 0.05, "min_requests": 30}, "slos": [{"name": "a"}], "canary": {"phases": [5, 100]}}
    same = {"canary": {"phases": [50, 100]}, "slos": [{"name": "a"}], "gate": {"min_requests": 30, "alpha": 0.05}}
    other = {**one, "gate": {"alpha": 0.01, "min_requests": 30}}
    assert config_digest(one) == config_digest(same) != config_digest(other)
    assert config_digest(one).startswith("sha256:") and len(config_digest(one)) == 7 + 64


def test_the_deployed_commit_is_the_git_head_unless_the_environment_names_it(tmp_path):
    import subprocess

    from rollwise.release.service import commit_of

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                    "-q", "--allow-empty", "-m", "first"], check=True)
    head = subprocess.run(["git", "-C", str(tmp_path), "rev-parse", "HEAD"], capture_output=True, text=True,
                          check=True).stdout.strip()
    assert commit_of(tmp_path, {}) == (head, head)
    assert commit_of(tmp_path, {"GITHUB_SHA": "a" * 40, "ROLLWISE_REF": "refs/tags/v2"}) == ("refs/tags/v2", "a" * 40)
    assert commit_of(tmp_path / "missing", {}) == ("unknown", "")
