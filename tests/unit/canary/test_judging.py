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


class CountsSource:
    """Per-step counts of a healthy canary, the same for every window a judge asks about (no I/O)."""

    name, graph_url = "counts", None

    def rate_window(self, step):
        return max(step, 20.0)

    async def measure(self, slo, track, window, step):
        import random

        rng = random.Random(f"{track}{window.start}")
        steps = [(window.start + 20 * (i + 1), float(sum(rng.random() < 0.005 for _ in range(3000))), 3000.0)
                 for i in range(int(window.seconds // 20))]
        return TrackData(bad=sum(s[1] for s in steps), total=sum(s[2] for s in steps), steps=steps,
                         series=[(t, 0.0) for t, _, _ in steps])

    async def aclose(self):
        return None


def test_sequential_evidence_is_snapshotted_and_a_judge_resumes_from_it():
    from rollwise.canary.adapters.judging import GateJudge
    from rollwise.canary.model.plan import CanaryPlan, Phase, RouterSpec
    from rollwise.canary.model.records import Window as AnalysisWindow
    from rollwise.gate.model import GateConfig, Policy

    slo = Slo("errors", RatioSli("e", "t"), Objective(target=0.99), Tolerance(0.1, 0.001))
    config = GateConfig(slos=(slo,), policy=Policy(min_requests=100, min_points=3))
    plan = CanaryPlan(phases=(Phase(100),), router=RouterSpec("command"))
    windows = [AnalysisWindow(0, 100, 1000.0 + 180 * i, 1180.0 + 180 * i) for i in range(4)]
    original = GateJudge(config, plan, lambda window: CountsSource())
    assert original.is_sequential
    for window in windows[:2]:
        original(window)
    resumed = GateJudge(config, plan, lambda window: CountsSource(), sequential=original.snapshot())
    ahead, behind = original(windows[2]), resumed(windows[2])
    assert ahead.detail["sequential"] == behind.detail["sequential"]
    assert ahead.detail["slos"][0]["comparison"] == behind.detail["slos"][0]["comparison"]
    assert len(original.snapshot()["history"]) == 3
    fixed = GateJudge(GateConfig(slos=(slo,), policy=Policy(min_requests=100, min_points=3, sequential=False)), plan,
                      lambda window: CountsSource())
    assert not fixed.is_sequential and fixed.snapshot() is None
    assert "sequential" not in fixed(windows[0]).detail
