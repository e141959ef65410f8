"""Read ``canary.revert`` of rollwise.yml (validated with the rest of the canary section) into a
:class:`~rollwise.release.model.RevertPolicy`, next to the canary plan a revert rolls out with."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from rollwise.canary.config import plan_from_document
from rollwise.canary.model.plan import CanaryPlan, Phase
from rollwise.release.model import DEFAULT_WINDOW, RevertPolicy
from rollwise.yamlsource import load_yaml


def load_revert(path: str | Path) -> tuple[CanaryPlan, RevertPolicy]:
    """The canary plan and the revert policy of a rollwise.yml."""
    doc = load_yaml(path)
    plan = plan_from_document(doc, base_dir=Path(path).resolve().parent)
    section = doc.data["canary"].get("revert") or {}
    return plan, RevertPolicy(fast=bool(section.get("fast", True)), window=int(section.get("window", DEFAULT_WINDOW)))


def fast_plan(plan: CanaryPlan) -> CanaryPlan:
    """The fast path of a revert: one phase at 100 % with a single confirming analysis (the last phase's timing)."""
    last = plan.phases[-1].analysis
    return replace(plan, phases=(Phase(100, replace(last, count=1)),))
