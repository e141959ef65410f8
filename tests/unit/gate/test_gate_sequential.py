"""Sequential analysis: the mixture e-value against scipy's integral, error rates over many looks, early stopping,
bursts set aside, and a state that resumes exactly from its JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy import integrate, special

from rollwise.gate.model import LatencySli, Objective, Policy, RatioSli, Slo, Tolerance, TrackData, judge
from rollwise.gate.model.sequential import (
    SequentialState,
    count_evidence,
    log_mixture,
    log_normal_cdf,
    series_evidence,
)

ALPHA = 0.05
ERRORS = Slo("errors", RatioSli("e", "t"), Objective(target=0.99), Tolerance(0.1, 0.001), critical=True)
P95 = Slo("p95", LatencySli("h", quantile=0.95), Objective(max=1.0), Tolerance(0.1, 0.0), unit="s")


@pytest.mark.parametrize("z", [-200.0, -40.0, -31.0, -29.0, -5.0, 0.0, 3.0, 12.0])
def test_log_normal_cdf_matches_scipy(z):
    assert log_normal_cdf(z) == pytest.approx(special.log_ndtr(z), rel=1e-7)


@pytest.mark.parametrize("score,variance,scale", [(0.0, 10.0, 1.0), (25.0, 100.0, 1.0), (-8.0, 40.0, 0.5),
                                                  (3.0, 2.0, 2.0)])
def test_mixture_e_value_is_the_half_normal_integral(score, variance, scale):
    density = lambda lam: 2 * math.exp(-lam * lam / (2 * scale * scale)) / (scale * math.sqrt(2 * math.pi))  # noqa: E731
    integral, _ = integrate.quad(lambda lam: math.exp(lam * score - lam * lam * variance / 2) * density(lam), 0,
                                 math.inf)
    assert log_mixture(score, variance, scale) == pytest.approx(math.log(integral), rel=1e-6)


def _counts(rng, rows, canary_share, baseline_share, steps=9, n=3000, burst=None):
    for _ in range(steps):
        c, b = canary_share, baseline_share
        if burst and len(rows) in burst:
            c, b = c + rng.uniform(0.1, 0.2), b + rng.uniform(0.1, 0.2)
        rows.append([float(len(rows)), float(rng.binomial(n, c)), n, float(rng.binomial(n, b)), n])


def _looks_until_worse(rng, canary_share, baseline_share, looks=20, burst=None):
    rows: list = []
    for look in range(1, looks + 1):
        _counts(rng, rows, canary_share, baseline_share, burst=burst)
        if count_evidence(rows, ALPHA).log_e_worse >= math.log(1 / ALPHA):
            return look
    return None


def test_a_healthy_canary_is_rolled_back_at_most_alpha_of_the_time_over_twenty_looks():
    rng = np.random.default_rng(1)
    false = sum(_looks_until_worse(rng, 0.005, 0.005) is not None for _ in range(120))
    assert false <= ALPHA * 120


def test_a_worse_canary_is_caught_at_the_first_look_and_a_healthy_one_shown_within_tolerance_later():
    rng = np.random.default_rng(2)
    assert _looks_until_worse(rng, 0.015, 0.005) == 1
    rows: list = []
    for look in range(1, 21):
        _counts(rng, rows, 0.005, 0.005)
        evidence = count_evidence(rows, ALPHA)
        if math.expm1(evidence.high) < 0.2:
            break
    assert look < 20 and evidence.low < 0 < evidence.high


def test_a_burst_of_the_baseline_is_set_aside_and_does_not_roll_back():
    rng = np.random.default_rng(3)
    false = sum(_looks_until_worse(rng, 0.005, 0.005, looks=5, burst={20, 21}) is not None for _ in range(100))
    assert false <= 5
    rows: list = []
    _counts(rng, rows, 0.005, 0.005, steps=30, burst={20, 21})
    assert count_evidence(rows, ALPHA).set_aside == 2


def test_latency_series_keeps_alpha_over_looks_and_catches_ten_percent():
    rng = np.random.default_rng(4)

    def looks(effect):
        rows: list = []
        for look in range(1, 21):
            for _ in range(9):
                base = 0.2 * math.exp(rng.normal(0, 0.08))
                rows.append([float(len(rows)), 0.2 * math.exp(effect + rng.normal(0, 0.08)), base])
            if series_evidence(rows, ALPHA).log_e_worse >= math.log(1 / ALPHA):
                return look
        return None

    assert sum(looks(0.0) is not None for _ in range(300)) <= ALPHA * 300
    assert all(looks(math.log(1.1)) is not None for _ in range(20))


def _window(start: float, canary_share: float, rng, steps=9, n=3000) -> tuple[TrackData, TrackData]:
    canary, baseline = TrackData(), TrackData()
    for i in range(steps):
        t = start + 20 * i
        canary.steps.append((t, float(rng.binomial(n, canary_share)), float(n)))
        baseline.steps.append((t, float(rng.binomial(n, 0.005)), float(n)))
    for data in (canary, baseline):
        data.bad, data.total = sum(s[1] for s in data.steps), sum(s[2] for s in data.steps)
        data.series = [(t, 0.0) for t, _, _ in data.steps]
    return canary, baseline


def test_the_judge_on_sequential_evidence_waits_then_proceeds_and_the_state_resumes_from_json():
    rng = np.random.default_rng(5)
    state = SequentialState()
    decisions, resumed = [], None
    policy = Policy(min_requests=200, min_points=3)
    for look in range(12):
        canary, baseline = _window(look * 180.0, 0.005, rng)
        if look == 3:  # a new process picks the rollout up from the state file
            resumed = SequentialState.from_dict(json.loads(json.dumps(state.to_dict())))
            assert resumed.to_dict() == state.to_dict()
            state = resumed
        state.add(ERRORS, canary, baseline, look * 180.0 + 180)
        [result] = judge.judge_slos([ERRORS], {"errors": (canary, baseline, None)}, policy,
                                    compared=lambda slo, *_: state.compare(slo, ALPHA))
        decisions.append(result.reason_code)
        if result.verdict == "pass":
            break
    assert decisions[0] == "underpowered" and decisions[-1] == "ok"
    assert result.comparison.test.startswith("sequential mixture")
    entry = state.record(0.0, [result])
    assert 0 < entry["slos"]["errors"]["p"] <= 1


def test_a_steps_seen_twice_count_once():
    rng = np.random.default_rng(6)
    state = SequentialState()
    canary, baseline = _window(0.0, 0.005, rng)
    state.add(ERRORS, canary, baseline, 180.0)
    state.add(ERRORS, canary, baseline, 180.0)
    assert len(state.slos["errors"]["rows"]) == 9


@pytest.mark.parametrize("bad,total", [(0, 300), (5, 1000), (50, 10_000), (300, 400)])
def test_share_bounds_are_where_the_beta_binomial_mixture_reaches_one_over_alpha(bad, total):
    from scipy import stats as scipy_stats

    from rollwise.gate.model.sequential import share_bounds

    low, high = share_bounds(bad, total, 0.05)

    def e_value(p0):  # Jeffreys mixture over the binomial likelihood at p0 (the binomial coefficients cancel)
        return scipy_stats.betabinom.pmf(bad, total, 0.5, 0.5) / scipy_stats.binom.pmf(bad, total, p0)

    assert low <= bad / total <= high
    assert e_value(high) == pytest.approx(20, rel=1e-6)
    if bad:
        assert e_value(low) == pytest.approx(20, rel=1e-6)
    else:
        assert low == 0.0
