"""Flair tables: OAuth applications and tokens, the home (structures, zones, rooms, vents,
pucks, HVAC units, bridges) and the reading history of vents and pucks.

Wire attributes a client may write live in each row's `attributes` JSON under their real
(kebab-case) names; what the twin drives has its own column or lives in the structure's state.
"""

from __future__ import annotations

import sqlalchemy as sa

from ductwork.core.schema import metadata


def _account() -> sa.Column[int]:
    return sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    )


def _structure() -> sa.Column[int]:
    return sa.Column(
        "structure_id",
        sa.Integer,
        sa.ForeignKey("flair_structures.id", ondelete="CASCADE"),
        nullable=False,
    )


def _room() -> sa.Column[int]:
    return sa.Column(
        "room_id", sa.Integer, sa.ForeignKey("flair_rooms.id", ondelete="SET NULL"), nullable=True
    )


def _stamps() -> tuple[sa.Column[float], sa.Column[float]]:
    return (
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("updated_at", sa.Float, nullable=False),
    )


applications = sa.Table(
    "flair_applications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("description", sa.String(2000), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("redirect_uris", sa.JSON, nullable=False),
    sa.Column("scopes", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Index("ix_flair_applications_account", "account_id"),
)

tokens = sa.Table(
    "flair_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    sa.Column(
        "application_id",
        sa.Integer,
        sa.ForeignKey("flair_applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("access_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("refresh_hash", sa.String(64), nullable=True, unique=True),
    sa.Column("scope", sa.String(2000), nullable=False),
    sa.Column("issued_at", sa.Float, nullable=False),  # the account's (virtual) clock
    sa.Column("expires_in", sa.Integer, nullable=False),
    sa.Column("revoked", sa.Boolean, nullable=False),
    sa.Index("ix_flair_tokens_application", "application_id"),
)

users = sa.Table(
    "flair_users",
    metadata,
    sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("attributes", sa.JSON, nullable=False),
    *_stamps(),
)

structures = sa.Table(
    "flair_structures",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    sa.Column("attributes", sa.JSON, nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("site", sa.JSON, nullable=False),  # climate and central HVAC of the twin
    sa.Column("sim_minute", sa.BigInteger, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    *_stamps(),
    sa.Index("ix_flair_structures_account", "account_id"),
)

zones = sa.Table(
    "flair_zones",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    _structure(),
    sa.Column("attributes", sa.JSON, nullable=False),
    *_stamps(),
    sa.Index("ix_flair_zones_structure", "structure_id"),
)

rooms = sa.Table(
    "flair_rooms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    _structure(),
    sa.Column(
        "zone_id", sa.Integer, sa.ForeignKey("flair_zones.id", ondelete="SET NULL"), nullable=True
    ),
    sa.Column("attributes", sa.JSON, nullable=False),
    sa.Column("envelope", sa.JSON, nullable=False),  # the room's thermal envelope
    *_stamps(),
    sa.Index("ix_flair_rooms_structure", "structure_id"),
)


def _device(name: str, *extra: sa.Column[object]) -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.String(36), primary_key=True),  # a UUID, as the real service uses
        _account(),
        _structure(),
        _room(),
        sa.Column("attributes", sa.JSON, nullable=False),
        *extra,
        *_stamps(),
        sa.Index(f"ix_{name}_structure", "structure_id"),
    )


vents = _device(
    "flair_vents",
    sa.Column("percent_open", sa.Integer, nullable=False),
    sa.Column("percent_open_reason", sa.String(200), nullable=False),
    sa.Column("moved_at", sa.Float, nullable=False),  # virtual time of the last move
)
pucks = _device("flair_pucks")
hvac_units = _device("flair_hvac_units")
bridges = _device("flair_bridges")

vent_readings = sa.Table(
    "flair_vent_readings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "vent_id",
        sa.String(36),
        sa.ForeignKey("flair_vents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("duct_temperature_c", sa.Float, nullable=False),
    sa.Column("duct_pressure", sa.Float, nullable=False),
    sa.Column("percent_open", sa.Integer, nullable=False),
    sa.Column("system_voltage", sa.Float, nullable=False),
    sa.Column("rssi", sa.Integer, nullable=False),
    sa.Column("motor_run_time", sa.Integer, nullable=False),
    sa.Index("ix_flair_vent_readings_vent_at", "vent_id", "at"),
)

puck_readings = sa.Table(
    "flair_puck_readings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "puck_id",
        sa.String(36),
        sa.ForeignKey("flair_pucks.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("room_temperature_c", sa.Float, nullable=False),
    sa.Column("humidity", sa.Integer, nullable=False),
    sa.Column("room_pressure", sa.Float, nullable=False),
    sa.Column("light", sa.Integer, nullable=False),
    sa.Column("system_voltage", sa.Float, nullable=False),
    sa.Column("rssi", sa.Integer, nullable=False),
    sa.Column("is_gateway", sa.Boolean, nullable=False),
    sa.Column("desired_temperature_c", sa.Float, nullable=True),
    sa.Index("ix_flair_puck_readings_puck_at", "puck_id", "at"),
)

callbacks = sa.Table(
    "flair_callbacks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    _structure(),
    sa.Column(
        "application_id",
        sa.Integer,
        sa.ForeignKey("flair_applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("attributes", sa.JSON, nullable=False),  # webhookurl, event_type
    sa.Column("secret", sa.String(100), nullable=False),  # whsec_...: kept to sign, shown once
    *_stamps(),
    sa.Index("ix_flair_callbacks_structure", "structure_id"),
)

codes = sa.Table(
    "flair_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "application_id",
        sa.Integer,
        sa.ForeignKey("flair_applications.id", ondelete="CASCADE"),
        nullable=False,
    ),
    _account(),
    sa.Column("redirect_uri", sa.String(2000), nullable=True),  # as the request gave it
    sa.Column("scope", sa.String(2000), nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),  # real time: ten minutes to redeem
)

logins = sa.Table(
    "flair_logins",
    metadata,
    sa.Column("ticket_hash", sa.String(64), primary_key=True),
    _account(),
    sa.Column("expires_at", sa.Float, nullable=False),  # real time: ten minutes to consent
)
