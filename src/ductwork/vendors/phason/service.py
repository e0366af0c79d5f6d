"""Phason operations: what each API endpoint asks of the barn, independent of HTTP."""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, cast
from zoneinfo import ZoneInfo

import msgspec
import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core import history
from ductwork.core.accounts import Account
from ductwork.core.clock import Clocks
from ductwork.vendors.phason import histjson, schema, wire
from ductwork.vendors.phason.exceptions import (
    END_BEFORE_START,
    MODULE_NOT_SUPPORTED,
    PhasonError,
    invalid,
    not_found,
)
from ductwork.vendors.phason.histjson import F32, I64
from ductwork.vendors.phason.models import (
    ACTUATOR_MODULES,
    FOLLOW_LUX,
    GROUP_TYPES,
    HEATING,
    INLET_FEEDBACK,
    MISTING,
    OUTPUT_MODULES,
    RELAY_MODULES,
    TIMED_EVENTS,
    Device,
    Group,
    Io,
)
from ductwork.vendors.phason.store import Simulator, load_device

MAX_RANGE = dt.timedelta(days=7)
_DEVICES_CACHE_SECONDS = 1.0
_INPUT_DECIMALS = {
    "temperature": 1,
    "static_pressure": 3,
    "nh3": 1,
    "wind_speed": 1,
    "barometric_pressure": 1,
}
_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M")
_encoder = msgspec.json.Encoder()


def local_text(t: float, zone: ZoneInfo) -> str:
    """Epoch seconds as the device shows them: 'YYYY-MM-DD HH:MM:SS' in its time zone."""
    return dt.datetime.fromtimestamp(t, zone).strftime("%Y-%m-%d %H:%M:%S")


def parse_bound(text: str, zone: ZoneInfo, name: str, end: bool) -> float:
    """A start or end parameter: a date (an end date includes its whole day) or a date-time."""
    text = text.strip()
    try:
        day = dt.date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        day = None
    try:
        if day is not None:
            moment = dt.datetime.combine(day, dt.time(), zone)
            if end:
                return (moment + dt.timedelta(days=1)).timestamp() - 1
            return moment.timestamp()
        for fmt in _FORMATS:
            try:
                return dt.datetime.strptime(text, fmt).replace(tzinfo=zone).timestamp()
            except ValueError:
                continue
    except (OverflowError, ValueError):
        pass  # dates at the edges of the calendar
    raise invalid(f"Invalid {name} date. Use yyyy-mm-dd or yyyy-mm-dd hh:mm:ss.")


def parse_range(start: str | None, end: str | None, zone: ZoneInfo) -> tuple[float, float] | None:
    """Both bounds or neither; end after start; at most seven days."""
    if start is None and end is None:
        return None
    if start is None or end is None:
        raise invalid("Both start and end dates are required for a date range.")
    low = parse_bound(start, zone, "start", end=False)
    high = parse_bound(end, zone, "end", end=True)
    if high <= low:
        raise invalid(END_BEFORE_START)
    if high - low > MAX_RANGE.total_seconds():
        raise invalid("The date range may not exceed 7 days.")
    return low, high


def _minute_bounds(bounds: tuple[float, float] | None, minute: int) -> tuple[int, int]:
    """Whole minutes inside an inclusive range of epoch seconds (just `minute` without one)."""
    if bounds is None:
        return minute, minute
    return math.ceil(bounds[0] / 60), math.floor(bounds[1] / 60)


def parse_int(value: str | None, name: str) -> int:
    """A required integer query parameter."""
    if value is None or value.strip() == "":
        raise invalid(f"The {name} parameter is required.")
    try:
        return int(value)
    except ValueError:
        raise invalid(f"The {name} parameter must be an integer.") from None


_MISTING_NUMBERS = (
    "function_mode", "active", "active_start_time", "active_end_time", "cycle_duration",
    "min_misting_duration", "max_misting_duration", "soak_duration", "min_cycle_duration",
    "max_cycle_duration", "low_temp", "high_temp", "max_temp", "pump_delay",
    "humidity_bypass_active", "humidity_setpt", "low_thi", "high_thi", "max_thi",
)  # fmt: skip


def _position(device: Device, io: Io, latest: dict[int, float], now: str) -> dict[str, str]:
    """The fields every module position shows (configuration, outputs): its place, type and
    latest reading. Module alarms are not simulated, so they read "0"."""
    return {
        "device_id": str(device.id),
        "module_num": str(io.module_num),
        "io_num": str(io.io_num),
        "group_id": str(io.group_id or 0),
        "name": io.name,
        "module_type": str(io.module_type),
        "io_type": io.io_type,
        "current_reading": wire.number(latest.get(io.id, 0.0), _io_decimals(io)),
        "alarm_code": "0",
        "alarm_time": "0",
        "version_number": io.version_number,
        "reading_time": now,
    }


