"""The Flair home twin: a central air handler, its vents, the rooms' air, pucks and balancing.

One call of `HomeTwin.step` is one minute. Flair room balancing (structure mode "auto"):
every five minutes each vent of an active room opens when its room needs the air the system
is delivering and closes when the room is past its set point by more than the 1 °F band;
a vent moves no sooner than 15 minutes after its last move; at least 30 % of the vent area
stays open against back pressure. In "manual" only users move vents. Noise comes from
`ductwork.core.noise`, keyed by the structure seed and each device's UUID, so a history is
the same however it is stepped.

Besides the devices' readings the twin records the weather (every 15 minutes), thermostat
states (every 15 minutes and at each start and stop of the central system), a vent state for
each vent it moves, and the beacon sightings of the occupant's phone (every 5 minutes, the
pucks of the room the occupant's daily routine puts them in).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import math
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from ductwork.core.noise import smooth, unit, unit_array
from ductwork.core.physics import air as psy
from ductwork.core.physics.house import (
    AirHandler,
    Envelope,
    ZoneAir,
    heat_pump_w,
    register_flows,
    step_zone,
)
from ductwork.core.physics.weather import (
    YEAR,
    Climate,
    Weather,
    clear_sky_lux,
    sunrise_sunset,
    weather_at,
    weather_series,
    wind_chill_c,
)

# Flair's controller: its hysteresis band (1 °F around each room's set point), the vent lock,
# the balancing period, the heat/cool switch hysteresis and the back-pressure limit.
BAND_C = 5.0 / 9.0
VENT_LOCK_SECONDS = 15 * 60  # a vent moves no sooner than 15 minutes after its last move
BALANCE_EVERY_MINUTES = 5
MODE_SWITCH_HYSTERESIS_C = 3.0 * 5.0 / 9.0  # 3 °F, Flair's default heat/cool hysteresis
MIN_OPEN_FRACTION = 0.3  # back-pressure limit: keep at least 30 % of vent area open

READING_NAMESPACE = uuid.UUID("6b1c4c52-3f7e-4f0e-9a55-0f1a1c2e0b7d")
_NAMESPACE_BYTES = READING_NAMESPACE.bytes
MOTOR_MS_PER_PERCENT = 16.4  # a full stroke takes about 1.64 s (recorded motor-run-time 1641)
MANUAL = "Manual by User"
WEATHER_EVERY_MINUTES = 15
THERMOSTAT_EVERY_MINUTES = 15  # besides every start and stop of the central system
BEACON_EVERY_MINUTES = 5  # the occupant's phone reports the pucks it hears this often
BEACON_TXPOWER = -59  # dBm at one metre
PATH_LOSS_EXPONENT = 2.2  # indoors, line of sight through furniture
THERMOSTAT_MODES = {"heat": "HEAT", "cool": "COOL", "auto": "AUTO", "float": "OFF"}


@functools.lru_cache(maxsize=4096)
def channel(device_id: str) -> int:
    """A stable noise channel from a device's UUID (never from a database row id)."""
    return int(uuid.UUID(device_id).hex[:12], 16)


def _uuid5(name: str) -> str:
    """`str(uuid.uuid5(READING_NAMESPACE, name))`, without building UUID objects (the twin
    names a record every device-minute)."""
    h = hashlib.sha1(_NAMESPACE_BYTES + name.encode()).hexdigest()  # noqa: S324 (RFC 9562 v5)
    variant = int(h[16], 16) & 0x3 | 0x8
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{variant:x}{h[17:20]}-{h[20:32]}"


def reading_id(device_id: str, minute: int) -> str:
    """The UUID of a device's reading in a given minute (the same in every replay)."""
    return _uuid5(f"{device_id}/{minute}")


def record_id(kind: str, key: str, minute: int) -> str:
    """The UUID of another kind of record (weather, vent state, sighting) in a given minute."""
    return _uuid5(f"{kind}/{key}/{minute}")


@dataclass(frozen=True, slots=True)
class RoomSpec:
    """A room as the twin sees it."""

    id: int
    envelope: Envelope
    active: bool
    set_point_c: float


