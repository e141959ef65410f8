"""Fakes for orchestrator tests: a router that records weights, a scripted judge, scripted warm-up traffic."""

from __future__ import annotations

from rollwise.canary.adapters.routers import Router, RouterError
from rollwise.canary.model.records import Judgement


class FakeRouter(Router):
    name = "fake"
    options_schema = {"type": "object"}

    def __init__(self, fail_on=(), report=None):
        super().__init__({})
        self.weights = []
        self.fail_on = set(fail_on)
        self.report = report or {}

    def set_weight(self, weight):
        self.weights.append(weight)
        if weight in self.fail_on:
            raise RouterError(f"fake router: cannot set weight {weight}")
        return self.report.get(weight, weight)


class ScriptedJudge:
    """Returns the given decisions in order (the last one repeats); records each window."""

    def __init__(self, *decisions, on_call=None):
        self.decisions = list(decisions)
        self.windows = []
        self.on_call = on_call

    def __call__(self, window):
        self.windows.append(window)
        if self.on_call:
            self.on_call(window)
        decision = self.decisions[min(len(self.windows), len(self.decisions)) - 1]
        if isinstance(decision, Exception):
            raise decision
        return Judgement(decision, f"judged {decision}", sli="latency-p95", baseline=0.1,
                         canary=0.1 if decision == "proceed" else 0.2)


class FakeRun:
    def __init__(self, fail_after_checks=None, thresholds_failed=()):
        self.checks = 0
        self.fail_after_checks = fail_after_checks
        self.stopped = False
        self.thresholds_failed = list(thresholds_failed)

    def failure(self):
        self.checks += 1
        if self.fail_after_checks is not None and self.checks > self.fail_after_checks:
            return "k6 exited with code 107: script exception"
        return None

    def stop(self):
        self.stopped = True
        return {"tracks": {"baseline": {"requests": 10}, "canary": {"requests": 10}},
                "thresholds_failed": self.thresholds_failed}


class FakeTraffic:
    def __init__(self, **run_options):
        self.runs = []
        self.run_options = run_options

    def start(self, phase_index, phase):
        run = FakeRun(**self.run_options)
        self.runs.append(run)
        return run
