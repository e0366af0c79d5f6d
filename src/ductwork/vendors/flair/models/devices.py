"""The devices besides vents: pucks, puck apps, HVAC units, bridges, thermostats and remote
sensors, and what Flair does with them (a puck's readings and a thermostat's state from the
twin, puck apps that live where their puck does, an HVAC unit's nested write form)."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from ductwork.vendors.flair import schema
from ductwork.vendors.flair.demo import puck_attributes
from ductwork.vendors.flair.exceptions import invalid
from ductwork.vendors.flair.models.fields import (
    ROOM,
    STRUCTURE,
    Attr,
    Rel,
    related_only,
    stamps,
)
from ductwork.vendors.flair.models.resource import (
    Created,
    ResourceType,
    Simulated,
    Write,
    first_structure,
)
from ductwork.vendors.flair.wire import Json

SET_POINT_LOW_C, SET_POINT_HIGH_C = 10.0, 32.23  # the pucks' default set-point bounds
PUCK_APP_TYPES = ("temp-control", "tv-remote", "ir-remote", "occupancy")
HVAC_MODES = {0: "Cool", 1: "Heat"}  # the document's current-state.mode


class Pucks(Simulated):
    """A puck's readings come from the twin; its puck apps go where it goes."""

    __slots__ = ()

    def simulated(self, row: Row[Any], state: dict[str, Any]) -> Json:
        """Its latest reading from the twin."""
        latest = state.get("pucks", {}).get(row.id, {})
        return {
            "current-temperature-c": latest.get("t"),
            "current-humidity": latest.get("h"),
            "voltage": latest.get("v"),
            "current-rssi": latest.get("rssi"),
        }

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """A new puck shows the start of its id as its display number."""
        new_id = str(uuid.uuid4())
        defaults = puck_attributes(changes.get("name", "Puck"), new_id[:4], False)
        return Created(
            self.add(
                write,
                id=new_id,
                structure_id=first_structure(write),
                attributes={**defaults, **changes},
            )
        )

    def link(self, write: Write, key: str, column: str, target: Row[Any] | None) -> None:
        """A puck moved to another room or structure takes its puck apps."""
        super().link(write, key, column, target)
        if column in ("room_id", "structure_id"):
            pucks = schema.pucks
            moved = sa.select(pucks.c.id).where(pucks.c.id == self.column_key(key))
            puck_apps_follow(write.connection, moved)


def puck_apps_follow(connection: Connection, moved_pucks: sa.Select[Any]) -> None:
    """Puck apps live where their puck does (a structure's deletion takes them along)."""
    apps, pucks = schema.puck_apps, schema.pucks
    connection.execute(
        sa.update(apps)
        .where(apps.c.puck_id.in_(moved_pucks))
        .values(
            structure_id=sa.select(pucks.c.structure_id)
            .where(pucks.c.id == apps.c.puck_id)
            .scalar_subquery()
        )
    )


class PuckApps(ResourceType):
    """A puck app is made on its puck, in the puck's structure."""

    __slots__ = ()

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """An app on the named puck, its state empty unless written."""
        puck = PUCKS.row(write.connection, write.account_id, links.pop("puck"))
        return Created(
            self.add(
                write,
                structure_id=puck.structure_id,
                puck_id=puck.id,
                attributes={"app-state": {}, **changes},
            )
        )


