"""The stratified count test agrees with statsmodels, cancels a burst both tracks share, and still catches a canary
that is worse in every step."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.contingency_tables import StratifiedTable

from rollwise.gate.model.stratified import Stratum, cmh, stratified_proportions


def _tables(strata: list[Stratum]) -> StratifiedTable:
    return StratifiedTable([np.array([[s.canary_bad, s.canary_total - s.canary_bad],
                                      [s.baseline_bad, s.baseline_total - s.baseline_bad]], dtype=float)
                            for s in strata])


def _steps(seed: int, canary_share: float, baseline_share: float, n: int = 2000, steps: int = 20,
           burst: tuple[int, ...] = (), burst_share: tuple[float, float] = (0.1, 0.2)) -> list[Stratum]:
    """Binomial bad counts per step; in burst steps each track draws its own share in ``burst_share``."""
    rng = np.random.default_rng(seed)
    strata = []
    for step in range(steps):
        c, b = canary_share, baseline_share
        if step in burst:
            c, b = c + rng.uniform(*burst_share), b + rng.uniform(*burst_share)
        strata.append(Stratum(float(rng.binomial(n, c)), n, float(rng.binomial(int(n * 1.1), b)), int(n * 1.1)))
    return strata


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cmh_score_odds_ratio_and_its_standard_error_match_statsmodels(seed):
    strata = _steps(seed, 0.012, 0.01)
    ours, theirs = cmh(strata), _tables(strata)
    assert ours.score ** 2 / ours.variance == pytest.approx(theirs.test_null_odds(correction=False).statistic,
                                                            rel=1e-9)
    assert ours.odds_ratio == pytest.approx(theirs.oddsratio_pooled, rel=1e-9)
    assert ours.log_odds_se == pytest.approx(theirs.logodds_pooled_se, rel=1e-9)


def test_p_value_is_the_one_sided_cmh_p_value_widened_by_the_dispersion():
    strata = _steps(5, 0.011, 0.01, steps=30)
    result, ours = stratified_proportions(strata, "greater", 0.05), cmh(strata)
    chi2 = _tables(strata).test_null_odds(correction=False).statistic
    assert ours.dispersion == pytest.approx(max(1.0, ours.robust_variance / ours.variance))
    assert result.p_value == pytest.approx(scipy_stats.norm.sf((chi2 / ours.dispersion) ** 0.5), rel=1e-9)
    assert result.test == "cochran-mantel-haenszel"


def test_binomial_noise_alone_keeps_the_false_alarm_rate_at_alpha():
    alarms = sum(stratified_proportions(_steps(seed, 0.002, 0.002), "greater", 0.05).p_value < 0.05
                 for seed in range(400))
    assert alarms <= 0.065 * 400


def test_a_burst_both_tracks_share_does_not_look_like_a_regression():
    false_alarms = 0
    for seed in range(200):
        strata = _steps(seed, 0.002, 0.002, burst=(7, 8))
        result = stratified_proportions(strata, "greater", 0.05)
        false_alarms += result.p_value < 0.05
    # the pooled two-proportion test on the same counts is far more often "significant"
    pooled = 0
    for seed in range(200):
        strata = _steps(seed, 0.002, 0.002, burst=(7, 8))
        x, n = sum(s.canary_bad for s in strata), sum(s.canary_total for s in strata)
        y, m = sum(s.baseline_bad for s in strata), sum(s.baseline_total for s in strata)
        p = (x + y) / (n + m)
        z = (x / n - y / m) / (p * (1 - p) * (1 / n + 1 / m)) ** 0.5
        pooled += scipy_stats.norm.sf(z) < 0.05
    assert false_alarms <= 0.08 * 200
    assert pooled > 2 * false_alarms


def test_a_canary_worse_in_every_step_is_caught_even_during_a_burst():
    strata = _steps(11, 0.02, 0.002, burst=(7, 8))
    result = stratified_proportions(strata, "greater", 0.05)
    assert result.test == "cochran-mantel-haenszel"
    assert result.p_value < 1e-4
    low, high = result.interval
    assert 0 < low < result.estimate < high


def test_sparse_counts_keep_fishers_exact_test():
    strata = [Stratum(1, 500, 0, 500), Stratum(2, 500, 0, 500), Stratum(1, 500, 0, 500)]
    result = stratified_proportions(strata, "greater", 0.05)
    assert result.test == "fisher exact"
    assert result.p_value == pytest.approx(scipy_stats.fisher_exact([[4, 1496], [0, 1500]],
                                                                    alternative="greater").pvalue)


def test_one_step_is_the_pooled_test():
    result = stratified_proportions([Stratum(300, 100_000, 200, 100_000)], "greater", 0.05)
    assert result.test == "two-proportion z"
