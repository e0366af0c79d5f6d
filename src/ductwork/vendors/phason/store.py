"""Loading devices from the database and catching their twins up to the account's clock."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.physics.room import Shell
from ductwork.core.physics.weather import Climate
from ductwork.vendors.phason import schema
from ductwork.vendors.phason.models import Device, Group, GrowthCurve, Io, Room
from ductwork.vendors.phason.twin import BarnTwin, GroupSample, IoSample

CHUNK_MINUTES = 720
Progress = Callable[[int], None]


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
    )
    return device, int(row.sim_minute), dict(row.state)


def _write_history(
    connection: Connection, groups: Iterable[GroupSample], ios: Iterable[IoSample]
) -> None:
    group_rows = [
        {
            "group_id": s.group_id,
            "at": s.t,
            "reading": s.reading,
            "target": s.target,
            "lower": s.lower,
            "upper": s.upper,
            "alarm_code": s.alarm_code,
            "alarm_time": s.alarm_time,
        }
        for s in groups
    ]
    io_rows = [{"io_id": s.io_id, "at": s.t, "reading": s.reading} for s in ios]
    if group_rows:
        connection.execute(sa.insert(schema.group_history), group_rows)
    if io_rows:
        connection.execute(sa.insert(schema.io_history), io_rows)


class Simulator:
    """Steps device twins forward to 'now', writing one-minute history, once per minute."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._locks: dict[int, threading.Lock] = {}
        self._known: dict[int, int] = {}
        self._guard = threading.Lock()

    def _lock(self, device_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(device_id, threading.Lock())

    def is_current(self, device_id: int, minute: int) -> bool:
        """True when this process already knows the device is simulated up to `minute`."""
        return self._known.get(device_id, -1) >= minute

    def catch_up(self, device_id: int, minute: int, progress: Progress | None = None) -> int:
        """Simulate every minute after the device's last one up to `minute`; returns its minute.

        Each chunk commits only if no other process advanced the device meanwhile (a
        compare-and-set on `sim_minute`), so several workers can share one database.
        """
        if self.is_current(device_id, minute):
            return self._known[device_id]
        with self._lock(device_id):
            while True:
                with self._engine.begin() as connection:
                    device, done, state = load_device(connection, device_id)
                    if done >= minute:
                        self._known[device_id] = done
                        return done
                    twin = BarnTwin(device, state)
                    end = min(minute, done + CHUNK_MINUTES)
                    claimed = connection.execute(
                        sa.update(schema.devices)
                        .where(
                            schema.devices.c.id == device_id, schema.devices.c.sim_minute == done
                        )
                        .values(sim_minute=end)
                    ).rowcount
                    if claimed != 1:
                        continue
                    group_samples: list[GroupSample] = []
                    io_samples: list[IoSample] = []
                    for m in range(done + 1, end + 1):
                        g, i = twin.step(m)
                        group_samples.extend(g)
                        io_samples.extend(i)
                    _write_history(connection, group_samples, io_samples)
                    connection.execute(
                        sa.update(schema.devices)
                        .where(schema.devices.c.id == device_id)
                        .values(state=twin.state)
                    )
                self._known[device_id] = end
                if progress is not None:
                    progress(end - done)
