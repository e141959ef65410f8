"""What the rollout service needs from the outside: a traffic router, a judge, warm-up traffic, a kill switch.

The service sees only these; the adapters (``adapters/routers``, ``adapters/k6``, ``adapters/judging``) and
test fakes implement them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, Protocol

from rollwise.canary.model.plan import Phase
from rollwise.canary.model.records import Judgement, Window
from rollwise.errors import RollwiseError


class RouterError(RollwiseError):
    """The router could not set or confirm a weight; the rollout stops and rolls back."""

    exit_code = 1


class Router(Protocol):
    """Moves traffic between baseline and canary (built-ins and plugins subclass ``adapters.routers.Router``)."""

    name: str
    #: set when the rollout is cancelled, so slow platform commands stop early (never during rollback)
    cancel: threading.Event | None

    def set_weight(self, weight: int) -> int:
        """Send ``weight`` percent of traffic to the canary; return the weight the platform now has."""

    def describe(self) -> str:
        """A short human description for the log."""


#: one analysis: the window to judge -> the gate's judgement. A judge with sequential evidence also has
#: ``is_sequential = True`` and ``snapshot() -> dict`` (what the state file keeps to resume from).
Judge = Callable[[Window], Judgement]
#: turn one flag off (the kill switch of a rollback)
KillSwitch = Callable[[str], None]


class TrafficRun(Protocol):
    """Warm-up traffic running for one phase."""

    def failure(self) -> str | None:
        """Why the traffic stopped on its own, or None while it runs."""

    def stop(self) -> dict[str, Any]:
        """Stop the traffic and return its results for the report."""


class Traffic(Protocol):
    """Starts warm-up traffic for a phase."""

    def start(self, phase_index: int, phase: Phase) -> TrafficRun: ...
