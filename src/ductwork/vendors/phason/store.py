"""Loading devices from the database and catching their twins up to the account's clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core import history
from ductwork.core.physics.room import Shell
from ductwork.core.physics.weather import Climate
from ductwork.core.twins import Loaded, Progress, TwinRow, TwinRunner
from ductwork.vendors.phason import schema
from ductwork.vendors.phason.models import Device, Group, GrowthCurve, Io, MistingGroup, Room
from ductwork.vendors.phason.schedules import Event, Schedule, Segment
from ductwork.vendors.phason.twin import BarnModel, Span

CHUNK_MINUTES = 7 * 1440
BarnChunk = tuple[BarnModel, Span]  # a chunk's compiled device and what its run produced


def load_device(connection: Connection, device_id: int) -> tuple[Device, int, dict[str, Any]]:
    """The device's configuration, its last simulated minute and its twin state."""
    row = connection.execute(
        sa.select(schema.devices).where(schema.devices.c.id == device_id)
    ).one()
    rooms = tuple(
        Room(
            id=r.id,
            room_num=r.room_num,
            name=r.name,
            shell=Shell(**r.params["shell"]),
            head_count=int(r.params["head_count"]),
            start_weight_kg=float(r.params["start_weight_kg"]),
            daily_gain_kg=float(r.params["daily_gain_kg"]),
            placed_on=dt.date.fromisoformat(r.params["placed_on"]),
            width_m=float(r.params["width_m"]),
            height_m=float(r.params["height_m"]),
            fixed_inlet_m2=float(r.params["fixed_inlet_m2"]),
            species=str(r.params.get("species", "swine")),
        )
        for r in connection.execute(
            sa.select(schema.rooms)
            .where(schema.rooms.c.device_id == device_id)
            .order_by(schema.rooms.c.room_num)
        )
    )
    groups = tuple(
        Group(
            id=g.id,
            room_id=g.room_id,
            group_num=g.group_num,
            group_type=g.group_type,
            group_name=g.group_name,
            settings=dict(g.settings),
        )
        for g in connection.execute(
            sa.select(schema.groups)
            .where(schema.groups.c.device_id == device_id)
            .order_by(schema.groups.c.group_num)
        )
    )
    ios = tuple(
        Io(
            id=i.id,
            direction=i.direction,
            module_num=i.module_num,
            module_type=i.module_type,
            io_num=i.io_num,
            io_type=i.io_type,
            name=i.name,
            version_number=i.version_number,
            room_id=i.room_id,
            group_id=i.group_id,
            settings=dict(i.settings),
        )
        for i in connection.execute(
            sa.select(schema.ios)
            .where(schema.ios.c.device_id == device_id)
            .order_by(schema.ios.c.module_num, schema.ios.c.io_num)
        )
    )
    curves = tuple(
        GrowthCurve(
            id=c.id,
            curve_name=c.curve_name,
            zone_type=c.zone_type,
            restart_day=c.restart_day,
            steps=tuple((int(d), float(v)) for d, v in c.steps),
        )
        for c in connection.execute(
            sa.select(schema.curves)
            .where(schema.curves.c.device_id == device_id)
            .order_by(schema.curves.c.id)
        )
    )
    misting = tuple(
        MistingGroup(id=m.id, room_id=m.room_id, settings=dict(m.settings))
        for m in connection.execute(
            sa.select(schema.misting_groups)
            .where(schema.misting_groups.c.device_id == device_id)
            .order_by(schema.misting_groups.c.id)
        )
    )
    device = Device(
        id=row.id,
        account_id=row.account_id,
        device_name=row.device_name,
        host_name=row.host_name,
        device_type=row.device_type,
        version=row.version,
        timezone=row.timezone,
        seed=int(row.seed),
        climate=Climate(**row.site["climate"]),
        rooms=rooms,
        groups=groups,
        ios=ios,
        curves=curves,
        misting_groups=misting,
        schedules=load_schedules(connection, device_id),
    )
    return device, int(row.sim_minute), dict(row.state)


