"""The home: its user, structures, zones, rooms and schedules, and what Flair does when they
change (a user row on first sight, a new structure's twin, the active schedule, a room's
manual hold and the devices that follow a room into another structure)."""

from __future__ import annotations

import secrets
from dataclasses import asdict
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from ductwork.core.clock import Clocks
from ductwork.core.physics.house import AirHandler, Envelope
from ductwork.core.physics.weather import Climate
from ductwork.core.schema import accounts
from ductwork.vendors.flair import schema, wire
from ductwork.vendors.flair.demo import (
    initialise_state,
    room_attributes,
    structure_attributes,
    user_attributes,
)
from ductwork.vendors.flair.exceptions import invalid
from ductwork.vendors.flair.models.devices import (
    SET_POINT_HIGH_C,
    SET_POINT_LOW_C,
    puck_apps_follow,
)
from ductwork.vendors.flair.models.fields import STRUCTURE, Attr, Rel, related_only, stamps
from ductwork.vendors.flair.models.resource import (
    Created,
    Effects,
    ResourceType,
    Simulated,
    Write,
    first_structure,
)
from ductwork.vendors.flair.store import site
from ductwork.vendors.flair.wire import Json

MODES = ("auto", "manual")
HEAT_COOL_MODES = ("float", "heat", "cool", "auto")
# What sits in a room and follows it into another structure.
ROOM_DEVICES = (
    schema.vents,
    schema.pucks,
    schema.hvac_units,
    schema.bridges,
    schema.thermostats,
    schema.remote_sensors,
)


class Users(ResourceType):
    """A user is the account: its row is made the first time the API reaches it."""

    __slots__ = ()

    def prepare(self, engine: Engine, clocks: Clocks, account_id: int) -> None:
        """Make the account's user row if it has none yet."""
        with engine.begin() as connection:
            self.ensure(connection, clocks, account_id)

    def ensure(self, connection: Connection, clocks: Clocks, account_id: int) -> None:
        """The account's user row, named after its email, made now if missing."""
        exists = connection.execute(
            sa.select(self.table.c.account_id).where(self.table.c.account_id == account_id)
        ).first()
        if exists is not None:
            return
        row = connection.execute(
            sa.select(accounts.c.email, accounts.c.created_at).where(accounts.c.id == account_id)
        ).one()
        connection.execute(
            sa.insert(self.table).values(
                account_id=account_id,
                attributes=user_attributes(row.email.split("@")[0], row.email, row.created_at),
                created_at=row.created_at,
                updated_at=clocks.now(account_id),
            )
        )


