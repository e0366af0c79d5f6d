"""Loading homes from the database and catching their twins up to the account's clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.db import bulk_insert
from ductwork.core.physics.house import AirHandler, Envelope
from ductwork.core.physics.weather import Climate
from ductwork.core.twins import Loaded, TwinRow, TwinRunner
from ductwork.vendors.flair import schema
from ductwork.vendors.flair.twin import (
    DeviceSpec,
    Home,
    HomeTwin,
    Occupant,
    RoomSpec,
    RoutineSpan,
    Samples,
    SplitSpec,
    ThermostatSpec,
    VentPosition,
    VentStateSample,
)

CHUNK_MINUTES = 720
# Called inside each chunk's transaction: (connection, structure, vents the twin moved, the
# newest reading of each puck when the catch-up ends there, the chunk's last virtual second).
ChunkHook = Callable[[Connection, int, list[str], list[str], float], None]
DEFAULT_SET_POINT_C = 21.0


def _clock_minutes(value: str) -> int:
    hours, minutes = value.split(":")
    return int(hours) * 60 + int(minutes)


def occupant_site(device_id: int, routine: list[dict[str, Any]]) -> dict[str, Any]:
    """The stored form of a structure's occupant: the phone's device id and a daily routine of
    spans {"start": "HH:MM", "end": "HH:MM", "room": room id or None (away),
    "days": "all" | "weekdays" | "weekends"} in the structure's local time, first match wins."""
    return {"device_id": device_id, "routine": routine}


def _occupant(connection: Connection, account_id: int, stored: Any) -> Occupant | None:
    """The structure's occupant, if it has one whose phone is still a device of the account."""
    if not isinstance(stored, dict) or stored.get("device_id") is None:
        return None
    device_id = int(stored["device_id"])
    exists = connection.execute(
        sa.select(schema.devices.c.id).where(
            schema.devices.c.id == device_id, schema.devices.c.account_id == account_id
        )
    ).first()
    if exists is None:
        return None
    routine = tuple(
        RoutineSpan(
            start=_clock_minutes(str(span["start"])),
            end=_clock_minutes(str(span["end"])),
            room_id=None if span.get("room") is None else int(span["room"]),
            days=str(span.get("days") or "all"),
        )
        for span in stored.get("routine") or ()
    )
    return Occupant(device_id, routine)


def load_home(
    connection: Connection, structure_id: int
) -> tuple[Home, int, dict[str, Any], dict[str, VentPosition]]:
    """The structure as the twin needs it, its last simulated minute, state and vent positions."""
    row = connection.execute(
        sa.select(schema.structures).where(schema.structures.c.id == structure_id)
    ).one()
    attrs = row.attributes
    rooms = tuple(
        RoomSpec(
            id=r.id,
            envelope=Envelope(**r.envelope),
            active=bool(r.attributes.get("active", True)),
            set_point_c=float(r.attributes.get("set-point-c") or DEFAULT_SET_POINT_C),
        )
        for r in connection.execute(
            sa.select(schema.rooms)
            .where(schema.rooms.c.structure_id == structure_id)
            .order_by(schema.rooms.c.id)
        )
    )

    def devices(table: sa.Table) -> list[Any]:
        return list(
            connection.execute(
                sa.select(table).where(table.c.structure_id == structure_id).order_by(table.c.id)
            )
        )

    vent_rows = devices(schema.vents)
    splits = tuple(
        SplitSpec(
            room_id=u.room_id,
            power=u.attributes.get("power") == "On",
            mode=str(u.attributes.get("mode") or "").lower(),
            target_c=float(u.attributes.get("temperature") or DEFAULT_SET_POINT_C),
        )
        for u in devices(schema.hvac_units)
    )
    home = Home(
        structure_id=row.id,
        seed=int(row.seed),
        climate=Climate(**row.site["climate"]),
        handler=AirHandler(**row.site["air_handler"]),
        mode=str(attrs.get("mode", "auto")),
        heat_cool_mode=str(attrs.get("structure-heat-cool-mode", "auto")),
        set_point_c=float(attrs.get("set-point-temperature-c") or DEFAULT_SET_POINT_C),
        rooms=rooms,
        vents=tuple(DeviceSpec(v.id, v.room_id, v.created_at) for v in vent_rows),
        pucks=tuple(
            DeviceSpec(p.id, p.room_id, p.created_at, bool(p.attributes.get("is-gateway")))
            for p in devices(schema.pucks)
        ),
        splits=splits,
        thermostats=tuple(ThermostatSpec(t.id, t.room_id) for t in devices(schema.thermostats)),
        occupant=_occupant(connection, int(row.account_id), row.site.get("occupant")),
        time_zone=str(attrs.get("time-zone") or "UTC"),
    )
    positions = {
        v.id: VentPosition(v.percent_open, v.percent_open_reason, v.moved_at) for v in vent_rows
    }
    return home, int(row.sim_minute), dict(row.state), positions


