"""What ``rollwise release`` publishes: the JSON report of a revert, the markdown of a revert and of a release
list (Jinja2 templates in ``templates/release/``), and the step outputs."""

from __future__ import annotations

from typing import Any

from rollwise.release.model import Release, RevertResult, reverted_away
from rollwise.reporting import render


def revert_markdown(result: RevertResult, report_path: str | None = None) -> str:
    plan = result.plan
    return render("release/revert.md.j2", result=result, plan=plan, target=plan.target if plan else None,
                  current=plan.current if plan else None, release=result.release, report_path=report_path)


def list_markdown(environment: str, releases: list[Release], current: Release | None, ledger: str) -> str:
    return render("release/list.md.j2", environment=environment, releases=releases, current=current, ledger=ledger,
                  reverted=reverted_away(releases))


def revert_outputs(result: RevertResult, report_path: str | None, state_file: str | None) -> dict[str, Any]:
    plan = result.plan
    return {"decision": result.decision, "status": result.status,
            "from-release": plan.current.label() if plan and plan.current else "",
            "to-release": plan.target.label() if plan else "",
            "release-id": result.release.id if result.release else "",
            "path": "" if plan is None or result.status == "unchanged" else ("fast" if plan.fast else "phases"),
            "report": report_path or "", "state-file": state_file or ""}
