"""The service's tables; migrations/env.py hands this metadata to Alembic."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy_utils import EmailType, UUIDType

from shopapp.types import Money

metadata = sa.MetaData()

customers = sa.Table(
    "customers", metadata,
    sa.Column("id", UUIDType(binary=False), primary_key=True),
    sa.Column("email", EmailType(), nullable=False, unique=True),
    sa.Column("nickname", sa.String(80)),
)

orders = sa.Table(
    "orders", metadata,
    sa.Column("id", sa.BigInteger, primary_key=True),
    sa.Column("customer_id", UUIDType(binary=False), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("total", Money(), nullable=False),
    sa.Index("ix_orders_customer_id", "customer_id"),
)
