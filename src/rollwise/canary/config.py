"""Read the ``canary:`` section of ``rollwise.yml`` into a :class:`~rollwise.canary.model.plan.CanaryPlan`.

The section is checked against ``schemas/canary.schema.json`` first, then against the rules a schema cannot
express (weights increasing and ending at 100); every error names file, line, key and the fix.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from rollwise.canary.model.plan import (
    DEFAULT_WEIGHTS,
    Analysis,
    CanaryPlan,
    Commands,
    Endpoint,
    Hooks,
    KillSwitch,
    Phase,
    RouterSpec,
    Warmup,
)
from rollwise.units import parse_duration
from rollwise.yamlsource import Document, did_you_mean, load_schema, load_yaml, validate_schema


def canary_schema() -> dict[str, Any]:
    """The JSON Schema of the ``canary:`` section."""
    return load_schema("canary")


def _wrapped_schema() -> dict[str, Any]:
    """The canary schema placed under a ``canary`` key, so errors carry the full key path and line."""
    schema = {k: v for k, v in canary_schema().items() if k not in ("$id", "$schema")}
    definitions = schema.pop("$defs")
    return {"type": "object", "$defs": definitions, "properties": {"canary": schema}}


def load_plan(path: str | Path) -> CanaryPlan:
    """Load and check the ``canary:`` section of a rollwise.yml."""
    return plan_from_document(load_yaml(path), base_dir=Path(path).resolve().parent)


def plan_from_document(doc: Document, base_dir: Path | None = None) -> CanaryPlan:
    """Build a plan from a parsed rollwise.yml; ``base_dir`` resolves relative paths in it."""
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("canary"), dict):
        raise doc.error(("canary",), "no 'canary:' section",
                        fix="add a canary: section with at least a router (see docs/canary-deploy/)")
    validate_schema(doc, _wrapped_schema())
    _validate_router(doc)
    data: dict[str, Any] = doc.data["canary"]
    defaults = _analysis(data.get("analysis") or {}, Analysis())
    phases = tuple(_phase(item, defaults) for item in data.get("phases", DEFAULT_WEIGHTS))
    _check_weights(doc, [phase.weight for phase in phases])
    router = dict(data["router"])
    commands = data.get("commands") or {}
    hooks = data.get("hooks") or {}
    kill = data.get("kill_switch") or {}
    if kill.get("flags") and not kill.get("store") and not os.environ.get("ROLLWISE_FLAGS_STORE"):
        raise doc.error(("canary", "kill_switch", "flags"), "kill_switch lists flags but names no store",
                        fix="add store: redis://HOST:6379/0 (or file://flags.yml) under kill_switch, or set "
                            "ROLLWISE_FLAGS_STORE (from a secret when the URL holds a password)")
    selectors = data.get("selectors") or {}
    plan = CanaryPlan(
        phases=phases,
        router=RouterSpec(type=router.pop("type"), options=router),
        commands=Commands(
            deploy=commands.get("deploy"),
            promote=commands.get("promote"),
            rollback=commands.get("rollback"),
            timeout=parse_duration(commands.get("timeout", Commands.timeout)),
        ),
        hooks=Hooks(before_phase=_command_list(hooks.get("before_phase")),
                    after_phase=_command_list(hooks.get("after_phase"))),
        warmup=_warmup(doc, data.get("warmup") or {}, base_dir or Path.cwd()),
        kill_switch=KillSwitch(store=kill.get("store"), flags=tuple(kill.get("flags") or ())),
        state_file=str(data.get("state_file", CanaryPlan.state_file)),
    )
    overrides = {f"{side}_selector": selectors[side] for side in ("baseline", "canary") if side in selectors}
    return replace(plan, **overrides)


def _validate_router(doc: Document) -> None:
    """Check the router type exists and its options fit the router's own schema."""
    from rollwise.canary.adapters import routers

    name = doc.data["canary"]["router"]["type"]
    cls = routers.router_class(name)
    if cls is None:
        names = list(routers.available())
        guess = did_you_mean(name, names)
        raise doc.error(("canary", "router", "type"), f"unknown router type '{name}'",
                        fix=f"did you mean '{guess}'?" if guess else f"use one of: {', '.join(names)}")
    nested = {"type": "object", "properties": {"router": cls.options_schema}}
    validate_schema(doc, {"type": "object", "properties": {"canary": nested}})


def _analysis(data: dict[str, Any], base: Analysis) -> Analysis:
    values: dict[str, Any] = {}
    for key in ("interval", "warmup", "step"):
        if key in data:
            values[key] = parse_duration(data[key])
    for key in ("count", "failure_limit", "inconclusive_limit", "on_inconclusive"):
        if key in data:
            values[key] = data[key]
    return replace(base, **values)


def _phase(item: int | dict[str, Any], defaults: Analysis) -> Phase:
    if isinstance(item, int):
        return Phase(weight=item, analysis=defaults)
    return Phase(weight=item["weight"], analysis=_analysis(item.get("analysis") or {}, defaults))


def _check_weights(doc: Document, weights: list[int]) -> None:
    for index in range(1, len(weights)):
        if weights[index] <= weights[index - 1]:
            raise doc.error(("canary", "phases", index),
                            f"phase weights must increase: {weights[index]} after {weights[index - 1]}",
                            fix="list canary weights in increasing order, e.g. [5, 25, 50, 100]")
    if weights[-1] != 100:
        raise doc.error(("canary", "phases", len(weights) - 1), f"the last phase has weight {weights[-1]}, not 100",
                        fix="end the phases with 100 so the canary takes all traffic before it is promoted")


def _command_list(value: str | list[str] | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _warmup(doc: Document, data: dict[str, Any], base_dir: Path) -> Warmup:
    if not data:
        return Warmup()
    where = ("canary", "warmup")
    if data.get("script") and data.get("endpoints"):
        raise doc.error(where + ("script",), "warmup has both a script and endpoints",
                        fix="keep one: your own k6 script, or endpoints for a generated one")
    if not (data.get("script") or data.get("endpoints")):
        raise doc.error(where, "warmup needs a script or endpoints",
                        fix="add endpoints: [{path: /}] or script: k6/warmup.js")
    if data.get("endpoints"):
        for side in ("baseline_url", "canary_url"):
            if not data.get(side):
                raise doc.error(where, f"generated warm-up traffic needs {side}",
                                fix=f"add {side}: http://HOST:PORT (the address of that track, not of the router)")
    script = data.get("script")
    if script:
        script_path = (base_dir / script).resolve()
        if not script_path.is_file():
            raise doc.error(where + ("script",), f"k6 script not found: {script_path}",
                            fix="give the path relative to rollwise.yml")
        script = str(script_path)
    endpoints = tuple(
        Endpoint(path=e["path"], method=e.get("method", "GET"), status=e.get("status", 200), body=e.get("body"),
                 headers=dict(e.get("headers") or {}))
        for e in data.get("endpoints") or ()
    )
    return Warmup(
        baseline_url=data.get("baseline_url"),
        canary_url=data.get("canary_url"),
        script=script,
        endpoints=endpoints,
        vus=data.get("vus", Warmup.vus),
        rate=data.get("rate", Warmup.rate),
        thresholds={k: list(v) for k, v in (data.get("thresholds") or {}).items()},
    )