def load_schedules(connection: Connection, device_id: int) -> tuple[Schedule, ...]:
    """The device's timed-event schedules with their segments and events."""
    events: dict[int, list[Event]] = {}
    for e in connection.execute(
        sa.select(schema.events)
        .join(schema.segments, schema.segments.c.id == schema.events.c.segment_id)
        .where(schema.segments.c.device_id == device_id)
        .order_by(schema.events.c.time_of_day, schema.events.c.id)
    ):
        events.setdefault(e.segment_id, []).append(
            Event(e.id, float(e.value), e.time_of_day, e.written_on)
        )
    segments = {
        g.id: Segment(g.id, g.name, g.module_type, tuple(events.get(g.id, ())))
        for g in connection.execute(
            sa.select(schema.segments).where(schema.segments.c.device_id == device_id)
        )
    }
    ties: dict[int, list[tuple[int, Segment]]] = {}
    for t in connection.execute(
        sa.select(schema.schedule_segments)
        .join(schema.schedules, schema.schedules.c.id == schema.schedule_segments.c.schedule_id)
        .where(schema.schedules.c.device_id == device_id)
        .order_by(schema.schedule_segments.c.segment_start)
    ):
        ties.setdefault(t.schedule_id, []).append((t.segment_start, segments[t.segment_id]))
    return tuple(
        Schedule(
            id=r.id,
            name=r.name,
            schedule_type=r.schedule_type,
            repeat_day=r.repeat_day,
            start_date=dt.date.fromisoformat(r.start_date),
            output_io_id=r.output_io_id,
            input_io_id=r.input_io_id,
            ties=tuple(ties.get(r.id, ())),
        )
        for r in connection.execute(
            sa.select(schema.schedules)
            .where(schema.schedules.c.device_id == device_id)
            .order_by(schema.schedules.c.id)
        )
    )


def write_history(connection: Connection, model: BarnModel, span: Span) -> None:
    """Book a simulated span into the hour chunks of its groups and I/O positions."""
    groups = span.groups.copy()
    code = groups[:, :, 4]
    groups[:, :, 5] = np.where(code > 0, span.minutes[:, None] - groups[:, :, 5], 0.0)
    history.write_span(connection, schema.group_hours, "group_id", model.group_ids,
                       span.minutes, groups)  # fmt: skip
    ios = [io.id for io in model.outputs] + [io.id for io in model.inputs]
    values = np.concatenate([span.outputs, span.inputs], axis=1)[:, :, None]
    history.write_span(connection, schema.io_hours, "io_id", ios, span.minutes, values)


class BarnKind:
    """The barn's part of a catch-up: a device runs through its compiled loop a week at a time
    and its chunk is booked into hour rows."""

    row = TwinRow(schema.devices)
    chunk_minutes = CHUNK_MINUTES

    def load(self, connection: Connection, device_id: int) -> Loaded[Device]:
        """The device's configuration, last simulated minute and twin state."""
        device, done, state = load_device(connection, device_id)
        return Loaded(device, done, state)

    def step(self, loaded: Loaded[Device], end: int) -> BarnChunk:
        """Run the device's loop over the minutes after its last one up to `end`."""
        model = BarnModel(loaded.config)
        return model, model.run(loaded.state, loaded.minute, end)

    def persist(
        self, connection: Connection, device_id: int, chunk: BarnChunk, end: int, final: bool
    ) -> None:
        """Book the chunk into the hour rows of the device's groups and I/O positions."""
        write_history(connection, *chunk)


class Simulator(TwinRunner[Device, BarnChunk]):
    """Steps device twins forward to 'now', writing one-minute history, once per minute."""

    def __init__(self, engine: Engine) -> None:
        super().__init__(engine, BarnKind())

    def rebuild(
        self, device_id: int, start: int, until: int, progress: Progress | None = None
    ) -> int:
        """Forget a device's history and simulate it afresh from a settled barn at `start`."""

        def settle(connection: Connection) -> None:
            device, _, _ = load_device(connection, device_id)
            state = BarnModel(device).initial_state(start)
            groups = [g.id for g in device.groups]
            ios = [io.id for io in device.ios]
            connection.execute(
                sa.delete(schema.group_hours).where(schema.group_hours.c.group_id.in_(groups))
            )
            connection.execute(sa.delete(schema.io_hours).where(schema.io_hours.c.io_id.in_(ios)))
            connection.execute(
                sa.update(schema.devices)
                .where(schema.devices.c.id == device_id)
                .values(sim_minute=start, state=state)
            )

        self.reset(device_id, settle)
        return self.catch_up(device_id, until, progress)
