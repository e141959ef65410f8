"""safe-migrate: lint, plan, apply and roll back Alembic migrations with backups and integrity checks.

Layers: ``model/`` is pure (``scan``, ``rules``, ``classify``, ``lint``, ``integrity``, ``preflight``, the revision
``graph``, ``sqlfacts``, ``effects``, ``history``); ``adapters/`` talk to the outside world (``alembic``,
``dialects``, ``backup``, ``schema``, ``squawk``); ``service/`` orchestrates; ``cli`` and ``report`` are the
interface.
"""