class HvacUnits(ResourceType):
    """An HVAC unit also takes the document's nested `current-state` write form."""

    __slots__ = ()

    def changes(self, attributes: Json, *, creating: bool) -> Json:
        """The document's `current-state` object (`temperature`, `power` as a boolean, `mode`
        0 cooling / 1 heating, `make`/`model` beside it) is accepted as the real flat
        attributes (`temperature`, `power` "On"/"Off", `mode` "Cool"/"Heat")."""
        result = dict(attributes)
        for document_name, real_name in (("make", "make-name"), ("model", "model-id")):
            if document_name in result:
                result[real_name] = result.pop(document_name)
        state = result.pop("current-state", None)
        if state is not None:
            if not isinstance(state, dict):
                raise invalid("current-state must be an object.")
            for key, value in state.items():
                result.update(_hvac_state(key, value))
        return super().changes(result, creating=creating)

    def write_aliases(self, *, creating: bool) -> dict[str, Any]:
        """The document's `make`, `model` and `current-state` object."""
        attr = self.attr_index
        return {
            "make": attr["make-name"].schema(),
            "model": attr["model-id"].schema(),
            "current-state": {
                "type": ["object", "null"],
                "properties": {
                    "temperature": attr["temperature"].schema(),
                    "power": {"type": "boolean"},
                    "mode": {"enum": list(HVAC_MODES), "description": "0 cooling, 1 heating"},
                },
                "additionalProperties": False,
            },
        }


def _hvac_state(key: str, value: Any) -> Json:
    """One entry of an HVAC unit's document `current-state` as the flat attribute."""
    if key == "temperature":
        return {"temperature": value}
    if key == "power":
        if not isinstance(value, bool):
            raise invalid("current-state.power must be a boolean.")
        return {"power": "On" if value else "Off"}
    if key == "mode":
        if not isinstance(value, int | float) or isinstance(value, bool) or value not in HVAC_MODES:
            raise invalid("current-state.mode must be 0 (cooling) or 1 (heating).")
        return {"mode": HVAC_MODES[int(value)]}
    raise invalid(f"current-state.{key} is not editable here; use the flat attributes.")


class Thermostats(ResourceType):
    """A thermostat reports what its newest state says."""

    __slots__ = ()

    def attributes(self, connection: Connection, rows: list[Row[Any]]) -> list[Json]:
        """The stored attributes with its mode, set point and operating state."""
        states = schema.thermostat_states
        found = []
        for row in rows:
            newest = sa.select(states).where(states.c.thermostat_id == row.id)
            newest = newest.order_by(states.c.at.desc()).limit(1)
            latest = connection.execute(newest).first()
            busy = connection.execute(newest.where(states.c.operating_state != "idle")).first()
            values = self.shape(row)
            values.update(
                {
                    "mode": latest.mode if latest is not None else None,
                    "operating-state": latest.operating_state if latest is not None else None,
                    "last-non-idle-mode": busy.operating_state.upper() if busy else None,
                    "current-set-point": latest.target_temperature_c if latest else None,
                    "is-offline": latest is None,
                    "is-out-of-sync": False,
                }
            )
            found.append(values)
        return found


class RemoteSensors(ResourceType):
    """A thermostat's own sensor comes before its remote ones."""

    __slots__ = ()

    def reverse_select(self, select: sa.Select[Any]) -> sa.Select[Any]:
        """A thermostat's sensors are few: `first` picks its own among them all."""
        return select

    def first(self, rows: list[Row[Any]]) -> list[Row[Any]]:
        """The sensor that is the thermostat itself, else the first."""
        return sorted(rows, key=lambda r: not r.attributes.get("is-tstat"))[:1]


# Attributes the real service sends that ductwork does not model (read-only, null unless set).
REAL_PUCK_KEYS = ("beacon-interval-ms", "bluetooth-tx-power-mw", "demo-mode", "features",
                  "humidity-offset", "ignore-readings-for-room", "ir-download",
                  "ir-setup-enabled", "last-reported-as-gateway", "oauth-app-assigned-at",
                  "sub-ghz-radio-tx-power-mw", "temperature-offset-c")  # fmt: skip

