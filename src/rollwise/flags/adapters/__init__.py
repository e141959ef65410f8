"""Flag stores: Redis (``redis://``, ``rediss://``, ``redis+sentinel://``, ``redis+cluster://``) and files."""

from __future__ import annotations

from rollwise.errors import ConfigError
from rollwise.flags.ports import ConflictError, Snapshot, Store, StoreUnavailable


def open_store(url: str) -> Store:
    """The store a URL names: ``file://flags.yml`` (relative or absolute) or a Redis URL."""
    if url.startswith("file://"):
        from rollwise.flags.adapters.file import FileStore

        return FileStore(url[len("file://"):])
    if url.split("://", 1)[0] in ("redis", "rediss", "unix", "redis+sentinel", "rediss+sentinel", "redis+cluster",
                                  "rediss+cluster"):
        from rollwise.flags.adapters.redis import RedisStore

        return RedisStore(url)
    raise ConfigError(f"unsupported store URL {url!r}",
                      fix="use file://flags.yml or redis://host:6379 (also rediss://, redis+sentinel://, redis+cluster://)")


__all__ = ["ConflictError", "Snapshot", "Store", "StoreUnavailable", "open_store"]