@dataclass(frozen=True, slots=True)
class DeviceSpec:
    """A vent or puck: its UUID, room and installation time (for battery drain)."""

    id: str
    room_id: int | None
    installed_at: float
    gateway: bool = False


@dataclass(frozen=True, slots=True)
class SplitSpec:
    """A ductless mini-split (hvac-unit) as its user set it."""

    room_id: int | None
    power: bool
    mode: str  # "heat", "cool" or anything else (no heat)
    target_c: float
    capacity_w: float = 2500.0


@dataclass(frozen=True, slots=True)
class ThermostatSpec:
    """A wall thermostat: its UUID and the room whose air it senses."""

    id: str
    room_id: int | None


@dataclass(frozen=True, slots=True)
class RoutineSpan:
    """Where the occupant is on some days between two local times (minutes after midnight;
    a span whose end is before its start runs past midnight). `room_id` None: away."""

    start: int
    end: int
    room_id: int | None
    days: str = "all"  # "all", "weekdays" or "weekends"

    def holds(self, local: dt.datetime) -> bool:
        """Whether the occupant follows this span at local time `local`."""
        weekend = local.weekday() >= 5
        if (self.days == "weekdays" and weekend) or (self.days == "weekends" and not weekend):
            return False
        now = local.hour * 60 + local.minute
        if self.start <= self.end:
            return self.start <= now < self.end
        return now >= self.start or now < self.end


@dataclass(frozen=True, slots=True)
class Occupant:
    """Someone living in the home, carrying a phone (a Flair `devices` row) that hears pucks."""

    device_id: int
    routine: tuple[RoutineSpan, ...]

    def room_at(self, local: dt.datetime) -> int | None:
        """The room the occupant is in at local time `local` (None: away or unknown)."""
        for span in self.routine:
            if span.holds(local):
                return span.room_id
        return None


@dataclass(frozen=True, slots=True)
class Home:
    """A structure: its settings and what is installed in it."""

    structure_id: int
    seed: int
    climate: Climate
    handler: AirHandler
    mode: str  # "auto" or "manual"
    heat_cool_mode: str  # "float", "heat", "cool" or "auto"
    set_point_c: float
    rooms: tuple[RoomSpec, ...]
    vents: tuple[DeviceSpec, ...]
    pucks: tuple[DeviceSpec, ...]
    splits: tuple[SplitSpec, ...] = ()
    thermostats: tuple[ThermostatSpec, ...] = ()
    occupant: Occupant | None = None
    time_zone: str = "UTC"


@dataclass(slots=True)
class VentPosition:
    """A vent's position, why it is there and when it last moved (virtual epoch seconds)."""

    percent_open: int
    reason: str
    moved_at: float
    moved: bool = False


@dataclass(frozen=True, slots=True)
class PuckSample:
    """One minute of a puck."""

    id: str
    puck_id: str
    at: int
    room_temperature_c: float
    humidity: int
    room_pressure: float
    light: int
    system_voltage: float
    rssi: int
    is_gateway: bool
    desired_temperature_c: float | None


@dataclass(frozen=True, slots=True)
class VentSample:
    """One minute of a vent."""

    id: str
    vent_id: str
    at: int
    duct_temperature_c: float
    duct_pressure: float
    percent_open: int
    system_voltage: float
    rssi: int
    motor_run_time: int


@dataclass(frozen=True, slots=True)
class WeatherSample:
    """The outdoor weather at a structure, as Flair's weather-readings report it."""

    id: str
    structure_id: int
    at: int
    outside_temperature_c: float
    humidity: int
    pressure: float
    windspeed: float
    wind_direction: float
    wind_chill: float
    condition: str
    sunrise: int
    sunset: int


@dataclass(frozen=True, slots=True)
class ThermostatSample:
    """One thermostat state: its room's air, the target, and what the central system does."""

    id: str
    thermostat_id: str
    at: int
    ambient_temperature_c: float
    target_temperature_c: float
    operating_state: str
    mode: str
    humidity: int


