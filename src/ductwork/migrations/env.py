"""Alembic environment: runs on the connection ductwork passes in (or on sqlalchemy.url), with
every registered vendor's tables."""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from alembic import context

import ductwork.core.webhooks  # noqa: F401  (registers the webhook outbox)
from ductwork.core.schema import metadata
from ductwork.registry import VENDORS

for vendor in VENDORS:
    importlib.import_module(vendor.schema)  # registers the vendor's tables on `metadata`

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "sqlite://")
    with engine.begin() as own:
        context.configure(connection=own, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
else:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
