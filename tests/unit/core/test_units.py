"""The one grammar of durations, percents, shares and amounts."""

from __future__ import annotations

import pytest

from rollwise.units import parse_amount, parse_duration, parse_percent, parse_share


@pytest.mark.parametrize("text,seconds", [("30s", 30), ("5m", 300), ("1h", 3600), ("30d", 2592000), ("2w", 1209600),
                                          (12, 12), ("90", 90), ("250ms", 0.25), ("1.5s", 1.5), ("1.5h", 5400)],
                         ids=["s", "m", "h", "d", "w", "number", "text-number", "ms", "fraction", "fraction-hours"])
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("text", ["5 minutes", "-3s", "1y", "", True], ids=["words", "negative", "year", "empty", "bool"])
def test_a_bad_duration_names_the_fix(text):
    with pytest.raises(ValueError, match="is not a duration; write e.g. 500ms"):
        parse_duration(text)


def test_percent_share_and_amount():
    assert parse_percent("99.9%") == pytest.approx(0.999) == parse_percent(99.9)
    assert parse_share("10%") == pytest.approx(0.1) == parse_share(0.1)
    assert [parse_amount(v) for v in (0.3, "300ms", "1.5s", "0.05%", "-20ms")] == pytest.approx(
        [0.3, 0.3, 1.5, 0.0005, -0.02])
    with pytest.raises(ValueError, match="is not an amount"):
        parse_amount("fast")
