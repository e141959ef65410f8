"""The rollout's control flow with a fake router, judge and traffic: promote, roll back, hold, cancel."""

import json
import threading

import pytest

from rollwise.canary.adapters.state import StateFile
from rollwise.canary.model.plan import Analysis, CanaryPlan, Commands, Hooks, KillSwitch, Phase, RouterSpec
from rollwise.canary.service import Rollout, check_previous
from rollwise.errors import ConfigError
from rollwise.signals import Cancellation
from support.clock import FakeClock

from canary_fakes import FakeRouter, FakeTraffic, ScriptedJudge

FAST = Analysis(interval=0.05, count=2, warmup=0.01, failure_limit=0, inconclusive_limit=1)


def plan(weights=(10, 50, 100), analysis=FAST, **kwargs):
    return CanaryPlan(phases=tuple(Phase(w, analysis) for w in weights), router=RouterSpec("fake"), **kwargs)


def rollout(tmp_path, judge, router=None, **kwargs):
    lines = []
    plan_ = kwargs.pop("plan", None) or plan()
    rollout_ = Rollout(plan_, router or FakeRouter(), judge, state=StateFile(tmp_path / "state.json"),
                       log=lines.append, base_dir=tmp_path, **kwargs)
    rollout_.lines = lines
    return rollout_


def state(tmp_path):
    return json.loads((tmp_path / "state.json").read_text())


def test_healthy_canary_is_promoted(tmp_path):
    router, judge = FakeRouter(), ScriptedJudge("proceed")
    run = rollout(tmp_path, judge, router)
    result = run.run()
    assert (result.decision, result.status, result.phase_reached) == ("proceed", "promoted", 100)
    assert router.weights == [10, 50, 100]
    assert len(judge.windows) == 6
    assert [p.outcome for p in result.phases] == ["passed"] * 3
    assert state(tmp_path)["status"] == "promoted"
    assert any("phase 1/3: weight 10 %" in line for line in run.lines)
    assert any("phase 2 analysis 1: proceed" in line for line in run.lines)


def test_analysis_windows_are_contiguous_and_start_after_warmup(tmp_path):
    # on the injected clock a rollout with minute-long analyses runs at once, and its windows are exact
    clock, judge = FakeClock(), ScriptedJudge("proceed")
    slow = Analysis(interval=60, count=2, warmup=30, failure_limit=0, inconclusive_limit=1)
    result = rollout(tmp_path, judge, plan=plan(analysis=slow), clock=clock).run()
    assert result.decision == "proceed"
    first, second = judge.windows[:2]
    assert first.start == result.phases[0].started + 30
    assert (second.start, second.end) == (first.end, first.end + 60)
    assert result.ended - result.started == 3 * (30 + 2 * 60)


def test_regression_rolls_back_in_the_first_phase(tmp_path):
    router = FakeRouter()
    result = rollout(tmp_path, ScriptedJudge("rollback"), router).run()
    assert (result.decision, result.status, result.weight) == ("rollback", "rolled_back", 0)
    assert router.weights == [10, 0]
    assert "phase 1 (10 %): the analysis found a regression; failed checks 1 > failure limit 0" in result.reason
    assert result.phases[0].outcome == "rolled back"
    saved = state(tmp_path)
    assert (saved["status"], saved["weight"]) == ("rolled_back", 0)


def test_inconclusive_extends_then_rolls_back(tmp_path):
    judge = ScriptedJudge("proceed", "inconclusive", "inconclusive")
    result = rollout(tmp_path, judge).run()
    assert result.decision == "rollback"
    assert "2 inconclusive analyses in this phase > inconclusive limit 1" in result.reason
    assert len(judge.windows) == 3


def test_inconclusive_can_hold_at_the_current_weight(tmp_path):
    router = FakeRouter()
    analysis = Analysis(interval=0.05, count=1, warmup=0, inconclusive_limit=0, on_inconclusive="hold")
    result = rollout(tmp_path, ScriptedJudge("proceed", "inconclusive"), router, plan=plan(analysis=analysis)).run()
    assert (result.decision, result.status, result.weight) == ("inconclusive", "held", 50)
    assert router.weights == [10, 50]
    assert state(tmp_path)["status"] == "held"


def test_a_judge_that_cannot_read_data_never_passes(tmp_path):
    judge = ScriptedJudge(ConnectionError("prometheus unreachable"))
    result = rollout(tmp_path, judge).run()
    assert result.decision == "rollback"
    assert "could not judge: ConnectionError: prometheus unreachable" in result.reason


def test_router_error_rolls_back(tmp_path):
    router = FakeRouter(fail_on={50})
    result = rollout(tmp_path, ScriptedJudge("proceed"), router).run()
    assert result.decision == "rollback"
    assert result.reason == "fake router: cannot set weight 50"
    assert router.weights == [10, 50, 0]


