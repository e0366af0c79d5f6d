"""The demo Flair home: five rooms on a central furnace and air conditioner, eight vents,
five pucks, a bridge, a mini-split in the office and an ecobee thermostat with a remote sensor,
balanced by Flair ("auto" mode), with an occupant whose phone hears the pucks."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ductwork.core.physics.house import AirHandler, Envelope
from ductwork.core.physics.weather import Climate, weather_at
from ductwork.vendors.flair import schema
from ductwork.vendors.flair.store import load_home, occupant_site, site, write_samples
from ductwork.vendors.flair.twin import HomeTwin, Samples
from ductwork.vendors.flair.wire import timestamp

TIMEZONE = "America/Chicago"
DEVICE_NAMESPACE = uuid.UUID("1d6f3e4a-6c0b-4b8e-8f5e-3b1f5c2a9d01")
START_C = 23.0
PHONE_USER_AGENT = "Flair/3.14.0 (iPhone; iOS 17.5; Scale/3.00)"
SCHEDULES = ("Weekdays", "Weekends")
THERMOSTAT = {"name": "Hallway Thermostat", "make": "ecobee", "model": "ecobee3 lite"}
THERMOSTAT_SENSOR = {
    "name": "Hallway Thermostat",
    "sensor-type": "ecobee_thermostat",
    "is-tstat": True,
    "inactive": False,
}
SMART_SENSOR = {
    "name": "Primary Bedroom",
    "sensor-type": "ecobee_ecobee3_remote_sensor",
    "is-tstat": False,
    "inactive": False,
}
# The occupant's day in the home's local time: (start, end, room name or None for away, days).
# They work from home on weekdays and are out for most of a weekend day.
ROUTINE = (
    ("22:00", "07:00", "Primary Bedroom", "all"),
    ("07:00", "08:00", "Kitchen", "all"),
    ("08:00", "12:00", "Office", "weekdays"),
    ("12:00", "13:00", "Kitchen", "weekdays"),
    ("13:00", "17:30", "Office", "weekdays"),
    ("08:00", "10:00", "Living Room", "weekends"),
    ("10:00", "16:00", None, "weekends"),
    ("16:00", "17:30", "Living Room", "weekends"),
    ("17:30", "19:00", "Kitchen", "all"),
    ("19:00", "22:00", "Living Room", "all"),
)

ROOMS = (
    # name, level, envelope, set point, active, vents, pucks
    ("Living Room", "1", Envelope(90.0, 55.0, window_m2=4.0), 22.0, True, 2, 1),
    ("Kitchen", "1", Envelope(50.0, 35.0, window_m2=2.0, internal_gain_w=250.0), 21.5, True, 1, 1),
    ("Primary Bedroom", "2", Envelope(60.0, 40.0, window_m2=2.0), 20.5, True, 2, 1),
    ("Guest Room", "2", Envelope(40.0, 30.0, window_m2=1.5), 21.0, False, 1, 1),
    ("Office", "1", Envelope(35.0, 30.0, window_m2=2.0, internal_gain_w=250.0), 22.0, True, 2, 1),
)


def user_attributes(name: str, email: str, created: float) -> dict[str, Any]:
    """A Flair user profile for a ductwork account, with the real service's defaults."""
    alerts = [
        "FirmwareAvailable",
        "PuckBatteryAlert",
        "SystemOffline",
        "TemperatureOutOfBounds",
        "ThermostatDisconnected",
        "VentBatteryAlert",
    ]
    return {
        "name": name,
        "email": email,
        "temperature-scale": "F",
        "default-temperature-preference-c": 22.5,
        "alert-emails": True,
        "firmware-emails": True,
        "global-email": False,
        "global-push": False,
        "email-structure-alert-types": alerts,
        "push-structure-alert-types": alerts,
        "role": None,
        "partner": None,
        "created-at": timestamp(created),
    }


def structure_attributes(name: str) -> dict[str, Any]:
    """A new structure's attributes: Flair balancing on, heat/cool chosen automatically."""
    return {
        "name": name,
        "mode": "auto",
        "structure-heat-cool-mode": "auto",
        "set-point-temperature-c": 21.5,
        "set-point-mode": "Home Evenness For Active Rooms Flair Setpoint",
        "home": True,
        "home-away-mode": "Manual",
        "structure-away-mode": "Smart Away",
        "default-hold-duration": "Until",
        "temperature-scale": "F",
        "time-zone": TIMEZONE,
        "location": None,
        "hold-until": None,
        "active-schedule-id": None,
        "setup-complete": True,
    }


