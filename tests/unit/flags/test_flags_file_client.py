"""FlagClient on a file:// store: loads flags.yml, follows edits, keeps the last good file when one is invalid."""

from __future__ import annotations

import time

from rollwise.flags import FlagClient, service
from rollwise.flags.model.changes import Audit


def _wait(predicate, timeout=5.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_file_client_follows_changes_and_survives_a_bad_edit(tmp_path):
    path = tmp_path / "flags.yml"
    path.write_text("flags:\n  checkout: {default: true}\n")
    with FlagClient.connect(f"file://{path}", file_poll_interval=0.05) as client:
        assert client.evaluate("checkout", {}, False).reason == "STATIC"
        service.kill(service.open_store(f"file://{path}"), "checkout", Audit(actor="test"))
        _wait(lambda: client.evaluate("checkout", {}, True).reason == "DISABLED")
        assert client.version == 1
        path.write_text("flags:\n  checkout: {default: maybe}\n")  # an invalid edit
        _wait(lambda: client.stale)
        assert client.evaluate("checkout", {}, True).reason == "DISABLED"  # last good flags still served
        path.write_text("flags:\n  checkout: {default: false}\n")
        _wait(lambda: client.evaluate("checkout", {}, True).value is False and not client.stale)
