"""The job summary: timeline points, key-SLI chart data and the rendered markdown."""

from rollwise.canary.model.records import AnalysisRecord, Event, Judgement, PhaseRecord, RolloutResult
from rollwise.canary.report import render_markdown, sli_series, weight_timeline


def result():
    phase = PhaseRecord(index=0, weight=10, started=101.0, weight_set=10, ended=108.0, outcome="rolled back",
                        traffic={"tracks": {"baseline": {"requests": 100, "p95_ms": 26.0, "error_rate": 0.0},
                                            "canary": {"requests": 99, "p95_ms": 41.0, "error_rate": 0.0}}})
    phase.analyses.append(AnalysisRecord(1, 103.0, 107.0, Judgement("rollback", "slow-requests | worse", "slow-requests",
                                                                    0.001, 0.2), "rollback"))
    events = [Event(101.2, "weight", 10, "phase 1"), Event(101.6, "analysis", 10, "x"), Event(107.5, "rollback", 0, "y")]
    return RolloutResult("rollback", "phase 1 (10 %): regression", 100.0, 108.0, 0, [phase], events,
                         {"router": "nginx", "warmup": "k6 generated"}, state_file="state.json")


def test_weight_timeline_draws_steps_with_distinct_labels():
    labels, weights = weight_timeline(result())
    assert weights == [0, 0, 10, 10, 0, 0]
    assert len(set(labels)) == len(labels)
    assert [label.rstrip("\u200b") for label in labels] == ["0.0s", "1.2s", "1.2s", "7.5s", "7.5s", "8.0s"]


def test_sli_series():
    assert sli_series(result()) == {"name": "slow-requests", "labels": ["P1 #1"], "baseline": [0.001],
                                    "canary": [0.2], "top": 0.24}


def test_markdown_has_decision_charts_and_tables():
    markdown = render_markdown(result(), "out/report.json")
    assert markdown.startswith("## ⏪ canary-deploy: rollback\n")
    assert markdown.count("```mermaid\nxychart-beta") == 2
    assert "    line [0, 0, 10, 10, 0, 0]" in markdown
    assert "| 1 | 10 % | 10 % | 0 / 1 / 0 | 100 / 99 | 26 / 41 | 0 / 0 | rolled back |" in markdown
    assert "slow-requests \\| worse" in markdown
    assert "| report | `out/report.json` |" in markdown
