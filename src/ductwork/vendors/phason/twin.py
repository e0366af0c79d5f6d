"""The AutoFlex controller twin: reads its sensors, drives its outputs, and moves the barn's air.

One call of `BarnTwin.step` is one controller minute. Everything random comes from
`ductwork.core.noise`, keyed by the device seed and the minute, so a history is the same
however it is stepped (all at once, in chunks, or minute by minute).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from ductwork.core.noise import unit
from ductwork.core.physics import air as psy
from ductwork.core.physics.room import CFM, PA_PER_INCH_WC, Drive, RoomAir, step
from ductwork.core.physics.weather import Weather, weather_at
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
    Group,
    Io,
)

NO_ALARM, LOW_ALARM, HIGH_ALARM = 0, 1, 2
RELAY_HYSTERESIS_C = 1.0
FAN_SHUTOFF_PA = 0.4 * PA_PER_INCH_WC
ACTUATOR_STEP_PER_MINUTE = 60.0  # % of travel an ACT1 can move in one minute


@dataclass(frozen=True, slots=True)
class GroupSample:
    """One minute of an equipment group."""

    group_id: int
    t: int
    reading: float
    target: float
    lower: float
    upper: float
    alarm_code: int
    alarm_time: int


@dataclass(frozen=True, slots=True)
class IoSample:
    """One minute of an input or output position."""

    io_id: int
    t: int
    reading: float


def _quantise(value: float, step_size: float) -> float:
    return round(round(value / step_size) * step_size, 6)


def effective_temperature(t_c: float, air_speed: float, body_c: float = 39.0) -> float:
    """Windchill for livestock: a fit to broiler tables (domain notes 1.6)."""
    chill = 12.8 * (1.0 - math.exp(-air_speed / 1.28))
    return t_c - chill * max(0.0, min(1.5, (body_c - t_c) / (body_c - 32.0)))


def ramp(value: float, start: float, full: float) -> float:
    """0 at `start`, 1 at `full`, linear between, clamped (works in either direction)."""
    if full == start:
        return 1.0 if value >= full else 0.0
    return max(0.0, min(1.0, (value - start) / (full - start)))


class BarnTwin:
    """Controller plus physics for one device; `state` is plain JSON so it can be stored."""

    def __init__(self, device: Device, state: dict[str, Any]) -> None:
        self.device = device
        self.state = state
        self._zone = ZoneInfo(device.timezone)
        self._groups = {g.id: g for g in device.groups}
        self._curves = {c.id: c for c in device.curves}
        self._rooms = {r.id: r for r in device.rooms}
        self._room_inputs: dict[int, dict[str, list[Io]]] = {}
        for io in device.inputs:
            if io.room_id is not None:
                kinds = self._room_inputs.setdefault(io.room_id, {})
                kinds.setdefault(io.io_type, []).append(io)

    # ----------------------------------------------------------------- initial state
    @staticmethod
    def initial_state(device: Device, minute: int) -> dict[str, Any]:
        """A settled barn at `minute`: rooms at their targets, equipment at rest."""
        t = minute * 60
        weather = weather_at(device.climate, device.seed, float(t))
        today = dt.datetime.fromtimestamp(t, ZoneInfo(device.timezone)).date()
        curves = {c.id: c for c in device.curves}
        rooms: dict[str, Any] = {}
        for room in device.rooms:
            temps = [
                g.target(today, curves)
                for g in device.groups
                if g.room_id == room.id and g.group_type in (1, 15)
            ]
            temperature = temps[0] if temps else 20.0
            w = psy.humidity_ratio(temperature, 0.6)
            rooms[str(room.id)] = {
                "t": temperature,
                "w": w,
                "co2": 1500.0,
                "nh3": 5.0,
                "static": 0.0,
                "flow": 0.0,
            }
        outputs = {
            str(io.id): {"value": 0.0, "on": False, "position": 0.0, "motion": 0}
            for io in device.outputs
        }
        state: dict[str, Any] = {"rooms": rooms, "outputs": outputs, "inputs": {}, "alarms": {}}
        twin = BarnTwin(device, state)
        twin._measure(minute, weather)
        return state

    # ----------------------------------------------------------------- stepping
    def step(self, minute: int) -> tuple[list[GroupSample], list[IoSample]]:
        """Advance one minute, ending at `minute`, and return that minute's samples."""
        t = minute * 60
        local = dt.datetime.fromtimestamp(t, self._zone)
        weather = weather_at(self.device.climate, self.device.seed, float(t))
        readings = self._group_readings()
        self._control(minute, local, weather, readings)
        self._physics(local.date(), weather)
        self._measure(minute, weather)
        readings = self._group_readings()
        group_samples = self._alarms(minute, local.date(), readings)
        io_samples = [IoSample(io.id, t, self._output_reading(io)) for io in self.device.outputs]
        io_samples.extend(
            IoSample(io.id, t, float(self.state["inputs"][str(io.id)])) for io in self.device.inputs
        )
        return group_samples, io_samples

    def _input(self, io_id: int) -> float:
        return float(self.state["inputs"][str(io_id)])

    def _group_readings(self) -> dict[int, float]:
        readings: dict[int, float] = {}
        for group in self.device.groups:
            probes = [self._input(i) for i in group.settings.get("probes", [])]
            mean = sum(probes) / len(probes) if probes else 0.0
            if group.group_type == 15:
                room = self._rooms[group.room_id]
                flow = float(self.state["rooms"][str(room.id)]["flow"])
                speed = 0.5 * flow / (room.width_m * room.height_m)
                readings[group.id] = _quantise(effective_temperature(mean, speed), 0.1)
            elif group.group_type == 16:
                rh = self._input(int(group.settings["humidity_probe"])) / 100.0
                readings[group.id] = _quantise(psy.thi(mean, rh), 0.1)
            elif group.group_type == 5:
                readings[group.id] = _quantise(mean, 0.001)
            else:
                readings[group.id] = _quantise(mean, 0.1)
        return readings

    def _target(self, group: Group, today: dt.date) -> float:
        return group.target(today, self._curves)

    def _room_humidity(self, room_id: int | None) -> float:
        probes = self._room_inputs.get(room_id or -1, {}).get("humidity", [])
        return self._input(probes[0].id) / 100.0 if probes else 0.5

    def _control(
        self, minute: int, local: dt.datetime, weather: Weather, readings: dict[int, float]
    ) -> None:
        today = local.date()
        outputs = self.state["outputs"]
        for io in self.device.outputs:
            out = outputs[str(io.id)]
            settings = io.settings
            if "measures_current_of" in settings:
                continue
            group = self._groups.get(io.group_id or -1)
            reading = readings.get(group.id, 0.0) if group else 0.0
            target = self._target(group, today) if group else 0.0
            function = io.function
            if io.module_type in ACTUATOR_MODULES:
                self._inlet(io, out, reading, target)
            elif function == TIMED_EVENTS:
                on_at, off_at = settings["on_time"], settings["off_time"]
                now = local.strftime("%H:%M")
                out["on"] = on_at <= now < off_at if on_at <= off_at else not off_at <= now < on_at
                out["value"] = 1.0 if out["on"] else 0.0
            elif function == FOLLOW_LUX:
                daylight = weather.light_lux * float(settings["window_factor"])
                need = ramp(float(settings["target_lux"]) - daylight, 0.0, settings["lamp_lux"])
                daytime = settings["on_time"] <= local.strftime("%H:%M") < settings["off_time"]
                out["value"] = round(100.0 * need) if daytime else 0.0
            elif function == MISTING:
                rh = self._room_humidity(io.room_id)
                start, full = float(settings["start_thi"]), float(settings["max_thi"])
                cycle = int(settings["cycle_minutes"])
                active = reading >= start and rh < float(settings["humidity_bypass"]) / 100.0
                duty = 0.2 + 0.6 * ramp(reading, start, full)
                out["on"] = active and (minute % cycle) < max(1, round(duty * cycle))
                out["value"] = 1.0 if out["on"] else 0.0
            elif function == COOLING and io.module_type in RELAY_MODULES:
                setpoint = target + float(settings["offset"])
                if reading >= setpoint:
                    out["on"] = True
                elif reading <= setpoint - RELAY_HYSTERESIS_C:
                    out["on"] = False
                out["value"] = 1.0 if out["on"] else 0.0
            elif function == HEATING and io.module_type in RELAY_MODULES:
                setpoint = target + float(settings["offset"])
                if reading <= setpoint:
                    out["on"] = True
                elif reading >= setpoint + RELAY_HYSTERESIS_C:
                    out["on"] = False
                out["value"] = 1.0 if out["on"] else 0.0
            elif function == COOLING:
                out["value"] = self._variable_stage(out, settings, reading, target)
            elif function == HEATING:
                setpoint = target + float(settings["offset"])
                share = ramp(reading, setpoint, setpoint - float(settings["differential"]))
                out["value"] = round(100.0 * share)
        for io in self.device.outputs:
            source = io.settings.get("measures_current_of")
            if source is not None:
                speed = float(outputs[str(source)]["value"]) / 100.0
                amps = 0.6 + float(io.settings["full_load_amps"]) * speed**1.5 if speed else 0.0
                outputs[str(io.id)]["value"] = round(amps, 1)

    @staticmethod
    def _variable_stage(
        out: dict[str, Any], settings: dict[str, Any], reading: float, target: float
    ) -> float:
        idle_at = target + float(settings["idle_offset"])
        ramp_at = target + float(settings["offset"])
        full_at = target + float(settings["differential_offset"])
        idle = float(settings["idle_speed"])
        running = float(out["value"]) > 0.0
        if reading < idle_at - (0.3 if running else 0.0):
            return 0.0
        if reading < ramp_at:
            return idle
        return float(round(idle + (100.0 - idle) * ramp(reading, ramp_at, full_at)))

    def _inlet(self, io: Io, out: dict[str, Any], reading: float, target: float) -> None:
        settings = io.settings
        position = float(out["position"])
        if io.function == INLET_FEEDBACK:
            points = [
                (target + float(settings["minimum"]["offset"]), settings["minimum"]["position"])
            ]
            points += [(target + float(s["offset"]), s["position"]) for s in settings["stages"]]
            wanted = float(points[0][1])
            for (t0, p0), (t1, p1) in itertools.pairwise(points):
                if reading >= t0:
                    wanted = p0 + (p1 - p0) * ramp(reading, t0, t1)
            move = max(-ACTUATOR_STEP_PER_MINUTE, min(ACTUATOR_STEP_PER_MINUTE, wanted - position))
            out["position"] = position + move
            out["value"] = round(out["position"])
            return
        # No feedback: pulse the actuator open or closed, idling between pulses.
        setpoint = target + float(settings["offset"])
        band = float(settings["idle_band"]) / 2.0
        travel = float(settings["full_travel_s"])
        if reading > setpoint + band and position < 100.0:
            run, idle, motion = settings["open_runtime"], settings["open_idle_time"], 1
        elif reading < setpoint - band and position > 0.0:
            run, idle, motion = settings["close_runtime"], settings["close_idle_time"], -1
        else:
            out["motion"] = 0
            out["value"] = 0.0
            return
        seconds = 60.0 * float(run) / (float(run) + float(idle))
        out["position"] = max(0.0, min(100.0, position + motion * 100.0 * seconds / travel))
        out["motion"] = motion
        out["value"] = 1.0 if motion > 0 else 2.0

    def _physics(self, today: dt.date, weather: Weather) -> None:
        outputs = self.state["outputs"]
        drives: dict[int, dict[str, float]] = {
            r.id: {"fan": 0.0, "inlet": r.fixed_inlet_m2, "heat": 0.0, "mist": 0.0, "lamp": 0.0}
            for r in self.device.rooms
        }
        for io in self.device.outputs:
            if io.room_id is None:
                continue
            out = outputs[str(io.id)]
            equipment = io.settings.get("equipment", {})
            drive = drives[io.room_id]
            if io.module_type in ACTUATOR_MODULES:
                drive["inlet"] += float(equipment["inlet_area_m2"]) * float(out["position"]) / 100.0
                continue
            if "measures_current_of" in io.settings:
                continue
            share = (
                float(out["value"])
                if io.module_type in RELAY_MODULES
                else float(out["value"]) / 100.0
            )
            if "fan_cfm" in equipment:
                drive["fan"] += float(equipment["fan_cfm"]) * CFM * share
            if "heater_kw" in equipment:
                drive["heat"] += float(equipment["heater_kw"]) * 1000.0 * share
            if "mist_kg_s" in equipment:
                drive["mist"] += float(equipment["mist_kg_s"]) * share
            if "lamp_w" in equipment:
                drive["lamp"] += float(equipment["lamp_w"]) * share
        for room in self.device.rooms:
            values = self.state["rooms"][str(room.id)]
            room_air = RoomAir(
                temperature_c=values["t"],
                humidity_ratio=values["w"],
                co2_ppm=values["co2"],
                nh3_ppm=values["nh3"],
            )
            d = drives[room.id]
            step(
                room_air,
                room.shell,
                room.herd(today),
                Drive(
                    fan_m3_s=d["fan"],
                    fan_shutoff_pa=FAN_SHUTOFF_PA,
                    inlet_area_m2=d["inlet"],
                    heater_w=d["heat"],
                    mist_kg_s=d["mist"],
                    lamp_w=d["lamp"],
                ),
                weather,
                60.0,
            )
            values.update(
                t=room_air.temperature_c,
                w=room_air.humidity_ratio,
                co2=room_air.co2_ppm,
                nh3=room_air.nh3_ppm,
                static=room_air.static_pa,
                flow=room_air.airflow_m3_s,
            )

    def _measure(self, minute: int, weather: Weather) -> None:
        inputs = self.state["inputs"]
        seed = self.device.seed
        for io in self.device.inputs:
            settings = io.settings
            noise = unit(seed, 1000 + 100 * io.module_num + io.io_num, minute)
            offset = float(settings.get("calibration_offset", 0.0))
            kind = io.io_type
            if settings.get("source") == "outdoor":
                value = self._outdoor(kind, weather, noise)
            else:
                value = self._indoor(io, kind, noise, weather)
            inputs[str(io.id)] = _quantise(value + offset, 0.1) if offset else value

    @staticmethod
    def _outdoor(kind: str, weather: Weather, noise: float) -> float:
        if kind == "temperature":
            return _quantise(weather.temperature_c + 0.2 * noise, 0.1)
        if kind == "humidity":
            return _quantise(min(100.0, 100.0 * weather.humidity + 1.5 * noise), 1.0)
        if kind == "wind_speed":
            return _quantise(max(0.0, weather.wind_speed_kmh + 1.0 * noise), 0.1)
        if kind == "wind_direction":
            return _quantise((weather.wind_direction_deg + 5.0 * noise) % 360.0, 1.0)
        if kind == "light":
            return _quantise(max(0.0, weather.light_lux * (1.0 + 0.02 * noise)), 1.0)
        if kind == "barometric_pressure":
            return _quantise(weather.pressure_hpa + 0.1 * noise, 0.1)
        if kind == "rain_sensor":
            return 1.0 if weather.raining else 0.0
        raise ValueError(f"no outdoor sensor for {kind}")

    def _indoor(self, io: Io, kind: str, noise: float, weather: Weather) -> float:
        room_id = io.room_id or -1
        values = self.state["rooms"][str(room_id)]
        if kind == "temperature":
            return _quantise(values["t"] + 0.15 * noise, 0.1)
        if kind == "humidity":
            rh = psy.relative_humidity(values["t"], values["w"])
            return _quantise(min(100.0, 100.0 * rh + 1.5 * noise), 1.0)
        if kind == "co2":
            return _quantise(values["co2"] * (1.0 + 0.02 * noise), 1.0)
        if kind == "nh3":
            return _quantise(max(0.0, values["nh3"] + 0.3 * noise), 0.1)
        if kind == "static_pressure":
            return _quantise(max(0.0, values["static"] / PA_PER_INCH_WC + 0.002 * noise), 0.001)
        if kind == "light":
            lamps = sum(
                float(self.state["outputs"][str(o.id)]["value"]) / 100.0 * o.settings["lamp_lux"]
                for o in self.device.outputs
                if o.room_id == room_id and o.function == FOLLOW_LUX
            )
            daylight = weather.light_lux * float(io.settings.get("window_factor", 0.002))
            return _quantise(max(0.0, daylight + lamps + 2.0 * noise), 1.0)
        if kind == "digital_input":
            heating = any(
                self.state["outputs"][str(o.id)]["on"]
                for o in self.device.outputs
                if o.room_id == room_id and o.function == HEATING and o.module_type in RELAY_MODULES
            )
            return 1.0 if heating else 0.0
        if kind == "pulse_counter":
            room = self._rooms[room_id]
            litres_per_day = 8.0 * (1.0 + 0.03 * (values["t"] - 20.0))
            per_minute = (
                room.head_count * litres_per_day / 1440.0 / float(io.settings["litres_per_pulse"])
            )
            return float(max(0, round(per_minute * (1.0 + 0.15 * noise))))
        raise ValueError(f"no room sensor for {kind}")

    def _output_reading(self, io: Io) -> float:
        return float(self.state["outputs"][str(io.id)]["value"])

    def _alarms(self, minute: int, today: dt.date, readings: dict[int, float]) -> list[GroupSample]:
        samples: list[GroupSample] = []
        alarms = self.state["alarms"]
        t = minute * 60
        for group in self.device.groups:
            reading = readings[group.id]
            target = self._target(group, today)
            lower = round(target - float(group.settings["low_limit"]), 3)
            upper = round(target + float(group.settings["high_limit"]), 3)
            alarm = alarms.setdefault(
                str(group.id), {"code": 0, "time": 0, "pending": 0, "seen": 0}
            )
            condition = (
                LOW_ALARM if reading < lower else HIGH_ALARM if reading > upper else NO_ALARM
            )
            if condition == NO_ALARM:
                alarm.update(code=0, time=0, pending=0, seen=0)
            elif alarm["code"] != condition:
                if alarm["seen"] != condition:
                    alarm.update(seen=condition, pending=t)
                elif t - int(alarm["pending"]) >= 60:
                    alarm.update(code=condition, time=t)
            samples.append(
                GroupSample(
                    group_id=group.id,
                    t=t,
                    reading=reading,
                    target=target,
                    lower=lower,
                    upper=upper,
                    alarm_code=int(alarm["code"]),
                    alarm_time=int(alarm["time"]),
                )
            )
        return samples
