"""Cancellation: SIGINT/SIGTERM (a cancelled workflow) set a flag the rollout checks between short waits.

The handler only records the signal; the rollout notices within a fraction of a second, stops what it is
doing and restores weight 0 before the process exits.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Cancellation(threading.Event):
    """An event that also remembers why it was set."""

    def __init__(self) -> None:
        super().__init__()
        self.reason = ""

    def cancel(self, reason: str) -> None:
        if not self.is_set():
            self.reason = reason
        self.set()


@contextmanager
def cancel_on_signals(cancellation: Cancellation,
                      signums: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)) -> Iterator[Cancellation]:
    """Route ``signums`` to ``cancellation`` while the block runs (main thread only), then restore handlers."""
    if threading.current_thread() is not threading.main_thread():
        yield cancellation
        return

    def handler(signum: int, frame: object) -> None:
        cancellation.cancel(f"received {signal.Signals(signum).name}")

    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield cancellation
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)
