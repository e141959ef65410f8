"""flagd flag definitions (``flags.json``) in the flags.yml form.

``state: DISABLED`` becomes ``enabled: false`` (flagd and rollwise both serve the code default then),
``variants`` and ``defaultVariant`` carry over with their names, ``metadata`` (the set's and the flag's) becomes
the flag's ``metadata``, and ``targeting`` becomes rules (see :mod:`rollwise.flags.model.imports.jsonlogic`).
"""

from __future__ import annotations

from typing import Any

from rollwise.flags.model.imports import Imported, Untranslatable
from rollwise.flags.model.imports.jsonlogic import Targeting

FIX = ("rewrite it with ==, in, starts_with, ends_with, sem_ver, <, >, and, or, ! and fractional, "
       "or write the rule in flags.yml by hand (docs/flags/moving.md)")
_KEYS = {"state", "variants", "defaultVariant", "targeting", "metadata"}


def translate(data: Any) -> Imported:
    """Translate a parsed flagd flag file; raises Untranslatable for what rollwise cannot express faithfully."""
    if not isinstance(data, dict) or not isinstance(data.get("flags"), dict):
        raise Untranslatable((), None, "not a flagd flag file: no `flags` object at the top",
                             fix='flagd files look like {"flags": {"my-flag": {"state": "ENABLED", ...}}}')
    evaluators = data.get("$evaluators") or {}
    set_metadata = data.get("metadata") or {}
    imported = Imported(flags={})
    for key, raw in data["flags"].items():
        imported.flags[key], notes = _flag(key, raw, evaluators, set_metadata)
        imported.notes += [f"{key}: {note}" for note in notes]
    return imported


def _refuse(key: str, field: str | None, why: str, fix: str) -> Untranslatable:
    return Untranslatable(("flags", key) + ((field,) if field else ()), None, why, fix=fix)


def _flag(key: str, raw: Any, evaluators: dict, set_metadata: dict) -> tuple[dict[str, Any], list]:
    if not isinstance(raw, dict):
        raise _refuse(key, None, f"flag '{key}' is not an object", "write the flag as an object with `variants`")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise _refuse(key, unknown[0], f"flag '{key}' has the field '{unknown[0]}', which flagd does not define",
                      "remove it, or rename it to one of: " + ", ".join(sorted(_KEYS)))
    variants = raw.get("variants")
    if not isinstance(variants, dict) or not variants:
        raise _refuse(key, "variants", f"flag '{key}' has no variants", "add `variants`: name -> value")
    default = raw.get("defaultVariant")
    if default is None:
        raise _refuse(key, "defaultVariant", f"flag '{key}' has no defaultVariant (flagd then serves the code default)",
                      "rollwise flags always name a default: set `defaultVariant` to one of " + ", ".join(variants))
    if default not in variants:
        raise _refuse(key, "defaultVariant", f"defaultVariant '{default}' of flag '{key}' is not a variant",
                      "use one of: " + ", ".join(variants))
    state = raw.get("state", "ENABLED")
    if state not in ("ENABLED", "DISABLED"):
        raise _refuse(key, "state", f"state {state!r} of flag '{key}' is neither ENABLED nor DISABLED",
                      "write ENABLED or DISABLED")
    out: dict[str, Any] = {"variants": dict(variants), "default": default}
    if state == "DISABLED":
        out = {"enabled": False, **out}
    targeting = Targeting(variants, default, resolve_ref=evaluators.get)
    try:
        rules, default_serve = targeting.translate(raw.get("targeting"))
    except Untranslatable as exc:
        raise exc.within(("flags", key), f"cannot translate the targeting of flag '{key}': {exc.why}") from None
    if rules:
        out["rules"] = rules
    if default_serve is not None:
        out["default"] = default_serve
    metadata = {**set_metadata, **(raw.get("metadata") or {})}
    if metadata:
        out["metadata"] = metadata
    return out, targeting.notes
