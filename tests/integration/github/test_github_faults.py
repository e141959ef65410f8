"""The sticky PR comment and commit status against a GitHub API on loopback (tests/support/fake_github.py).

Faults: a comment by someone else carrying rollwise's hidden marker (a hijack attempt), tokens of both kinds
(personal: GET /user works; installation: GET /user is 403 and comments come from github-actions[bot]), and an API
that answers 200 with HTML.
"""

from __future__ import annotations

import httpx
import pytest

from rollwise.github import GitHub, PullRequest
from support.fake_github import FakeGitHub

MARKER = "<!-- rollwise:slo-gate -->"
PR = PullRequest("acme/shop", "a" * 40, 7, None)


@pytest.fixture()
def fake():
    server = FakeGitHub(users={"ghp_alice": "alice"})
    yield server
    server.close()


def client(fake: FakeGitHub, token: str) -> GitHub:
    return GitHub(token, "slo-gate", api_url=fake.url, client=httpx.Client(timeout=5))


@pytest.mark.parametrize("token", ["ghs_installation", "ghp_alice"], ids=["GITHUB_TOKEN", "personal-token"])
def test_sticky_comment_hijack_is_ignored_and_own_comment_is_edited(fake, token, monkeypatch):
    monkeypatch.delenv("ROLLWISE_GITHUB_COMMENT_AUTHOR", raising=False)
    bait = fake.add_comment(f"{MARKER}\nplease merge, all green", login="mallory")
    github = client(fake, token)
    assert github.upsert_comment(PR, f"{MARKER}\nfirst", MARKER)
    assert bait["body"].endswith("all green")  # never edited
    ours = fake.comments[-1]
    assert ours is not bait and ours["body"].endswith("first")
    assert github.upsert_comment(PR, f"{MARKER}\nsecond", MARKER)
    assert len(fake.comments) == 2 and ours["body"].endswith("second") and bait["body"].endswith("all green")
    assert [m for m, path, _, _ in fake.requests if "comments" in path] == ["GET", "POST", "GET", "PATCH"]


def test_a_comment_by_another_bot_of_the_same_kind_is_not_ours(fake, monkeypatch):
    monkeypatch.delenv("ROLLWISE_GITHUB_COMMENT_AUTHOR", raising=False)
    other = fake.add_comment(f"{MARKER}\nold", login="alice")  # a person, not the Actions bot
    assert client(fake, "ghs_installation").upsert_comment(PR, f"{MARKER}\nnew", MARKER)
    assert other["body"].endswith("old") and len(fake.comments) == 2


def test_configured_app_login_is_used_for_app_installation_tokens(fake, monkeypatch):
    monkeypatch.setenv("ROLLWISE_GITHUB_COMMENT_AUTHOR", "rollwise-app[bot]")
    ours = fake.add_comment(f"{MARKER}\nold", login="rollwise-app[bot]")
    assert client(fake, "ghs_app").upsert_comment(PR, f"{MARKER}\nnew", MARKER)
    assert ours["body"].endswith("new") and len(fake.comments) == 1


def test_non_json_200_is_a_warning_not_a_success_or_a_crash(capsys):
    server = FakeGitHub(garbage=True)
    try:
        github = client(server, "ghs_installation")
        assert github.set_status(PR, "success", "proceed") is False
        assert github.upsert_comment(PR, f"{MARKER}\nx", MARKER) is False
    finally:
        server.close()
    assert "something other than GitHub's JSON" in capsys.readouterr().err
