"""The judge's rules, one scenario each, on measured data built in the test (no I/O)."""

from __future__ import annotations

import random

import pytest

from rollwise.gate.model import LatencySli, Objective, Policy, RatioSli, Slo, Tolerance, TrackData, Window, judge

POLICY = Policy(min_requests=200, min_points=8)
AVAILABILITY = Slo("availability", RatioSli("errors", "total"), Objective(target=0.99), Tolerance(0.1, 0.001),
                   critical=True)
LATENCY = Slo("p95", LatencySli("h", quantile=0.95), Objective(max=0.3), Tolerance(0.1, 0.0), unit="s")
WINDOW = Window(0, 1800)


def counts(bad: float | None, total: float | None) -> TrackData:
    return TrackData(bad=bad, total=total, series=[(i * 60.0, 0.0) for i in range(30)] if total else [])


def latency(centre: float, spread: float = 0.01, points: int = 30, seed: int = 1, total: float = 10_000) -> TrackData:
    rng = random.Random(seed)
    return TrackData(total=total, series=[(i * 60.0, rng.gauss(centre, spread)) for i in range(points)])


def one(slo: Slo, canary: TrackData, baseline: TrackData, before: TrackData | None = None):
    results = judge.judge_slos([slo], {slo.name: (canary, baseline, before)}, POLICY)
    return results[0]


@pytest.mark.parametrize("canary,baseline,verdict,code,words", [
    (counts(200, 100_000), counts(180, 100_000), "pass", "ok", "meets the objective"),
    # the same shares on a tenth of the traffic: not worse, but not shown to be within the tolerance either
    (counts(20, 10_000), counts(18, 10_000), "inconclusive", "underpowered", "the data would decide"),
    (counts(80, 10_000), counts(10, 10_000), "fail", "regression", "worse than the baseline"),
    (counts(None, 10_000), counts(12, 10_000), "pass", "better", "better than baseline"),
    (counts(0, 0), counts(10, 10_000), "inconclusive", "no_canary_data", "receiving traffic"),
    (counts(None, None), counts(10, 10_000), "inconclusive", "no_canary_data", "0 counted"),
    (counts(1, 50), counts(10, 10_000), "inconclusive", "low_traffic", "fewer than min_requests 200"),
    (counts(20, 10_000), counts(None, None), "inconclusive", "no_baseline_data", "comparison is impossible"),
    (TrackData(error="boom"), counts(10, 10_000), "inconclusive", "source_error", "could not read canary data: boom"),
], ids=["healthy", "underpowered", "error-regression", "no-errors-is-zero", "no-traffic", "no-series", "low-traffic",
        "no-baseline", "source-error"])
def test_counts_rules(canary, baseline, verdict, code, words):
    result = one(AVAILABILITY, canary, baseline)
    assert (result.verdict, result.reason_code) == (verdict, code)
    assert words in result.reason


def test_sparse_errors_are_caught_on_counts_where_a_rank_test_on_the_series_would_pass():
    # 9 errors vs 0 in 3000 requests each: the per-step ratio series is mostly zeros (Kayenta's known miss).
    result = one(AVAILABILITY, counts(30, 3000), counts(0, 3000))
    assert result.verdict == "fail" and result.comparison.test in ("fisher exact", "two-proportion z")


def test_objective_breach_that_the_baseline_shares_is_environmental():
    result = one(AVAILABILITY, counts(300, 10_000), counts(290, 10_000), counts(20, 10_000))
    assert (result.verdict, result.reason_code) == ("inconclusive", "environmental")
    assert "baseline breaches it too" in result.reason


def test_baseline_degraded_against_its_own_past_makes_a_breach_environmental():
    slo = Slo("availability", RatioSli("e", "t"), Objective(target=0.995), Tolerance(0.1, 0.0005))
    # canary 0.6 % breaches 0.5 %; baseline 0.45 % (still within) but was 0.05 % before the window
    result = one(slo, counts(60, 10_000), counts(45, 10_000), counts(5, 10_000))
    assert result.reason_code == "environmental"
    assert "got worse than before the window" in result.reason


def test_objective_breach_with_a_healthy_baseline_fails():
    slo = Slo("availability", RatioSli("e", "t"), Objective(target=0.995), Tolerance(0.5, 0.01))
    result = one(slo, counts(60, 10_000), counts(45, 10_000), counts(44, 10_000))
    assert (result.verdict, result.reason_code) == ("fail", "objective_breached")
    assert "breaches the objective" in result.reason and "0.6 %" in result.reason


@pytest.mark.parametrize("canary,baseline,verdict,code", [
    (latency(0.20, seed=1), latency(0.20, seed=2), "pass", "ok"),
    (latency(0.26, seed=1), latency(0.20, seed=2), "fail", "regression"),
    (latency(0.205, seed=1), latency(0.20, seed=2), "pass", "ok"),  # significant maybe, but inside 10 %
    (latency(0.15, seed=1), latency(0.20, seed=2), "pass", "better"),
    (latency(0.20, points=5), latency(0.20, seed=2), "inconclusive", "too_few_points"),
], ids=["same", "slower", "within-tolerance", "faster", "few-points"])
def test_latency_rules(canary, baseline, verdict, code):
    result = one(LATENCY, canary, baseline)
    assert (result.verdict, result.reason_code) == (verdict, code)
    if code == "regression":
        assert result.comparison.test == "mann-whitney u"
        assert result.comparison.interval_relative[0] > 0.1
        assert "ms" in result.reason


