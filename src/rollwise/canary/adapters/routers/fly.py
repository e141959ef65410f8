"""Fly.io through flyctl: the split is the share of started Machines in the canary process group.

Fly's proxy balances requests across an app's Machines, so ``machines`` Machines split between the baseline and
the canary process groups set the weight in steps of 100/machines percent. The router scales both groups with
``flyctl scale count``, then counts started Machines per group (``flyctl machines list --json``) and reports that
share, which may differ from the requested weight by the rounding.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from rollwise.canary.adapters.routers.base import Router, RouterError


class FlyRouter(Router):
    name = "fly"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "app"],
        "properties": {
            "type": {"const": "fly"},
            "app": {"type": "string", "description": "Fly app name"},
            "machines": {"type": "integer", "minimum": 2, "maximum": 100,
                         "description": "Machines shared by baseline and canary (default 10: 10 % steps)"},
            "baseline_group": {"type": "string", "description": "process group of the baseline (default app)"},
            "canary_group": {"type": "string", "description": "process group of the canary (default canary)"},
            "region": {"type": "string"},
            "flyctl": {"type": "string", "description": "flyctl executable (default flyctl)"},
            "timeout": {"type": "number", "exclusiveMinimum": 0},
        },
    }

    def set_weight(self, weight: int) -> int:
        baseline, canary = machine_counts(weight, int(self.options.get("machines", 10)))
        groups = self._groups()
        command = [self._flyctl(), "scale", "count", f"{groups[0]}={baseline}", f"{groups[1]}={canary}",
                   "--app", self.options["app"], "--yes"]
        if self.options.get("region"):
            command += ["--region", self.options["region"]]
        timeout = float(self.options.get("timeout", 300))
        self.run(command, f"scaling {groups[0]} to {baseline} and {groups[1]} to {canary} Machines", timeout=timeout)
        listed = self.run([self._flyctl(), "machines", "list", "--app", self.options["app"], "--json"],
                          "listing Machines", timeout=timeout)
        return self._share(listed.stdout)

    def describe(self) -> str:
        return f"fly app {self.options['app']} ({' / '.join(self._groups())})"

    def _flyctl(self) -> str:
        return self.options.get("flyctl", "flyctl")

    def _groups(self) -> tuple[str, str]:
        return self.options.get("baseline_group", "app"), self.options.get("canary_group", "canary")

    def _share(self, listing: str) -> int:
        try:
            machines = json.loads(listing)
        except json.JSONDecodeError as exc:
            raise RouterError(f"fly router: `flyctl machines list --json` returned no JSON ({exc.msg})") from exc
        started = {group: 0 for group in self._groups()}
        for machine in machines:
            group = ((machine.get("config") or {}).get("metadata") or {}).get("fly_process_group")
            if group in started and machine.get("state") == "started":
                started[group] += 1
        total = sum(started.values())
        if total == 0:
            raise RouterError(f"fly router: no started Machines in {' or '.join(self._groups())} "
                              f"of app {self.options['app']}")
        return round(100 * started[self._groups()[1]] / total)


def machine_counts(weight: int, machines: int) -> tuple[int, int]:
    """Baseline and canary Machines for a weight; a canary that should get traffic gets at least one Machine,
    and the baseline keeps one until the weight is 100."""
    canary = round(machines * weight / 100)
    if 0 < weight < 100:
        canary = min(max(canary, 1), machines - 1)
    return machines - canary, canary
