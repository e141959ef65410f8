"""safe-migrate adapters: Alembic, database dialects, backup tools and squawk."""