PUCKS = Pucks(
    "pucks",
    ("pucks", "structures"),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("display-number", "string"),
        Attr("current-temperature-c", "number"),
        Attr("current-humidity", "number"),
        Attr("voltage", "number"),
        Attr("current-rssi", "integer"),
        Attr("is-gateway", "boolean"),
        Attr("inactive", "boolean"),
        Attr("setpoint-bound-low", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C, False),
        Attr("setpoint-bound-high", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C, False),
        Attr("temperature-offset-override-c", "number", True, (), -5.0, 5.0),
        Attr("puck-display-color", "string", editable=True, choices=("white", "black")),
        Attr("locked", "boolean", editable=True, nullable=False),
        Attr("orientation", "string"),
        Attr("reporting-interval-ds", "integer"),
        *(Attr(n, "any") for n in REAL_PUCK_KEYS),  # sent by the real service; null here
        *stamps(),
    ),
    (
        ROOM,
        STRUCTURE,
        related_only("current-reading", "sensor-readings", "puck_id", many=False, reverse=True),
        related_only("sensor-readings", "sensor-readings", "puck_id"),
        related_only("beacon-sightings", "beacon-sightings", "puck_id"),
        Rel("puck-apps", "puck-apps", True, "puck_id", linkage=False),
    ),
    table=schema.pucks,
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
)


HVAC_UNITS = HvacUnits(
    "hvac-units",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("make-name", "string", editable=True),
        Attr("model-id", "string", editable=True),
        Attr("power", "string", editable=True, choices=("On", "Off"), nullable=False),
        Attr("mode", "string", editable=True, choices=("Cool", "Heat", "Fan", "Dry", "Auto")),
        Attr("temperature", "number", True, (), 16.0, 32.0),
        Attr("fan-speed", "string", editable=True, choices=("Auto", "High", "Medium", "Low")),
        Attr("swing", "string", editable=True, choices=("On", "Off")),
        Attr("capabilities", "string"),
        Attr("constraints", "any"),
        *stamps(),
    ),
    (ROOM, STRUCTURE),
    table=schema.hvac_units,
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
    defaults={"power": "Off"},
)


BRIDGES = ResourceType(
    "bridges",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("led-brightness", "integer", True, (), 20, 100),
        Attr("inactive", "boolean"),
        *stamps(),
    ),
    (
        ROOM,
        STRUCTURE,
        # A bridge relays its home's pucks: its current reading is the newest of theirs
        # (observed-behaviour.md: pucks, vents and bridges carry `current-reading`).
        related_only(
            "current-reading",
            "sensor-readings",
            "structure_id",
            many=False,
            reverse=True,
            via=("pucks", "puck_id"),
            key_column="structure_id",
        ),
    ),
    table=schema.bridges,
    uuid_ids=True,
)


THERMOSTATS = Thermostats(
    "thermostats",
    ("thermostats",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("make", "string", on_create=True),
        Attr("model", "string", on_create=True),
        Attr("mode", "string"),
        Attr("operating-state", "string"),
        Attr("last-non-idle-mode", "string"),
        Attr("current-set-point", "number"),
        Attr("is-offline", "boolean"),
        Attr("is-out-of-sync", "boolean"),
        *stamps(),
    ),
    (
        ROOM,
        STRUCTURE,
        related_only("thermostat-states", "thermostat-states", "thermostat_id"),
        related_only(
            "current-state", "thermostat-states", "thermostat_id", many=False, reverse=True
        ),
        Rel("remote-sensor", "remote-sensors", False, "thermostat_id", reverse=True),
    ),
    table=schema.thermostats,
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("structure",),
    defaults={"name": "Thermostat", "make": None, "model": None},
)


REMOTE_SENSORS = RemoteSensors(
    "remote-sensors",
    ("sensors", "structures"),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("sensor-type", "string"),
        Attr("is-tstat", "boolean"),
        Attr("inactive", "boolean"),
        *stamps(),
    ),
    (ROOM, STRUCTURE, Rel("thermostat", "thermostats", False, "thermostat_id")),
    table=schema.remote_sensors,
    uuid_ids=True,
)


PUCK_APPS = PuckApps(
    "puck-apps",
    ("puck-apps",),
    (
        Attr("app-type", "string", choices=PUCK_APP_TYPES, nullable=False, on_create=True),
        Attr("app-state", "object", editable=True, nullable=False),
        *stamps(),
    ),
    (Rel("puck", "pucks", False, "puck_id", editable=True),),
    table=schema.puck_apps,
    creatable=True,
    deletable=True,
    uuid_ids=True,
    required_on_create=("puck",),
)