def site(climate: Climate, handler: AirHandler) -> dict[str, Any]:
    """The stored form of a structure's climate and air handler."""
    return {"climate": asdict(climate), "air_handler": asdict(handler)}


def write_samples(connection: Connection, samples: Samples) -> None:
    """Append readings, weather, thermostat states and beacon sightings to the history tables
    (vent states are written by `write_vent_states`, once the vents' own rows are)."""
    bulk_insert(connection, schema.puck_readings, samples.pucks)
    bulk_insert(connection, schema.vent_readings, samples.vents)
    bulk_insert(connection, schema.weather_readings, samples.weather)
    bulk_insert(connection, schema.thermostat_states, samples.thermostats)
    bulk_insert(connection, schema.beacon_sightings, samples.beacons)


def write_vent_states(
    connection: Connection, states: list[VentStateSample], vent_ids: set[str]
) -> None:
    """Append the twin's vent moves of the vents in `vent_ids` to the vent-state history."""
    rows = [asdict(s) for s in states if s.vent_id in vent_ids]
    if rows:
        connection.execute(sa.insert(schema.vent_states), rows)


HomeConfig = tuple[Home, dict[str, VentPosition]]  # the structure and where its vents stand


@dataclass
class HomeChunk:
    """What one chunk of a home produced: its records, where its vents ended up, and each
    vent's `moved_at` as loaded (the vents' compare-and-set)."""

    samples: Samples
    vents: dict[str, VentPosition]
    moved_at: dict[str, float]


class HomeKind:
    """The home's part of a catch-up: a structure steps minute by minute through `HomeTwin`,
    and a vent the twin moves is written only if no user moved it since the chunk began."""

    row = TwinRow(schema.structures)

    def __init__(self) -> None:
        self.on_chunk: ChunkHook | None = None

    @property
    def chunk_minutes(self) -> int:
        """Half a day: the module's `CHUNK_MINUTES`, read when used."""
        return CHUNK_MINUTES

    def load(self, connection: Connection, structure_id: int) -> Loaded[HomeConfig]:
        """The structure, its vents' positions, last simulated minute and twin state."""
        home, done, state, vents = load_home(connection, structure_id)
        return Loaded((home, vents), done, state)

    def step(self, loaded: Loaded[HomeConfig], end: int) -> HomeChunk:
        """Step the home through the minutes after its last one up to `end`."""
        home, vents = loaded.config
        chunk = HomeChunk(Samples(), vents, {k: v.moved_at for k, v in vents.items()})
        HomeTwin(home, loaded.state, vents).run(loaded.minute + 1, end, chunk.samples)
        return chunk

    def persist(
        self, connection: Connection, structure_id: int, chunk: HomeChunk, end: int, final: bool
    ) -> None:
        """Write the chunk's records and the vents no user moved meanwhile, then call the hook."""
        write_samples(connection, chunk.samples)
        written: set[str] = set()
        for vent_id, position in chunk.vents.items():
            if position.moved:
                updated = connection.execute(
                    sa.update(schema.vents)
                    .where(
                        schema.vents.c.id == vent_id,
                        schema.vents.c.moved_at == chunk.moved_at[vent_id],
                    )
                    .values(
                        percent_open=position.percent_open,
                        percent_open_reason=position.reason,
                        moved_at=position.moved_at,
                        updated_at=position.moved_at,
                    )
                ).rowcount
                if updated == 1:  # no user moved it since the chunk began
                    written.add(vent_id)
        write_vent_states(connection, chunk.samples.vent_states, written)
        if self.on_chunk is not None:
            moved = [v for v, p in chunk.vents.items() if p.moved]
            newest = {s.puck_id: s.id for s in chunk.samples.pucks} if final else {}
            self.on_chunk(connection, structure_id, moved, list(newest.values()), end * 60.0)


class HomeSimulator(TwinRunner[HomeConfig, HomeChunk]):
    """Steps home twins forward to 'now', writing one-minute readings, once per minute."""

    def __init__(self, engine: Engine) -> None:
        self._homes = HomeKind()
        super().__init__(engine, self._homes)

    @property
    def on_chunk(self) -> ChunkHook | None:
        """Called inside each chunk's transaction (see `ChunkHook`)."""
        return self._homes.on_chunk

    @on_chunk.setter
    def on_chunk(self, hook: ChunkHook | None) -> None:
        self._homes.on_chunk = hook
