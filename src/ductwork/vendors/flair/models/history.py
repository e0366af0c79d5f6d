"""The histories: puck and vent readings, thermostat states, weather, beacon sightings and the
phones that made them. The twin writes them; clients only read them, newest first."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ductwork.vendors.flair import schema, wire
from ductwork.vendors.flair.models.fields import Attr, Rel, related_only, stamps
from ductwork.vendors.flair.models.resource import ResourceType
from ductwork.vendors.flair.wire import Json


class ThermostatStates(ResourceType):
    """A thermostat state says whether its structure is home or away."""

    __slots__ = ()

    def attributes(self, connection: Connection, rows: list[Row[Any]]) -> list[Json]:
        """The state's columns with its structure's home-away."""
        if not rows:
            return []
        ids = {r.thermostat_id for r in rows}
        home = {
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
        return [wire.thermostat_state(r, home.get(r.thermostat_id, True)) for r in rows]


class BeaconSightings(ResourceType):
    """A sighting reads as the phone that made it reports one."""

    __slots__ = ()

    def attributes(self, connection: Connection, rows: list[Row[Any]]) -> list[Json]:
        """The sighting in its phone's platform's fields."""
        if not rows:
            return []
        ids = {r.device_id for r in rows}
        agents = {
            d.id: d.user_agent
            for d in connection.execute(
                sa.select(schema.devices.c.id, schema.devices.c.user_agent).where(
                    schema.devices.c.id.in_(ids)
                )
            )
        }
        return [wire.beacon_sighting(r, str(agents.get(r.device_id, ""))) for r in rows]


SENSOR_READINGS = ResourceType(
    "sensor-readings",
    ("sensors", "pucks"),
    (
        Attr("room-temperature-c", "number"),
        Attr("humidity", "integer"),
        Attr("room-pressure", "number"),
        Attr("light", "integer"),
        Attr("system-voltage", "number"),
        Attr("rssi", "integer"),
        Attr("is-gateway", "boolean"),
        Attr("desired-temperature-c", "number"),
        Attr("button-pushes", "integer"),
        Attr("firmware-version-s", "integer"),
        Attr("firmware-version-b", "integer"),
        Attr("firmware-version-w", "integer"),
        Attr("temperature", "number"),
        Attr("die-temperature", "number"),
        Attr("current-offset", "number"),
        Attr("rotary-encoded-clicks", "integer"),
        Attr("message-version", "integer"),
        Attr("created-at", "string"),
    ),
    (Rel("puck", "pucks", False, "puck_id", self_link=False),),
    table=schema.puck_readings,
    uuid_ids=True,
    parent=(schema.pucks, "puck_id"),
    shape=wire.sensor_reading,
)


VENT_SENSOR_READINGS = ResourceType(
    "vent-sensor-readings",
    ("structures", "vents"),
    (
        Attr("duct-temperature-c", "number"),
        Attr("duct-pressure", "number"),
        Attr("percent-open", "integer"),
        Attr("system-voltage", "number"),
        Attr("rssi", "integer"),
        Attr("motor-run-time", "integer"),
        Attr("motor-current", "integer"),
        Attr("firmware-version-s", "integer"),
        Attr("lights", "integer"),
        Attr("created-at", "string"),
    ),
    (Rel("vent", "vents", False, "vent_id", self_link=False),),
    table=schema.vent_readings,
    uuid_ids=True,
    parent=(schema.vents, "vent_id"),
    shape=wire.vent_sensor_reading,
)


THERMOSTAT_STATES = ThermostatStates(
    "thermostat-states",
    ("thermostats",),
    (
        Attr("ambient-temperature-c", "number"),
        Attr("target-temperature-c", "number"),
        Attr("upper-setpoint-c", "number"),
        Attr("lower-setpoint-c", "number"),
        Attr("operating-state", "string"),
        Attr("mode", "string"),
        Attr("fan-state", "string"),
        Attr("humidity", "integer"),
        Attr("home-away", "string"),
        Attr("online", "boolean"),
        Attr("created-at", "string"),
    ),
    (Rel("thermostat", "thermostats", False, "thermostat_id", self_link=False),),
    table=schema.thermostat_states,
    uuid_ids=True,
    parent=(schema.thermostats, "thermostat_id"),
)


BEACON_SIGHTINGS = BeaconSightings(
    "beacon-sightings",
    ("sensors",),
    (
        Attr("rssi", "integer"),
        Attr("txpower", "integer"),
        Attr("distance", "number"),
        Attr("bluetooth-name", "string"),
        Attr("bluetooth-mac", "string"),
        Attr("observer-wifi-mac", "string"),
        Attr("observer-device-uuid", "string"),
        Attr("distance-string", "string"),
        Attr("description", "string"),
        Attr("accuracy", "number"),
        Attr("created-at", "string"),
    ),
    (
        Rel("puck", "pucks", False, "puck_id", self_link=False),
        Rel("device", "devices", False, "device_id", self_link=False),
    ),
    table=schema.beacon_sightings,
    uuid_ids=True,
    parent=(schema.pucks, "puck_id"),
)


WEATHER_READINGS = ResourceType(
    "weather-readings",
    ("sensors",),
    (
        Attr("sunrise", "string"),
        Attr("sunset", "string"),
        Attr("outside-temperature-c", "number"),
        Attr("windspeed", "number"),
        Attr("wind-direction", "number"),
        Attr("humidity", "number"),
        Attr("pressure", "number"),
        Attr("wind-chill", "number"),
        Attr("condition", "string"),
        Attr("created-at", "string"),
    ),
    (Rel("structure", "structures", False, "structure_id", self_link=False),),
    table=schema.weather_readings,
    uuid_ids=True,
    parent=(schema.structures, "structure_id"),
    shape=wire.weather_reading,
)


DEVICES = ResourceType(
    "devices",
    ("users",),
    (Attr("user-agent", "string"), *stamps()),
    (
        Rel("user", "users", False, "account_id", self_link=False),
        related_only("beacon-sightings", "beacon-sightings", "device_id"),
    ),
    table=schema.devices,
    shape=wire.device,
)
