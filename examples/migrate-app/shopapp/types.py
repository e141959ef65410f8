"""Column types of the service."""

from __future__ import annotations

import decimal

import sqlalchemy as sa


class Money(sa.types.TypeDecorator):
    """An amount in cents in the database, a Decimal in Python."""

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else int(decimal.Decimal(value) * 100)

    def process_result_value(self, value, dialect):
        return None if value is None else decimal.Decimal(value) / 100
