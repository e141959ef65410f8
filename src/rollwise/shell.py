"""Run commands (user shell commands, kubectl, flyctl, nginx) with a timeout and prompt cancellation.

Each command runs in its own process group so a timeout or a cancelled rollout stops it and its children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: how often a running command is checked for cancellation
_POLL_SECONDS = 0.05


@dataclass(frozen=True)
class CommandResult:
    """What a finished command did."""

    command: str
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.timed_out

    def failure(self) -> str:
        """One line saying how the command failed, with the end of its error output."""
        if self.timed_out:
            return f"`{self.command}` did not finish within {self.seconds:.0f}s"
        tail = (self.stderr.strip() or self.stdout.strip()).splitlines()[-3:]
        detail = (": " + " | ".join(tail)) if tail else ""
        return f"`{self.command}` exited with code {self.returncode}{detail}"


class CommandCancelled(Exception):
    """The command was stopped because the rollout was cancelled."""


def run(command: str | Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 600.0,
        cancel: threading.Event | None = None, stdin: str | None = None, cwd: str | None = None) -> CommandResult:
    """Run a shell command (a string) or an argv list; never raises for a non-zero exit.

    A missing executable gives return code 127, as a shell would.
    """
    shell = isinstance(command, str)
    shown = command if shell else " ".join(command)
    full_env = {**os.environ, **(env or {})}
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            command if shell else list(command), shell=shell, env=full_env, cwd=cwd, text=True,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
    except FileNotFoundError as exc:
        return CommandResult(shown, 127, "", f"{exc.filename}: command not found", 0.0)
    # communicate() in a thread keeps the pipes drained while this thread watches the clock and the cancel flag
    output: dict[str, str] = {}
    reader = threading.Thread(target=lambda: output.update(zip(("out", "err"), process.communicate(stdin))), daemon=True)
    reader.start()
    deadline = started + timeout
    while reader.is_alive():
        if cancel is not None and cancel.is_set():
            _stop(process)
            reader.join()
            raise CommandCancelled(shown)
        if time.monotonic() > deadline:
            _stop(process)
            reader.join()
            return CommandResult(shown, -1, output.get("out", ""), output.get("err", ""), timeout, timed_out=True)
        reader.join(_POLL_SECONDS)
    return CommandResult(shown, process.returncode, output.get("out", ""), output.get("err", ""),
                         time.monotonic() - started)


def _stop(process: subprocess.Popen) -> None:
    """Terminate the command's whole process group, then kill it if it lingers."""
    for sig, grace in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue
