"""Phason tables: devices, rooms, equipment groups, module I/O, growth curves and history."""

from __future__ import annotations

import sqlalchemy as sa

from ductwork.core.schema import metadata

devices = sa.Table(
    "phason_devices",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("device_name", sa.String(100), nullable=False),
    sa.Column("host_name", sa.String(100), nullable=False),
    sa.Column("device_type", sa.String(50), nullable=False),
    sa.Column("version", sa.String(20), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("site", sa.JSON, nullable=False),
    sa.Column("sim_minute", sa.BigInteger, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
    sa.Index("ix_phason_devices_account", "account_id"),
)

rooms = sa.Table(
    "phason_rooms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("phason_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("room_num", sa.Integer, nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("params", sa.JSON, nullable=False),
    sa.Index("ix_phason_rooms_device", "device_id"),
)

groups = sa.Table(
    "phason_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("phason_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("room_id", sa.Integer, sa.ForeignKey("phason_rooms.id"), nullable=False),
    sa.Column("group_num", sa.Integer, nullable=False),
    sa.Column("group_type", sa.Integer, nullable=False),
    sa.Column("group_name", sa.String(100), nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Index("ix_phason_groups_device", "device_id"),
)

ios = sa.Table(
    "phason_ios",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("phason_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("direction", sa.String(6), nullable=False),  # "input" or "output"
    sa.Column("module_num", sa.Integer, nullable=False),
    sa.Column("module_type", sa.Integer, nullable=False),
    sa.Column("io_num", sa.Integer, nullable=False),
    sa.Column("io_type", sa.String(32), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("version_number", sa.String(20), nullable=False),
    sa.Column("room_id", sa.Integer, sa.ForeignKey("phason_rooms.id"), nullable=True),
    sa.Column("group_id", sa.Integer, sa.ForeignKey("phason_groups.id"), nullable=True),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.UniqueConstraint("device_id", "module_num", "io_num", name="uq_phason_ios_position"),
)

curves = sa.Table(
    "phason_growth_curves",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("phason_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("curve_name", sa.String(100), nullable=False),
    sa.Column("zone_type", sa.Integer, nullable=False),
    sa.Column("restart_day", sa.Integer, nullable=False),
    sa.Column("steps", sa.JSON, nullable=False),
    sa.Index("ix_phason_growth_curves_device", "device_id"),
)

misting_groups = sa.Table(
    "phason_misting_groups",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("phason_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("room_id", sa.Integer, sa.ForeignKey("phason_rooms.id"), nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Index("ix_phason_misting_groups_device", "device_id"),
)

# Timed-event schedules (v1.0.2 "Lighting Timed Events"): a schedule drives one output; it
# repeats every `repeat_day` days and ties segments in at start days; segments hold events.
schedules = sa.Table(
    "phason_schedules",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("phason_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("schedule_type", sa.Integer, nullable=False),  # 1 relay, 100 variable, 1000 lux
    sa.Column("repeat_day", sa.Integer, nullable=False),
    sa.Column("start_date", sa.String(10), nullable=False),  # local date of day 1
    sa.Column("output_io_id", sa.Integer, sa.ForeignKey("phason_ios.id"), nullable=True),
    sa.Column("input_io_id", sa.Integer, sa.ForeignKey("phason_ios.id"), nullable=True),
    sa.Index("ix_phason_schedules_device", "device_id"),
)

segments = sa.Table(
    "phason_segments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "device_id",
        sa.Integer,
        sa.ForeignKey("phason_devices.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("module_type", sa.Integer, nullable=False),  # 2 relay, 3 variable, 13 follow lux
    sa.Index("ix_phason_segments_device", "device_id"),
)

schedule_segments = sa.Table(
    "phason_schedule_segments",
    metadata,
    sa.Column(
        "schedule_id",
        sa.Integer,
        sa.ForeignKey("phason_schedules.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "segment_id",
        sa.Integer,
        sa.ForeignKey("phason_segments.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("segment_start", sa.Integer, primary_key=True, autoincrement=False),
)

events = sa.Table(
    "phason_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "segment_id",
        sa.Integer,
        sa.ForeignKey("phason_segments.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("value", sa.Float, nullable=False),
    sa.Column("time_of_day", sa.Integer, nullable=False),  # seconds after local midnight
    sa.Column("written_on", sa.String(10), nullable=False),  # local date of the last write
    sa.Index("ix_phason_events_segment", "segment_id"),
)

# One-minute history in hour chunks (ductwork.core.history): float32 (60, fields) per row.
GROUP_FIELDS = ("reading", "target", "lower", "upper", "alarm_code", "alarm_age_minutes")
group_hours = sa.Table(
    "phason_group_hours",
    metadata,
    sa.Column("group_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("hour", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

io_hours = sa.Table(
    "phason_io_hours",
    metadata,
    sa.Column("io_id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("hour", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
)

# OAuth2 for the v1.0.2 API: registered clients, authorization codes, token pairs, logins.
oauth_clients = sa.Table(
    "phason_oauth_clients",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("client_id", sa.String(64), nullable=False, unique=True),
    sa.Column("secret_hash", sa.String(64), nullable=False),
    sa.Column("redirect_uris", sa.JSON, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)

oauth_codes = sa.Table(
    "phason_oauth_codes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("code_hash", sa.String(64), nullable=False, unique=True),
    sa.Column(
        "client_pk",
        sa.Integer,
        sa.ForeignKey("phason_oauth_clients.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("redirect_uri", sa.String(2000), nullable=False),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("code_challenge", sa.String(200), nullable=True),
    sa.Column("code_challenge_method", sa.String(10), nullable=True),
    sa.Column("expires_at", sa.Float, nullable=False),  # real time: codes live ten minutes
)

oauth_tokens = sa.Table(
    "phason_oauth_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "client_pk",
        sa.Integer,
        sa.ForeignKey("phason_oauth_clients.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("access_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("refresh_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("issued_at", sa.Float, nullable=False),  # the account's (virtual) clock
    sa.Column("revoked", sa.Boolean, nullable=False),
)

oauth_logins = sa.Table(
    "phason_oauth_logins",
    metadata,
    sa.Column("ticket_hash", sa.String(64), primary_key=True),
    sa.Column(
        "account_id", sa.Integer, sa.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("expires_at", sa.Float, nullable=False),  # real time: ten minutes to consent
)
