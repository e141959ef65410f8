"""The one way rollwise starts processes: user shell commands, kubectl, flyctl, nginx, pg_dump, squawk, the
verify command (:func:`run`), and background ones such as k6 (:func:`start` / :func:`stop`).

Each command runs in its own process group, so a timeout or a cancellation stops it and its children.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

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


def run(command: str | Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float | None = 600.0,
        cancel: threading.Event | None = None, stdin: str | None = None, cwd: str | None = None) -> CommandResult:
    """Run a shell command (a string) or an argv list; never raises for a non-zero exit.

    ``env`` adds to the environment. ``timeout`` None waits as long as it takes (a backup of a big database).
    A missing executable gives return code 127 and one that cannot be executed 126, as a shell would.
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
    except OSError as exc:
        return CommandResult(shown, 126, "", f"{exc.filename or shown}: {exc.strerror}", 0.0)
    # communicate() in a thread keeps the pipes drained while this thread watches the clock and the cancel flag
    output: dict[str, str] = {}
    reader = threading.Thread(target=lambda: output.update(zip(("out", "err"), process.communicate(stdin))), daemon=True)
    reader.start()
    deadline = started + timeout if timeout is not None else float("inf")
    while reader.is_alive():
        if cancel is not None and cancel.is_set():
            _stop(process)
            reader.join()
            raise CommandCancelled(shown)
        if time.monotonic() > deadline:
            _stop(process)
            reader.join()
            return CommandResult(shown, -1, output.get("out", ""), output.get("err", ""), float(timeout or 0),
                                 timed_out=True)
        reader.join(_POLL_SECONDS)
    return CommandResult(shown, process.returncode, output.get("out", ""), output.get("err", ""),
                         time.monotonic() - started)


def start(argv: Sequence[str], *, log: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen:
    """Start a background process in its own process group (a Ctrl-C in the terminal reaches rollwise, which then
    stops it with :func:`stop`), its output going to ``log``."""
    with log.open("wb") as out:
        return subprocess.Popen(list(argv), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env={**os.environ, **(env or {})})


def stop(process: subprocess.Popen, first: signal.Signals = signal.SIGTERM, grace: float = 2.0) -> None:
    """Stop a process group: ``first`` (SIGINT lets k6 write its summary), then SIGKILL if it lingers."""
    _stop(process, ((first, grace), (signal.SIGKILL, 2.0)))


def _stop(process: subprocess.Popen,
          steps: tuple[tuple[signal.Signals, float], ...] = ((signal.SIGTERM, 2.0), (signal.SIGKILL, 2.0))) -> None:
    """Terminate the command's whole process group, then kill it if it lingers."""
    for sig, grace in steps:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(grace)
            return
        except subprocess.TimeoutExpired:
            continue
