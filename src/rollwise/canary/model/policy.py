"""What a rollout does after each analysis: run another one, advance to the next phase, hold, or roll back.

Pure functions over a small tally, so the rules (failure limit over the whole rollout, inconclusive analyses
extending a phase up to a limit) are testable without time, traffic or a router.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from rollwise.canary.model.plan import Analysis

#: analysis outcomes, as the gate reports them
PROCEED, ROLLBACK, INCONCLUSIVE = "proceed", "rollback", "inconclusive"
#: steps the orchestrator takes next
CONTINUE, ADVANCE, ROLL_BACK, HOLD = "continue", "advance", "rollback", "hold"


@dataclass(frozen=True)
class Tally:
    """Counts that decide the next step: failures over the whole rollout, passes and inconclusives per phase."""

    failed: int = 0
    passed: int = 0
    inconclusive: int = 0
    accumulating: int = 0  # sequential analysis: inconclusive while the evidence accumulates

    def next_phase(self) -> Tally:
        """Start counting a new phase; failures carry over (cumulative, as in Flagger and Argo Rollouts)."""
        return Tally(failed=self.failed)


@dataclass(frozen=True)
class Step:
    """The next step and, when it ends the phase or the rollout, why."""

    action: str
    tally: Tally
    reason: str = ""


def after_analysis(rules: Analysis, tally: Tally, outcome: str, sequential: bool = False,
                   accumulating: bool = False) -> Step:
    """Count ``outcome`` and decide what follows it.

    ``sequential``: each analysis judges the whole rollout so far with anytime-valid tests, so one conclusive
    analysis ends the phase; an analysis inconclusive only because the evidence is still ``accumulating`` uses up
    one of the phase's ``count + inconclusive_limit`` analyses instead of the inconclusive limit, which stays for
    missing or unusable data.
    """
    if outcome == PROCEED:
        tally = replace(tally, passed=tally.passed + 1)
        if sequential:
            return Step(ADVANCE, tally, "the rollout so far is shown to be within the tolerance")
        if tally.passed >= rules.count:
            return Step(ADVANCE, tally, f"{tally.passed} of {rules.count} analyses passed")
        return Step(CONTINUE, tally)
    if outcome == ROLLBACK:
        return count_failure(rules, tally, "the analysis found a regression")
    if outcome == INCONCLUSIVE and sequential and accumulating:
        tally = replace(tally, accumulating=tally.accumulating + 1)
        budget = rules.count + rules.inconclusive_limit
        if tally.accumulating + tally.inconclusive >= budget:
            reason = (f"the evidence is still not conclusive after {tally.accumulating + tally.inconclusive} "
                      f"analyses in this phase (count + inconclusive limit = {budget})")
            return Step(HOLD if rules.on_inconclusive == "hold" else ROLL_BACK, tally, reason)
        return Step(CONTINUE, tally)
    if outcome == INCONCLUSIVE:
        tally = replace(tally, inconclusive=tally.inconclusive + 1)
        if tally.inconclusive > rules.inconclusive_limit:
            reason = (f"{tally.inconclusive} inconclusive analyses in this phase > inconclusive limit "
                      f"{rules.inconclusive_limit}")
            return Step(HOLD if rules.on_inconclusive == "hold" else ROLL_BACK, tally, reason)
        return Step(CONTINUE, tally)
    raise ValueError(f"unknown analysis outcome {outcome!r}")


def count_failure(rules: Analysis, tally: Tally, what: str) -> Step:
    """A failed check (analysis, k6 thresholds): roll back once failures exceed the limit."""
    tally = replace(tally, failed=tally.failed + 1)
    if tally.failed > rules.failure_limit:
        return Step(ROLL_BACK, tally, f"{what}; failed checks {tally.failed} > failure limit {rules.failure_limit}")
    return Step(CONTINUE, tally, f"{what}; failed checks {tally.failed} of {rules.failure_limit} tolerated")
