"""The flags check: which variant a flag serves to everyone, since when (from audit entries, with an injected
clock), and the findings on the sample repository, through the service and the CLI."""

from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from rollwise.cli import main
from rollwise.flags import service
from rollwise.flags.model import lifecycle
from rollwise.flags.model.changes import Audit, AuditEntry
from rollwise.flags.model.coderefs import Reference
from rollwise.flags.model.lifecycle import CODE_DEFAULT, FlagFacts, served_everyone, uniform_since
from support.clock import FakeClock
from support.gitrepo import commit_all

SAMPLE = Path(__file__).parent / "sample_repo"
T0 = datetime(2026, 9, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("raw, served", [
    ({"enabled": False}, CODE_DEFAULT),
    ({"enabled": False, "off": "false"}, "false"),
    ({"default": {"rollout": {"true": 100, "false": 0}}}, "true"),
    ({"default": {"rollout": {"true": 5, "false": 95}}}, None),
    ({"default": "true"}, "true"),
    ({"default": "true", "rules": [{"serve": "false"}]}, None),
    ({"default": "true", "rules": [{"serve": {"variant": "true"}}]}, "true"),
    ({"default": "false", "targets": {"true": ["u1"]}}, None),
    ({"default": "true", "prerequisites": [{"flag": "other"}]}, None),
    ({}, "false"),
], ids=["killed", "killed-off-variant", "100-percent", "split", "plain", "rule-differs", "rule-same", "targets",
        "prerequisite", "boolean-default"])
def test_served_everyone(raw, served):
    assert served_everyone(raw) == served


def entry(days: float, after, key: str = "f") -> AuditEntry:
    return AuditEntry(1, (T0 + timedelta(days=days)).isoformat(), Audit("ci"),
                      [{"kind": "flag", "key": key, "after": after}])


def test_uniform_since_walks_the_log_back_to_the_last_definition_that_served_something_else():
    history = [entry(20, {"enabled": False}), entry(10, {"default": {"rollout": {"true": 100, "false": 0}},
                                                          "enabled": False}),
               entry(5, {"default": {"rollout": {"true": 50, "false": 50}}}), entry(1, {"enabled": False})]
    assert uniform_since("f", {"enabled": False}, history) == (CODE_DEFAULT, T0 + timedelta(days=10))
    # unrelated entries are skipped; a flag the log never wrote has no known start
    assert uniform_since("f", {"enabled": False}, [entry(3, {"enabled": True}, key="g")]) == (CODE_DEFAULT, None)
    # the newest entry wrote something else (e.g. a file edited by hand): unknown, never a guess
    assert uniform_since("f", {"enabled": False}, [entry(3, {"default": {"rollout": {"true": 5, "false": 95}}})]) \
        == (CODE_DEFAULT, None)


def test_check_findings_with_an_injected_clock():
    refs = [Reference("old", "a.py", 3, "client.is_enabled", "python", "literal"),
            Reference("new-chekout", "b.ts", 7, "getBooleanValue", "javascript", "pattern"),
            Reference("fresh", "a.py", 9, "client.value", "python", "literal")]
    facts = {"old": FlagFacts("old", 4, "true", T0), "new-checkout": FlagFacts("new-checkout", 2),
             "fresh": FlagFacts("fresh", 6, "true", T0, stale_after=timedelta(days=90)),
             "kill-switch": FlagFacts("kill-switch", 8, "true", T0, stale_after=None)}
    refs = [*refs, Reference("kill-switch", "c.py", 1, "client.is_enabled", "python", "literal")]
    found = lifecycle.check(facts, refs, T0 + timedelta(days=31), did_you_mean=lambda k, c: "new-checkout")
    assert [(f.severity, f.rule, f.key, f.file, f.line) for f in found] == [
        ("error", "undefined-flag", "new-chekout", "b.ts", 7),
        ("warning", "stale-flag", "old", "a.py", 3),
        ("warning", "unused-flag", "new-checkout", "flags.yml", 2),
    ]
    assert found[0].fix == "did you mean 'new-checkout'?"
    assert "served variant `true` to everyone since 2026-09-01 (31 days, stale after 30 days)" in found[1].message
    assert found[1].fix == "delete the reads at a.py:3, then remove 'old' from flags.yml"
    assert [f.rule for f in lifecycle.check(facts, refs, T0 + timedelta(days=29))] == ["undefined-flag",
                                                                                      "unused-flag"]


def test_reference_changes_are_counted_per_key_and_file():
    base = [Reference("a", "x.py", 1, "c", "python", "literal"), Reference("gone", "y.py", 5, "c", "python", "literal")]
    head = [Reference("a", "x.py", 3, "c", "python", "literal"), Reference("a", "x.py", 9, "c", "python", "literal"),
            Reference("b", "z.ts", 2, "c", "javascript", "pattern")]
    found = lifecycle.reference_changes(head, base, {"gone": FlagFacts("gone")})
    assert [(f.rule, f.key, f.file, f.line) for f in found] == [
        ("reference-added", "a", "x.py", 3), ("reference-added", "b", "z.ts", 2), ("reference-removed", "gone", "y.py",
                                                                                   None)]
    assert "adds 1 read(s)" in found[0].message and found[2].fix == "no code reads 'gone' any more: delete it from flags.yml"


@pytest.fixture()
def repo(tmp_path, monkeypatch):
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    path = shutil.copytree(SAMPLE, tmp_path / "repo")
    monkeypatch.chdir(path)
    return path


def test_stale_flag_from_the_file_store_audit_log(repo):
    store = service.open_store("file://store.yml")
    (repo / "store.yml").write_text((repo / "flags.yml").read_text())
    service.kill(store, "search-v2", Audit("oncall", "search broke"))
    killed_at = datetime.now(timezone.utc)
    result = service.check_code("flags.yml", ".", store=store, clock=FakeClock((killed_at + timedelta(days=45)).timestamp()))
    stale = [f for f in result.findings if f.rule == "stale-flag"]
    assert [(f.key, f.file, f.line) for f in stale] == [("search-v2", "shop/search.py", 10)]
    assert "has served the code default to everyone since" in stale[0].message
    # old-banner is killed in flags.yml, but the store's log never wrote it: no guess
    assert not any(f.key == "old-banner" for f in stale)
    assert not [f for f in service.check_code("flags.yml", ".", store=store,
                                            clock=FakeClock((killed_at + timedelta(days=29)).timestamp())).findings if f.rule == "stale-flag"]


def test_check_command_fails_on_an_undefined_key_and_writes_its_report(repo, capsys):
    code = main(["flags", "check", "--file", "flags.yml", "--report", "check.json"])
    assert code == 1
    report = json.loads((repo / "check.json").read_text())
    assert report["schema"] == "rollwise/flags-check/v1" and report["status"] == "failed"
    assert report["decision"] == "rollback"  # exit 1, as for an unsafe migration
    assert report["counts"] == {"error": 1, "warning": 1, "notice": 3}
    [error] = [f for f in report["findings"] if f["severity"] == "error"]
    assert (error["key"], error["file"], error["line"], error["fix"]) == ("new-chekout", "web/src/checkout.ts", 8,
                                                                          "did you mean 'new-checkout'?")
    (repo / "web" / "src" / "checkout.ts").write_text("client.getBooleanValue('new-checkout', false)\n")
    assert main(["flags", "check", "--file", "flags.yml"]) == 0
    assert "flags check passed: 0 error(s), 1 warning(s)" in capsys.readouterr().err


def test_check_refuses_an_invalid_flags_file_with_exit_2(repo, capsys):
    (repo / "flags.yml").write_text("flags:\n  a:\n    stale_after: soon\n")
    assert main(["flags", "check", "--file", "flags.yml"]) == 2
    assert "flags.yml:3: flags.a.stale_after: 'soon' is not a duration" in capsys.readouterr().err


def test_base_ref_turns_added_and_removed_reads_into_notices(repo):
    commit_all(repo, "base")
    (repo / "shop" / "search.py").write_text("")
    (repo / "web" / "src" / "extra.ts").write_text("client.getBooleanValue('search-v2', false)\n")
    result = service.check_code("flags.yml", ".", base="main")
    notices = {(f.rule, f.key, f.file) for f in result.findings if f.rule.startswith("reference-")}
    assert notices == {("reference-added", "search-v2", "web/src/extra.ts"),
                       ("reference-removed", "search-v2", "shop/search.py"),
                       ("reference-removed", "dark-mode", "shop/search.py")}


def test_refs_command_lists_every_read_and_writes_its_report(repo, capsys):
    assert main(["flags", "refs", "--report", "refs.json"]) == 0
    out, err = capsys.readouterr()
    assert "new-chekout\tweb/src/checkout.ts:8\tgetBooleanValue (openfeature-js)" in out.splitlines()
    assert "(dynamic checkout-*)\tshop/checkout.py:16\tclient.evaluate" in out.splitlines()
    assert "13 reference(s) to 5 flag(s) in 7 file(s)" in err
    report = json.loads((repo / "refs.json").read_text())
    assert report["decision"] == "proceed"
    assert report["schema"] == "rollwise/flags-refs/v1" and report["keys"] == [
        "dark-mode", "new-checkout", "new-chekout", "old-banner", "search-v2"]
    assert report["references"][1] == {"key": "new-checkout", "file": "shop/checkout.py", "line": 11, "column": 8,
                                       "call": "client.is_enabled", "language": "python", "how": "constant",
                                       "glob": None, "detail": ""}


@pytest.mark.parametrize("args, message", [
    (["--stale-after", "soon"], "--stale-after: 'soon' is not a duration"),
    (["--base", "no-such-ref"], "needs a git repository"),
    (["--now", "yesterday"], "--now 'yesterday' is not a time with a time zone"),
], ids=["stale-after", "base", "now"])
def test_check_usage_errors_exit_2(repo, capsys, args, message):
    assert main(["flags", "check", *args]) == 2
    assert message in capsys.readouterr().err


def test_run_schedule_command_applies_once_and_rehearses_with_now(repo, capsys):
    text = (repo / "flags.yml").read_text().replace(
        "  never-read:\n", "  never-read:\n    schedule:\n      - {at: 2020-01-01T00:00:00Z, enabled: false}\n"
                           "      - {at: 2999-01-01T00:00:00Z, enabled: true}\n")
    (repo / "flags.yml").write_text(text)
    assert main(["flags", "run-schedule", "--store", "file://flags.yml", "--report", "s.json"]) == 0
    report = json.loads((repo / "s.json").read_text())
    assert report["schema"] == "rollwise/flags-schedule/v1" and report["status"] == "changed"
    assert report["decision"] == "proceed"
    assert [(s["id"], s["status"]) for s in report["steps"]] == [("never-read@2020-01-01T00:00:00Z", "applied"),
                                                                 ("never-read@2999-01-01T00:00:00Z", "pending")]
    assert main(["flags", "run-schedule", "--store", "file://flags.yml", "--report", "s.json"]) == 0
    assert json.loads((repo / "s.json").read_text())["status"] == "unchanged"
    assert main(["flags", "run-schedule", "--store", "file://flags.yml", "--now", "2999-01-02T00:00:00Z"]) == 2
    assert "--now rehearses a schedule and needs --dry-run" in capsys.readouterr().err
    assert main(["flags", "run-schedule", "--store", "file://flags.yml", "--now", "2999-01-02T00:00:00Z",
                 "--dry-run", "--report", "s.json"]) == 0
    rehearsal = json.loads((repo / "s.json").read_text())
    assert rehearsal["status"] == "dry-run" and [s["status"] for s in rehearsal["steps"]] == ["due"]
    assert service.open_store("file://flags.yml").load().flagset.flags["never-read"].enabled is False
    assert main(["flags", "run-schedule", "--store", "file://flags.yml", "--flag", "never-reed"]) == 2
    assert "flag 'never-reed' does not exist in file://flags.yml\n  fix: did you mean 'never-read'?" in \
        capsys.readouterr().err


def test_stale_after_per_flag():
    from rollwise.flags.config import parse_flagset_text, stale_after

    flags = parse_flagset_text("flags:\n  a: {stale_after: 14d}\n  b: {stale_after: never}\n  c: {}\n").flags
    month = timedelta(days=30)
    assert [stale_after(flags[k].raw, month) for k in "abc"] == [timedelta(days=14), None, month]
