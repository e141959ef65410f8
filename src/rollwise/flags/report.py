"""What a flag command publishes: the JSON report, the step outputs and the markdown job summary.

Changes and history entries arrive as plain dicts (``Change.to_dict``, ``AuditEntry.to_dict``); the markup is in
``templates/flags/*.j2``.
"""

from __future__ import annotations

import json
from typing import Any

from rollwise.outcome import PROCEED, Outcome
from rollwise.templating import render

CHANGE_SCHEMA = "rollwise/flags-change/v1"
HISTORY_SCHEMA = "rollwise/flags-history/v1"


def change_payload(store: str) -> dict[str, Any]:
    """The report of a change before it ran: status ``error`` until the change says otherwise."""
    return {"schema": CHANGE_SCHEMA, "store": store, "status": "error", "version": None,
            "changes": [], "affected": [], "audit": None, "acks": None, "message": ""}


def change_outputs(payload: dict[str, Any]) -> dict[str, object]:
    """Step outputs: before/after in full are in the report; the outputs keep what a workflow branches on."""
    return {
        "status": payload["status"],
        "version": "" if payload["version"] is None else payload["version"],
        "changed": "true" if payload["status"] == "changed" else "false",
        "changes": json.dumps([{k: c[k] for k in ("kind", "key", "action", "fields")} for c in payload["changes"]]),
    }


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _shown(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # values as compact JSON in their stored key order (the order of a rollout's variants matters)
    return [{**c, "fields": [{**f, "before": _compact(f["before"]), "after": _compact(f["after"])} for f in c["fields"]]}
            for c in changes]


def change_summary(title: str, payload: dict[str, Any]) -> str:
    return render("flags/change.md.j2", title=title, **{**payload, "changes": _shown(payload["changes"])})


def history_payload(store: str, key: str | None, entries: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schema": HISTORY_SCHEMA, "store": store, "key": key, "entries": entries}


def history_summary(store: str, key: str | None, entries: list[dict[str, Any]]) -> str:
    shown = [{**e, "changes": _shown(e["changes"])} for e in entries]
    return render("flags/history.md.j2", key=key, store=store, entries=shown)


def change_outcome(decision: str, title: str, payload: dict[str, Any], annotations: list[Any]) -> Outcome:
    return Outcome(decision, report=payload, summary=change_summary(title, payload), outputs=change_outputs(payload),
                   annotations=annotations)


def history_outcome(store: str, key: str | None, entries: list[dict[str, Any]]) -> Outcome:
    return Outcome("proceed", report=history_payload(store, key, entries), summary=history_summary(store, key, entries),
                   outputs={"history": json.dumps(entries)})


# --- the flag's life: code references, the pull-request check, scheduled changes -----------------------------------

REFS_SCHEMA = "rollwise/flags-refs/v1"
CHECK_SCHEMA = "rollwise/flags-check/v1"
SCHEDULE_SCHEMA = "rollwise/flags-schedule/v1"
#: finds the check's one sticky comment on a pull request
CHECK_MARKER = "<!-- rollwise:flags-check -->"


def refs_payload(root: str, scan) -> dict[str, Any]:
    """``flags refs``: every read with key, file, line and call; keys sorted; files that did not parse."""
    return {"schema": REFS_SCHEMA, "decision": PROCEED, "root": root, "files": scan.files, "lines": scan.lines,
            "keys": sorted(scan.keys), "references": [r.to_dict() for r in scan.references],
            "unparsable": scan.unparsable}


def refs_outcome(root: str, scan) -> Outcome:
    payload = refs_payload(root, scan)
    return Outcome(PROCEED, report=payload, summary=render("flags/refs.md.j2", **payload),
                   outputs={"keys": json.dumps(payload["keys"]), "references": str(len(payload["references"]))})


def check_payload(result, findings: list[dict[str, Any]]) -> dict[str, Any]:
    """``flags check``; ``findings`` carry file paths as annotations need them (from the working directory)."""
    return {"schema": CHECK_SCHEMA, "decision": result.decision, "status": result.status, "flags_file": result.flags_file, "base": result.base,
            "store": result.store, "counts": result.counts, "findings": findings,
            "references": [r.to_dict() for r in result.scan.references], "files": result.scan.files,
            "lines": result.scan.lines}


def check_outcome(result, findings: list[dict[str, Any]]) -> Outcome:
    """The report, the table for the job summary and the sticky PR comment (which the marker finds again), the
    outputs and one annotation per finding."""
    payload = check_payload(result, findings)
    return Outcome(result.decision, report=payload, summary=render("flags/check.md.j2", marker=CHECK_MARKER, **payload),
                   outputs=check_outputs(payload), annotations=check_annotations(findings))


def check_description(payload: dict[str, Any], defined: int) -> str:
    counts = payload["counts"]
    return (f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['notice']} notice(s) in {defined} "
            "flag(s)")


def check_outputs(payload: dict[str, Any]) -> dict[str, object]:
    return {"status": payload["status"], "errors": payload["counts"]["error"],
            "warnings": payload["counts"]["warning"],
            "findings": json.dumps([{k: f[k] for k in ("rule", "severity", "key", "file", "line")}
                                    for f in payload["findings"]])}


def check_annotations(findings: list[dict[str, Any]]):
    """One annotation per finding, on the line that reads the flag (or the flag's line in flags.yml)."""
    from rollwise.ghactions import Annotation

    return [Annotation(f["severity"], f["message"] + (f"\nfix: {f['fix']}" if f["fix"] else ""), f["file"], f["line"],
                       title=f"flag {f['rule']}: {f['key']}") for f in findings]


def schedule_outcome(store: str, run) -> Outcome:
    """``flags run-schedule``: each entry due, applied or pending, with the store version after the run."""
    payload = {"schema": SCHEDULE_SCHEMA, "decision": PROCEED, "status": run.status, "store": store,
               "now": run.now.isoformat(), "version": run.version, "steps": [s.to_dict() for s in run.steps]}
    return Outcome(PROCEED, report=payload, summary=render("flags/schedule.md.j2", **payload),
                   outputs=schedule_outputs(payload))


def schedule_outputs(payload: dict[str, Any]) -> dict[str, object]:
    return {"status": payload["status"], "version": payload["version"],
            "changed": "true" if payload["status"] == "changed" else "false",
            "applied": json.dumps([s["id"] for s in payload["steps"] if s["status"] == "applied"])}