def test_a_rollback_that_cannot_set_weight_zero_is_reported_loudly(tmp_path):
    router = FakeRouter(fail_on={0})
    run = rollout(tmp_path, ScriptedJudge("rollback"), router)
    result = run.run()
    assert result.decision == "rollback"
    assert router.weights == [10, 0, 0, 0]
    assert result.rollback_errors[0] == "attempt 1 to set weight 0: fake router: cannot set weight 0"
    assert len(result.rollback_errors) == 3
    assert state(tmp_path)["status"] == "rollback_failed"
    assert any("rollback is incomplete" in line and "rollwise canary rollback --state-file" in line
               for line in run.lines)


def test_the_weight_the_router_reports_is_what_the_report_shows(tmp_path):
    router = FakeRouter(report={10: 12})
    result = rollout(tmp_path, ScriptedJudge("proceed"), router).run()
    assert result.phases[0].weight_set == 12
    assert "router set weight 12 % (requested 10 %)" in result.events[0].message


def test_cancellation_mid_phase_restores_weight_zero(tmp_path):
    cancel = Cancellation()
    analysis = Analysis(interval=30, count=1, warmup=0)
    router = FakeRouter()
    threading.Timer(0.2, cancel.cancel, args=("received SIGTERM",)).start()
    result = rollout(tmp_path, ScriptedJudge("proceed"), router, cancel=cancel, plan=plan(analysis=analysis)).run()
    assert result.decision == "rollback"
    assert result.reason == "rollout cancelled (received SIGTERM) at weight 10 %"
    assert router.weights == [10, 0]
    assert result.ended - result.started < 2
    assert result.phases[0].outcome == "cancelled"


def test_warmup_traffic_failure_rolls_back_and_traffic_is_stopped(tmp_path):
    traffic = FakeTraffic(fail_after_checks=1)
    result = rollout(tmp_path, ScriptedJudge("proceed"), traffic=traffic).run()
    assert result.decision == "rollback"
    assert result.reason == "k6 warm-up traffic failed: k6 exited with code 107: script exception"
    assert traffic.runs[0].stopped
    assert result.phases[0].traffic["tracks"]["canary"]["requests"] == 10


def test_crossed_k6_thresholds_count_as_a_failed_check(tmp_path):
    traffic = FakeTraffic(thresholds_failed=["http_req_failed{track:canary}: rate<0.01"])
    result = rollout(tmp_path, ScriptedJudge("proceed"), traffic=traffic).run()
    assert result.decision == "rollback"
    assert "k6 thresholds crossed: http_req_failed{track:canary}: rate<0.01" in result.reason


def test_commands_hooks_and_kill_switch(tmp_path):
    log = tmp_path / "commands.log"
    commands = Commands(deploy=f"echo deploy >> {log}", promote=f"echo promote >> {log}",
                        rollback=f"echo rollback $ROLLWISE_WEIGHT >> {log}")
    hooks = Hooks(before_phase=(f"echo before $ROLLWISE_PHASE $ROLLWISE_WEIGHT >> {log}",))
    killed = []
    the_plan = plan(weights=(50, 100), commands=commands, hooks=hooks,
                    kill_switch=KillSwitch(store="file://flags.yml", flags=("new-checkout",)))
    result = rollout(tmp_path, ScriptedJudge("proceed", "rollback"), kill_switch=killed.append, plan=the_plan).run()
    assert result.decision == "rollback"
    assert log.read_text().split("\n") == ["deploy", "before 1 50", "rollback 0", ""]
    assert killed == ["new-checkout"]


def test_failing_deploy_command_stops_before_any_traffic(tmp_path):
    router = FakeRouter()
    the_plan = plan(commands=Commands(deploy="echo no registry >&2; exit 4"))
    result = rollout(tmp_path, ScriptedJudge("proceed"), router, plan=the_plan).run()
    assert result.decision == "rollback"
    assert result.reason == "deploy failed: `echo no registry >&2; exit 4` exited with code 4: no registry"
    assert router.weights == [0]


def test_refuses_to_start_over_an_unfinished_rollout(tmp_path):
    rollout(tmp_path, ScriptedJudge("proceed", "inconclusive"),
            plan=plan(analysis=Analysis(interval=0.05, count=1, warmup=0, inconclusive_limit=0,
                                        on_inconclusive="hold"))).run()
    with pytest.raises(ConfigError, match="a previous rollout is held at weight 50 %"):
        check_previous(StateFile(tmp_path / "state.json"))


def test_cancellation_during_a_slow_router_command_is_a_cancellation(tmp_path):
    from rollwise.canary.adapters.routers.command import CommandRouter

    cancel = Cancellation()
    router = CommandRouter({"command": f"[ {{weight}} = 0 ] || sleep 30; echo {{weight}} >> {tmp_path}/weights"},
                           base_dir=tmp_path)
    threading.Timer(0.3, cancel.cancel, args=("received SIGINT",)).start()
    result = rollout(tmp_path, ScriptedJudge("proceed"), router, cancel=cancel).run()
    assert result.reason == "rollout cancelled (received SIGINT) at weight 0 %"
    assert result.ended - result.started < 5
    assert (tmp_path / "weights").read_text() == "0\n"
