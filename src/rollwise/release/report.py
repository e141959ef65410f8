"""What ``rollwise release`` publishes: the outcome of a revert (JSON report, job summary, step outputs,
annotations) and the markdown of a release list, rendered from the Jinja2 templates in ``templates/release/``."""

from __future__ import annotations

from typing import Any

from rollwise.errors import RollwiseError
from rollwise.ghactions import Annotation
from rollwise.outcome import PROCEED, ROLLBACK, Outcome, decision_for
from rollwise.release.model import Release, RevertResult, reverted_away
from rollwise.templating import render


def revert_markdown(result: RevertResult, report_path: str | None = None) -> str:
    plan = result.plan
    return render("release/revert.md.j2", result=result, plan=plan, target=plan.target if plan else None,
                  current=plan.current if plan else None, release=result.release, report_path=report_path)


def revert_outcome(result: RevertResult, report_path: str | None, state_file: str | None,
                   rollout_summary: str | None = None) -> Outcome:
    """The revert's report, summary (with the rollout's own summary below it), outputs and annotation."""
    plan = result.plan
    outputs: dict[str, Any] = {
        "status": result.status,
        "from-release": plan.current.label() if plan and plan.current else "",
        "to-release": plan.target.label() if plan and not plan.nothing_runs else "",
        "release-id": result.release.id if result.release else "",
        "path": "" if plan is None or result.status == "unchanged" else ("fast" if plan.fast else "phases"),
        "report": report_path or "", "state-file": state_file or ""}
    annotations = []
    if result.decision != PROCEED:
        why = (result.rollout or {}).get("reason", "")
        annotations.append(Annotation("error" if result.decision == ROLLBACK else "warning",
                                      f"revert {result.status}: {why}", title="release revert"))
    summary = revert_markdown(result, report_path) + (f"\n{rollout_summary}" if rollout_summary else "")
    return Outcome(result.decision, report=result.to_dict(), summary=summary, outputs=outputs,
                   annotations=annotations)


def refused_outcome(environment: str, reason: str, actor: str, error: RollwiseError) -> Outcome:
    """A revert that changed nothing: why, in the job summary and the outputs (the CLI still raises the error)."""
    return Outcome(decision_for(error.exit_code),
                   summary=render("release/refused.md.j2", environment=environment, reason=reason, actor=actor,
                                  message=error.message, exit_code=error.exit_code),
                   outputs={"status": "refused"})


def list_markdown(environment: str, releases: list[Release], current: Release | None, ledger: str) -> str:
    return render("release/list.md.j2", environment=environment, releases=releases, current=current, ledger=ledger,
                  reverted=reverted_away(releases))
