"""safe-migrate: lint, plan, apply and roll back Alembic migrations with backups and integrity checks.

Layers: ``model``/``scan``/``rules``/``classify``/``lint`` are pure; ``alembic_adapter``, ``dialects``,
``backup`` and ``squawk`` talk to the outside world; ``services`` orchestrates; ``cli`` is the interface.
"""