@dataclass(frozen=True, slots=True)
class VentStateSample:
    """A vent move made by the twin."""

    id: str
    vent_id: str
    at: float
    percent_open: int
    percent_open_reason: str
    set_by: str
    changeset: list[str]


@dataclass(frozen=True, slots=True)
class BeaconSample:
    """The occupant's phone hearing a puck's beacon."""

    id: str
    puck_id: str
    device_id: int
    at: int
    rssi: int
    txpower: int
    distance: float
    accuracy: float


@dataclass(slots=True)
class Samples:
    """What a run of steps recorded."""

    pucks: list[PuckSample] = field(default_factory=list)
    vents: list[VentSample] = field(default_factory=list)
    weather: list[WeatherSample] = field(default_factory=list)
    thermostats: list[ThermostatSample] = field(default_factory=list)
    vent_states: list[VentStateSample] = field(default_factory=list)
    beacons: list[BeaconSample] = field(default_factory=list)


def _battery(full: float, per_year: float, installed_at: float, t: float) -> float:
    return max(2.6, full - per_year * max(0.0, t - installed_at) / YEAR)


def _rssi(seed: int, ch: int, minute: int, noise: Noise | None = None) -> int:
    base = -60.0 - 15.0 * abs(unit(seed, ch, 0))
    wobble = unit(seed, ch + 1, minute) if noise is None else noise(ch + 1, minute)
    return max(-90, min(-45, round(base + 3.0 * wobble)))


class Noise:
    """`unit(seed, channel, minute)` for the minutes of one run, computed per channel at once
    (the twin draws a few values per device and minute)."""

    def __init__(self, seed: int, first: int, last: int) -> None:
        self._seed, self._first = seed, first
        self._minutes = np.arange(first, last + 1, dtype=np.int64)
        self._channels: dict[int, list[float]] = {}

    def __call__(self, ch: int, minute: int) -> float:
        values = self._channels.get(ch)
        if values is None:
            values = unit_array(self._seed, ch, self._minutes).tolist()
            self._channels[ch] = values
        return values[minute - self._first]


def weather_condition(climate: Climate, weather: Weather, t: float) -> str:
    """An OpenWeatherMap-style main condition: "Rain" while raining; by day "Clouds" when the
    daylight is under 60 % of the clear-sky light (over half the sky covered), else "Clear";
    "Clear" at night."""
    if weather.raining:
        return "Rain"
    clear = clear_sky_lux(climate, t)
    if clear <= 0.0:
        return "Clear"
    return "Clouds" if weather.light_lux < 0.6 * clear else "Clear"


def _zone(name: str, utc_offset_hours: float) -> dt.tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone(dt.timedelta(hours=utc_offset_hours))


