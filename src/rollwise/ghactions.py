"""The GitHub Actions runtime: step outputs, job summary, annotations, log groups and secret masks.

Every call works outside Actions too: there it renders readably to the terminal (stderr), so the same
command reads well on a laptop and in a workflow log.
"""

from __future__ import annotations

import logging
import os
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

#: GitHub rejects a step summary over 1 MiB; stay well under it, leaving room for the truncation note.
SUMMARY_LIMIT_BYTES = 1024 * 1024 - 16 * 1024
#: GitHub shows at most 10 annotations of each level per step.
ANNOTATIONS_PER_LEVEL = 10
LEVELS = ("error", "warning", "notice")


def in_actions() -> bool:
    """True inside a GitHub Actions job."""
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _command(text: str) -> None:
    # Workflow commands must reach stdout; the runner reads them there.
    print(text, file=sys.stdout, flush=True)


def escape_data(value: str) -> str:
    """Escape a workflow-command message (the toolkit's ``escapeData``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow-command property value (the toolkit's ``escapeProperty``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def set_output(name: str, value: object) -> None:
    """Write a step output to ``$GITHUB_OUTPUT`` (heredoc form with a random delimiter, multi-line safe)."""
    text = "" if value is None else str(value)
    path = os.environ.get("GITHUB_OUTPUT")
    if not path:
        _say(f"output {name}: {text}")
        return
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    if delimiter in name or delimiter in text:  # pragma: no cover - a uuid collision
        raise ValueError("output delimiter collides with the value")
    with open(path, "a", encoding="utf-8") as out:
        out.write(f"{name}<<{delimiter}\n{text}\n{delimiter}\n")


def set_outputs(outputs: dict[str, object]) -> None:
    """Write several step outputs."""
    for name, value in outputs.items():
        set_output(name, value)


def fit_summary(markdown: str, already: int = 0, report_hint: str | None = None) -> str:
    """Cut ``markdown`` so the step summary stays under GitHub's 1 MiB, with a visible note where it was cut."""
    budget = SUMMARY_LIMIT_BYTES - already
    data = markdown.encode("utf-8")
    if len(data) <= budget:
        return markdown
    note = "\n\n> **Summary truncated** at GitHub's 1 MiB step-summary limit"
    note += f"; the full report is in `{report_hint}`.\n" if report_hint else ".\n"
    keep = max(0, budget - len(note.encode("utf-8")))
    cut = data[:keep].decode("utf-8", errors="ignore")
    # End on a line boundary so a table row or code fence is not left half-written.
    cut = cut[: cut.rfind("\n") + 1] if "\n" in cut else ""
    if cut.count("```") % 2:
        cut += "```\n"
    return cut + note


def append_summary(markdown: str, report_hint: str | None = None) -> None:
    """Append markdown to ``$GITHUB_STEP_SUMMARY``, truncated to fit; outside Actions print it."""
    path = os.environ.get("GITHUB_STEP_SUMMARY")
    if not path:
        _say(markdown)
        return
    summary = Path(path)
    already = summary.stat().st_size if summary.exists() else 0
    with summary.open("a", encoding="utf-8") as out:
        out.write(fit_summary(markdown, already, report_hint).rstrip("\n") + "\n")


def mask(secret: str | None) -> None:
    """Ask the runner to mask a secret in the log (each line separately); no-op outside Actions."""
    if not secret or not in_actions():
        return
    for line in secret.splitlines():
        if line.strip():
            _command(f"::add-mask::{escape_data(line)}")


@contextmanager
def group(title: str) -> Iterator[None]:
    """A collapsible log group in Actions; a header line elsewhere."""
    if in_actions():
        _command(f"::group::{escape_data(title)}")
        try:
            yield
        finally:
            _command("::endgroup::")
    else:
        _say(f"── {title}")
        yield


@dataclass(frozen=True)
class Annotation:
    """One annotation on a file line (or on the run when ``file`` is None)."""

    level: str
    message: str
    file: str | None = None
    line: int | None = None
    end_line: int | None = None
    title: str | None = None

    def command(self) -> str:
        props = []
        for key, value in (("file", self.file), ("line", self.line), ("endLine", self.end_line), ("title", self.title)):
            if value is not None:
                props.append(f"{key}={escape_property(str(value))}")
        head = f"::{self.level}"
        if props:
            head += " " + ",".join(props)
        return f"{head}::{escape_data(self.message)}"

    def human(self) -> str:
        where = f"{self.file}:{self.line}: " if self.file and self.line else (f"{self.file}: " if self.file else "")
        title = f"{self.title}: " if self.title else ""
        return f"{self.level}: {where}{title}{self.message}"


def annotate(annotations: list[Annotation], more_in: str = "the job summary") -> None:
    """Emit annotations, errors first, at most 10 per level so the important ones are the ones shown.

    When a level overflows, its tenth slot says how many more there are and where to read them.
    """
    for level in LEVELS:
        items = [a for a in annotations if a.level == level]
        if len(items) > ANNOTATIONS_PER_LEVEL:
            hidden = len(items) - (ANNOTATIONS_PER_LEVEL - 1)
            items = items[: ANNOTATIONS_PER_LEVEL - 1] + [
                Annotation(level, f"{hidden} more {level} findings are listed in {more_in}.", title="rollwise")
            ]
        for item in items:
            if in_actions():
                _command(item.command())
            else:
                _say(item.human())


class LogHandler(logging.Handler):
    """Renders the ``rollwise`` loggers' records: a plain line on stderr per record, so services report progress
    through :mod:`logging` and never see the Actions interface."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            _say(self.format(record))
        except Exception:  # pragma: no cover - logging must never break a command
            self.handleError(record)


def install_logging(level: int = logging.INFO) -> None:
    """Show the ``rollwise`` loggers' progress in the job log (stderr on a terminal); safe to call twice."""
    logger = logging.getLogger("rollwise")
    if not any(isinstance(h, LogHandler) for h in logger.handlers):
        logger.addHandler(LogHandler())
    logger.setLevel(level)
