"""PR comment size and the pull request read from the Actions event."""

from __future__ import annotations

import json

from rollwise.github import COMMENT_LIMIT, fit_comment, pull_request_from_env


def test_long_comment_is_cut_at_a_line_and_closes_open_blocks():
    body = "<!-- m -->\n<details>\n```\n" + "x" * 80 + "\n" + ("line\n" * 20_000)
    cut = fit_comment(body)
    assert len(cut) <= COMMENT_LIMIT
    assert cut.startswith("<!-- m -->") and cut.count("```") % 2 == 0 and "</details>" in cut
    assert "Cut to fit" in cut
    assert fit_comment("short") == "short"


def test_pull_request_from_the_event_payload(tmp_path):
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 12, "head": {"sha": "b" * 40}}}))
    pr = pull_request_from_env({"GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": "merge", "GITHUB_EVENT_PATH": str(event),
                                "GITHUB_RUN_ID": "9", "GITHUB_SERVER_URL": "https://github.example"})
    assert (pr.repo, pr.sha, pr.number) == ("acme/shop", "b" * 40, 12)
    assert pr.run_url == "https://github.example/acme/shop/actions/runs/9"
    push = pull_request_from_env({"GITHUB_REPOSITORY": "acme/shop", "GITHUB_SHA": "c" * 40})
    assert (push.sha, push.number) == ("c" * 40, None)
    assert pull_request_from_env({}) is None
