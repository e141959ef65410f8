"""`rollwise flags kill` with several keys on a file store: every valid key off, then exit 2 naming the others."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main
from rollwise.flags import service

from test_flags_cli import files  # noqa: F401 - the fixture

FLAGS = """\
version: rollwise/flags/v1
flags:
  checkout: {default: true}
  search: {default: true}
  banner: {enabled: false, default: true}
"""


@pytest.fixture()
def store_url(files):
    """The file store of test_flags_cli's ``files`` fixture, holding three flags (one already off)."""
    (files / "flags.yml").write_text(FLAGS)
    return "file://flags.yml"


def _enabled(url: str) -> dict[str, bool]:
    return {k: f.enabled for k, f in service.open_store(url).load().flagset.flags.items()}


def test_valid_keys_are_killed_in_one_change_and_the_bad_ones_named(store_url, capsys):
    code = main(["flags", "kill", "--store", store_url, "--report", "r.json", "--", "checkout", "-x", "serch", "search",
                 "banner"])
    assert code == 2
    assert _enabled(store_url) == {"checkout": False, "search": False, "banner": False}
    report = json.loads(open("r.json").read())
    assert report["status"] == "partial" and report["version"] == 1  # one atomic change for both
    assert [c["key"] for c in report["changes"]] == ["checkout", "search"]  # banner was already off
    assert report["refused"] == {"-x": "a flag key cannot start with '-' (it reads as an option)",
                                 "serch": "does not exist (did you mean 'search'?)"}
    assert "Changed: checkout, search" in capsys.readouterr().err


def test_only_bad_keys_change_nothing(store_url):
    assert main(["flags", "kill", "--store", store_url, "--report", "r.json", "--", "--help"]) == 2
    assert json.loads(open("r.json").read())["status"] == "invalid"
    assert _enabled(store_url) == {"checkout": True, "search": True, "banner": False}


def test_expect_version_applies_to_one_key(store_url, capsys):
    assert main(["flags", "kill", "checkout", "search", "--expect-version", "0", "--store", store_url]) == 2
    assert "--expect-version applies to one flag" in capsys.readouterr().err
    assert _enabled(store_url)["checkout"] is True
