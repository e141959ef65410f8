"""A clock for tests: time moves only when the code sleeps or waits, and every sleep is recorded."""

from __future__ import annotations

import threading

from rollwise.clock import Clock


class FakeClock(Clock):
    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self.sleeps: list[float] = []

    def time(self) -> float:
        return self.now

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += max(0.0, seconds)

    def wait(self, event: threading.Event, seconds: float) -> bool:
        if event.is_set():
            return True
        self.now += max(0.0, seconds)
        return event.is_set()
