"""The one outcome contract: decision words, the exit table, publish(), and a crash reported as exit 4."""

from __future__ import annotations

import json

import pytest

from rollwise import outcome
from rollwise.cli import main
from rollwise.outcome import EXIT_CODES, Outcome, publish


def test_one_exit_table_matches_the_documented_contract():
    assert EXIT_CODES == {"proceed": 0, "rollback": 1, "invalid": 2, "inconclusive": 3, "error": 4}
    assert [outcome.decision_for(code) for code in range(5)] == list(EXIT_CODES)
    assert outcome.decision_for(77) == "error"


def test_an_unknown_decision_word_is_refused():
    with pytest.raises(ValueError, match="unknown decision 'PROCEED'"):
        Outcome("PROCEED")


def test_publish_writes_report_summary_outputs_and_annotations(tmp_path, monkeypatch, capsys):
    from rollwise.ghactions import Annotation

    outputs, summary, report = tmp_path / "out", tmp_path / "summary.md", tmp_path / "r" / "report.json"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    published = Outcome("inconclusive", report={"schema": "rollwise/test/v1"}, summary="## held\n",
                        outputs={"status": "held"}, annotations=[Annotation("warning", "no data", title="x")])
    assert publish(published, str(report)) == 3
    assert json.loads(report.read_text()) == {"schema": "rollwise/test/v1", "decision": "inconclusive"}
    assert summary.read_text() == "## held\n"
    text = outputs.read_text()
    assert "decision<<" in text and "\ninconclusive\n" in text and "\nheld\n" in text
    assert "::warning title=x::no data" in capsys.readouterr().out


def test_a_crash_exits_4_with_versions_traceback_group_and_no_rollback(tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "out"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))

    def boom(*args, **kwargs):
        raise KeyError("injected")

    monkeypatch.setattr("rollwise.cli.LazyGroup.get_command", boom)
    assert main(["gate", "--help"]) == 4
    out = capsys.readouterr().out
    assert "::error title=rollwise internal error::internal error in `rollwise gate`: KeyError: 'injected'" in out
    assert "rollwise 0." in out and "Python 3." in out and "please report it" in out
    group = out[out.index("::group::"):out.index("::endgroup::")]
    assert "Traceback (most recent call last)" in group and "in boom" in group
    assert "\nerror\n" in outputs.read_text() and "rollback" not in outputs.read_text()