def _io_decimals(io: Io) -> int:
    if io.direction == "input":
        return _INPUT_DECIMALS.get(io.io_type, 0)
    return 1 if "measures_current_of" in io.settings else 0


class PhasonService:
    """Reads and (later) writes on an account's AutoFlex devices, caught up to its clock."""

    def __init__(self, engine: Engine, clocks: Clocks, simulator: Simulator) -> None:
        self._engine = engine
        self._clocks = clocks
        self._simulator = simulator
        self._devices_cache: dict[int, tuple[int, float, bytes]] = {}
        self._lock = threading.Lock()
        self._locks: dict[int, threading.Lock] = {}

    # ------------------------------------------------------------ plumbing
    def now_minute(self, account: Account) -> int:
        """The account's current whole minute (epoch minutes)."""
        return int(self._clocks.now(account.id) // 60)

    def device_ids(self, connection: Connection, account_id: int) -> list[int]:
        """Ids of the account's devices."""
        return [
            int(i)
            for i in connection.execute(
                sa.select(schema.devices.c.id)
                .where(schema.devices.c.account_id == account_id)
                .order_by(schema.devices.c.id)
            ).scalars()
        ]

    def catch_up_account(self, account: Account) -> int:
        """Simulate every device of the account up to its clock; returns the minute."""
        minute = self.now_minute(account)
        with self._engine.connect() as connection:
            ids = self.device_ids(connection, account.id)
        for device_id in ids:
            self._simulator.catch_up(device_id, minute)
        return minute

    def backfill(
        self, account: Account, days: float, progress: Callable[[int], None] | None = None
    ) -> list[int]:
        """Give every device of the account a fresh history of `days` days ending now."""
        until = self.now_minute(account)
        start = until - int(days * 1440)
        with self._engine.connect() as connection:
            ids = self.device_ids(connection, account.id)
        for device_id in ids:
            self._simulator.rebuild(device_id, start, until, progress)
        self._devices_cache.pop(account.id, None)
        return ids

    def forget(self, account: Account) -> None:
        """Drop what this process cached of the account's devices (after they were replaced)."""
        self._devices_cache.pop(account.id, None)

    def device(self, account: Account, device_id: str) -> tuple[Device, int]:
        """The account's device, simulated up to the account's now, and that minute."""
        try:
            number = int(device_id)
        except ValueError:
            raise not_found() from None
        if not 0 < number < 2**31:
            raise not_found()
        with self._engine.connect() as connection:
            owner = connection.execute(
                sa.select(schema.devices.c.account_id).where(schema.devices.c.id == number)
            ).scalar()
        if owner != account.id:
            raise not_found()
        minute = self._simulator.catch_up(number, self.now_minute(account))
        with self._engine.connect() as connection:
            device, _, _ = load_device(connection, number)
        return device, minute

    def latest_reading(self, io: Io, minute: int) -> float:
        """An input's or output's reading at `minute` (0 when there is none)."""
        *_, latest = self._values_and_latest([io], None, minute)
        return latest.get(io.id, 0.0)

    def target_of(self, device: Device, io: Io, minute: int) -> float:
        """The current target of the group an output belongs to (0 without a group)."""
        group = next((g for g in device.groups if g.id == io.group_id), None)
        if group is None:
            return 0.0
        today = dt.datetime.fromtimestamp(minute * 60, ZoneInfo(device.timezone)).date()
        return group.target(today, {c.id: c for c in device.curves})

    # ------------------------------------------------------------ devices
    def devices_body(self, account: Account) -> bytes | None:
        """The cached JSON of GET /devices when still current, else None (no I/O at all)."""
        cached = self._devices_cache.get(account.id)
        if cached is None:
            return None
        minute, made, body = cached
        if time.monotonic() - made > _DEVICES_CACHE_SECONDS:
            return None
        now = self._clocks.peek(account.id)
        if now is None or int(now // 60) != minute:
            return None
        return body

    def devices(self, account: Account) -> bytes:
        """GET /devices: every device of the account, as encoded JSON (one rebuild at a time)."""
        with self._account_lock(account.id):
            body = self.devices_body(account)
            return body if body is not None else self._devices(account)

    def _account_lock(self, account_id: int) -> threading.Lock:
        with self._lock:
            return self._locks.setdefault(account_id, threading.Lock())

    def _devices(self, account: Account) -> bytes:
        minute = self.catch_up_account(account)
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(schema.devices)
                .where(schema.devices.c.account_id == account.id)
                .order_by(schema.devices.c.id)
            ).all()
        body = _encoder.encode(
            [
                wire.DeviceOut(
                    device_id=str(r.id),
                    device_name=r.device_name,
                    host_name=r.host_name,
                    device_type=r.device_type,
                    version=r.version,
                    last_reported_on=local_text(r.sim_minute * 60, ZoneInfo(r.timezone)),
                )
                for r in rows
            ]
        )
        self._devices_cache[account.id] = (minute, time.monotonic(), body)
        return body

    def device_time(self, account: Account, device_id: str) -> wire.DeviceTime:
        """GET /devices/{id}/time: the device's clock in its own time zone."""
        device, _ = self.device(account, device_id)
        zone = ZoneInfo(device.timezone)
        return wire.DeviceTime(
            datetime=local_text(self._clocks.now(account.id), zone), timezone=device.timezone
        )

    # ------------------------------------------------------------ equipment groups
    def group_history(
        self, account: Account, device_id: str, start: str | None, end: str | None
    ) -> msgspec.Raw:
        """GET equipment_groups/history: latest records, or every minute in a date range, as
        the JSON of a list of wire.GroupReading (histjson builds it in bulk)."""
        device, minute = self.device(account, device_id)
        zone = ZoneInfo(device.timezone)
        bounds = parse_range(start, end, zone)
        first, last = _minute_bounds(bounds, minute)
        ids = [g.id for g in device.groups]
        with self._engine.connect() as connection:
            minutes, grid = history.read_span(
                connection, schema.group_hours, "group_id", ids, first, last,
                len(schema.GROUP_FIELDS),
            )  # fmt: skip
        fixed = [
            (str(g.id), str(g.room_id), str(g.group_type), GROUP_TYPES[g.group_type],
             g.group_name, 3 if g.group_type == 5 else 1)
            for g in device.groups
        ]  # fmt: skip
        return histjson.group_readings(minutes, grid, fixed, zone)

    def group_records(
        self, account: Account, device_id: str, start: str | None, end: str | None
    ) -> list[wire.GroupReading]:
        """group_history's records as structs (the dashboard's panel)."""
        answer = self.group_history(account, device_id, start, end)
        return msgspec.json.decode(answer, type=list[wire.GroupReading])

    def group_settings(
        self, account: Account, device_id: str, group_id: str | None
    ) -> wire.GroupSettings:
        """GET equipment_groups/settings for one group."""
        device, minute = self.device(account, device_id)
        number = parse_int(group_id, "group_id")
        group = next((g for g in device.groups if g.id == number), None)
        if group is None:
            raise PhasonError(404, "Equipment group not found on this device.")
        today = dt.datetime.fromtimestamp(minute * 60, ZoneInfo(device.timezone)).date()
        s = group.settings
        return wire.GroupSettings(
            message="Success",
            settings=[
                wire.GroupSetting(
                    setting_num=int(s["setting_num"]),
                    settings_name=str(s["settings_name"]),
                    master_setpoint=float(s["master_setpoint"]),
                    growth_curve_id=int(s.get("growth_curve_id", 0)),
                    growth_curve_enabled=int(s.get("growth_curve_enabled", 0)),
                    growth_curve_current_day=group.curve_day(today)
                    if int(s.get("growth_curve_id", 0))
                    else 0,
                )
            ],
        )

    # ------------------------------------------------------------ inputs and outputs
    def outputs(
        self, account: Account, device_id: str, start: str | None, end: str | None
    ) -> list[wire.OutputOut]:
        """GET outputs/history: every output with its readings (latest, or in a range)."""
        device, minute = self.device(account, device_id)
        zone = ZoneInfo(device.timezone)
        bounds = parse_range(start, end, zone)
        outputs = device.outputs
        span, values, latest = self._values_and_latest(outputs, bounds, minute)
        times = histjson.Times(span, zone)
        now_text = local_text(minute * 60, zone)
        result = []
        for io in outputs:
            rows, readings = values[io.id]
            encoded = histjson.readings(times.at(rows), readings, _io_decimals(io))
            # The readings are pre-encoded JSON (msgspec.Raw), the same as list[wire.Reading].
            result.append(wire.OutputOut(**_position(device, io, latest, now_text),
                                         values=cast(list[wire.Reading], encoded)))  # fmt: skip
        return result

    def inputs(
        self, account: Account, device_id: str, start: str | None, end: str | None
    ) -> list[wire.InputOut]:
        """GET inputs: every input sensor with its readings (latest, or in a range)."""
        device, minute = self.device(account, device_id)
        zone = ZoneInfo(device.timezone)
        bounds = parse_range(start, end, zone)
        span, values, _ = self._values_and_latest(device.inputs, bounds, minute)
        times = histjson.Times(span, zone)
        return [
            wire.InputOut(
                name=io.name,
                io_num=str(io.io_num),
                module_number=str(io.module_num),
                io_type=io.io_type,
                values=cast(
                    list[wire.Reading],  # pre-encoded, as in outputs()
                    histjson.readings(
                        times.at(values[io.id][0]), values[io.id][1], _io_decimals(io)
                    ),
                ),
            )
            for io in device.inputs
        ]

    def _values_and_latest(
        self, ios: Sequence[Io], bounds: tuple[float, float] | None, minute: int
    ) -> tuple[I64, dict[int, tuple[I64, F32]], dict[int, float]]:
        """The minutes of the range that have readings; each I/O's readings in it (their rows
        among those minutes, and the values); each I/O's latest reading (at `minute`, when it
        has one)."""
        ids = [io.id for io in ios]
        first, last = _minute_bounds(bounds, minute)
        # The range, and the current minute read apart when the range does not hold it: one
        # span from a range centuries away up to now would be a grid of millions of hours.
        empty = (np.empty(0, dtype=np.int64), np.empty((0, len(ids), 1), dtype=np.float32))
        with self._engine.connect() as connection:
            # A range inside one minute holds no whole minute.
            span, inside = empty if first > last else history.read_span(
                connection, schema.io_hours, "io_id", ids, first, last, 1)  # fmt: skip
            if first <= minute <= last:
                now_minutes, now_grid = span, inside
            else:
                now_minutes, now_grid = history.read_span(
                    connection, schema.io_hours, "io_id", ids, minute, minute, 1)  # fmt: skip
        now = np.flatnonzero(now_minutes == minute)
        values: dict[int, tuple[I64, F32]] = {}
        latest: dict[int, float] = {}
        for column, io_id in enumerate(ids):
            rows = np.flatnonzero(~np.isnan(inside[:, column, 0]))
            values[io_id] = (rows, inside[rows, column, 0])
            if now.shape[0] and not np.isnan(now_grid[now[0], column, 0]):
                latest[io_id] = float(now_grid[now[0], column, 0])
        return span, values, latest

    def output_settings(
        self, account: Account, device_id: str, module_num: str | None, io_num: str | None
    ) -> wire.OutputSettings:
        """GET outputs/settings for the output at a module and I/O position."""
        device, minute = self.device(account, device_id)
        module = parse_int(module_num, "module_num")
        position = parse_int(io_num, "io_num")
        on_module = [io for io in device.ios if io.module_num == module]
        if not on_module:
            raise PhasonError(404, "No module at this position on this device.")
        if on_module[0].direction != "output" or on_module[0].module_type not in OUTPUT_MODULES:
            raise PhasonError(400, MODULE_NOT_SUPPORTED)
        io = next((o for o in on_module if o.io_num == position), None)
        if io is None:
            raise PhasonError(404, "No output at this position on this module.")
        source = io.settings.get("measures_current_of")
        if source is not None:
            io = next(o for o in device.outputs if o.id == source)
        groups = {g.id: g for g in device.groups}
        group = groups.get(io.group_id or -1)
        today = dt.datetime.fromtimestamp(minute * 60, ZoneInfo(device.timezone)).date()
        target = group.target(today, {c.id: c for c in device.curves}) if group else 0.0
        return _output_settings(device, io, group, target, today)

    # ------------------------------------------------------------ v1.0.2 reads
    def rooms(self, account: Account, device_id: str) -> list[wire.RoomOut]:
        """GET rooms."""
        device, _ = self.device(account, device_id)
        if not device.rooms:
            raise PhasonError(404, "No rooms found")
        return [wire.RoomOut(str(r.id), r.name) for r in device.rooms]

    def misting_groups(self, account: Account, device_id: str) -> list[wire.MistingGroupOut]:
        """GET misting_groups: every misting group, values as strings."""
        device, _ = self.device(account, device_id)
        if not device.misting_groups:
            raise PhasonError(404, "No misting groups found")
        n = wire.number
        result = []
        for m in device.misting_groups:
            s = m.settings
            result.append(
                wire.MistingGroupOut(
                    group_id=str(m.id), room_id=str(m.room_id),
                    **{name: n(float(s[name])) for name in _MISTING_NUMBERS},
                    humidity_module_num=str(s.get("humidity_module_num", 0)),
                    humidity_io_num=str(s.get("humidity_io_num", 0)),
                    entered_by=str(s.get("entered_by", "")),
                )
            )  # fmt: skip
        return result

    def configuration(self, account: Account, device_id: str) -> list[wire.ConfigurationOut]:
        """GET configuration: every configured input and output with its latest reading."""
        device, minute = self.device(account, device_id)
        zone = ZoneInfo(device.timezone)
        *_, latest = self._values_and_latest(device.ios, None, minute)
        now_text = local_text(minute * 60, zone)
        return [
            wire.ConfigurationOut(**_position(device, io, latest, now_text)) for io in device.ios
        ]

    # ------------------------------------------------------------ growth curves
    def curves(self, account: Account, device_id: str) -> wire.Curves:
        """GET growth_curves: every curve on the device, assigned or not."""
        device, _ = self.device(account, device_id)
        return wire.Curves(
            message="API request successful.",
            settings=[
                wire.CurveSummary(
                    growth_curve_id=c.id,
                    restart_day=c.restart_day,
                    curve_name=c.curve_name,
                    zone_type=c.zone_type,
                )
                for c in device.curves
            ],
        )

    def curve_settings(
        self, account: Account, device_id: str, curve_id: str | None
    ) -> wire.CurveSettings:
        """GET growth_curves/settings: the seven steps of one curve."""
        device, _ = self.device(account, device_id)
        number = parse_int(curve_id, "growth_curve_id")
        curve = next((c for c in device.curves if c.id == number), None)
        if curve is None:
            raise PhasonError(404, "Growth curve not found on this device.")
        return wire.CurveSettings(
            message="API request successful.",
            growth_curve_id=str(curve.id),
            settings=[
                wire.CurveStep(day_num=day, curve_value=wire.number(value))
                for day, value in curve.steps
            ],
        )


def _output_settings(
    device: Device, io: Io, group: Group | None, target: float, today: dt.date
) -> wire.OutputSettings:
    """The settings sections that apply to one output's function."""
    s: dict[str, Any] = io.settings
    n = wire.number
    function = io.function
    if io.module_type in ACTUATOR_MODULES:
        if function == INLET_FEEDBACK:
            stages = [
                wire.InletStage(
                    setpoint=n(target + st["offset"]),
                    position=n(st["position"]),
                    differential_setpoint=n(target + st["offset"] + st["differential"]),
                )
                for st in s["stages"]
            ]
            return wire.OutputSettings(
                message="Success",
                inlet_with_feedback=[
                    wire.InletWithFeedback(
                        minimum=wire.InletPoint(
                            setpoint=n(target + s["minimum"]["offset"]),
                            position=n(s["minimum"]["position"]),
                        ),
                        stage1=stages[0],
                        stage2=stages[1],
                        stage3=stages[2],
                        stage4=stages[3],
                        stage5=stages[4],
                    )
                ],
            )
        return wire.OutputSettings(
            message="Success",
            inlet_no_feedback=[
                wire.InletNoFeedback(
                    setpoint=n(target + s["offset"]),
                    idle_band=n(s["idle_band"]),
                    open_runtime=n(s["open_runtime"]),
                    open_idle_time=n(s["open_idle_time"]),
                    close_runtime=n(s["close_runtime"]),
                    close_idle_time=n(s["close_idle_time"]),
                )
            ],
        )
    if function in (TIMED_EVENTS, FOLLOW_LUX):
        schedule = device.schedule_of(io.id)
        return wire.OutputSettings(
            message="Success",
            timed=[
                wire.TimedEvent(
                    schedule_id=str(schedule.id) if schedule else "0",
                    schedule_current_day=str(schedule.cycle_day(today)) if schedule else "0",
                )
            ],
        )
    if function == MISTING:
        return wire.OutputSettings(
            message="Success",
            misting=[
                wire.MistingOrder(
                    misting_function=n(s["misting_function"]), misting_order=n(s["misting_order"])
                )
            ],
        )
    if io.module_type in RELAY_MODULES:
        return wire.OutputSettings(
            message="Success", fixed_stage=[wire.FixedStage(setpoint=n(target + s["offset"]))]
        )
    if function == HEATING:
        setpoint = target + s["offset"]
        variable = wire.VariableOutput(
            setpoint=n(setpoint),
            idle_setpoint=n(setpoint),
            idle_speed="0",
            differential_setpoint=n(setpoint - s["differential"]),
        )
    else:
        variable = wire.VariableOutput(
            setpoint=n(target + s["offset"]),
            idle_setpoint=n(target + s["idle_offset"]),
            idle_speed=n(s["idle_speed"]),
            differential_setpoint=n(target + s["differential_offset"]),
        )
    return wire.OutputSettings(message="Success", variable=[variable])
