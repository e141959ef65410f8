"""The markdown summary and the HTML report: verdict first, safe tables and markup, charts for non-passing SLOs."""

from __future__ import annotations

from rollwise.gate.model import Objective, Policy, PromqlSli, RatioSli, Slo, Tolerance, TrackData, Window, judge
from rollwise.gate.report import COMMENT_MARKER, render_html, render_markdown

QUERY = 'sum(rate(x{path=~"a|b"}[1m])) < 5 & more'


def result():
    slos = [Slo("errors", RatioSli("e", "t"), Objective(target=0.99), Tolerance(0.1, 0.001), critical=True),
            Slo("odd<name>", PromqlSli("q"), Objective(max=10), Tolerance())]
    series = [(1_700_000_000 + 60.0 * i, 0.01 * (i % 3)) for i in range(30)]
    data = {
        "errors": (TrackData(bad=300, total=10_000, series=series, queries=[QUERY]),
                   TrackData(bad=20, total=10_000, series=series, queries=[QUERY]), None),
        "odd<name>": (TrackData(series=series, queries=["q"]), TrackData(series=series, queries=["q"]), None),
    }
    return judge.judge(slos, data, Policy(), Window(1_700_000_000, 1_700_001_800), baseline='{t="b"}',
                       canary='{t="c"}', step=60, source="prometheus", graph_url="http://prom:9090")


def test_markdown_puts_the_verdict_first_and_keeps_tables_intact():
    text = render_markdown(result())
    assert text.startswith(COMMENT_MARKER)
    assert text.index("**rollback**") < text.index("| SLO |")
    row = next(line for line in text.splitlines() if line.startswith("| errors ★"))
    assert row.count(" | ") == 8  # nine columns: a | inside a value would have split the row
    assert "```mermaid" in text and "xychart-beta" in text  # a chart for the failing SLO
    assert "http://prom:9090/graph?g0.expr=" in text


def test_html_escapes_queries_and_names():
    page = render_html(result())
    assert "odd&lt;name&gt;" in page and "odd<name>" not in page
    assert "&lt; 5 &amp; more" in page
    assert page.count("<polyline") == 4


def test_chart_axis_in_seconds_for_short_windows_and_minutes_for_long_ones():
    from rollwise.gate.report import _mermaid_axis

    short = _mermaid_axis({"times": [1000.0, 1004.0, 1014.0], "baseline": [1, 2, 3], "canary": [1, 2, 4]}, 1000.0)
    assert (short["unit"], short["first"], short["last"]) == ("seconds", 0, 14)
    long = _mermaid_axis({"times": [1060.0, 2800.0], "baseline": [1, 2], "canary": [1, 3]}, 1000.0)
    assert (long["unit"], long["first"], long["last"]) == ("minutes", 1, 30)
