"""The AutoFlex Connect domain: what a controller is configured with, as typed values."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ductwork.core.physics.room import Herd, Shell
from ductwork.core.physics.weather import Climate
from ductwork.vendors.phason.schedules import Schedule

GROUP_TYPES: dict[int, str] = {
    1: "temperature",
    5: "static pressure",
    9: "data only",
    15: "windchill",
    16: "temperature humidity index",
    101: "ventilation grid",
}

# Module types and the output functions (io_type) each family supports, from the v1.0.3 document.
RELAY_MODULES = frozenset({2, 8})  # RM4, RM2
VARIABLE_MODULES = frozenset({3, 4})  # VDC4, VAC1
ACTUATOR_MODULES = frozenset({5, 12})  # ACT1, ACT1T
CHIMNEY_MODULES = frozenset({9})  # VCMDC1
OUTPUT_MODULES = RELAY_MODULES | VARIABLE_MODULES | ACTUATOR_MODULES | CHIMNEY_MODULES
INPUT_MODULE = 1

COOLING, HEATING, TIMED_EVENTS, MISTING, FOLLOW_LUX = 1, 2, 5, 12, 13
INLET_FEEDBACK, INLET_NO_FEEDBACK = 1, 2

INPUT_TYPES = (
    "temperature",
    "humidity",
    "co2",
    "static_pressure",
    "nh3",
    "wind_speed",
    "wind_direction",
    "digital_input",
    "rain_sensor",
    "pulse_counter",
    "light",
    "barometric_pressure",
)


@dataclass(frozen=True, slots=True)
class Room:
    """A room: its building shell and the animals in it."""

    id: int
    room_num: int
    name: str
    shell: Shell
    head_count: int
    start_weight_kg: float
    daily_gain_kg: float
    placed_on: dt.date
    width_m: float
    height_m: float
    fixed_inlet_m2: float
    species: str = "swine"

    def herd(self, day: dt.date) -> Herd:
        """The herd on a given local date: animals grow by their daily gain."""
        days = max(0, (day - self.placed_on).days)
        return Herd(self.head_count, self.start_weight_kg + self.daily_gain_kg * days, self.species)


@dataclass(frozen=True, slots=True)
class GrowthCurve:
    """Seven (day, value) steps; the daily value is interpolated and held from midnight."""

    id: int
    curve_name: str
    zone_type: int
    restart_day: int
    steps: tuple[tuple[int, float], ...]

    def value_on(self, day: int) -> float:
        """The value on an animal day: first value before the first step, last after the last."""
        first_day, first_value = self.steps[0]
        if day <= first_day:
            return first_value
        for (d0, v0), (d1, v1) in zip(self.steps, self.steps[1:], strict=False):
            if day <= d1:
                return round(v0 + (v1 - v0) * (day - d0) / (d1 - d0), 1)
        return self.steps[-1][1]


@dataclass(frozen=True, slots=True)
class Group:
    """An equipment group: a reading computed from its sensors and a target to hold."""

    id: int
    room_id: int
    group_num: int
    group_type: int
    group_name: str
    settings: dict[str, Any]

    @property
    def master_setpoint(self) -> float:
        """The fixed setpoint used when no growth curve drives the group."""
        return float(self.settings["master_setpoint"])

    def curve_day(self, today: dt.date) -> int:
        """Day number on the group's growth curve (day 1 is the curve's start date)."""
        start = dt.date.fromisoformat(self.settings.get("curve_start", today.isoformat()))
        return (today - start).days + 1

    def target(self, today: dt.date, curves: dict[int, GrowthCurve]) -> float:
        """Today's target: the growth curve's value when enabled, else the master setpoint."""
        curve = curves.get(int(self.settings.get("growth_curve_id", 0)))
        if curve is not None and int(self.settings.get("growth_curve_enabled", 0)):
            return curve.value_on(self.curve_day(today))
        return self.master_setpoint


@dataclass(frozen=True, slots=True)
class Io:
    """One input or output position on a module."""

    id: int
    direction: str
    module_num: int
    module_type: int
    io_num: int
    io_type: str
    name: str
    version_number: str
    room_id: int | None
    group_id: int | None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def function(self) -> int:
        """The output function number (io_type) as an integer."""
        return int(self.io_type)


@dataclass(frozen=True, slots=True)
class MistingGroup:
    """A room's misting/soaking system: the misters, pumps and fans whose outputs name it.

    `settings` holds the v1.0.2 misting-group fields (times in seconds of the day or
    seconds, temperatures in °C) and `temperature_group_id`, the equipment group it reads.
    """

    id: int
    room_id: int
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Device:
    """An AutoFlex Connect controller and everything configured on it."""

    id: int
    account_id: int
    device_name: str
    host_name: str
    device_type: str
    version: str
    timezone: str
    seed: int
    climate: Climate
    rooms: tuple[Room, ...]
    groups: tuple[Group, ...]
    ios: tuple[Io, ...]
    curves: tuple[GrowthCurve, ...]
    misting_groups: tuple[MistingGroup, ...] = ()
    schedules: tuple[Schedule, ...] = ()

    @property
    def outputs(self) -> tuple[Io, ...]:
        """Output positions in module order."""
        return tuple(io for io in self.ios if io.direction == "output")

    @property
    def inputs(self) -> tuple[Io, ...]:
        """Input positions in module order."""
        return tuple(io for io in self.ios if io.direction == "input")

    def schedule_of(self, io_id: int) -> Schedule | None:
        """The timed-event schedule driving an output, if any."""
        return next((s for s in self.schedules if s.output_io_id == io_id), None)
