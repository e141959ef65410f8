"""Rules that decide what follows an analysis."""

import pytest

from rollwise.canary.model import policy
from rollwise.canary.model.plan import Analysis

RULES = Analysis(count=2, failure_limit=1, inconclusive_limit=1)


def play(outcomes, rules=RULES, tally=None):
    tally = tally or policy.Tally()
    steps = []
    for outcome in outcomes:
        step = policy.after_analysis(rules, tally, outcome)
        tally = step.tally
        steps.append(step.action)
    return steps, tally


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (["proceed", "proceed"], ["continue", "advance"]),
        (["inconclusive", "proceed", "proceed"], ["continue", "continue", "advance"]),
        (["rollback", "proceed", "rollback"], ["continue", "continue", "rollback"]),
        (["inconclusive", "inconclusive"], ["continue", "rollback"]),
    ],
    ids=["two-passes-advance", "inconclusive-extends-phase", "second-failure-exceeds-limit", "inconclusive-limit"],
)
def test_steps(outcomes, expected):
    assert play(outcomes)[0] == expected


def test_failures_count_over_the_whole_rollout():
    _, tally = play(["rollback", "proceed", "proceed"])
    steps, _ = play(["rollback"], tally=tally.next_phase())
    assert steps == ["rollback"]


def test_inconclusive_can_hold_instead():
    rules = Analysis(count=1, inconclusive_limit=0, on_inconclusive="hold")
    step = policy.after_analysis(rules, policy.Tally(), "inconclusive")
    assert step.action == "hold"
    assert "1 inconclusive analyses in this phase > inconclusive limit 0" in step.reason


def test_failure_limit_zero_rolls_back_at_first_failure():
    step = policy.after_analysis(Analysis(), policy.Tally(), "rollback")
    assert (step.action, step.reason) == ("rollback", "the analysis found a regression; failed checks 1 > failure limit 0")


def test_unknown_outcome_is_an_error():
    with pytest.raises(ValueError, match="unknown analysis outcome"):
        policy.after_analysis(Analysis(), policy.Tally(), "pass")


@pytest.mark.parametrize(
    ("outcomes", "expected"),
    [
        (["proceed"], ["advance"]),
        (["accumulating", "accumulating", "proceed"], ["continue", "continue", "advance"]),
        (["accumulating", "accumulating", "accumulating"], ["continue", "continue", "rollback"]),
        (["accumulating", "inconclusive", "accumulating"], ["continue", "continue", "rollback"]),
        (["inconclusive", "inconclusive"], ["continue", "rollback"]),
        (["rollback", "rollback"], ["continue", "rollback"]),
    ],
    ids=["one-conclusive-analysis-ends-the-phase", "evidence-accumulates", "budget-count-plus-limit",
         "both-kinds-share-the-budget", "missing-data-keeps-the-inconclusive-limit", "failures-as-before"],
)
def test_sequential_steps(outcomes, expected):
    steps = []
    tally = policy.Tally()
    for outcome in outcomes:
        accumulating = outcome == "accumulating"
        outcome = "inconclusive" if accumulating else outcome
        step = policy.after_analysis(RULES, tally, outcome, sequential=True, accumulating=accumulating)
        tally = step.tally
        steps.append(step.action)
    assert steps == expected
