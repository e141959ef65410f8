"""The router plugin API: subclass :class:`Router`, raise :class:`RouterError`, register in ``rollwise.routers``.

    from rollwise.canary.routers import Router, RouterError

The built-in routers and the registry live in :mod:`rollwise.canary.adapters.routers`; this module is the
stable import path for third-party routers.
"""

from __future__ import annotations

from rollwise.canary.adapters.routers import (
    ENTRY_POINT_GROUP,
    Router,
    RouterError,
    available,
    create,
    router_class,
    split,
)

__all__ = ["ENTRY_POINT_GROUP", "Router", "RouterError", "available", "create", "router_class", "split"]
