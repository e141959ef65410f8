"""A rollwise percentage-rollout flag as the split, for applications that choose the canary code path in process.

The weight is the share of the flag's rollout served the canary ``variant`` (default: the variant valued true);
after each change the router reads the flag back from the store and reports that share.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from rollwise.canary.adapters.routers.base import Router, RouterError


class FlagRouter(Router):
    name = "flag"
    options_schema: ClassVar[dict[str, Any]] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", "store", "flag"],
        "properties": {
            "type": {"const": "flag"},
            "store": {"type": "string", "pattern": "^(redis|rediss|file)://",
                      "description": "flags store URL, e.g. redis://127.0.0.1:6379/0 or file://flags.yml"},
            "flag": {"type": "string", "minLength": 1, "description": "key of the flag that splits traffic"},
            "variant": {"type": "string", "description": "variant served to the canary share (default: the true one)"},
            "rule": {"type": "string", "description": "roll out within this rule instead of the flag default"},
        },
    }

    def set_weight(self, weight: int) -> int:
        from rollwise.flags import service

        key = self.options["flag"]
        audit = service.Audit.from_environment(actor="rollwise-canary", reason=f"canary weight {weight} %")
        try:
            store = service.open_store(store_url(self.options["store"], self.base_dir))
            service.set_rollout(store, key, weight, audit, variant=self.options.get("variant"),
                                rule=self.options.get("rule"), retries=3)
            raw = service.read(store).raw_flags.get(key)
        except RouterError:
            raise
        except Exception as exc:  # store down, conflict, bad flag: all stop the rollout the same way
            raise RouterError(f"flag router: setting {key} to {weight} % failed: {exc}") from exc
        return self._share(raw, weight)

    def describe(self) -> str:
        return f"flag {self.options['flag']} in {self.options['store']}"

    def _share(self, raw: Any, weight: int) -> int:
        """The canary variant's share as stored (the flag may have been edited in between)."""
        key = self.options["flag"]
        serve = (raw or {}).get("default")
        if self.options.get("rule"):
            rule = next((r for r in (raw or {}).get("rules") or [] if r.get("name") == self.options["rule"]), {})
            serve = rule.get("serve")
        if not isinstance(serve, dict) or "rollout" not in serve:
            raise RouterError(f"flag router: flag {key} has no percentage rollout after setting {weight} %")
        variants = (raw or {}).get("variants") or {"true": True, "false": False}
        chosen = self.options.get("variant") or next((n for n, v in variants.items() if v is True), None)
        return round(float(serve["rollout"].get(chosen, 0)))


def store_url(url: str, base_dir: Path) -> str:
    """A flags store URL with a relative ``file://`` path resolved against the directory of rollwise.yml."""
    if url.startswith("file://") and not url.startswith("file:///"):
        return "file://" + str((base_dir / url[len("file://"):]).resolve())
    return url
