"""Alembic environment of the service: its own metadata, offline SQL, and online runs on the connection rollwise
passes in."""

import sqlalchemy as sa
from alembic import context
from shopapp.models import metadata

config = context.config
target_metadata = metadata


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, dialect_opts={"paramstyle": "named"}, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    # rollwise migrate passes its own connection so it can verify before commit and roll back
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url"), poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        connection.exec_driver_sql("SET lock_timeout = '2s'")
        connection.exec_driver_sql("SET statement_timeout = '15min'")
        _run(connection)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
