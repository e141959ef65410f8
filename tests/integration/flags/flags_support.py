"""Shared data and helpers for flag tests against a real redis-server."""

from __future__ import annotations

import time

import pytest

from rollwise.flags.model.changes import Audit

FLAGS_YML = """\
version: rollwise/flags/v1
flags:
  checkout: {default: true}
  banner:
    variants: {none: "", sale: "Sale!"}
    default: none
  rollout:
    default: {rollout: {true: 25, false: 75}}
"""

AUDIT = Audit(actor="ci-bot", reason="integration test", run_url="https://github.com/o/r/actions/runs/7", sha="f00d")


def eventually(predicate, timeout: float = 5.0, interval: float = 0.01):
    """Poll ``predicate`` until it is truthy; return its value or fail with how long was waited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s", pytrace=False)


