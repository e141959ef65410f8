"""safe-migrate: lint, plan, apply and roll back Alembic migrations with backups and integrity checks.

Layers: ``model``, ``scan``, ``rules``, ``classify``, ``lint``, ``integrity`` and ``preflight`` are pure;
``alembic_adapter``, ``dialects``, ``backup`` and ``squawk`` talk to the outside world; ``runner`` and
``services`` orchestrate; ``cli`` and ``report`` are the interface.
"""
