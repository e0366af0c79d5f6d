"""How Flair rows become JSON:API attributes: the JSON column of the editable types with
what the twin computes (room temperatures, vent positions, a thermostat's newest state),
and the plain columns of readings, states, applications and devices."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ductwork.vendors.flair import schema, wire
from ductwork.vendors.flair.wire import Json

SENSOR_FIRMWARE, VENT_FIRMWARE = 135, 136
_OBSERVER_NAMESPACE = uuid.UUID("6a1c2f0e-9b7d-4c55-8e0f-2d4b9a7c3e11")


def context(connection: Connection, type_name: str, rows: list[Row[Any]]) -> dict[Any, Any]:
    """What some types' attributes need beyond their own rows, read once per page."""
    if not rows:
        return {}
    if type_name == "thermostats":
        states = schema.thermostat_states
        context: dict[Any, Any] = {}
        for row in rows:
            newest = sa.select(states).where(states.c.thermostat_id == row.id)
            newest = newest.order_by(states.c.at.desc()).limit(1)
            busy = newest.where(states.c.operating_state != "idle")
            context[row.id] = (
                connection.execute(newest).first(),
                connection.execute(busy).first(),
            )
        return context
    if type_name == "thermostat-states":
        ids = {r.thermostat_id for r in rows}
        return {
            t.id: bool(t.attributes.get("home", True))
            for t in connection.execute(
                sa.select(schema.thermostats.c.id, schema.structures.c.attributes)
                .join(
                    schema.structures,
                    schema.structures.c.id == schema.thermostats.c.structure_id,
                )
                .where(schema.thermostats.c.id.in_(ids))
            )
        }
    if type_name == "beacon-sightings":
        ids = {r.device_id for r in rows}
        return {
            d.id: d.user_agent
            for d in connection.execute(
                sa.select(schema.devices.c.id, schema.devices.c.user_agent).where(
                    schema.devices.c.id.in_(ids)
                )
            )
        }
    return {}


def attributes(
    type_name: str,
    row: Row[Any],
    states: dict[int, dict[str, Any]],
    context: dict[Any, Any],
) -> Json:
    fixed = _fixed_attributes(type_name, row, context)
    if fixed is not None:
        return fixed
    values = dict(row.attributes)
    values["created-at"] = wire.timestamp(row.created_at)
    values["updated-at"] = wire.timestamp(row.updated_at)
    if type_name == "structures":
        hvac = dict(row.state).get("hvac", {})
        values["current-heat-cool-mode"] = hvac.get("mode")
        values["hvac-running"] = bool(hvac.get("running", False))
        return values
    if type_name == "thermostats":
        newest, busy = context.get(row.id, (None, None))
        values.update(
            {
                "mode": newest.mode if newest is not None else None,
                "operating-state": newest.operating_state if newest is not None else None,
                "last-non-idle-mode": busy.operating_state.upper() if busy else None,
                "current-set-point": newest.target_temperature_c if newest else None,
                "is-offline": newest is None,
                "is-out-of-sync": False,
            }
        )
        return values
    state = states.get(int(row.structure_id), {}) if type_name != "users" else {}
    if type_name == "rooms":
        readings = state.get("room_pucks", {}).get(str(row.id), [])
        pucks = [state.get("pucks", {}).get(p) for p in readings]
        known = [p for p in pucks if p is not None]
        values["current-temperature-c"] = (
            round(sum(p["t"] for p in known) / len(known), 2) if known else None
        )
        values["current-humidity"] = (
            round(sum(p["h"] for p in known) / len(known)) if known else None
        )
        values["pucks-inactive"] = "Active" if readings else "NotSetup"
        values["state-updated-at"] = values["updated-at"]
    elif type_name == "vents":
        latest = state.get("vent_readings", {}).get(row.id, {})
        values.update(
            {
                "percent-open": row.percent_open,
                "percent-open-reason": row.percent_open_reason,
                "voltage": latest.get("v"),
                "current-rssi": latest.get("rssi"),
            }
        )
    elif type_name == "pucks":
        latest = state.get("pucks", {}).get(row.id, {})
        values.update(
            {
                "current-temperature-c": latest.get("t"),
                "current-humidity": latest.get("h"),
                "voltage": latest.get("v"),
                "current-rssi": latest.get("rssi"),
            }
        )
    return values


