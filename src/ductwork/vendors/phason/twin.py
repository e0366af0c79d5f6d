"""The barn twin: a device's configuration compiled to arrays, and runs of the compiled loop.

`BarnModel` turns a `Device` into the arrays `kernel.run_barn` works on, and precomputes for
a span of minutes everything that does not depend on the feedback loop: weather, sensor
noise (keyed by seed and module position, never by database ids), the device's local clock,
the day's targets from growth curves, and the animals' weights. State is kept by object id,
so a device whose configuration changes keeps the state of what it still has.
"""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from ductwork.core.noise import unit_array
from ductwork.core.physics import air as psy
from ductwork.core.physics.room import SPECIES
from ductwork.core.physics.weather import weather_series
from ductwork.vendors.phason import kernel as k
from ductwork.vendors.phason.kernel import F64, I64
from ductwork.vendors.phason.models import (
    ACTUATOR_MODULES,
    COOLING,
    FOLLOW_LUX,
    HEATING,
    INLET_FEEDBACK,
    MISTING,
    RELAY_MODULES,
    TIMED_EVENTS,
    Device,
    Io,
)

ROOM_FIELDS, OUTPUT_FIELDS, ALARM_FIELDS = 6, 4, 4
# The v1.0.2 misting-group fields, in the kernel's MG_* column order.
MISTING_FIELDS = (
    "function_mode", "active", "active_start_time", "active_end_time", "cycle_duration",
    "min_misting_duration", "max_misting_duration", "soak_duration", "min_cycle_duration",
    "max_cycle_duration", "low_temp", "high_temp", "max_temp", "pump_delay",
    "humidity_bypass_active", "humidity_setpt", "low_thi", "high_thi", "max_thi",
)  # fmt: skip
_INPUT_KINDS = {
    ("room", "temperature"): k.T_ROOM,
    ("room", "humidity"): k.RH_ROOM,
    ("room", "co2"): k.CO2,
    ("room", "nh3"): k.NH3,
    ("room", "static_pressure"): k.STATIC,
    ("room", "light"): k.LIGHT_ROOM,
    ("room", "digital_input"): k.HEAT_PROVING,
    ("room", "pulse_counter"): k.WATER_PULSES,
    ("outdoor", "temperature"): k.T_OUT,
    ("outdoor", "humidity"): k.RH_OUT,
    ("outdoor", "wind_speed"): k.WIND_SPEED,
    ("outdoor", "wind_direction"): k.WIND_DIR,
    ("outdoor", "light"): k.LIGHT_OUT,
    ("outdoor", "barometric_pressure"): k.BARO,
    ("outdoor", "rain_sensor"): k.RAIN,
}


@dataclass(frozen=True)
class Span:
    """What one run produced: one row per minute, one column per group, output or input."""

    minutes: I64
    groups: F64  # (minutes, groups, 6): reading, target, lower, upper, alarm code, alarm minute
    outputs: F64  # (minutes, outputs)
    inputs: F64  # (minutes, inputs)


class BarnModel:
    """A device compiled for the kernel; `run` advances a state over a span of minutes."""

    def __init__(self, device: Device) -> None:
        self.device = device
        self.zone = ZoneInfo(device.timezone)
        self.curves = {c.id: c for c in device.curves}
        rooms = list(device.rooms)
        self.room_ids = [r.id for r in rooms]
        room_index = {r.id: n for n, r in enumerate(rooms)}
        self.group_ids = [g.id for g in device.groups]
        group_index = {g.id: n for n, g in enumerate(device.groups)}
        self.outputs = list(device.outputs)
        self.inputs = list(device.inputs)
        input_index = {io.id: n for n, io in enumerate(self.inputs)}
        output_index = {io.id: n for n, io in enumerate(self.outputs)}
        group_types = {g.id: g.group_type for g in device.groups}

        self.r_p = np.array(
            [[r.shell.volume_m3, r.shell.ua_w_k, r.shell.mass_factor, r.shell.leak_area_m2,
              r.fixed_inlet_m2, r.width_m, r.height_m, float(r.head_count), *SPECIES[r.species]]
             for r in rooms],
            dtype=np.float64,
        ).reshape(len(rooms), 11)  # fmt: skip
        self.r_hum = np.full(len(rooms), -1, dtype=np.int64)
        for n, io in enumerate(self.inputs):
            if (
                io.io_type == "humidity"
                and io.room_id in room_index
                and (self.r_hum[room_index[io.room_id]] < 0)
            ):
                self.r_hum[room_index[io.room_id]] = n
        groups = list(device.groups)
        self.g_type = np.array([g.group_type for g in groups], dtype=np.int64)
        self.g_room = np.array([room_index[g.room_id] for g in groups], dtype=np.int64)
        self.g_probes = np.full((len(groups), 4), -1, dtype=np.int64)
        self.g_hum = np.full(len(groups), -1, dtype=np.int64)
        self.g_limits = np.zeros((len(groups), 2), dtype=np.float64)
        for n, g in enumerate(groups):
            for slot, probe in enumerate(g.settings.get("probes", [])[:4]):
                self.g_probes[n, slot] = input_index[int(probe)]
            if "humidity_probe" in g.settings:
                self.g_hum[n] = input_index[int(g.settings["humidity_probe"])]
            self.g_limits[n] = (float(g.settings["low_limit"]), float(g.settings["high_limit"]))

        count = len(self.outputs)
        self.o_kind = np.zeros(count, dtype=np.int64)
        self.o_room = np.array(
            [room_index.get(io.room_id or -1, -1) for io in self.outputs], dtype=np.int64
        )
        self.o_group = np.array(
            [group_index.get(io.group_id or -1, -1) for io in self.outputs], dtype=np.int64
        )
        self.o_p = np.zeros((count, 16), dtype=np.float64)
        self.o_eq = np.zeros((count, 6), dtype=np.float64)
        misting = self._misting(device, group_index, input_index)
        self.schedules = [
            schedule for io in self.outputs if (schedule := device.schedule_of(io.id)) is not None
        ]
        scheduled = {int(s.output_io_id or -1): n for n, s in enumerate(self.schedules)}
        for n, io in enumerate(self.outputs):
            kind, params = _output_program(io, group_types, output_index, misting, scheduled)
            self.o_kind[n] = kind
            self.o_p[n, : len(params)] = params
            eq = io.settings.get("equipment", {})
            self.o_eq[n] = (
                float(eq.get("fan_cfm", 0.0)), float(eq.get("heater_kw", 0.0)),
                float(eq.get("mist_kg_s", 0.0)), float(eq.get("lamp_w", 0.0)),
                float(eq.get("inlet_area_m2", 0.0)),
                float(io.settings.get("lamp_lux", 0.0)) if io.function == FOLLOW_LUX else 0.0,
            )  # fmt: skip

        self.i_kind = np.array(
            [_INPUT_KINDS[(io.settings.get("source", "room"), io.io_type)] for io in self.inputs],
            dtype=np.int64,
        )
        self.i_room = np.array(
            [room_index.get(io.room_id or -1, -1) for io in self.inputs], dtype=np.int64
        )
        self.i_p = np.array(
            [[float(io.settings.get("calibration_offset", 0.0)),
              float(io.settings.get("window_factor", 0.0)),
              float(io.settings.get("litres_per_pulse", 1.0)), 0.0] for io in self.inputs],
            dtype=np.float64,
        ).reshape(len(self.inputs), 4)  # fmt: skip
        self.overrides = np.tile(np.array([0.0, -1.0, 0.0, 0.0, 0.0]), (count, 1))
        for n, io in enumerate(self.outputs):
            manual = io.settings.get("manual_override")
            if manual:
                self.overrides[n] = (
                    float(manual["value"]), float(manual["until_minute"]),
                    float(manual.get("ramp_from", 0.0)), float(manual.get("ramp_start", 0.0)),
                    float(manual.get("ramp_minutes", 0.0)),
                )  # fmt: skip
        # Noise channels by module position: stable across databases and accounts.
        self.i_channel = [1000 + 100 * io.module_num + io.io_num for io in self.inputs]

    def _misting(
        self, device: Device, group_index: dict[int, int], input_index: dict[int, int]
    ) -> dict[int, tuple[int, dict[int, int]]]:
        """Arrays of the misting groups; returns id → (row, sprinkler places by output id)."""
        groups = list(device.misting_groups)
        self.mg_p = np.zeros((max(1, len(groups)), 19), dtype=np.float64)
        self.mg_group = np.full(max(1, len(groups)), -1, dtype=np.int64)
        self.mg_hum = np.full(max(1, len(groups)), -1, dtype=np.int64)
        self.mg_count = np.zeros(max(1, len(groups)), dtype=np.int64)
        positions = {(io.module_num, io.io_num): n for io, n in
                     ((io, input_index[io.id]) for io in self.inputs)}  # fmt: skip
        result: dict[int, tuple[int, dict[int, int]]] = {}
        for row, group in enumerate(groups):
            s = group.settings
            self.mg_p[row] = [float(s[name]) for name in MISTING_FIELDS]
            self.mg_group[row] = group_index.get(int(s["temperature_group_id"]), -1)
            self.mg_hum[row] = positions.get(
                (int(s.get("humidity_module_num", 0)), int(s.get("humidity_io_num", 0))), -1
            )
            sprinklers = sorted(
                (int(io.settings["misting_order"]), io.id)
                for io in self.outputs
                if io.function == MISTING
                and int(io.settings.get("misting_group_id", -1)) == group.id
                and int(io.settings["misting_function"]) == 1
            )
            self.mg_count[row] = len(sprinklers)
            result[group.id] = (row, {io_id: place for place, (_, io_id) in enumerate(sprinklers)})
        return result

    def output(self, name: str) -> int:
        """Column of the output with this name."""
        return next(n for n, io in enumerate(self.outputs) if io.name == name)

    def group(self, name: str) -> int:
        """Column of the equipment group with this name."""
        return next(n for n, g in enumerate(self.device.groups) if g.group_name == name)

    # ------------------------------------------------------------------ state
    def initial_state(self, minute: int) -> dict[str, Any]:
        """A settled barn at `minute`: rooms at their targets, equipment at rest, sensors read."""
        day = self._local(np.array([minute], dtype=np.int64))[1][0]
        targets = self._targets([int(day)])[0]
        rooms: dict[str, list[float]] = {}
        for n, room_id in enumerate(self.room_ids):
            thermal = (k.G_TEMPERATURE, k.G_WINDCHILL)
            temps = [targets[g] for g in range(len(self.group_ids))
                     if self.g_room[g] == n and self.g_type[g] in thermal]  # fmt: skip
            t = temps[0] if temps else 20.0
            rooms[str(room_id)] = [t, psy.humidity_ratio(t, 0.6, 1013.25), 1500.0, 5.0, 0.0, 0.0]
        state: dict[str, Any] = {"rooms": rooms, "outputs": {}, "inputs": {}, "alarms": {}}
        # The sensors need a first reading: take it from one settling minute, then forget it.
        settled = copy.deepcopy(state)
        self.run(settled, minute - 1, minute)
        state["inputs"] = settled["inputs"]
        return state

    def _state_arrays(self, state: dict[str, Any]) -> tuple[F64, F64, F64, F64]:
        def rows(section: str, ids: list[int], default: list[float]) -> F64:
            values = [state[section].get(str(i), default) for i in ids]
            return np.array(values, dtype=np.float64).reshape(len(ids), len(default))

        room_s = rows("rooms", self.room_ids, [20.0, 0.008, 1000.0, 2.0, 0.0, 0.0])
        out_s = rows("outputs", [io.id for io in self.outputs], [0.0] * OUTPUT_FIELDS)
        in_s = rows("inputs", [io.id for io in self.inputs], [0.0])[:, 0].copy()
        alarm_s = rows("alarms", self.group_ids, [0.0] * ALARM_FIELDS)
        return room_s, out_s, in_s, alarm_s

    def _state_json(self, arrays: tuple[F64, F64, F64, F64]) -> dict[str, Any]:
        room_s, out_s, in_s, alarm_s = arrays
        return {
            "rooms": {str(i): room_s[n].tolist() for n, i in enumerate(self.room_ids)},
            "outputs": {str(io.id): out_s[n].tolist() for n, io in enumerate(self.outputs)},
            "inputs": {str(io.id): [float(in_s[n])] for n, io in enumerate(self.inputs)},
            "alarms": {str(i): alarm_s[n].tolist() for n, i in enumerate(self.group_ids)},
        }

    # ------------------------------------------------------------------ runs
    def _local(self, minutes: I64) -> tuple[I64, I64]:
        """Local minute of day and local day number (days since 1970-01-01, local)."""
        hours = np.unique(minutes // 60)
        offsets = {
            int(h): int(dt.datetime.fromtimestamp(int(h) * 3600, self.zone).utcoffset()
                        .total_seconds()) // 60  # type: ignore[union-attr]
            for h in hours
        }  # fmt: skip
        offset = np.array([offsets[int(h)] for h in minutes // 60], dtype=np.int64)
        local = minutes + offset
        result: tuple[I64, I64] = (local % 1440, local // 1440)
        return result

    def _targets(self, days: list[int]) -> F64:
        """Each group's target on each local day (growth curve or master setpoint)."""
        epoch = dt.date(1970, 1, 1)
        out = np.zeros((len(days), len(self.group_ids)), dtype=np.float64)
        for d, day in enumerate(days):
            date = epoch + dt.timedelta(days=day)
            for g, group in enumerate(self.device.groups):
                out[d, g] = group.target(date, self.curves)
        return out

    def _weights(self, days: list[int]) -> F64:
        epoch = dt.date(1970, 1, 1)
        out = np.zeros((len(days), len(self.device.rooms)), dtype=np.float64)
        for d, day in enumerate(days):
            date = epoch + dt.timedelta(days=day)
            for r, room in enumerate(self.device.rooms):
                out[d, r] = room.herd(date).weight_kg
        return out

    def run(
        self,
        state: dict[str, Any],
        after: int,
        until: int,
        overrides: F64 | None = None,
    ) -> Span:
        """Simulate minutes after+1 .. until, updating `state` in place.

        `overrides` holds (value, last minute, ramp start value, ramp start minute, ramp
        minutes) per output: manual overrides, ramp tests and calibration runs, by default
        those stored in the outputs' settings.
        """
        minutes = np.arange(after + 1, until + 1, dtype=np.int64)
        n = minutes.shape[0]
        minute_of_day, day = self._local(minutes)
        unique_days, day_index = np.unique(day, return_inverse=True)
        targets = self._targets([int(d) for d in unique_days])[day_index]
        weights = self._weights([int(d) for d in unique_days])[day_index]
        w = weather_series(self.device.climate, self.device.seed, minutes.astype(np.float64) * 60.0)
        weather = np.stack(
            [w.temperature_c, w.humidity, w.wind_speed_kmh, w.wind_direction_deg, w.light_lux,
             w.pressure_hpa, w.raining], axis=1,
        )  # fmt: skip
        scheduled = np.zeros((n, max(1, len(self.schedules))), dtype=np.float64)
        for column, schedule in enumerate(self.schedules):
            scheduled[:, column] = schedule.values(day, minute_of_day)
        noise = np.empty((n, len(self.inputs)), dtype=np.float64)
        for s, channel in enumerate(self.i_channel):
            noise[:, s] = unit_array(self.device.seed, channel, minutes)
        room_s, out_s, in_s, alarm_s = self._state_arrays(state)
        if overrides is None:
            overrides = self.overrides
        groups = np.zeros((n, len(self.group_ids), 6), dtype=np.float64)
        outputs = np.zeros((n, len(self.outputs)), dtype=np.float64)
        inputs = np.zeros((n, len(self.inputs)), dtype=np.float64)
        k.run_barn(
            minutes, minute_of_day, weather, noise, scheduled, targets, weights, self.r_p,
            self.g_type, self.g_room, self.g_probes, self.g_hum, self.g_limits,
            self.o_kind, self.o_room, self.o_group, self.o_p, self.o_eq, overrides,
            self.mg_p, self.mg_group, self.mg_hum, self.mg_count,
            self.i_kind, self.i_room, self.i_p, self.r_hum,
            room_s, out_s, in_s, alarm_s, groups, outputs, inputs,
        )  # fmt: skip
        state.clear()
        state.update(self._state_json((room_s, out_s, in_s, alarm_s)))
        return Span(minutes, groups, outputs, inputs)


def _output_program(
    io: Io,
    group_types: dict[int, int],
    output_index: dict[int, int],
    misting: dict[int, tuple[int, dict[int, int]]],
    scheduled: dict[int, int],
) -> tuple[int, list[float]]:
    """The kernel kind and parameter vector of one output."""
    s = io.settings
    if "measures_current_of" in s:
        return k.CURRENT_SENSE, [float(output_index[int(s["measures_current_of"])]),
                                 float(s["full_load_amps"])]  # fmt: skip
    function = io.function
    if io.module_type in ACTUATOR_MODULES:
        if group_types.get(io.group_id or -1) == k.G_STATIC:
            return k.INLET_STATIC, [float(s["minimum"]["position"]), float(s["dead_band"]),
                                    float(s["gain"])]  # fmt: skip
        if function == INLET_FEEDBACK:
            params = [float(s["minimum"]["offset"]), float(s["minimum"]["position"])]
            for stage in s["stages"]:
                params += [float(stage["offset"]), float(stage["position"])]
            return k.INLET_STAGED, params
        return k.INLET_PULSED, [float(s[key]) for key in (
            "offset", "idle_band", "open_runtime", "open_idle_time", "close_runtime",
            "close_idle_time", "full_travel_s")]  # fmt: skip
    if function in (TIMED_EVENTS, FOLLOW_LUX):
        # Column of the precomputed schedule values (-1: no schedule drives the output).
        column = float(scheduled.get(io.id, -1))
        if function == TIMED_EVENTS:
            return k.TIMED, [column]
        return k.FOLLOW_LUX, [column, float(s["lamp_lux"]), float(s["window_factor"])]
    if function == MISTING:
        group = misting.get(int(s.get("misting_group_id", -1)))
        if group is None:  # a misting output that belongs to no misting group stays off
            return k.MISTING, [-1.0, 0.0, 0.0]
        index, places = group
        return k.MISTING, [float(index), float(s["misting_function"]),
                           float(places.get(io.id, 0))]  # fmt: skip
    relay = io.module_type in RELAY_MODULES
    if function == COOLING:
        if relay:
            return k.RELAY_COOL, [float(s["offset"]), float(s.get("differential", 1.0))]
        return k.VAR_COOL, [float(s["idle_offset"]), float(s["offset"]),
                            float(s["differential_offset"]), float(s["idle_speed"])]  # fmt: skip
    if function == HEATING:
        if relay:
            return k.RELAY_HEAT, [float(s["offset"]), float(s.get("differential", 1.0))]
        return k.VAR_HEAT, [float(s["offset"]), float(s["differential"])]
    raise ValueError(f"output function {function} on module type {io.module_type} is not simulated")