class HomeTwin:
    """Controller plus physics for one structure; `state` is plain JSON so it can be stored."""

    def __init__(self, home: Home, state: dict[str, Any], vents: dict[str, VentPosition]) -> None:
        self.home = home
        self.state = state
        self.vents = vents
        self._rooms = {r.id: r for r in home.rooms}
        self._zone = _zone(home.time_zone, home.climate.utc_offset_hours)
        self._noise: Noise | None = None  # set while `run` steps
        self._room_pucks: dict[int, list[DeviceSpec]] = {}
        for puck in home.pucks:
            if puck.room_id is not None:
                self._room_pucks.setdefault(puck.room_id, []).append(puck)

    @staticmethod
    def initial_state(home: Home, minute: int, start_c: float) -> dict[str, Any]:
        """Rooms at `start_c` with indoor humidity near 45 %, the HVAC idle."""
        rooms = {
            str(r.id): {"t": start_c, "w": psy.humidity_ratio(start_c, 0.45)} for r in home.rooms
        }
        return {
            "rooms": rooms,
            "hvac": {"mode": "heat", "running": False},
            "ducts": {},
            "motor": {},
            "pucks": {},
            "vent_readings": {},
            "static_pa": 0.0,
        }

    # ----------------------------------------------------------------- stepping
    def run(self, first: int, last: int, samples: Samples) -> None:
        """Step every minute from `first` to `last`, the weather computed for all at once."""
        minutes = np.arange(first, last + 1, dtype=np.float64)
        series = weather_series(self.home.climate, self.home.seed, minutes * 60.0)
        self._noise = Noise(self.home.seed, first, last)
        try:
            for i, minute in enumerate(range(first, last + 1)):
                self.step(minute, samples, series.at(i))
        finally:
            self._noise = None

    def step(self, minute: int, samples: Samples, weather: Weather | None = None) -> None:
        """Advance one minute, ending at `minute`, and record that minute's readings (the
        weather at that minute is computed unless given)."""
        t = float(minute * 60)
        if weather is None:
            weather = weather_at(self.home.climate, self.home.seed, t)
        measured = self._measured_rooms(minute)
        mode = self._heat_cool_mode(minute, measured)
        running = self._thermostat(mode, measured)
        balancing = self.home.mode == "auto" and mode in ("heat", "cool")
        if balancing and minute % BALANCE_EVERY_MINUTES == 0:
            self._balance(t, mode, measured, samples)
        self._physics(mode if running else "off", weather)
        self.record(minute, weather, samples)

    def _measured_rooms(self, minute: int) -> dict[int, float]:
        """Room temperatures as Flair knows them: the mean of each room's pucks' last readings."""
        readings: dict[int, list[float]] = {}
        for puck in self.home.pucks:
            last = self.state["pucks"].get(puck.id)
            if puck.room_id is not None and last is not None:
                readings.setdefault(puck.room_id, []).append(float(last["t"]))
        return {room: sum(v) / len(v) for room, v in readings.items()}

    def _heat_cool_mode(self, minute: int, measured: dict[int, float]) -> str:
        hvac = self.state["hvac"]
        wanted = self.home.heat_cool_mode
        if wanted != "auto":
            hvac["mode"] = wanted
            return wanted
        active = [r for r in self.home.rooms if r.active and r.id in measured]
        if active and minute % BALANCE_EVERY_MINUTES == 0:
            delta = sum(measured[r.id] - r.set_point_c for r in active) / len(active)
            if hvac["mode"] != "cool" and delta > MODE_SWITCH_HYSTERESIS_C:
                hvac["mode"] = "cool"
            elif hvac["mode"] != "heat" and delta < -MODE_SWITCH_HYSTERESIS_C:
                hvac["mode"] = "heat"
        if hvac["mode"] not in ("heat", "cool"):
            hvac["mode"] = "heat"
        return str(hvac["mode"])

    def _errors(self, mode: str, measured: dict[int, float]) -> dict[int, float]:
        """Per active measured room: how far it is past its set point in the mode's direction
        (positive: it wants the air being delivered)."""
        sign = 1.0 if mode == "heat" else -1.0
        return {
            r.id: sign * (r.set_point_c - measured[r.id])
            for r in self.home.rooms
            if r.active and r.id in measured
        }

    def _thermostat(self, mode: str, measured: dict[int, float]) -> bool:
        hvac = self.state["hvac"]
        if mode not in ("heat", "cool"):
            hvac["running"] = False
            return False
        if self.home.mode == "manual":
            values = list(measured.values())
            need = (
                (self.home.set_point_c - sum(values) / len(values)) * (1 if mode == "heat" else -1)
                if values
                else 0.0
            )
            start, keep = need > BAND_C, need > -BAND_C
        else:
            wants = self._errors(mode, measured).values()
            start = any(w > BAND_C for w in wants)
            keep = any(w > 0.0 for w in wants)
        hvac["running"] = start or (bool(hvac["running"]) and keep)
        return bool(hvac["running"])

    def _move(
        self, vent_id: str, percent: int, reason: str, t: float, moves: dict[str, VentStateSample]
    ) -> None:
        position = self.vents[vent_id]
        if position.percent_open == percent:
            position.reason = reason
            return
        self.state["motor"][vent_id] = round(
            abs(position.percent_open - percent) * MOTOR_MS_PER_PERCENT
        )
        position.percent_open, position.reason, position.moved_at = percent, reason, t
        position.moved = True
        moves[vent_id] = VentStateSample(
            id=record_id("vent-state", vent_id, int(t // 60)),
            vent_id=vent_id,
            at=t,
            percent_open=percent,
            percent_open_reason=reason,
            set_by="System",
            changeset=["percent_open", "percent_open_reason"],
        )

    def _balance(self, t: float, mode: str, measured: dict[int, float], samples: Samples) -> None:
        """One balancing pass: plan every unlocked vent's position from its room's need, keep
        enough of them open for the HVAC's back-pressure limit (the rooms closest to needing
        air first), then move the vents whose planned position differs."""
        errors = self._errors(mode, measured)
        verb = "heating" if mode == "heat" else "cooling"
        unlocked = [
            v
            for v in self.home.vents
            if v.id in self.vents and t - self.vents[v.id].moved_at >= VENT_LOCK_SECONDS
        ]
        plan: dict[str, tuple[int, str]] = {}
        for vent in unlocked:
            room = self._rooms.get(vent.room_id) if vent.room_id is not None else None
            if room is None:
                continue
            if not room.active:
                plan[vent.id] = (0, "Room is inactive.")
                continue
            error = errors.get(room.id)
            if error is None:
                continue
            if error > BAND_C:
                plan[vent.id] = (100, f"This room requires {verb}.")
            elif error < -BAND_C:
                point = room.set_point_c * 9 / 5 + 32
                edge = "below" if mode == "heat" else "above"
                plan[vent.id] = (
                    0,
                    f"This room does not require {verb}. Vent will open "
                    f"when the room is {edge} {point:.1f}F.",
                )
        after = {v: plan[v][0] if v in plan else p.percent_open for v, p in self.vents.items()}
        open_area = sum(after.values()) / 100.0
        candidates = sorted(
            (v for v in unlocked if after[v.id] < 100),
            key=lambda v: -errors.get(v.room_id, -99.0) if v.room_id is not None else 99.0,
        )
        for vent in candidates:
            if open_area >= MIN_OPEN_FRACTION * len(self.vents):
                break
            open_area += (100 - after[vent.id]) / 100.0
            after[vent.id] = 100
            plan[vent.id] = (100, "Opened to keep the HVAC system within its back-pressure limit.")
        moves: dict[str, VentStateSample] = {}
        for vent_id, (percent, reason) in plan.items():
            self._move(vent_id, percent, reason, t, moves)
        samples.vent_states.extend(moves.values())

    def _physics(self, mode: str, weather: Weather) -> None:
        home = self.home
        supply: dict[int, float] = {}
        ducts = self.state["ducts"]
        if mode in ("heat", "cool"):
            ids = [v.id for v in home.vents if v.id in self.vents]
            flows, static = register_flows(
                home.handler, [self.vents[i].percent_open / 100.0 for i in ids]
            )
            by_id = dict(zip(ids, flows, strict=True))
            for vent in home.vents:
                if vent.room_id is not None and vent.id in by_id:
                    supply[vent.room_id] = supply.get(vent.room_id, 0.0) + by_id[vent.id]
            supply_c = home.handler.supply_c(mode)
            self.state["static_pa"] = static
        else:
            supply_c = 20.0
            self.state["static_pa"] = 0.0
        extra: dict[int, float] = {}
        for split in home.splits:
            if split.power and split.room_id is not None and split.room_id in self._rooms:
                values = self.state["rooms"][str(split.room_id)]
                extra[split.room_id] = extra.get(split.room_id, 0.0) + heat_pump_w(
                    split.capacity_w, split.mode, float(values["t"]), split.target_c
                )
        temperatures = {
            r.id: float(self.state["rooms"].get(str(r.id), {}).get("t", 21.0)) for r in home.rooms
        }
        for room in home.rooms:
            others = [t for i, t in temperatures.items() if i != room.id]
            interior_c = sum(others) / len(others) if others else None
            values = self.state["rooms"].setdefault(
                str(room.id), {"t": 21.0, "w": psy.humidity_ratio(21.0, 0.45)}
            )
            zone = ZoneAir(float(values["t"]), float(values["w"]))
            step_zone(
                zone,
                room.envelope,
                weather,
                60.0,
                supply.get(room.id, 0.0),
                supply_c,
                extra.get(room.id, 0.0),
                interior_c,
            )
            values.update(t=zone.temperature_c, w=zone.humidity_ratio)
        for vent in home.vents:
            room_t = (
                float(self.state["rooms"][str(vent.room_id)]["t"])
                if vent.room_id is not None and str(vent.room_id) in self.state["rooms"]
                else 20.0
            )
            position = self.vents.get(vent.id)
            blowing = mode in ("heat", "cool") and position is not None and position.percent_open
            target, tau = (supply_c, 2.0) if blowing else (room_t, 10.0)
            previous = float(ducts.get(vent.id, room_t))
            ducts[vent.id] = target + (previous - target) * pow(2.718281828, -1.0 / tau)

    def record(self, minute: int, weather: Weather, samples: Samples) -> None:
        """Take every puck's and vent's reading for `minute`."""
        seed, t = self.home.seed, float(minute * 60)
        u: Callable[[int, int], float] = self._noise or functools.partial(unit, seed)
        atmosphere_kpa = weather.pressure_hpa / 10.0
        for puck in self.home.pucks:
            ch = channel(puck.id)
            values = (
                self.state["rooms"].get(str(puck.room_id)) if puck.room_id is not None else None
            )
            temperature = float(values["t"]) if values else 20.0
            w = float(values["w"]) if values else psy.humidity_ratio(20.0, 0.45)
            measured_t = round(temperature + 0.08 * u(ch + 2, minute), 2)
            humidity = round(
                100.0 * psy.relative_humidity(temperature, w) + 0.8 * u(ch + 3, minute)
            )
            room = self._rooms.get(puck.room_id) if puck.room_id is not None else None
            sample = PuckSample(
                id=reading_id(puck.id, minute),
                puck_id=puck.id,
                at=minute * 60,
                room_temperature_c=measured_t,
                humidity=max(0, min(100, humidity)),
                room_pressure=round(atmosphere_kpa + 0.002 * u(ch + 4, minute), 5),
                light=max(
                    0,
                    round(weather.light_lux / 110_000.0 * 600.0 + 5.0 + 3.0 * u(ch + 5, minute)),
                ),
                system_voltage=round(_battery(3.45, 0.25, puck.installed_at, t), 2),
                rssi=_rssi(seed, ch, minute, self._noise),
                is_gateway=puck.gateway,
                desired_temperature_c=room.set_point_c if room is not None else None,
            )
            samples.pucks.append(sample)
            self.state["pucks"][puck.id] = {
                "t": sample.room_temperature_c,
                "h": sample.humidity,
                "v": sample.system_voltage,
                "rssi": sample.rssi,
            }
        room_pucks: dict[str, list[str]] = {}
        for puck in self.home.pucks:
            if puck.room_id is not None:
                room_pucks.setdefault(str(puck.room_id), []).append(puck.id)
        self.state["room_pucks"] = room_pucks
        static_kpa = float(self.state["static_pa"]) / 1000.0
        for vent in self.home.vents:
            ch = channel(vent.id)
            position = self.vents.get(vent.id)
            percent = position.percent_open if position is not None else 0
            vent_sample = VentSample(
                id=reading_id(vent.id, minute),
                vent_id=vent.id,
                at=minute * 60,
                duct_temperature_c=round(
                    float(self.state["ducts"].get(vent.id, 20.0)) + 0.05 * u(ch + 2, minute),
                    2,
                ),
                duct_pressure=round(atmosphere_kpa + (static_kpa if percent else 0.0), 4),
                percent_open=percent,
                system_voltage=round(_battery(3.3, 0.4, vent.installed_at, t), 2),
                rssi=_rssi(seed, ch, minute, self._noise),
                motor_run_time=int(self.state["motor"].get(vent.id, 0)),
            )
            samples.vents.append(vent_sample)
            self.state["vent_readings"][vent.id] = {
                "v": vent_sample.system_voltage,
                "rssi": vent_sample.rssi,
            }
        if minute % WEATHER_EVERY_MINUTES == 0:
            self._record_weather(minute, weather, samples)
        self._record_thermostats(minute, samples)
        if self.home.occupant is not None and minute % BEACON_EVERY_MINUTES == 0:
            self._record_beacons(minute, self.home.occupant, samples)

    def _record_weather(self, minute: int, weather: Weather, samples: Samples) -> None:
        climate, t = self.home.climate, float(minute * 60)
        sunrise, sunset = sunrise_sunset(climate.latitude_deg, climate.utc_offset_hours, t)
        samples.weather.append(
            WeatherSample(
                id=record_id("weather", f"{self.home.seed}/{self.home.structure_id}", minute),
                structure_id=self.home.structure_id,
                at=minute * 60,
                outside_temperature_c=round(weather.temperature_c, 2),
                humidity=max(0, min(100, round(100.0 * weather.humidity))),
                pressure=round(weather.pressure_hpa, 1),
                windspeed=round(weather.wind_speed_kmh / 3.6, 1),
                wind_direction=round(weather.wind_direction_deg, 1),
                wind_chill=round(wind_chill_c(weather.temperature_c, weather.wind_speed_kmh), 2),
                condition=weather_condition(climate, weather, t),
                sunrise=sunrise,
                sunset=sunset,
            )
        )

    def _record_thermostats(self, minute: int, samples: Samples) -> None:
        """A state every 15 minutes, and whenever the central system starts or stops."""
        if not self.home.thermostats:
            return
        hvac = self.state["hvac"]
        running = bool(hvac.get("running")) and hvac.get("mode") in ("heat", "cool")
        operating = str(hvac["mode"]) if running else "idle"
        last = self.state.setdefault("thermostats", {})
        seed, rooms = self.home.seed, self.state["rooms"]
        for thermostat in self.home.thermostats:
            if minute % THERMOSTAT_EVERY_MINUTES and last.get(thermostat.id) == operating:
                continue
            last[thermostat.id] = operating
            values = rooms.get(str(thermostat.room_id)) if thermostat.room_id is not None else None
            if values is None:  # no room: the house's mean air
                values = {
                    "t": sum(float(v["t"]) for v in rooms.values()) / max(1, len(rooms)),
                    "w": psy.humidity_ratio(20.0, 0.45),
                }
            temperature, w = float(values["t"]), float(values["w"])
            ch = channel(thermostat.id)
            humidity = round(
                100.0 * psy.relative_humidity(temperature, w) + 0.8 * unit(seed, ch + 3, minute)
            )
            samples.thermostats.append(
                ThermostatSample(
                    id=reading_id(thermostat.id, minute),
                    thermostat_id=thermostat.id,
                    at=minute * 60,
                    ambient_temperature_c=round(temperature + 0.08 * unit(seed, ch + 2, minute), 2),
                    target_temperature_c=self.home.set_point_c,
                    operating_state=operating,
                    mode=THERMOSTAT_MODES.get(self.home.heat_cool_mode, "OFF"),
                    humidity=max(0, min(100, humidity)),
                )
            )

    def _record_beacons(self, minute: int, occupant: Occupant, samples: Samples) -> None:
        """The occupant's phone hears every puck of the room the routine puts them in."""
        local = dt.datetime.fromtimestamp(minute * 60, self._zone)
        room_id = occupant.room_at(local)
        if room_id is None:
            return
        seed = self.home.seed
        for puck in self._room_pucks.get(room_id, ()):
            ch = channel(puck.id)
            # The phone wanders about the room: 0.5 to 5 m from the puck, smoothly.
            distance = round(2.75 + 2.25 * smooth(seed, ch + 6, float(minute), 20.0), 2)
            loss = 10.0 * PATH_LOSS_EXPONENT * math.log10(distance)
            samples.beacons.append(
                BeaconSample(
                    id=record_id("beacon", f"{occupant.device_id}/{puck.id}", minute),
                    puck_id=puck.id,
                    device_id=occupant.device_id,
                    at=minute * 60,
                    rssi=round(BEACON_TXPOWER - loss + 2.0 * unit(seed, ch + 7, minute)),
                    txpower=BEACON_TXPOWER,
                    distance=distance,
                    accuracy=round(0.3 * distance, 2),
                )
            )
