"""Traffic routers: built-ins (command, nginx, kubernetes, fly, flag) and plugins from the ``rollwise.routers``
entry-point group, looked up by the ``type`` under ``canary.router``.

A plugin is a :class:`~rollwise.canary.adapters.routers.base.Router` subclass registered in its package metadata::

    [project.entry-points."rollwise.routers"]
    haproxy = "rollwise_haproxy:HAProxyRouter"
"""

from __future__ import annotations

import importlib
import threading
from importlib.metadata import entry_points
from pathlib import Path

from rollwise.canary.adapters.routers.base import Router, RouterError, split
from rollwise.canary.model.plan import RouterSpec

__all__ = ["ENTRY_POINT_GROUP", "Router", "RouterError", "available", "create", "router_class", "split"]

ENTRY_POINT_GROUP = "rollwise.routers"

#: the routers shipped with rollwise; also declared in the entry-point group of rollwise's own metadata,
#: listed here too so an install made before a router was added still finds it
BUILTIN = {
    "command": "rollwise.canary.adapters.routers.command:CommandRouter",
    "nginx": "rollwise.canary.adapters.routers.nginx:NginxRouter",
    "kubernetes": "rollwise.canary.adapters.routers.kubernetes:KubernetesRouter",
    "fly": "rollwise.canary.adapters.routers.fly:FlyRouter",
    "flag": "rollwise.canary.adapters.routers.flag:FlagRouter",
}


def available() -> dict[str, str]:
    """Router type -> ``module:Class`` for every built-in and installed plugin."""
    found = {entry.name: entry.value for entry in entry_points(group=ENTRY_POINT_GROUP)}
    for name, target in BUILTIN.items():
        found.setdefault(name, target)
    return dict(sorted(found.items()))


def router_class(name: str) -> type[Router] | None:
    """The router class registered as ``name``, or None when no such router is installed."""
    target = available().get(name)
    if target is None:
        return None
    module_name, _, attribute = target.partition(":")
    cls = getattr(importlib.import_module(module_name), attribute)
    if not (isinstance(cls, type) and issubclass(cls, Router)):
        raise RouterError(f"router plugin {name!r} ({target}) is not a rollwise Router subclass")
    return cls


def create(spec: RouterSpec, base_dir: Path | None = None, cancel: threading.Event | None = None) -> Router:
    """An instance of the router ``spec`` names, with its options."""
    cls = router_class(spec.type)
    if cls is None:
        raise RouterError(f"no router of type {spec.type!r} is installed; available: {', '.join(available())}")
    return cls(dict(spec.options), base_dir=base_dir, cancel=cancel)
