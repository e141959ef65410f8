"""safe-migrate: lint, plan, apply and roll back Alembic migrations with backups and integrity checks.

Layers: ``model``, ``scan``, ``rules``, ``classify``, ``lint``, ``integrity``, ``preflight``, ``sqlfacts``,
``effects`` and ``history`` are pure; ``graph`` reads revision files without importing them; ``alembic_adapter``,
``dialects``, ``backup``, ``schema`` and ``squawk`` talk to the outside world; ``runner`` and
``services`` orchestrate; ``cli`` and ``report`` are the interface.
"""