def _fixed_attributes(type_name: str, row: Row[Any], context: dict[Any, Any]) -> Json | None:
    """The attributes of types kept in plain columns (readings, states, applications,
    devices); None for the types whose attributes live in a JSON column."""
    if type_name == "sensor-readings":
        return {
            "room-temperature-c": row.room_temperature_c,
            "humidity": row.humidity,
            "room-pressure": row.room_pressure,
            "light": row.light,
            "system-voltage": row.system_voltage,
            "rssi": row.rssi,
            "is-gateway": row.is_gateway,
            "desired-temperature-c": row.desired_temperature_c,
            "button-pushes": 0,
            "firmware-version-s": SENSOR_FIRMWARE,
            "firmware-version-b": SENSOR_FIRMWARE,
            "firmware-version-w": SENSOR_FIRMWARE,
            "temperature": row.room_temperature_c,  # the raw sensor, before any offset
            "die-temperature": row.room_temperature_c,
            "current-offset": 0.0,
            "rotary-encoded-clicks": 0,
            "message-version": 0,
            "created-at": wire.timestamp(row.at),
        }
    if type_name == "vent-sensor-readings":
        return {
            "duct-temperature-c": row.duct_temperature_c,
            "duct-pressure": row.duct_pressure,
            "percent-open": row.percent_open,
            "system-voltage": row.system_voltage,
            "rssi": row.rssi,
            "motor-run-time": row.motor_run_time,
            "motor-current": None,
            "firmware-version-s": VENT_FIRMWARE,
            "lights": None,
            "created-at": wire.timestamp(row.at),
        }
    if type_name == "thermostat-states":
        return {
            "ambient-temperature-c": row.ambient_temperature_c,
            "target-temperature-c": row.target_temperature_c,
            "upper-setpoint-c": row.target_temperature_c,
            "lower-setpoint-c": row.target_temperature_c,
            "operating-state": row.operating_state,
            "mode": row.mode,
            "fan-state": "auto",
            "humidity": row.humidity,
            "home-away": "Home" if context.get(row.thermostat_id, True) else "Away",
            "online": True,
            "created-at": wire.timestamp(row.at),
        }
    if type_name == "vent-states":
        return {
            "percent-open": row.percent_open,
            "percent-open-reason": row.percent_open_reason,
            "set-by": row.set_by,
            "changeset": list(row.changeset),
            "created-at": wire.timestamp(row.at),
        }
    if type_name == "weather-readings":
        return {
            "sunrise": wire.timestamp(row.sunrise),
            "sunset": wire.timestamp(row.sunset),
            "outside-temperature-c": row.outside_temperature_c,
            "windspeed": row.windspeed,
            "wind-direction": row.wind_direction,
            "humidity": row.humidity,
            "pressure": row.pressure,
            "wind-chill": row.wind_chill,
            "condition": row.condition,
            "created-at": wire.timestamp(row.at),
        }
    if type_name == "beacon-sightings":
        return _sighting(row, str(context.get(row.device_id, "")))
    if type_name == "applications":
        return {
            "name": row.name,
            "description": row.description,
            "client_id": row.client_id,
            "client_secret": None,  # shown once, in the answer to the POST that created it
            "redirect_uris": list(row.redirect_uris),
            "scopes": list(row.scopes),
            "created-at": wire.timestamp(row.created_at),
        }
    if type_name == "devices":
        return {
            "user-agent": row.user_agent,
            "created-at": wire.timestamp(row.created_at),
            "updated-at": wire.timestamp(row.updated_at),
        }
    return None


def _sighting(row: Row[Any], user_agent: str) -> Json:
    """A beacon sighting as the phone that made it reports it: iOS apps send CoreLocation's
    accuracy and proximity, Android apps the transmit power, distance and their radios."""
    mark = uuid.uuid5(_OBSERVER_NAMESPACE, str(row.device_id))
    attributes: Json = {"rssi": row.rssi, "created-at": wire.timestamp(row.at)}
    if "iphone" in user_agent.lower() or "ios" in user_agent.lower():
        proximity = "Immediate" if row.distance < 0.5 else "Near" if row.distance < 3 else "Far"
        attributes.update(
            {
                "observer-device-uuid": str(mark).upper(),
                "distance-string": proximity,
                "description": f"CLBeacon (puck:{row.puck_id}, proximity:{proximity})",
                "accuracy": row.accuracy,
            }
        )
    else:
        octets = mark.bytes
        attributes.update(
            {
                "txpower": row.txpower,
                "distance": row.distance,
                "bluetooth-name": "Android",
                "bluetooth-mac": ":".join(f"{b:02X}" for b in octets[:6]),
                "observer-wifi-mac": ":".join(f"{b:02X}" for b in octets[6:12]),
            }
        )
    return attributes
