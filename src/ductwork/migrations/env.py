"""Alembic environment: runs on the connection ductwork passes in (or on sqlalchemy.url)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

import ductwork.core.webhooks  # (registers the webhook outbox)
import ductwork.vendors.flair.schema  # (registers the Flair tables)
import ductwork.vendors.phason.schema  # noqa: F401  (registers the Phason tables)
from ductwork.core.schema import metadata

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
