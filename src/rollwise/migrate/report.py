"""What lint, plan, apply and rollback publish: JSON reports, markdown summaries, step outputs and annotations."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rollwise.ghactions import Annotation
from rollwise.migrate.model import Finding, RevisionVerdict
from rollwise.migrate.service import LintResult, PlanResult, RunResult
from rollwise.outcome import Outcome
from rollwise.templating import render

LEVEL = {"error": "error", "warning": "warning", "info": "notice"}


def rel(path: str | None) -> str | None:
    """Paths relative to the repository root ($GITHUB_WORKSPACE in Actions, else the working directory), as
    annotations need them even when the action runs in a sub-directory."""
    if not path:
        return path
    try:
        return os.path.relpath(os.path.abspath(path), os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    except ValueError:
        return path


def finding_json(f: Finding) -> dict[str, Any]:
    data = f.as_dict()
    data["file"] = rel(f.file)
    return data


def verdict_json(v: RevisionVerdict) -> dict[str, Any]:
    return {
        "revision": v.revision, "file": rel(v.file), "classification": v.classification,
        "contract_allowed": v.contract_allowed, "tables": list(v.tables),
        "errors": v.errors, "findings": len(v.findings),
        "suppressed": [{"rule": f.rule, "line": f.line, "reason": s.reason, "suppression_line": s.line,
                        "until": s.until.isoformat() if s.until else None} for f, s in v.suppressed],
    }


def annotations(findings: list[Finding]) -> list[Annotation]:
    return [Annotation(LEVEL[f.severity], f"{f.message}\nFix: {f.fix}", rel(f.file), f.line, title=f.rule)
            for f in sorted(findings, key=lambda f: ("error", "warning", "info").index(f.severity))]


def lint_payload(result: LintResult) -> dict[str, Any]:
    return {
        "schema": "rollwise/migrate-lint/v1",
        "status": result.status,
        "range": {"from": result.range[0], "to": result.range[1]},
        "squawk": result.squawk,
        "findings": [finding_json(f) for f in result.findings],
        "revisions": [verdict_json(v) for v in result.revisions],
        "suppressed": [{"rule": f.rule, "file": rel(f.file), "line": f.line, "reason": s.reason,
                        "until": s.until.isoformat() if s.until else None}
                       for v in result.revisions for f, s in v.suppressed],
    }


def lint_summary(result: LintResult, report: str | None) -> str:
    return render("migrate/lint.md.j2", result=result, payload=lint_payload(result), report=report)


def plan_payload(result: PlanResult) -> dict[str, Any]:
    return {
        "schema": "rollwise/migrate-plan/v1",
        "status": "ok" if result.exit_code == 0 else "problems",
        "dialect": result.dialect,
        "current": result.current,
        "target": result.target,
        "findings": [finding_json(f) for f in result.findings],
        "revisions": [
            {**verdict_json(r.verdict), "sql": r.sql, "sql_error": r.sql_error, "table_sizes": r.sizes,
             "trial": r.trial, "preflight": r.preflight}
            for r in result.revisions
        ],
    }


def plan_summary(result: PlanResult, report: str | None) -> str:
    return render("migrate/plan.md.j2", result=result, payload=plan_payload(result), report=report)


def run_payload(result: RunResult) -> dict[str, Any]:
    return {
        "schema": f"rollwise/migrate-{result.command}/v1",
        "status": result.status,
        "message": result.message,
        "from_revision": result.from_revision,
        "to_revision": result.to_revision,
        "target": result.target,
        "backup_path": result.backup_path,
        "steps": [vars(s) for s in result.steps],
        "integrity": [c.as_dict() for c in result.comparisons],
        "before": {t: c.as_dict() for t, c in result.before.items()},
        "recovery": result.recovery,
        "verify": result.verify,
        "blockers": result.blockers,
        "findings": [finding_json(f) for v in result.verdicts for f in v.findings],
        "revisions": [verdict_json(v) for v in result.verdicts],
    }


def run_summary(result: RunResult, report: str | None) -> str:
    return render("migrate/run.md.j2", result=result, payload=run_payload(result), report=report)


def outputs(result: RunResult | None, status: str, report: str | None, **extra: Any) -> dict[str, Any]:
    out = {"status": status, "report": str(Path(report).resolve()) if report else ""}
    if result is not None:
        out.update({"from-revision": result.from_revision or "base", "to-revision": result.to_revision or "base",
                    "backup-path": result.backup_path or ""})
    out.update(extra)
    return out


def lint_outcome(result: LintResult, report: str | None) -> Outcome:
    return Outcome(result.decision, report=lint_payload(result), summary=lint_summary(result, report),
                   outputs=outputs(None, result.status, report, **{"from-revision": result.range[0] or "base",
                                                                   "to-revision": result.range[1] or "base",
                                                                   "backup-path": ""}),
                   annotations=annotations(result.findings))


def plan_outcome(result: PlanResult, report: str | None) -> Outcome:
    payload = plan_payload(result)
    return Outcome(result.decision, report=payload, summary=plan_summary(result, report),
                   outputs={"status": payload["status"], "from-revision": result.current or "base",
                            "to-revision": result.target or "base", "backup-path": "",
                            "report": str(Path(report).resolve()) if report else ""},
                   annotations=annotations(result.findings))


def run_outcome(result: RunResult, report: str | None) -> Outcome:
    return Outcome(result.decision, report=run_payload(result), summary=run_summary(result, report),
                   outputs=outputs(result, result.status, report),
                   annotations=annotations([f for v in result.verdicts for f in v.findings]))
