"""Track matchers go into the syntax tree, not into the string."""

from __future__ import annotations

import promql_parser
import pytest

from rollwise.gate.model import promql

CANARY = promql.track_matchers('{track="canary"}')


@pytest.mark.parametrize("query,expected", [
    ('sum(rate(http_requests_total{job="api"}[5m]))', 'sum(rate(http_requests_total{job="api",track="canary"}[5m]))'),
    ('sum(rate(a[1m])) / sum(rate(b{x=~"5.."}[1m]))',
     'sum(rate(a{track="canary"}[1m])) / sum(rate(b{x=~"5..",track="canary"}[1m]))'),
    ("max_over_time(q[5m:1m])", 'max_over_time(q{track="canary"}[5m:1m])'),
    ("rate(x[5m] offset 1h)", 'rate(x{track="canary"}[5m] offset 1h)'),
    ('sum(rate(a{$track}[$step])) / sum(rate(b[1m]))', 'sum(rate(a{track="canary"}[$step])) / sum(rate(b{}[1m]))'),
    ('x{path=~"/api/.*\\\\.json"}', 'x{path=~"/api/.*\\\\.json",track="canary"}'),
], ids=["simple", "binary", "subquery", "offset", "placeholder", "escaped-regex"])
def test_inject_adds_matchers_to_the_right_selectors(query, expected):
    if "$step" in query:
        query = query.replace("$step", "1m")
        expected = expected.replace("$step", "1m")
    out = promql.inject(query, CANARY)
    assert promql_parser.parse(out)  # what we send parses again
    assert out.replace(" ", "") == expected.replace(" ", "")


def test_inject_refuses_a_selector_that_already_sets_the_track_label():
    with pytest.raises(promql.PromqlError, match="already matches on track"):
        promql.inject('rate(x{track="baseline"}[1m])', CANARY)


@pytest.mark.parametrize("selector,message", [
    ('up{track="canary"}', "names a metric"),
    ("{}", "not valid PromQL|no label matchers"),
    ("rate(x[1m])", "not a plain metric selector"),
    ('{track="canary"', "not valid PromQL"),
], ids=["named", "empty", "function", "unclosed"])
def test_track_selector_errors(selector, message):
    with pytest.raises(promql.PromqlError, match=message):
        promql.track_matchers(selector)


def test_le_matcher_accepts_go_and_python_spelling_of_whole_bounds():
    assert promql.le_matcher(1) == 'le=~"1|1.0"'
    assert promql.le_matcher(0.25) == 'le="0.25"'


def test_duration_literals():
    assert promql.duration(90) == "90s"
    assert promql.duration(0.5) == "500ms"
