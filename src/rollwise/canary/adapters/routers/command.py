"""The portable router: any shell command, given the weight.

``command`` may use ``{weight}`` and ``{baseline_weight}``; the same values are in the environment as
``ROLLWISE_WEIGHT`` and ``ROLLWISE_BASELINE_WEIGHT``. If the command's last line of output is a number, that is
the weight the platform actually set; otherwise the requested weight is taken as set.
"""

from __future__ import annotations

from typing import Any, ClassVar

from rollwise.canary.adapters.routers.base import Router, RouterError, split


class CommandRouter(Router):
    name = "command"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "command"],
        "properties": {
            "type": {"const": "command"},
            "command": {"type": "string", "minLength": 1,
                        "description": "shell command that sets the split, e.g. ./set-weight.sh {weight}"},
            "timeout": {"type": "number", "exclusiveMinimum": 0, "description": "seconds the command may take"},
        },
    }

    def set_weight(self, weight: int) -> int:
        baseline, canary = split(weight)
        command = self.options["command"].replace("{weight}", str(canary)).replace("{baseline_weight}", str(baseline))
        env = {"ROLLWISE_WEIGHT": str(canary), "ROLLWISE_BASELINE_WEIGHT": str(baseline)}
        result = self.run(command, f"setting weight {weight}", timeout=float(self.options.get("timeout", 120)), env=env)
        lines = result.stdout.strip().splitlines()
        if lines and lines[-1].strip().isdigit():
            actual = int(lines[-1].strip())
            if not 0 <= actual <= 100:
                raise RouterError(f"command router: `{command}` reported weight {actual}, outside 0..100")
            return actual
        return canary

    def describe(self) -> str:
        return f"command `{self.options['command']}`"
