"""One outcome contract for every rollwise command: the decision words, the one exit table, and ``publish()``.

    decision       exit  meaning
    proceed          0   success: proceed, promoted, applied and verified, lint clean, flag changed
    rollback         1   a regression or danger was found and acted on: rolled back, unsafe, failed verification
    invalid          2   usage or configuration error; nothing was changed
    inconclusive     3   not enough data, a source unreachable, a lock not obtained, a rollout held
    error            4   internal error: an unexpected exception (a bug); a failed step, never a rollback

Every JSON report carries ``decision`` with one of these words and every command sets a ``decision`` output;
what the command did in its own terms (``status: applied``, ``status: changed``, ...) sits beside it.
"""

from __future__ import annotations

import json
import platform
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROCEED = "proceed"
ROLLBACK = "rollback"
INVALID = "invalid"
INCONCLUSIVE = "inconclusive"
ERROR = "error"

#: the exit table of every command: decision -> exit code
EXIT_CODES: dict[str, int] = {PROCEED: 0, ROLLBACK: 1, INVALID: 2, INCONCLUSIVE: 3, ERROR: 4}
DECISIONS: dict[int, str] = {code: word for word, code in EXIT_CODES.items()}

BUG_REPORT = "https://github.com/rollwise/rollwise/issues"


def exit_code(decision: str) -> int:
    """The exit code of a decision word."""
    return EXIT_CODES[decision]


def decision_for(code: int) -> str:
    """The decision word of an exit code (an unknown code is an internal error)."""
    return DECISIONS.get(code, ERROR)


@dataclass
class Outcome:
    """What one command tells the world: its decision, JSON report, job summary, step outputs and annotations."""

    decision: str
    #: the JSON report (with its ``schema``); its ``decision`` is set from :attr:`decision`
    report: dict[str, Any] | None = None
    #: markdown for the job summary (printed to the terminal outside Actions)
    summary: str | None = None
    #: step outputs besides ``decision``
    outputs: dict[str, object] = field(default_factory=dict)
    #: ``rollwise.ghactions.Annotation`` objects
    annotations: list[Any] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.decision not in EXIT_CODES:
            raise ValueError(f"unknown decision {self.decision!r}; one of {', '.join(EXIT_CODES)}")

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.decision]


def write_json(path: str | Path, payload: dict[str, Any]) -> Path:
    """Write a JSON report; ``payload`` must carry its ``schema`` (``rollwise/<kind>/v1``)."""
    if not str(payload.get("schema", "")).startswith("rollwise/"):
        raise ValueError("a report needs a 'schema' of the form rollwise/<kind>/v1")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
    return path


def publish(outcome: Outcome, report_path: str | None = None) -> int:
    """Write the JSON report (when a path is given), emit the annotations, append the job summary and set the step
    outputs (``decision`` first); return the exit code. One routine for every command."""
    from rollwise import ghactions

    if outcome.report is not None:
        outcome.report["decision"] = outcome.decision
        if report_path:
            write_json(report_path, outcome.report)
    if outcome.annotations:
        ghactions.annotate(outcome.annotations, more_in=report_path or "the job summary")
    if outcome.summary is not None:
        ghactions.append_summary(outcome.summary, report_hint=report_path)
    ghactions.set_outputs({"decision": outcome.decision, **outcome.outputs})
    return outcome.exit_code


def versions() -> str:
    """rollwise, Python and platform versions, for a bug report."""
    from rollwise import __version__

    return f"rollwise {__version__}, Python {platform.python_version()}, {platform.system()} {platform.machine()}"


def crashed(command: str, exc: BaseException) -> int:
    """Report an unexpected exception as an internal error: exit 4, a failed step, never a rollback.

    The message names the command and the versions and asks for a bug report; the traceback goes in a collapsed
    log group; the ``decision`` output is ``error``.
    """
    from rollwise import ghactions

    message = (f"internal error in `rollwise {command}`: {type(exc).__name__}: {exc} ({versions()}). This is a bug "
               f"in rollwise, not a verdict on your release; please report it with this log at {BUG_REPORT}")
    ghactions.annotate([ghactions.Annotation("error", message, title="rollwise internal error")])
    stream = sys.stdout if ghactions.in_actions() else sys.stderr  # inside the group in the Actions log
    with ghactions.group(f"rollwise {command}: traceback"):
        stream.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        stream.flush()
    ghactions.set_outputs({"decision": ERROR})
    return EXIT_CODES[ERROR]
