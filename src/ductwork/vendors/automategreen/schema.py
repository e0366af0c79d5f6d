"""Automate Green tables: sign-in tokens, the house twin (one per account: its Insteon hubs,
devices and Power Controllers simulated together), gateways and devices as the API lists them,
the status history and the actions.

Ids are the vendor's short random strings (`ids.short_id`); every row belongs to an account
and goes with it.
"""

from __future__ import annotations

import sqlalchemy as sa

from ductwork.core.schema import metadata


def _account() -> sa.Column[int]:
    return sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )


# The installation's signing secret for sign-in tokens (HS256): one row, made on first use.
installation = sa.Table(
    "ag_installation",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("token_secret", sa.String(128), nullable=False),
)

tokens = sa.Table(
    "ag_tokens",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),  # the JWT's `id` claim
    _account(),
    sa.Column("digest", sa.String(64), nullable=False, unique=True),  # sha256 of the JWT
    sa.Column("description", sa.String(500), nullable=False),
    sa.Column("issued_at", sa.Float, nullable=False),  # account clock, = iat
    sa.Column("expires_at", sa.Float, nullable=False),  # account clock, = exp
    sa.Column("revoked_at", sa.Float, nullable=True),
    sa.Index("ix_ag_tokens_account", "account_id"),
)

# The twin: every simulated device of the account in one state document, stepped minute by
# minute by core.twins (sim_minute is the last simulated minute since the epoch).
houses = sa.Table(
    "ag_houses",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("sim_minute", sa.Integer, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Column("version", sa.Integer, nullable=False),  # counts writes: commands between minutes
    sa.Column("created_at", sa.Float, nullable=False),
    sa.UniqueConstraint("account_id", name="uq_ag_houses_account"),
)

gateways = sa.Table(
    "ag_gateways",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    _account(),
    sa.Column("address", sa.String(64), nullable=False),  # the hub's Insteon id, "AABBCC"
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.UniqueConstraint("account_id", "address", name="uq_ag_gateways_address"),
)

devices = sa.Table(
    "ag_devices",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),  # also the device's key in the twin
    _account(),
    sa.Column(
        "gateway_id",
        sa.String(16),
        sa.ForeignKey("ag_gateways.id", ondelete="CASCADE"),
        nullable=True,  # Power Controllers and Sensor Hub sensors talk to the cloud directly
    ),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("address", sa.String(64), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("sn", sa.String(64), nullable=True),
    sa.Column("country", sa.String(8), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("last_update", sa.Float, nullable=False),  # account clock: the record's last change
    sa.Column("status_id", sa.String(16), nullable=True),  # the newest status record
    sa.Column("status_at", sa.Float, nullable=True),
    sa.Index("ix_ag_devices_account", "account_id"),
)

statuses = sa.Table(
    "ag_statuses",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    _account(),
    sa.Column(
        "device_id",
        sa.String(16),
        sa.ForeignKey("ag_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", sa.Float, nullable=False),  # account clock, seconds
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(32), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("info", sa.JSON, nullable=False),
    sa.Index("ix_ag_statuses_device_at", "device_id", "at"),
    sa.Index("ix_ag_statuses_account_at", "account_id", "at"),
)

actions = sa.Table(
    "ag_actions",
    metadata,
    sa.Column("id", sa.String(16), primary_key=True),
    _account(),
    sa.Column(
        "device_id",
        sa.String(16),
        sa.ForeignKey("ag_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("definition", sa.JSON, nullable=False),  # type, event, options, conditions...
    sa.Column("armed", sa.JSON, nullable=False),  # the engine's memory (threshold crossings)
    sa.Column("last", sa.Float, nullable=True),  # account clock of the last firing
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_ag_actions_device", "device_id"),
)