def room_attributes(name: str, level: str | None, set_point: float, active: bool) -> dict[str, Any]:
    """A room's attributes with the real service's defaults."""
    return {
        "name": name,
        "active": active,
        "set-point-c": set_point,
        "set-point-manual": False,
        "level": level,
        "room-type": None,
        "air-return": False,
        "windows": None,
        "occupancy-mode": "Flair Auto",
        "room-away-mode": "Smart Away",
        "temp-away-min-c": 16.0,
        "temp-away-max-c": 26.0,
        "humidity-away-min": 10,
        "humidity-away-max": 80,
        "preheat-precool": True,
        "frozen-pipe-pet-protect": True,
        "hold-until": None,
        "hold-reason": None,
    }


def vent_attributes(name: str) -> dict[str, Any]:
    """A vent's static attributes."""
    return {"name": name, "inactive": False, "has-buzzed": False, "setup-lightstrip": 10}


def puck_attributes(name: str, display: str, gateway: bool) -> dict[str, Any]:
    """A puck's static attributes with the real service's defaults."""
    return {
        "name": name,
        "display-number": display,
        "is-gateway": gateway,
        "inactive": False,
        "setpoint-bound-low": 10.0,
        "setpoint-bound-high": 32.23,
        "temperature-offset-override-c": None,
        "puck-display-color": "white",
        "locked": False,
        "orientation": "standing",
        "reporting-interval-ds": 255,
    }


def device_id(seed: int, structure_id: int, kind: str, number: int) -> str:
    """A device UUID fixed by the structure and the device's place in it."""
    return str(uuid.uuid5(DEVICE_NAMESPACE, f"{seed}/{structure_id}/{kind}/{number}"))


