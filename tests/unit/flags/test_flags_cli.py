"""The `rollwise flags` commands on the file store: exit codes, reports, outputs and summaries."""

from __future__ import annotations

import json

import pytest

from rollwise.cli import main

FLAGS = """\
version: rollwise/flags/v1
flags:
  checkout: {default: true}
"""


@pytest.fixture()
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ACTIONS"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "flags.yml").write_text(FLAGS)
    return tmp_path


def test_kill_reports_the_change_and_sets_outputs(files, monkeypatch, capsys):
    outputs, summary = files / "out.txt", files / "summary.md"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("ROLLWISE_FLAGS_STORE", "file://flags.yml")
    code = main(["flags", "kill", "checkout", "--reason", "incident 42", "--actor", "oncall", "--report", "r.json"])
    assert code == 0
    report = json.loads((files / "r.json").read_text())
    assert report["schema"] == "rollwise/flags-change/v1" and report["status"] == "changed" and report["version"] == 1
    assert report["audit"]["actor"] == "oncall" and report["changes"][0]["fields"][0]["after"] is False
    assert "changed<<" in outputs.read_text() and "\ntrue\n" in outputs.read_text()
    text = summary.read_text()
    assert "kill switch on `checkout`" in text and "| flag | `checkout` | update | enabled |" in text and "incident 42" in text


def test_invalid_flags_file_exits_2_and_writes_nothing(files, capsys):
    (files / "bad.yml").write_text("flags:\n  a:\n    prerequisites: [{flag: a}]\n")
    before = (files / "flags.yml").read_text()
    code = main(["flags", "sync", "--store", "file://flags.yml", "--file", "bad.yml", "--report", "r.json"])
    assert code == 2
    err = capsys.readouterr().err
    assert "bad.yml:3: flags.a.prerequisites: prerequisite cycle: a -> a" in err
    assert (files / "flags.yml").read_text() == before
    assert json.loads((files / "r.json").read_text())["status"] == "invalid"


def test_conflict_exits_3(files, capsys):
    assert main(["flags", "kill", "checkout", "--store", "file://flags.yml"]) == 0
    code = main(["flags", "set", "checkout", "--enabled", "--store", "file://flags.yml", "--expect-version", "0"])
    assert code == 3 and "conflict on 'checkout'" in capsys.readouterr().err


def test_get_evaluates_for_a_context(files, capsys):
    assert main(["flags", "get", "checkout", "--store", "file://flags.yml", "--context", '{"targetingKey": "u1"}']) in (0, None)
    body = json.loads(capsys.readouterr().out)
    assert body["evaluation"] == {"value": True, "variant": "true", "reason": "STATIC", "rule": None, "error_code": None}


def test_unknown_store_scheme_exits_2(files, capsys):
    assert main(["flags", "get", "--store", "etcd://x"]) == 2
    assert "unsupported store URL" in capsys.readouterr().err


def test_history_lists_changes(files, capsys):
    main(["flags", "kill", "checkout", "--store", "file://flags.yml", "--actor", "oncall", "--reason", "why"])
    capsys.readouterr()
    assert main(["flags", "history", "--store", "file://flags.yml"]) in (0, None)
    assert "v1" in capsys.readouterr().out


def test_a_crash_in_the_flags_service_exits_4_and_changes_nothing(tmp_path, monkeypatch, capsys):
    store = tmp_path / "flags.yml"
    store.write_text(FLAGS)
    before = store.read_text()
    outputs = tmp_path / "out"
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    def boom(*args, **kwargs):
        raise AttributeError("injected")

    monkeypatch.setattr("rollwise.flags.service._change_flag", boom)
    assert main(["flags", "kill", "checkout", "--store", f"file://{store}"]) == 4
    assert "internal error in `rollwise flags kill`: AttributeError: injected" in capsys.readouterr().err
    assert store.read_text() == before
    assert "\nerror\n" in outputs.read_text() and "rollback" not in outputs.read_text()
