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


def _owner(name: str, table: str) -> sa.Column[str]:
    """The device (UUID) a reading, state, app or sighting belongs to; it goes with it."""
    return sa.Column(
        name, sa.String(36), sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False
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
    # Issued by a refresh (those do not count toward the daily token limit).
    sa.Column("refreshed", sa.Boolean, nullable=False, server_default=sa.false()),
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
thermostats = _device("flair_thermostats")
remote_sensors = _device(
    "flair_remote_sensors",
    sa.Column(
        "thermostat_id",
        sa.String(36),
        sa.ForeignKey("flair_thermostats.id", ondelete="SET NULL"),
        nullable=True,
    ),
)

schedules = sa.Table(
    "flair_schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    _structure(),
    sa.Column("attributes", sa.JSON, nullable=False),
    *_stamps(),
    sa.Index("ix_flair_schedules_structure", "structure_id"),
)

puck_apps = sa.Table(
    "flair_puck_apps",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _account(),
    _structure(),
    _owner("puck_id", "flair_pucks"),
    sa.Column("attributes", sa.JSON, nullable=False),  # app-type, app-state
    *_stamps(),
    sa.Index("ix_flair_puck_apps_puck", "puck_id"),
)

devices = sa.Table(
    "flair_devices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    _account(),
    sa.Column("user_agent", sa.String(500), nullable=False),
    *_stamps(),  # first and latest sign-in with this user agent (the account's clock)
    sa.UniqueConstraint("account_id", "user_agent", name="uq_flair_devices_agent"),
)

vent_readings = sa.Table(
    "flair_vent_readings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _owner("vent_id", "flair_vents"),
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
    _owner("puck_id", "flair_pucks"),
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

vent_states = sa.Table(
    "flair_vent_states",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _owner("vent_id", "flair_vents"),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("percent_open", sa.Integer, nullable=False),
    sa.Column("percent_open_reason", sa.String(200), nullable=False),
    sa.Column("set_by", sa.String(32), nullable=False),  # "System" (the twin) or "User"
    sa.Column("changeset", sa.JSON, nullable=False),
    sa.Index("ix_flair_vent_states_vent_at", "vent_id", "at"),
)

thermostat_states = sa.Table(
    "flair_thermostat_states",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _owner("thermostat_id", "flair_thermostats"),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("ambient_temperature_c", sa.Float, nullable=False),
    sa.Column("target_temperature_c", sa.Float, nullable=False),
    sa.Column("operating_state", sa.String(16), nullable=False),  # heat, cool or idle
    sa.Column("mode", sa.String(16), nullable=False),  # HEAT, COOL, AUTO, OFF
    sa.Column("humidity", sa.Integer, nullable=False),
    sa.Index("ix_flair_thermostat_states_thermostat_at", "thermostat_id", "at"),
)

weather_readings = sa.Table(
    "flair_weather_readings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _structure(),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("outside_temperature_c", sa.Float, nullable=False),
    sa.Column("humidity", sa.Integer, nullable=False),
    sa.Column("pressure", sa.Float, nullable=False),  # hPa
    sa.Column("windspeed", sa.Float, nullable=False),  # m/s
    sa.Column("wind_direction", sa.Float, nullable=False),  # degrees from north
    sa.Column("wind_chill", sa.Float, nullable=False),  # °C
    sa.Column("condition", sa.String(32), nullable=False),
    sa.Column("sunrise", sa.BigInteger, nullable=False),  # epoch seconds of that local day
    sa.Column("sunset", sa.BigInteger, nullable=False),
    sa.Index("ix_flair_weather_readings_structure_at", "structure_id", "at"),
)

beacon_sightings = sa.Table(
    "flair_beacon_sightings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    _owner("puck_id", "flair_pucks"),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("flair_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("at", sa.BigInteger, nullable=False),
    sa.Column("rssi", sa.Integer, nullable=False),
    sa.Column("txpower", sa.Integer, nullable=False),
    sa.Column("distance", sa.Float, nullable=False),  # metres
    sa.Column("accuracy", sa.Float, nullable=False),
    sa.Index("ix_flair_beacon_sightings_puck_at", "puck_id", "at"),
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
