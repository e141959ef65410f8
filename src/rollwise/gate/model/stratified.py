"""Bad-request counts compared within time steps (Cochran-Mantel-Haenszel), so a burst that both tracks share
cancels out while a canary that is worse in every step is still caught.

Each step is one stratum: a 2x2 table of bad and good requests of canary and baseline. The score is the CMH
statistic; its variance is the larger of the hypergeometric one and a cluster-robust one (steps as clusters), so
errors that come in clumps (a burst whose share differs between tracks by more than binomial chance) widen the
test instead of deciding it. The effect is the Mantel-Haenszel common odds ratio with the Robins-Breslow-Greenland
variance, reported as a relative change of the bad share. ``tests/unit/gate/test_gate_stratified.py`` checks the
statistic, the odds ratio and its standard error against ``statsmodels``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from rollwise.gate.model.stats import TestResult, _p_from_z, two_proportions

_NORMAL = NormalDist()
#: fewer steps than this carry no information about clumping beyond the binomial model
MIN_STRATA = 2


@dataclass(frozen=True)
class Stratum:
    """One step: bad and total requests of each track."""

    canary_bad: float
    canary_total: float
    baseline_bad: float
    baseline_total: float


@dataclass(frozen=True)
class Cmh:
    """The stratified comparison: score statistic, its variances and the common odds ratio."""

    score: float  # sum of observed − expected canary bad requests
    variance: float  # hypergeometric (CMH) variance of the score
    robust_variance: float  # cluster-robust (sandwich) variance of the score under the null, steps as clusters
    strata: int  # informative strata (both tracks served requests and some were bad)
    odds_ratio: float
    log_odds_se: float  # Robins-Breslow-Greenland

    @property
    def dispersion(self) -> float:
        """How much wider than binomial the step-to-step variation is (1 = none)."""
        if self.strata < MIN_STRATA or self.variance <= 0:
            return 1.0
        return max(1.0, self.robust_variance / self.variance)

    @property
    def z(self) -> float:
        return self.score / math.sqrt(self.variance * self.dispersion) if self.variance > 0 else 0.0


def _clean(s: Stratum) -> tuple[float, float, float, float]:
    n, m = max(0.0, s.canary_total), max(0.0, s.baseline_total)
    return min(max(0.0, s.canary_bad), n), n, min(max(0.0, s.baseline_bad), m), m


def cmh(strata: list[Stratum]) -> Cmh:
    """The CMH score, its variances and the Mantel-Haenszel odds ratio over ``strata``."""
    scores, variances = [], []
    sum_r = sum_s = sum_pr = sum_ps_qr = sum_qs = 0.0
    for stratum in strata:
        x, n, y, m = _clean(stratum)
        total, bad = n + m, x + y
        if n <= 0 or m <= 0 or total < 2:
            continue
        a, b, c, d = x, n - x, y, m - y
        r, s = a * d / total, b * c / total
        p, q = (a + d) / total, (b + c) / total
        sum_r, sum_s = sum_r + r, sum_s + s
        sum_pr, sum_ps_qr, sum_qs = sum_pr + p * r, sum_ps_qr + p * s + q * r, sum_qs + q * s
        if 0 < bad < total:
            scores.append(x - n * bad / total)
            variances.append(n * m * bad * (total - bad) / (total * total * (total - 1)))
    score, variance = sum(scores), sum(variances)
    k = len(scores)
    # Under the null each step's score has mean 0 and, without clumping, the hypergeometric variance; the sum of
    # their squares estimates the variance whatever the clumping. Uncentred on purpose: centred on the common
    # effect, two burst steps that happen to lean the same way would explain each other away.
    robust = sum(u * u for u in scores)
    if sum_r > 0 and sum_s > 0:
        odds = sum_r / sum_s
        se = math.sqrt(sum_pr / (2 * sum_r ** 2) + sum_ps_qr / (2 * sum_r * sum_s) + sum_qs / (2 * sum_s ** 2))
    else:
        odds, se = (math.inf if sum_r > 0 else 0.0), math.inf
    return Cmh(score, variance, robust, k, odds, se)


def _share_ratio(odds: float, baseline_share: float) -> float:
    """Odds ratio -> ratio of bad shares at the baseline's share (Zhang and Yu, 1998)."""
    return odds / (1 - baseline_share + baseline_share * odds)


def stratified_proportions(strata: list[Stratum], alternative: str, alpha: float) -> TestResult:
    """Canary vs baseline bad share, compared within steps; Fisher's exact test or the pooled z test when the
    counts are too sparse, or the steps too few, for the stratified test."""
    x = sum(_clean(s)[0] for s in strata)
    n = sum(_clean(s)[1] for s in strata)
    y = sum(_clean(s)[2] for s in strata)
    m = sum(_clean(s)[3] for s in strata)
    pooled = two_proportions(x, n, y, m, alternative, alpha)
    if pooled.test == "fisher exact" or n <= 0 or m <= 0:
        return pooled
    result = cmh(strata)
    if result.strata < MIN_STRATA or not math.isfinite(result.log_odds_se) or result.odds_ratio <= 0:
        return pooled
    p_value = _p_from_z(result.z, alternative)
    half = _NORMAL.inv_cdf(1 - alpha / 2) * result.log_odds_se * math.sqrt(result.dispersion)
    share = y / m
    log_odds = math.log(result.odds_ratio)
    low, mid, high = (share * (_share_ratio(math.exp(v), share) - 1)
                      for v in (log_odds - half, log_odds, log_odds + half))
    return TestResult("cochran-mantel-haenszel", min(1.0, p_value), mid, (low, high))
