"""A gate result reduced to a rollout judgement: decision, reason, and the key SLI for the timeline."""

from rollwise.canary.adapters.judging import judgement
from rollwise.gate.model import (
    GateResult,
    LatencySli,
    Objective,
    RatioSli,
    Slo,
    SloResult,
    Tolerance,
    TrackData,
    Window,
)


def slo_result(name, sli, canary, baseline, verdict="pass"):
    slo = Slo(name=name, sli=sli, objective=Objective(max=0.5), tolerance=Tolerance(), unit="s" if name == "p95" else "")
    return SloResult(slo=slo, verdict=verdict, reason_code="ok", reason="ok",
                     canary=TrackData(value=canary, series=[(1.0, canary)]),
                     baseline=TrackData(value=baseline, series=[(1.0, baseline)]))


def gate_result(slos, decision="rollback"):
    return GateResult(decision=decision, score=50.0, reason="rollback: p95 worse", slos=slos, window=Window(0, 10),
                      baseline='{track="baseline"}', canary='{track="canary"}', step=1.0, warmup=0.0, alpha=0.05)


def test_the_latency_slo_is_the_key_sli():
    result = gate_result([slo_result("errors", RatioSli("e", "t"), 0.01, 0.0),
                          slo_result("p95", LatencySli("h", quantile=0.95), 0.3, 0.2, "fail")])
    judged = judgement(result)
    assert (judged.decision, judged.reason) == ("rollback", "rollback: p95 worse")
    assert (judged.sli, judged.baseline, judged.canary) == ("p95 (s)", 0.2, 0.3)
    assert judged.detail["schema"] == "rollwise/gate/v1"
    assert all("series" not in slo["canary"] for slo in judged.detail["slos"])


def test_without_a_latency_slo_the_first_one_is_shown():
    judged = judgement(gate_result([slo_result("errors", RatioSli("e", "t"), 0.01, 0.0)], "proceed"))
    assert (judged.decision, judged.sli, judged.canary) == ("proceed", "errors", 0.01)


def test_the_failed_slo_is_the_key_sli_of_a_rollback():
    result = gate_result([slo_result("errors", RatioSli("e", "t"), 0.07, 0.0, "fail"),
                          slo_result("p95", LatencySli("h", quantile=0.95), 0.2, 0.2)])
    judged = judgement(result)
    assert (judged.sli, judged.baseline, judged.canary) == ("errors", 0.0, 0.07)