class Structures(ResourceType):
    """A structure is a home with its own twin; its schedule must be one of its own."""

    __slots__ = ()

    def attributes(self, connection: Connection, rows: list[Row[Any]]) -> list[Json]:
        """The stored attributes with what its central system is doing now."""
        found = []
        for row in rows:
            values = self.shape(row)
            hvac = dict(row.state).get("hvac", {})
            values["current-heat-cool-mode"] = hvac.get("mode")
            values["hvac-running"] = bool(hvac.get("running", False))
            found.append(values)
        return found

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """A new home with a fresh seed, the default climate and air handler."""
        attributes = {**structure_attributes(changes.get("name", "Home")), **changes}
        return Created(
            self.add(
                write,
                attributes=attributes,
                seed=secrets.randbits(48),
                site=site(Climate(), AirHandler()),
                sim_minute=int(write.now // 60),
                state={},
            )
        )

    def created(self, write: Write, row: Row[Any]) -> None:
        """Its twin starts now, once its rooms and devices are linked."""
        initialise_state(write.connection, int(row.id), int(write.now // 60))

    def update(self, write: Write, row: Row[Any], changes: Json) -> None:
        """The active schedule must be one of the structure's own (422 otherwise)."""
        if changes.get("active-schedule-id") is not None:
            schedule = str(changes["active-schedule-id"])
            owned = schedule.isdigit() and len(schedule) < 10
            if owned:
                owned = (
                    write.connection.execute(
                        sa.select(schema.schedules.c.id).where(
                            schema.schedules.c.id == int(schedule),
                            schema.schedules.c.structure_id == row.id,
                        )
                    ).first()
                    is not None
                )
            if not owned:
                raise invalid(f"active-schedule-id {schedule} is not a schedule of this structure.")
        super().update(write, row, changes)

    def deleted(self, effects: Effects, row: Row[Any]) -> None:
        """Its twin goes with it."""
        effects.simulator.forget(int(row.id))


class Rooms(Simulated):
    """A room's temperature and humidity are its pucks'; a set point written is a manual hold;
    its devices and puck apps follow it into another structure."""

    __slots__ = ()

    def simulated(self, row: Row[Any], state: dict[str, Any]) -> Json:
        """Temperature and humidity: the mean of its pucks' latest readings."""
        readings = state.get("room_pucks", {}).get(str(row.id), [])
        pucks = [state.get("pucks", {}).get(p) for p in readings]
        known = [p for p in pucks if p is not None]
        return {
            "current-temperature-c": (
                round(sum(p["t"] for p in known) / len(known), 2) if known else None
            ),
            "current-humidity": round(sum(p["h"] for p in known) / len(known)) if known else None,
            "pucks-inactive": "Active" if readings else "NotSetup",
            "state-updated-at": wire.timestamp(row.updated_at),
        }

    def insert(self, write: Write, changes: Json, links: dict[str, Any]) -> Created:
        """An active room at 21 °C with a typical envelope."""
        defaults = room_attributes(changes.get("name", "Room"), None, 21.0, True)
        return Created(
            self.add(
                write,
                structure_id=first_structure(write),
                attributes={**defaults, **changes},
                envelope=asdict(Envelope(45.0, 35.0)),
            )
        )

    def update(self, write: Write, row: Row[Any], changes: Json) -> None:
        """A set point written by a user holds it manually, in the user's name."""
        if "set-point-c" in changes:
            user = write.connection.execute(
                sa.select(schema.users.c.attributes).where(
                    schema.users.c.account_id == write.account_id
                )
            ).scalar()
            name = (user or {}).get("name") or "user"
            changes = {**changes, "set-point-manual": True, "hold-reason": f"Set by {name}"}
        super().update(write, row, changes)

    def link(self, write: Write, key: str, column: str, target: Row[Any] | None) -> None:
        """A room moved into another structure takes its devices and their puck apps."""
        super().link(write, key, column, target)
        if column != "structure_id":
            return
        room = self.column_key(key)
        if target is not None:
            for device in ROOM_DEVICES:
                write.connection.execute(
                    sa.update(device).where(device.c.room_id == room).values(structure_id=target.id)
                )
        pucks = schema.pucks
        puck_apps_follow(write.connection, sa.select(pucks.c.id).where(pucks.c.room_id == room))


class Schedules(ResourceType):
    """A deleted schedule stops being its structure's active one."""

    __slots__ = ()

    def delete(self, write: Write, row: Row[Any]) -> None:
        """Clear the structure's active-schedule-id if it named this schedule."""
        structure = STRUCTURES.row(write.connection, write.account_id, str(row.structure_id))
        if str(structure.attributes.get("active-schedule-id")) == str(row.id):
            write.connection.execute(
                sa.update(schema.structures)
                .where(schema.structures.c.id == structure.id)
                .values(
                    attributes={**structure.attributes, "active-schedule-id": None},
                    updated_at=write.now,
                )
            )
        super().delete(write, row)


# Attributes the real service sends that ductwork does not model (read-only, null unless set).
REAL_USER_KEYS = ("beta-bridge-user", "betas", "contractor-validated", "no-proactive",
                  "notification-settings-prompted", "review-prompted", "review-stars",
                  "sales-channel")  # fmt: skip

USERS = Users(
    "users",
    ("users",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("email", "string"),
        Attr("temperature-scale", "string", editable=True, choices=("F", "C", "K")),
        Attr("default-temperature-preference-c", "number", True, (), 10.0, 32.23),
        Attr("alert-emails", "boolean", editable=True),
        Attr("firmware-emails", "boolean", editable=True),
        Attr("global-email", "boolean", editable=True),
        Attr("global-push", "boolean", editable=True),
        Attr("email-structure-alert-types", "any"),
        Attr("push-structure-alert-types", "any"),
        Attr("role", "string"),
        Attr("partner", "boolean"),
        *(Attr(n, "any") for n in REAL_USER_KEYS),  # sent by the real service; null here
        *stamps(),
    ),
    (
        Rel("structures", "structures", True, "account_id", linkage=False),
        Rel("adminable-structures", "structures", True, "account_id", linkage=False),
        Rel("editable-structures", "structures", True, None, linkage=False),
        Rel("viewable-structures", "structures", True, None, linkage=False),
        Rel("default-structure", "structures", False, None, first_of_account=True),
        related_only("devices", "devices", "account_id"),
    ),
    table=schema.users,
    id_column="account_id",
)


STRUCTURES = Structures(
    "structures",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("mode", "string", editable=True, choices=MODES, nullable=False),
        Attr("structure-heat-cool-mode", "string", True, HEAT_COOL_MODES, nullable=False),
        Attr("set-point-temperature-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C),
        Attr(
            "set-point-mode",
            "string",
            editable=True,
            choices=(
                "Home Evenness For Active Rooms Flair Setpoint",
                "Home Evenness For Active Rooms Follow Third Party",
            ),
        ),
        Attr("home", "boolean", editable=True, nullable=False),
        Attr(
            "home-away-mode",
            "string",
            editable=True,
            choices=("Manual", "Third Party Home Away", "Flair Autohome Autoaway"),
        ),
        Attr("structure-away-mode", "string", editable=True, choices=("Smart Away", "Off Only")),
        Attr(
            "default-hold-duration",
            "string",
            editable=True,
            choices=("Until", "3h", "8h", "24h", "Forever"),
        ),
        Attr("temperature-scale", "string", editable=True, choices=("F", "C", "K")),
        Attr("time-zone", "string", editable=True, nullable=False),
        Attr("location", "string", editable=True),
        Attr("hold-until", "string"),
        Attr("active-schedule-id", "string", editable=True),
        Attr("setup-complete", "boolean"),
        Attr("current-heat-cool-mode", "string"),
        Attr("hvac-running", "boolean"),
        *stamps(),
    ),
    (
        Rel("rooms", "rooms", True, "structure_id", linkage=False, editable=True),
        Rel("zones", "zones", True, "structure_id", linkage=False, editable=True),
        Rel("vents", "vents", True, "structure_id", linkage=False, editable=True),
        Rel("pucks", "pucks", True, "structure_id", linkage=False, editable=True),
        Rel("hvac-units", "hvac-units", True, "structure_id", linkage=False, editable=True),
        Rel("bridges", "bridges", True, "structure_id", linkage=False, editable=True),
        Rel("thermostats", "thermostats", True, "structure_id", linkage=False, editable=True),
        Rel("remote-sensors", "remote-sensors", True, "structure_id", linkage=False),
        Rel("schedules", "schedules", True, "structure_id", linkage=False, editable=True),
        related_only("weather-readings", "weather-readings", "structure_id"),
    ),
    table=schema.structures,
    creatable=True,
    deletable=True,
)


ZONES = ResourceType(
    "zones",
    ("structures",),
    (Attr("name", "string", editable=True, nullable=False), *stamps()),
    (STRUCTURE, Rel("rooms", "rooms", True, "zone_id", editable=True)),
    table=schema.zones,
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)


ROOMS = Rooms(
    "rooms",
    ("structures",),
    (
        Attr("name", "string", editable=True, nullable=False),
        Attr("active", "boolean", editable=True, nullable=False),
        Attr("set-point-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C, False),
        Attr("set-point-manual", "boolean"),
        Attr("current-temperature-c", "number"),
        Attr("current-humidity", "number"),
        Attr("pucks-inactive", "string"),
        Attr("hold-until", "string"),
        Attr("hold-reason", "string"),
        Attr("level", "string", editable=True),
        Attr("room-type", "string", editable=True),
        Attr("air-return", "boolean", editable=True),
        Attr("windows", "any", editable=True),
        Attr("occupancy-mode", "string", editable=True, choices=("Flair Auto", "Manual")),
        Attr("room-away-mode", "string", editable=True, choices=("Smart Away", "Off Only")),
        Attr("temp-away-min-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C),
        Attr("temp-away-max-c", "number", True, (), SET_POINT_LOW_C, SET_POINT_HIGH_C),
        Attr("humidity-away-min", "integer", True, (), 0, 100),
        Attr("humidity-away-max", "integer", True, (), 0, 100),
        Attr("preheat-precool", "boolean", editable=True),
        Attr("frozen-pipe-pet-protect", "boolean", editable=True),
        Attr("state-updated-at", "string"),
        Attr("hold-until-schedule-event", "boolean"),
        *stamps(),
    ),
    (
        STRUCTURE,
        Rel("zones", "zones", True, "zone_id"),
        Rel("vents", "vents", True, "room_id", editable=True),
        Rel("pucks", "pucks", True, "room_id", editable=True),
        Rel("hvac-units", "hvac-units", True, "room_id", editable=True),
        Rel("bridges", "bridges", True, "room_id", editable=True),
        Rel("remote-sensors", "remote-sensors", True, "room_id", editable=True),
        Rel("thermostat", "thermostats", False, "room_id", reverse=True, typed_null=True),
        Rel("puck-apps", "puck-apps", True, "room_id", linkage=False, via=("pucks", "puck_id")),
    ),
    table=schema.rooms,
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)


SCHEDULES = Schedules(
    "schedules",
    ("structures",),
    (Attr("name", "string", editable=True, nullable=False), *stamps()),
    (STRUCTURE,),
    table=schema.schedules,
    creatable=True,
    deletable=True,
    required_on_create=("structure",),
)
