"""What a rollout did: judgements, analyses, phases, a timeline of events, and the final result.

Plain data; ``RolloutResult.to_dict`` is the JSON report (``schema: rollwise/canary/v1``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

SCHEMA = "rollwise/canary/v1"


def iso(timestamp: float | None) -> str | None:
    """A unix time as RFC 3339 UTC, for reports."""
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, tz=timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True)
class Window:
    """The time range one analysis judges, and the phase it belongs to."""

    phase: int
    weight: int
    start: float
    end: float
    #: the k6 run of this phase, when warm-up traffic runs (its results can be the gate's data)
    traffic: Any = None


@dataclass(frozen=True)
class Judgement:
    """One analysis outcome as the gate reported it, reduced to what the rollout needs."""

    decision: str  # proceed | rollback | inconclusive
    reason: str
    #: the key SLI shown on the timeline (e.g. "latency p95 (s)") with its baseline and canary values
    sli: str | None = None
    baseline: float | None = None
    canary: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class AnalysisRecord:
    number: int
    start: float
    end: float
    judgement: Judgement
    #: what the rollout did next: continue | advance | rollback | hold
    step: str

    def to_dict(self) -> dict[str, Any]:
        return {"number": self.number, "start": iso(self.start), "end": iso(self.end),
                "decision": self.judgement.decision, "reason": self.judgement.reason, "step": self.step,
                "sli": self.judgement.sli, "baseline": self.judgement.baseline, "canary": self.judgement.canary,
                "gate": self.judgement.detail}


@dataclass
class PhaseRecord:
    index: int
    weight: int
    started: float
    weight_set: int | None = None
    ended: float | None = None
    analyses: list[AnalysisRecord] = field(default_factory=list)
    #: k6 results of this phase's warm-up traffic (summary and per-track figures)
    traffic: dict[str, Any] | None = None
    #: passed | rolled back | held | cancelled | failed
    outcome: str = "running"

    def count(self, decision: str) -> int:
        return sum(1 for analysis in self.analyses if analysis.judgement.decision == decision)

    def to_dict(self) -> dict[str, Any]:
        return {"phase": self.index + 1, "weight": self.weight, "weight_set": self.weight_set,
                "started": iso(self.started), "ended": iso(self.ended), "outcome": self.outcome,
                "analyses": [analysis.to_dict() for analysis in self.analyses], "k6": self.traffic}


@dataclass(frozen=True)
class Event:
    """A point on the timeline: the weight after it, and what happened."""

    time: float
    kind: str  # deploy | weight | analysis | rollback | promote | hook | error
    weight: int
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "time": iso(self.time)}


@dataclass
class RolloutResult:
    #: proceed | rollback | inconclusive (held at the current weight) | error (crashed; traffic put back first)
    decision: str
    reason: str
    started: float
    ended: float
    weight: int
    phases: list[PhaseRecord]
    events: list[Event]
    plan: dict[str, Any]
    #: problems met while rolling back (each one leaves something for the runbook)
    rollback_errors: list[str] = field(default_factory=list)
    state_file: str | None = None
    #: what the rollout did: promoted | rolled_back | rollback_failed | held
    status: str = ""

    @property
    def phase_reached(self) -> int:
        """The highest weight the canary was given (0 when no phase started)."""
        return max((phase.weight_set or 0 for phase in self.phases), default=0)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "decision": self.decision,
            "status": self.status,
            "reason": self.reason,
            "started": iso(self.started),
            "ended": iso(self.ended),
            "duration_seconds": round(self.ended - self.started, 3),
            "weight": self.weight,
            "phase_reached": self.phase_reached,
            "phases": [phase.to_dict() for phase in self.phases],
            "events": [event.to_dict() for event in self.events],
            "rollback_errors": self.rollback_errors,
            "state_file": self.state_file,
            "plan": self.plan,
        }
