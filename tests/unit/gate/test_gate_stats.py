"""The stdlib statistics agree with scipy.stats on the same inputs."""

from __future__ import annotations

import random

import pytest
from scipy import stats as scipy_stats

from rollwise.gate.model import stats


def _samples(seed: int, shift: float, ties: bool) -> tuple[list[float], list[float]]:
    rng = random.Random(seed)
    x = [rng.gauss(1.0 + shift, 0.3) for _ in range(37)]
    y = [rng.gauss(1.0, 0.3) for _ in range(41)]
    if ties:
        x, y = [round(v, 1) for v in x], [round(v, 1) for v in y]
    return x, y


@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
@pytest.mark.parametrize("shift,ties", [(0.0, False), (0.15, False), (0.1, True), (-0.2, True)],
                         ids=["equal", "shifted", "ties", "lower-ties"])
def test_mann_whitney_matches_scipy_asymptotic(alternative, shift, ties):
    x, y = _samples(7, shift, ties)
    ours = stats.mann_whitney(x, y, alternative, 0.05)
    theirs = scipy_stats.mannwhitneyu(x, y, alternative=alternative, method="asymptotic")
    assert ours.p_value == pytest.approx(theirs.pvalue, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("table", [(3, 97, 0, 100), (10, 990, 2, 998), (0, 50, 0, 60), (5, 5, 1, 9), (40, 60, 20, 80)],
                         ids=["3-vs-0", "sparse", "no-events", "small", "large"])
@pytest.mark.parametrize("alternative", ["greater", "less", "two-sided"])
def test_fisher_exact_matches_scipy(table, alternative):
    a, b, c, d = table
    expected = scipy_stats.fisher_exact([[a, b], [c, d]], alternative=alternative).pvalue
    assert stats.fisher_exact(a, b, c, d, alternative) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_two_proportions_uses_z_test_on_large_counts_and_matches_the_normal_formula():
    result = stats.two_proportions(300, 100_000, 200, 100_000, "greater", 0.05)
    pooled = 500 / 200_000
    z = (0.003 - 0.002) / (pooled * (1 - pooled) * (2 / 100_000)) ** 0.5
    assert result.test == "two-proportion z"
    assert result.p_value == pytest.approx(scipy_stats.norm.sf(z), rel=1e-9)
    assert result.interval[0] < 0.001 < result.interval[1]


def test_two_proportions_falls_back_to_fisher_on_sparse_errors():
    result = stats.two_proportions(4, 500, 0, 500, "greater", 0.05)
    assert result.test == "fisher exact"
    assert result.p_value == pytest.approx(scipy_stats.fisher_exact([[4, 496], [0, 500]], alternative="greater").pvalue)


def test_wilson_interval_matches_statsmodels_formula_values():
    # Known value: 0 successes in 100 at 95 % -> upper bound 3.70 %
    low, high = stats.wilson_interval(0, 100, 0.05)
    assert low == 0.0
    assert high == pytest.approx(0.0370, abs=2e-4)


def test_hodges_lehmann_estimates_the_shift_and_covers_it():
    rng = random.Random(3)
    y = [rng.gauss(0.2, 0.02) for _ in range(60)]
    x = [v + 0.05 for v in (rng.gauss(0.2, 0.02) for _ in range(60))]
    shift, (low, high) = stats.hodges_lehmann(x, y, 0.05)
    assert shift == pytest.approx(0.05, abs=0.01)
    assert low < 0.05 < high
    assert high - low < 0.03


def test_holm_matches_the_step_down_definition():
    p = [0.01, 0.04, 0.03, 0.5]
    # sorted: 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08 -> monotone 0.09, 0.5*1 -> 0.5
    assert stats.holm(p) == pytest.approx([0.04, 0.09, 0.09, 0.5])