def create_demo_home(connection: Connection, account_id: int, seed: int, now: float) -> int:
    """Create the demo home for an account, its twin starting at `now`; returns the structure."""
    minute = int(now // 60)
    structure_id = int(
        connection.execute(
            sa.insert(schema.structures)
            .values(
                account_id=account_id,
                attributes=structure_attributes("Demo Home"),
                seed=seed,
                site=site(Climate(), AirHandler()),
                sim_minute=minute,
                state={},
                created_at=now,
                updated_at=now,
            )
            .returning(schema.structures.c.id)
        ).scalar_one()
    )
    stamps = {
        "account_id": account_id,
        "structure_id": structure_id,
        "created_at": now,
        "updated_at": now,
    }
    zone_id = connection.execute(
        sa.insert(schema.zones)
        .values(attributes={"name": "Whole Home"}, **stamps)
        .returning(schema.zones.c.id)
    ).scalar_one()
    vent_number = puck_number = 0
    room_ids: dict[str, int] = {}
    thermostat_id = device_id(seed, structure_id, "thermostat", 1)
    for name, level, envelope, set_point, active, vents, pucks in ROOMS:
        room_id = connection.execute(
            sa.insert(schema.rooms)
            .values(
                zone_id=zone_id,
                attributes=room_attributes(name, level, set_point, active),
                envelope=asdict(envelope),
                **stamps,
            )
            .returning(schema.rooms.c.id)
        ).scalar_one()
        room_ids[name] = int(room_id)
        for _ in range(vents):
            vent_number += 1
            vid = device_id(seed, structure_id, "vent", vent_number)
            connection.execute(
                sa.insert(schema.vents).values(
                    id=vid,
                    room_id=room_id,
                    attributes=vent_attributes(f"{name}-{vid[:4]}"),
                    percent_open=100,
                    percent_open_reason="Flair Auto",
                    moved_at=now - 3600,
                    **stamps,
                )
            )
        for _ in range(pucks):
            puck_number += 1
            pid = device_id(seed, structure_id, "puck", puck_number)
            attributes = puck_attributes(f"{name}-{pid[:4]}", pid[:4], puck_number == 1)
            connection.execute(
                sa.insert(schema.pucks).values(
                    id=pid, room_id=room_id, attributes=attributes, **stamps
                )
            )
            connection.execute(
                sa.insert(schema.puck_apps).values(
                    id=device_id(seed, structure_id, "puck-app", puck_number),
                    puck_id=pid,
                    attributes={
                        "app-type": "temp-control",
                        "app-state": {"set-point-c": set_point},
                    },
                    **stamps,
                )
            )
        if name == "Living Room":
            bid = device_id(seed, structure_id, "bridge", 1)
            connection.execute(
                sa.insert(schema.bridges).values(
                    id=bid,
                    room_id=room_id,
                    attributes={
                        "name": f"Bridge-{bid[:4]}",
                        "led-brightness": 60,
                        "inactive": False,
                    },
                    **stamps,
                )
            )
            connection.execute(
                sa.insert(schema.thermostats).values(
                    id=thermostat_id,
                    room_id=room_id,
                    attributes=dict(THERMOSTAT),
                    **stamps,
                )
            )
            # The thermostat senses its own room, as ecobee's remote-sensor list shows it.
            _remote_sensor(connection, seed, stamps, 1, room_id, thermostat_id, THERMOSTAT_SENSOR)
        if name == "Primary Bedroom":
            _remote_sensor(connection, seed, stamps, 2, room_id, thermostat_id, SMART_SENSOR)
        if name == "Office":
            uid = device_id(seed, structure_id, "hvac-unit", 1)
            connection.execute(
                sa.insert(schema.hvac_units).values(
                    id=uid,
                    room_id=room_id,
                    attributes={
                        "name": "Office Mini-Split",
                        "make-name": "Mitsubishi",
                        "model-id": "MSZ-GL09NA",
                        "power": "Off",
                        "mode": "Cool",
                        "temperature": 22.0,
                        "fan-speed": "Auto",
                        "swing": "Off",
                        "capabilities": "Both",
                        "constraints": {"temperature-scale": "C", "min": 16, "max": 31},
                    },
                    **stamps,
                )
            )
    for schedule in SCHEDULES:
        connection.execute(
            sa.insert(schema.schedules).values(attributes={"name": schedule}, **stamps)
        )
    phone = _device(connection, account_id, PHONE_USER_AGENT, now)
    routine = [
        {"start": start, "end": end, "room": room_ids[room] if room else None, "days": days}
        for start, end, room, days in ROUTINE
    ]
    connection.execute(
        sa.update(schema.structures)
        .where(schema.structures.c.id == structure_id)
        .values(site={**site(Climate(), AirHandler()), "occupant": occupant_site(phone, routine)})
    )
    initialise_state(connection, structure_id, minute)
    return structure_id


def _remote_sensor(
    connection: Connection,
    seed: int,
    stamps: dict[str, Any],
    number: int,
    room_id: int,
    thermostat_id: str,
    attributes: dict[str, Any],
) -> None:
    connection.execute(
        sa.insert(schema.remote_sensors).values(
            id=device_id(seed, stamps["structure_id"], "remote-sensor", number),
            room_id=room_id,
            thermostat_id=thermostat_id,
            attributes=dict(attributes),
            **stamps,
        )
    )


def _device(connection: Connection, account_id: int, user_agent: str, now: float) -> int:
    """The account's device (a phone or browser signed in to Flair) with this user agent."""
    table = schema.devices
    existing = connection.execute(
        sa.select(table.c.id).where(
            table.c.account_id == account_id, table.c.user_agent == user_agent
        )
    ).scalar()
    if existing is not None:
        return int(existing)
    return int(
        connection.execute(
            sa.insert(table)
            .values(account_id=account_id, user_agent=user_agent, created_at=now, updated_at=now)
            .returning(table.c.id)
        ).scalar_one()
    )


def initialise_state(connection: Connection, structure_id: int, minute: int) -> None:
    """Give a structure's twin its first state: rooms at START_C and the first readings."""
    home, _, _, vents = load_home(connection, structure_id)
    twin = HomeTwin(home, HomeTwin.initial_state(home, minute, START_C), vents)
    samples = Samples()
    twin.record(minute, weather_at(home.climate, home.seed, minute * 60.0), samples)
    write_samples(connection, samples)
    connection.execute(
        sa.update(schema.structures)
        .where(schema.structures.c.id == structure_id)
        .values(state=twin.state)
    )
