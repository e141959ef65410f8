"""What a flag command publishes: the JSON report, the step outputs and the markdown job summary.

Changes and history entries arrive as plain dicts (``Change.to_dict``, ``AuditEntry.to_dict``); the markup is in
``templates/flags/*.j2``.
"""

from __future__ import annotations

import json
from typing import Any

from rollwise.outcome import Outcome
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