def test_holm_keeps_ten_marginal_slos_from_rolling_back():
    slos = [Slo(f"s{i}", RatioSli("e", "t"), Objective(target=0.9), Tolerance(0.1, 0.0)) for i in range(10)]
    # each canary is mildly worse with p ≈ 0.02 on its own: below alpha alone, not after Holm over ten
    data = {s.name: (counts(230, 10_000), counts(196, 10_000), None) for s in slos}
    results = judge.judge_slos(slos, data, POLICY)
    raw = results[0].comparison.p_value
    assert 0.005 < raw < 0.05
    # not rolled back; and with a +17 % change whose interval reaches past the tolerance, not passed either
    assert all((r.verdict, r.reason_code) == ("inconclusive", "underpowered") for r in results)
    assert results[0].comparison.p_adjusted == pytest.approx(min(1, raw * 10))


@pytest.mark.parametrize("verdicts,critical,decision,score", [
    (["pass", "pass"], [False, False], "proceed", 100),
    (["fail", "pass"], [True, False], "rollback", 50),
    (["fail"] + ["pass"] * 9, [False] * 10, "proceed", 90),
    (["fail", "fail"] + ["pass"] * 8, [False] * 10, "rollback", 80),
    (["inconclusive", "pass"], [False, False], "inconclusive", 100),
    (["inconclusive", "fail"], [False, True], "rollback", 0),
    (["inconclusive"], [False], "inconclusive", None),
], ids=["all-pass", "critical-fail", "score-at-threshold", "score-below", "one-inconclusive", "fail-beats-hold",
        "nothing-decided"])
def test_decision_and_score(verdicts, critical, decision, score):
    results = []
    for i, (verdict, crit) in enumerate(zip(verdicts, critical)):
        slo = Slo(f"s{i}", RatioSli("e", "t"), Objective(target=0.99), Tolerance(), critical=crit)
        result = one(slo, counts(10, 10_000), counts(10, 10_000))
        result.verdict, result.reason_code, result.reason = verdict, "x", f"reason {i}"
        results.append(result)
    got, got_score, reason = judge.decide(results, POLICY)
    assert got == decision
    assert (got_score is None and score is None) or got_score == pytest.approx(score)
    assert reason.startswith(decision)


def test_gate_result_report_is_versioned_json():
    import json

    result = judge.judge([AVAILABILITY], {"availability": (counts(80, 10_000), counts(10, 10_000), None)}, POLICY,
                         WINDOW, baseline='{track="b"}', canary='{track="c"}', step=60)
    payload = json.loads(json.dumps(result.to_dict()))
    assert payload["schema"] == "rollwise/gate/v1"
    assert payload["decision"] == "rollback"
    slo = payload["slos"][0]
    assert slo["verdict"] == "fail" and slo["comparison"]["p_value"] < 0.001
    assert slo["canary"]["bad"] == 80 and slo["comparison"]["interval"][0] > 0


def test_a_missing_histogram_bucket_is_not_read_as_no_slow_requests():
    slow = Slo("slow", LatencySli("h", slower_than=0.4), Objective(target=0.99), Tolerance())
    result = one(slow, counts(None, 10_000), counts(None, 10_000))
    assert (result.verdict, result.reason_code) == ("inconclusive", "missing_bucket")
    assert 'le="0.4"' in result.reason and "bucket bounds" in result.reason


def test_raw_promql_that_must_stay_high_regresses_downwards():
    from rollwise.gate.model import PromqlSli

    throughput = Slo("throughput", PromqlSli("sum(rate(x[$step]))"), Objective(min=50), Tolerance(0.1, 0.0),
                     direction="decrease")
    result = one(throughput, latency(70, spread=2, seed=1), latency(100, spread=2, seed=2))
    assert (result.verdict, result.reason_code) == ("fail", "regression")
    assert result.comparison.change == pytest.approx(-0.3, abs=0.03)
    same = one(throughput, latency(100, spread=2, seed=1), latency(100, spread=2, seed=2))
    assert same.verdict == "pass"


def test_noisy_latency_within_one_wide_bucket_is_histogram_resolution_naming_bounds_to_add():
    canary, baseline = latency(0.31, spread=0.06, seed=1), latency(0.31, spread=0.06, seed=2)
    for data in (canary, baseline):
        data.buckets = [0.1, 0.25, 0.5, 1.0]
    slo = Slo("p99", LatencySli("h", quantile=0.99), Objective(max=1.0), Tolerance(0.1, 0.0), unit="s")
    result = one(slo, canary, baseline)
    assert (result.verdict, result.reason_code) == ("inconclusive", "histogram_resolution")
    assert "(0.25, 0.5]" in result.reason and 'le="0.28"' in result.reason
    # the same data with fine buckets: only more data can decide
    for data in (canary, baseline):
        data.buckets = [0.1, 0.25, 0.3, 0.35, 0.5]
    result = one(slo, canary, baseline)
    assert (result.verdict, result.reason_code) == ("inconclusive", "underpowered")
    assert "would decide" in result.reason


def test_bounds_to_add_split_a_bucket_at_the_tolerance():
    from rollwise.gate.model.noninferiority import bounds_to_add

    assert bounds_to_add(0.25, 0.5, 0.10) == [0.28, 0.3, 0.33, 0.37, 0.4, 0.44, 0.49]
    assert len(bounds_to_add(0.1, 10.0, 0.05)) <= 8
