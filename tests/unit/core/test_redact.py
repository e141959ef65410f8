"""One URL redaction for every output: userinfo passwords and secret query parameters, in URLs and in free text."""

from __future__ import annotations

import pytest

from rollwise import outcome
from rollwise.redact import redact_text, redact_url, url_secrets


@pytest.mark.parametrize("url,shown", [
    ("http://user:s3cret@prom:9090/x?a=1", "http://user:***@prom:9090/x?a=1"),
    ("redis://:s3cret@127.0.0.1:6379/0?password=s3cret2&db=1", "redis://:***@127.0.0.1:6379/0?password=***&db=1"),
    ("postgresql+psycopg://u:pw@h/db?sslpassword=q&application_name=x",
     "postgresql+psycopg://u:***@h/db?sslpassword=***&application_name=x"),
    ("https://h/?token=abc#frag", "https://h/?token=***#frag"),
    ("http://u:pw@[::1", "http://u:***@[::1"),  # does not parse: still redacted
    ("file:///tmp/flags.yml", "file:///tmp/flags.yml"),
    ("http://prom:9090", "http://prom:9090"),
], ids=["userinfo", "redis-both", "postgres-both", "token", "unparseable", "file", "plain"])
def test_redact_url(url, shown):
    assert redact_url(url) == shown


def test_secrets_are_listed_as_written_and_decoded_for_the_mask():
    assert {"p%40ss", "p@ss", "q"} <= set(url_secrets("http://u:p%40ss@h/?password=q"))
    assert url_secrets("http://h/") == [] and url_secrets(None) == []


def test_redact_text_finds_urls_in_messages():
    text = "ConnectError talking to http://a:b@h:1/x?token=q (see https://docs.example/x)"
    assert redact_text(text) == "ConnectError talking to http://a:***@h:1/x?token=*** (see https://docs.example/x)"


def test_a_crash_report_does_not_show_a_password(capsys):
    try:
        raise RuntimeError("cannot reach redis://:hunter2@cache:6379/0")
    except RuntimeError as exc:
        assert outcome.crashed("flags kill", exc) == 4
    captured = capsys.readouterr()
    assert "hunter2" not in captured.out + captured.err and "redis://:***@cache" in captured.err
