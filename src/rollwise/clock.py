"""The one clock: wall time, monotonic time, sleeping and waiting on an event, in one injectable object.

Services take a ``clock`` (default :data:`SYSTEM`, looked up when they start, so a test may replace it) instead of
calling :mod:`time`; tests pass a clock that records sleeps and moves time forward without waiting.
"""

from __future__ import annotations

import threading
import time


class Clock:
    """The real clock."""

    def time(self) -> float:
        """Unix time in seconds (timestamps in reports and state files)."""
        return time.time()

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (durations and deadlines)."""
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))

    def wait(self, event: threading.Event, seconds: float) -> bool:
        """Wait up to ``seconds`` for ``event`` (a cancellation); True when it is set."""
        return event.wait(max(0.0, seconds))


SYSTEM = Clock()


def current(clock: Clock | None = None) -> Clock:
    """``clock``, or the process-wide one (:data:`SYSTEM` unless a test replaced it)."""
    return clock or SYSTEM
