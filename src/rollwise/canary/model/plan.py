"""The canary plan: phases, analysis timing and limits, router, commands, hooks and warm-up traffic.

Plain dataclasses with their defaults in one place; ``rollwise.canary.config`` builds them from ``rollwise.yml``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Canary traffic percentages of the default plan (Flagger/Argo style steps).
DEFAULT_WEIGHTS = (5, 25, 50, 100)
#: What happens when a phase runs out of inconclusive analyses.
ON_INCONCLUSIVE = ("rollback", "hold")


@dataclass(frozen=True)
class Analysis:
    """Timing and limits of the analyses run in a phase (all durations in seconds)."""

    #: seconds between the start of one analysis window and the next; each window is this long
    interval: float = 60.0
    #: passing analyses needed before a phase is complete
    count: int = 3
    #: seconds after the weight changes before the first analysis window opens (synthetic warm-up)
    warmup: float = 30.0
    #: failed analyses tolerated over the whole rollout; one more rolls back (Argo's failureLimit)
    failure_limit: int = 0
    #: inconclusive analyses tolerated per phase; each one extends the phase by one more analysis
    inconclusive_limit: int = 2
    #: what to do once a phase has more inconclusive analyses than the limit
    on_inconclusive: str = "rollback"
    #: query resolution handed to the gate (None lets the gate choose)
    step: float | None = None


@dataclass(frozen=True)
class Phase:
    """One traffic step: the canary's weight in percent and how it is analysed."""

    weight: int
    analysis: Analysis = field(default_factory=Analysis)

    @property
    def max_duration(self) -> float:
        """Longest time this phase can take: warm-up plus every analysis it may run."""
        analyses = self.analysis.count + self.analysis.inconclusive_limit
        return self.analysis.warmup + analyses * self.analysis.interval


@dataclass(frozen=True)
class RouterSpec:
    """Which traffic router to use and its own options (validated by the router itself)."""

    type: str
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Commands:
    """Shell commands run around the rollout; each is optional."""

    deploy: str | None = None
    promote: str | None = None
    rollback: str | None = None
    #: seconds any one command or hook may run before it counts as failed
    timeout: float = 600.0


@dataclass(frozen=True)
class Hooks:
    """Shell commands run before and after each phase; a failing ``before_phase`` hook fails the phase."""

    before_phase: tuple[str, ...] = ()
    after_phase: tuple[str, ...] = ()


@dataclass(frozen=True)
class Endpoint:
    """One request of the generated warm-up script."""

    path: str
    method: str = "GET"
    status: int = 200
    body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Warmup:
    """Synthetic traffic with k6 during each phase, against baseline and canary directly."""

    baseline_url: str | None = None
    canary_url: str | None = None
    #: the user's own k6 script; it should tag requests ``track=baseline|canary``
    script: str | None = None
    endpoints: tuple[Endpoint, ...] = ()
    vus: int = 2
    #: requests per second per track (constant arrival rate); None runs the VUs flat out with a short pause
    rate: float | None = 20.0
    #: k6 thresholds, e.g. ``{"http_req_failed{track:canary}": ["rate<0.05"]}``
    thresholds: dict[str, list[str]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return bool(self.script or self.endpoints)


@dataclass(frozen=True)
class KillSwitch:
    """Flags turned off when the canary rolls back (in the rollwise flags store at ``store``)."""

    store: str | None = None
    flags: tuple[str, ...] = ()


@dataclass(frozen=True)
class CanaryPlan:
    """Everything ``rollwise canary run`` needs besides the gate's SLOs."""

    phases: tuple[Phase, ...]
    router: RouterSpec
    commands: Commands = field(default_factory=Commands)
    hooks: Hooks = field(default_factory=Hooks)
    warmup: Warmup = field(default_factory=Warmup)
    kill_switch: KillSwitch = field(default_factory=KillSwitch)
    baseline_selector: str = '{track="baseline"}'
    canary_selector: str = '{track="canary"}'
    #: where the state of a rollout is recorded so ``rollwise canary rollback`` can undo it later
    state_file: str = ".rollwise/canary-state.json"

    @property
    def max_duration(self) -> float:
        return sum(phase.max_duration for phase in self.phases)
