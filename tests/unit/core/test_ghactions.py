"""The Actions runtime: outputs, summary, annotations, masks and groups."""

from __future__ import annotations

import pytest

from rollwise import ghactions
from rollwise.ghactions import Annotation
from support.actionrunner import parse_file_commands


@pytest.fixture()
def actions_env(tmp_path, monkeypatch):
    output, summary = tmp_path / "output", tmp_path / "summary"
    output.touch()
    summary.touch()
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(output))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    return output, summary


@pytest.mark.parametrize(
    ("raw", "data", "prop"),
    [
        ("plain", "plain", "plain"),
        ("50% done", "50%25 done", "50%25 done"),
        ("two\nlines\r\n", "two%0Alines%0D%0A", "two%0Alines%0D%0A"),
        ("a:b,c", "a:b,c", "a%3Ab%2Cc"),
    ],
    ids=["plain", "percent", "newlines", "colon-comma"],
)
def test_escaping_follows_the_toolkit(raw, data, prop):
    assert ghactions.escape_data(raw) == data
    assert ghactions.escape_property(raw) == prop


def test_outputs_survive_multiple_lines_and_delimiter_lookalikes(actions_env):
    output, _ = actions_env
    tricky = "line one\nEOF\nghadelimiter_x\nname=value"
    ghactions.set_outputs({"decision": "proceed", "details": tricky, "empty": None})
    assert parse_file_commands(output.read_text()) == {"decision": "proceed", "details": tricky, "empty": ""}


def test_each_output_gets_its_own_random_delimiter(actions_env):
    output, _ = actions_env
    ghactions.set_output("a", "1")
    ghactions.set_output("b", "2")
    heads = [line for line in output.read_text().splitlines() if "<<" in line]
    assert len({head.split("<<")[1] for head in heads}) == 2


def test_summary_appends(actions_env):
    _, summary = actions_env
    ghactions.append_summary("# one")
    ghactions.append_summary("# two")
    assert summary.read_text() == "# one\n# two\n"


def test_summary_is_truncated_under_the_limit_with_a_visible_note(actions_env):
    _, summary = actions_env
    summary.write_text("x" * 1000 + "\n")
    rows = "".join(f"| row {i} | {'é' * 40} |\n" for i in range(40_000))
    ghactions.append_summary("```mermaid\n" + rows, report_hint="out/gate.json")
    text = summary.read_text(encoding="utf-8")
    assert len(text.encode()) <= 1024 * 1024
    assert "Summary truncated" in text and "out/gate.json" in text
    assert text.count("```") % 2 == 0, "an open code fence is closed before the note"
    body = text.split("> **Summary truncated**")[0].rstrip("\n`").splitlines()
    assert body[-1].startswith("| row ") and body[-1].endswith("|"), "cut on a line boundary"


def test_small_summary_is_untouched():
    assert ghactions.fit_summary("short", already=0) == "short"


def test_mask_each_line_of_a_secret(actions_env, capsys):
    ghactions.mask("s3cret\nline two\n")
    assert capsys.readouterr().out.splitlines() == ["::add-mask::s3cret", "::add-mask::line two"]


def test_mask_outside_actions_prints_nothing(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    ghactions.mask("s3cret")
    captured = capsys.readouterr()
    assert "s3cret" not in captured.out + captured.err


def test_annotations_are_capped_per_level_with_errors_kept(actions_env, capsys):
    items = [Annotation("warning", f"w{i}", "a.py", i) for i in range(3)]
    items += [Annotation("error", f"e{i}", "m.py", i + 1, title="rule, x") for i in range(14)]
    ghactions.annotate(items)
    lines = capsys.readouterr().out.splitlines()
    errors = [line for line in lines if line.startswith("::error")]
    assert len(errors) == 10
    assert errors[0] == "::error file=m.py,line=1,title=rule%2C x::e0"
    assert errors[-1].endswith("::5 more error findings are listed in the job summary.")
    assert len([line for line in lines if line.startswith("::warning")]) == 3


def test_annotations_outside_actions_read_as_text(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    ghactions.annotate([Annotation("error", "drops a column", "versions/1.py", 12, title="drop-column")])
    assert capsys.readouterr().err.strip() == "error: versions/1.py:12: drop-column: drops a column"


def test_groups(actions_env, capsys):
    with ghactions.group("Phase 1: 5 %"):
        print("inside")
    assert capsys.readouterr().out.splitlines() == ["::group::Phase 1: 5 %25", "inside", "::endgroup::"]


def test_outputs_outside_actions_go_to_the_terminal(monkeypatch, capsys):
    monkeypatch.delenv("GITHUB_OUTPUT", raising=False)
    ghactions.set_output("decision", "rollback")
    assert "output decision: rollback" in capsys.readouterr().err
