"""The Insteon devices and Sensor Hub sensors of an Automate Green house, one model per kind.

Each model implements `devices.DeviceModel`: a device's state is a plain JSON dict, every call
takes the instant it acts at (seconds since the epoch on the account's clock) and a seed, and
noise comes from `core.noise.unit` keyed by the seed, a channel derived from the device id and
the minute, so a history replays exactly however it is stepped. A step covers the 60 s ending
at `env.at`.

Units: light levels in percent on the API (0-100) and stored as the device's 0-255; ramp
rates in ms; temperatures in °F (thermostat physics in °C inside); humidity in percent; flow
in L/min; current in A; photocell resistance in ohms.

Status `info` per kind (chosen; the documents only show a switch's `{"level": 0}`):
switch/outlet/dimmer `{"level"}`; thermostat `{"mode", "fan", "temp", "humidity",
"heatSetpoint", "coolSetpoint", "activity", "program"}`; motion `{"motion"}`; door `{"open"}`;
leak `{"wet"}`; temperature `{"temp"}`; temp_humidity `{"temp", "humidity"}`; flow `{"flow"}`;
current `{"current"}`; photocell `{"resistance", "dark"}`.

Report reasons: "api" (a command carried out), "status" (get_status, a refresh, joining,
coming back on line), "auto" (what the device sensed, a ramp's end), "heartbeat" (leak).

Chosen where the documents are silent:
- on/off/fast_on/fast_off/instant_on always raise turnOn/turnOff (an Insteon device announces
  every switching command); `level`, `bright` and `dim` raise them only when the light goes
  from off to on or back.
- A command's report carries the level the light goes to (an Insteon ACK's cmd2 is the new
  level); `status` read mid-ramp is the interpolated level; a second report, reason "auto",
  follows when the ramp ends (from the step covering that instant, so a ramp ending inside
  the minute already stepped is reported by the next step, with its true time).
- A ramp takes the full ramp rate whatever the distance; bright/dim move one step of 1/32
  of full scale (8 of 255) at once.
- ledBrightness is the device's raw 0-127; a rampRate outside 100-480000 ms is refused, one
  inside snaps to the nearest entry of the Insteon table.
- Off line: nothing is reported while the device is unreachable (it keeps living: a
  thermostat still runs the furnace); synchronous calls raise DeviceOffline, asynchronous ones
  are kept and carried out, in order, when it comes back, after a status report.
"""

from __future__ import annotations

import copy
import hashlib
import math
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from ductwork.core.noise import smooth, unit
from ductwork.core.physics.air import P_ATM, humidity_ratio
from ductwork.core.physics.house import AirHandler, Envelope, ZoneAir, step_zone
from ductwork.core.physics.weather import Weather
from ductwork.vendors.automategreen.devices import (
    ACTIVE,
    INITIALIZING,
    UNAVAILABLE,
    CommandRejected,
    DeviceModel,
    DeviceOffline,
    Environment,
    Json,
    Outcome,
    Report,
)

MINUTE = 60.0
DAY = 86_400.0

# Insteon ramp rates by index (ms); index 0 (2000, "unused") is left out.
RAMP_RATES_MS = (
    480000, 420000, 360000, 300000, 270000, 240000, 210000, 180000, 150000, 120000, 90000,
    60000, 47000, 43000, 38500, 34000, 32000, 30000, 28000, 26000, 23500, 21500, 19000, 8500,
    6500, 4500, 2000, 500, 300, 200, 100,
)  # fmt: skip
STEP_RAW = 8  # bright/dim: one step of 1/32 of full scale (255/32)

# Thermostat control (chosen): a 1 °F swing centred on the set point (start 0.5 °F below it
# when heating, stop 0.5 °F above), each state held at least 3 minutes (short-cycle
# protection), 4 °F setback in program modes while nobody is home and awake.
START_OFFSET_F = 0.5
STOP_OFFSET_F = 0.5
MIN_CYCLE_SECONDS = 180.0
SETBACK_F = 4.0
DISPLAY_HYSTERESIS_F = 0.75
SETPOINT_RANGE_F = (40.0, 95.0)
SETPOINT_GAP = 2  # °F
HOUSE_ENVELOPE = Envelope(
    volume_m3=450.0, ua_w_k=220.0, mass_factor=16.0, window_m2=6.0, internal_gain_w=500.0
)
FURNACE = AirHandler()

# Sensors (chosen rates).
MOTION_PER_MINUTE = 0.06  # chance of motion in an occupied minute
DOOR_PER_MINUTE = 0.008  # chance a door opens in an occupied minute
DOOR_DAY = (7 * 60, 21 * 60)  # local minutes in which leaving or coming home opens the door
LEAKS_PER_YEAR = 3.0
HEARTBEAT_SECONDS = DAY
TEMP_REPORT_F = 0.5  # a reading this far from the last report is reported at once
TEMP_IDLE_SECONDS = 900.0  # a smaller change (0.1 °F) is reported after 15 minutes
HUMIDITY_REPORT = 2  # percent
TAP_PER_MINUTE = 0.03
SHOWER_PER_MINUTE = 0.004
FLOW_FLOOR = 0.1  # L/min
PHOTOCELL_THRESHOLD_OHM = 20_000  # about 4 lux on a 10 kΩ (at 10 lux), γ 0.7 CdS cell
PHOTOCELL_DARK_OHM = 1_000_000
PHOTOCELL_REPORT_RATIO = 1.1  # resistance reported when it moved by 10 %

# Noise purposes (mixed into a device's channel).
_MOTION, _MOTION_AT, _CLEAR, _DOOR, _DOOR_AT, _OPEN_FOR, _LEAK, _LEAK_AT, _DRY = range(1, 10)
_TEMP, _HUMIDITY, _TAP, _SHOWER, _FLOW_AT, _FLOW_LEN, _FLOW_RATE, _CYCLE, _AMPS, _LUX = range(
    10, 20
)


def channel_of(device_id: str) -> int:
    """A stable noise channel for a device id (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(device_id.encode(), digest_size=6).digest(), "big")


def _noise(seed: int, state: Json, purpose: int, index: int) -> float:
    return unit(seed, int(state["channel"]) * 32 + purpose, index)


def _chance(seed: int, state: Json, purpose: int, index: int, p: float) -> bool:
    return _noise(seed, state, purpose, index) > 1.0 - 2.0 * p


def _between(seed: int, state: Json, purpose: int, index: int, low: float, high: float) -> float:
    return low + (high - low) * (_noise(seed, state, purpose, index) + 1.0) / 2.0


def _number(value: Any, name: str, low: float, high: float) -> float:
    """A number from JSON or a form string, refused (CommandRejected) outside low..high."""
    if isinstance(value, bool):
        raise CommandRejected(f"'{name}' must be a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise CommandRejected(f"'{name}' must be a number, not '{value}'") from None
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise CommandRejected(f"'{name}' must be a number")
    if not low <= value <= high:
        raise CommandRejected(f"'{name}' must be between {low:g} and {high:g}")
    return float(value)


def to_raw(percent: float) -> int:
    """A level in percent as the device stores it (0-255)."""
    return round(percent * 255 / 100)


def to_percent(raw: float) -> int:
    """A device level 0-255 in percent."""
    return round(raw * 100 / 255)


def c_to_f(c: float) -> float:
    """°C to °F."""
    return c * 9.0 / 5.0 + 32.0


def f_to_c(f: float) -> float:
    """°F to °C."""
    return (f - 32.0) * 5.0 / 9.0


def snap_ramp_rate(ms: float) -> int:
    """The Insteon ramp-rate table's entry nearest `ms`."""
    return min(RAMP_RATES_MS, key=lambda rate: (abs(rate - ms), rate))


def _weather(env: Environment) -> Weather:
    return Weather(env.outdoor_c, env.outdoor_humidity, 0.0, 0.0, env.light_lux, P_ATM, False)


Handler = Callable[[Json, Json, float, int], list[Report]]


class _Model:
    """What every kind shares: the protocol's bookkeeping (online, kept calls, reports)."""

    kind = ""
    profile = ""
    description = ""
    hub_description = ""  # the Sensor Hub sensor of this kind, when there is one

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {"get_status": self._get_status}

    # -- the protocol ------------------------------------------------------------------------

    def type_object(self, state: Json) -> Json:
        """The device's `type` as the API shows it."""
        description = self.hub_description if state.get("hub") else self.description
        return {"description": description, "name": self.kind, "profile": self.profile}

    def initial(self, spec: Json, seed: int, at: float) -> Json:
        """A new device's state from its spec (`DeviceSpec` as a dict), reporting from `at`."""
        hub = ":sensor:" in str(spec.get("address", ""))
        state: Json = {
            "id": spec["id"],
            "channel": channel_of(str(spec["id"])),
            "hub": hub,
            "online": True,
            "kept": [],
            "info": {"mode": self.kind} if hub else {"links": []},
        }
        self._initial(state, dict(spec.get("options") or {}), seed, at)
        return state

    def step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        """Advance through the minute ending at `env.at`; nothing is heard while off line."""
        reports = self._step(state, env, seed)
        return reports if state["online"] else []

    def command(
        self, state: Json, command: Json, at: float, seed: int, asynchronous: bool = False
    ) -> Outcome:
        """Carry out a command object (`{"name": ..., "level": ...}`)."""
        if not isinstance(command, dict) or not isinstance(command.get("name"), str):
            raise CommandRejected("the command needs a 'name'")
        handler = self.commands.get(command["name"])
        if handler is None:
            known = ", ".join(sorted(self.commands))
            raise CommandRejected(
                f"a {self.type_object(state)['description']} does not support the command "
                f"'{command['name']}' (it supports {known})"
            )
        if not state["online"] and asynchronous:
            handler(copy.deepcopy(state), command, at, seed)  # refused now, not when kept
        if not self._reachable(state, "command", command, at, asynchronous):
            return Outcome()
        return Outcome(tuple(handler(state, command, at, seed)))

    def configure(
        self, state: Json, body: Json, at: float, seed: int, asynchronous: bool = False
    ) -> Outcome:
        """Apply a `PUT /devices/{id}` body's `info` settings (checked before anything)."""
        info = body.get("info") or {}
        if not isinstance(info, dict):
            raise CommandRejected("'info' must be an object")
        settings = self._settings(state, info)
        if not self._reachable(state, "configure", settings, at, asynchronous):
            return Outcome()
        state["info"].update(settings)
        return Outcome()

    def refresh(self, state: Json, at: float, seed: int, asynchronous: bool = False) -> Outcome:
        """The device reports its status now."""
        if not self._reachable(state, "refresh", {}, at, asynchronous):
            return Outcome()
        return Outcome((self._report(state, at, "status"),))

    def set_online(self, state: Json, online: bool, at: float, seed: int) -> list[Report]:
        """Off line: nothing reported. Back: a status report, then the kept calls' reports."""
        was = state["online"]
        state["online"] = online
        if not online or was:
            return []
        reports = [self._report(state, at, "status")]
        kept, state["kept"] = state["kept"], []
        for call in kept:
            if call["op"] == "command":
                handler = self.commands[call["body"]["name"]]
                try:  # the API answered 202; a command the device now refuses is dropped
                    reports.extend(handler(state, call["body"], at, seed))
                except CommandRejected:
                    continue
            elif call["op"] == "configure":
                state["info"].update(call["body"])
        return reports

    def info(self, state: Json, at: float) -> Json:
        """The device's configuration as the API shows it."""
        return dict(state["info"])

    def status(self, state: Json, at: float) -> tuple[str, Json]:
        """`Active` (`Unavailable` while off line, `Initializing` before a sensor's first
        reading) and the status info at `at`."""
        return self._state_name(state), self._status(state, at)

    def _state_name(self, state: Json) -> str:
        if not state["online"]:
            return UNAVAILABLE
        return ACTIVE if self._ready(state) else INITIALIZING

    def _ready(self, state: Json) -> bool:
        """Whether the device has what its status shows (a sensor: its first reading)."""
        return True

    # -- for the kinds -----------------------------------------------------------------------

    def _initial(self, state: Json, options: Json, seed: int, at: float) -> None:
        raise NotImplementedError

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        raise NotImplementedError

    def _status(self, state: Json, at: float) -> Json:
        raise NotImplementedError

    def _settings(self, state: Json, info: Json) -> Json:
        """The checked settings of a configuration (default: none are adjustable; others are
        ignored, as the store keeps `name` itself)."""
        return {}

    def _get_status(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        return [self._report(state, at, "status")]

    def _reachable(self, state: Json, op: str, body: Json, at: float, asynchronous: bool) -> bool:
        if state["online"]:
            return True
        if not asynchronous:
            raise DeviceOffline
        state["kept"].append({"op": op, "body": body, "at": at})
        return False

    def _report(
        self,
        state: Json,
        at: float,
        reason: str,
        events: tuple[str, ...] = (),
        values: dict[str, float] | None = None,
    ) -> Report:
        return Report(
            device_id=str(state["id"]),
            at=at,
            type="update",
            reason=reason,
            state=self._state_name(state),
            info=self._status(state, at),
            events=events,
            values=values or {},
        )


# -- lights ------------------------------------------------------------------------------------


class _Light(_Model):
    """An on/off or dimmable Insteon load: level 0-255 stored, percent on the API."""

    profile = "switch"
    dimmable = False

    def __init__(self) -> None:
        super().__init__()
        self.commands.update(
            on=self._on, off=self._off, fast_on=self._fast_on, fast_off=self._fast_off
        )

    def _initial(self, state: Json, options: Json, seed: int, at: float) -> None:
        state["info"] = {"ledBrightness": 32, "links": [], "onLevel": 100, "rampRate": 500}
        state["level"] = to_raw(float(options.get("level", 0)))
        state["ramp"] = None

    def _settings(self, state: Json, info: Json) -> Json:
        settings: Json = {}
        if "ledBrightness" in info:
            settings["ledBrightness"] = round(
                _number(info["ledBrightness"], "ledBrightness", 0, 127)
            )
        if "onLevel" in info:
            settings["onLevel"] = round(_number(info["onLevel"], "onLevel", 1, 100))
        if "rampRate" in info:
            settings["rampRate"] = snap_ramp_rate(
                _number(info["rampRate"], "rampRate", 100, 480000)
            )
        return settings

    def level_at(self, state: Json, at: float) -> float:
        """The load's level (0-255) at `at`, interpolated along a ramp in progress."""
        ramp = state["ramp"]
        if ramp is None or at >= ramp["end"]:
            return float(state["level"])
        if at <= ramp["start"]:
            return float(ramp["from"])
        share = (at - ramp["start"]) / (ramp["end"] - ramp["start"])
        return float(ramp["from"] + (ramp["to"] - ramp["from"]) * share)

    def _status(self, state: Json, at: float) -> Json:
        return {"level": to_percent(self.level_at(state, at))}

    def _go(self, state: Json, at: float, target: int, ramp: bool, announce: bool) -> list[Report]:
        current = self.level_at(state, at)
        seconds = state["info"]["rampRate"] / 1000.0 if ramp and self.dimmable else 0.0
        state["level"] = target
        state["ramp"] = None
        if seconds > 0 and round(current) != target:
            state["ramp"] = {"from": current, "to": target, "start": at, "end": at + seconds}
        was_on, now_on = round(current) > 0, target > 0
        events: tuple[str, ...] = ()
        if announce or was_on != now_on:
            events = ("turnOn",) if now_on else ("turnOff",)
        report = self._report(state, at, "api", events)
        if state["ramp"] is not None:  # the command's report shows where the light is going
            report = replace(report, info={"level": to_percent(target)})
        return [report]

    def _on_level(self, state: Json, command: Json) -> int:
        if "level" in command and self.dimmable:
            return to_raw(_number(command["level"], "level", 0, 100))
        if "level" in command:  # a relay: any level but 0 is full on
            return 255 if _number(command["level"], "level", 0, 100) > 0 else 0
        return to_raw(state["info"]["onLevel"]) if self.dimmable else 255

    def _on(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        return self._go(state, at, self._on_level(state, command), ramp=True, announce=True)

    def _off(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        return self._go(state, at, 0, ramp=True, announce=True)

    def _fast_on(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        return self._go(state, at, 255, ramp=False, announce=True)

    def _fast_off(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        return self._go(state, at, 0, ramp=False, announce=True)

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        ramp = state["ramp"]
        if ramp is None or ramp["end"] > env.at:
            return []
        state["ramp"] = None
        return [self._report(state, ramp["end"], "auto")]


class Switch(_Light):
    """SwitchLinc Relay 2477S (category 0x02): on/off, status level 0 or 100 (option
    `level`: the level in percent it starts at, for every light kind)."""

    kind = "switch"
    description = "SwitchLinc Relay (2477S)"


class Outlet(_Light):
    """On/Off plug-in module 2635-222 (category 0x02)."""

    kind = "outlet"
    description = "On/Off Module (2635-222)"


class Dimmer(_Light):
    """SwitchLinc Dimmer 2477D (category 0x01): levels, ramps, bright/dim steps."""

    kind = "dimmer"
    profile = "dimmer"
    description = "SwitchLinc Dimmer (2477D)"
    dimmable = True

    def __init__(self) -> None:
        super().__init__()
        self.commands.update(
            level=self._level, bright=self._bright, dim=self._dim, instant_on=self._instant_on
        )

    def _level(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        if "level" not in command:
            raise CommandRejected("the command 'level' needs a 'level' (0-100)")
        target = to_raw(_number(command["level"], "level", 0, 100))
        return self._go(state, at, target, ramp=True, announce=False)

    def _instant_on(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        return self._go(state, at, self._on_level(state, command), ramp=False, announce=True)

    def _bright(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        target = min(255, round(self.level_at(state, at)) + STEP_RAW)
        return self._go(state, at, target, ramp=False, announce=False)

    def _dim(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        target = max(0, round(self.level_at(state, at)) - STEP_RAW)
        return self._go(state, at, target, ramp=False, announce=False)


# -- thermostat --------------------------------------------------------------------------------

_THERMOSTAT_MODES = {
    "all_off": ("off", False),
    "heat": ("heat", False),
    "cool": ("cool", False),
    "auto": ("auto", False),
    "prog_heat": ("heat", True),
    "prog_cool": ("cool", True),
    "prog_auto": ("auto", True),
}


class Thermostat(_Model):
    """Insteon Thermostat 2441TH (category 0x05) running a forced-air furnace and air
    conditioner for the house, whose air is one zone of `core.physics.house` (chosen: a
    450 m³ house, UA 220 W/K, 16x air mass; furnace/AC of the default `AirHandler`).

    Set points in whole °F (40-95; the cool set point is kept 2 °F above the heat one, moving
    the other when one is set). The displayed temperature is whole °F (with 0.25 °F of
    hysteresis); `temp` is reported when it changes, `heating`/`cooling`/`off` when the
    equipment starts or stops. Options: `mode` (off/heat/cool/auto, default auto),
    `heatSetpoint` (68), `coolSetpoint` (76), `start_f` (the room's temperature at the start,
    default the heat set point).
    """

    kind = "thermostat"
    profile = "thermostat"
    description = "Insteon Thermostat (2441TH)"

    def __init__(self) -> None:
        super().__init__()
        for name in _THERMOSTAT_MODES:
            self.commands[name] = self._mode
        self.commands.update(
            fan_on=self._fan,
            fan_auto=self._fan,
            set_heat_to=self._set_to,
            set_cool_to=self._set_to,
            temp_up=self._nudge,
            temp_down=self._nudge,
        )

    def _initial(self, state: Json, options: Json, seed: int, at: float) -> None:
        heat = round(float(options.get("heatSetpoint", 68)))
        start_c = f_to_c(float(options.get("start_f", heat)))
        state.update(
            mode=str(options.get("mode", "auto")),
            program=False,
            fan="auto",
            heat=heat,
            cool=max(round(float(options.get("coolSetpoint", 76))), heat + SETPOINT_GAP),
            air_c=start_c,
            air_w=humidity_ratio(start_c, 0.4),
            activity="idle",
            since=at - MIN_CYCLE_SECONDS,
            occupied=True,
        )
        state["shown"] = self._shown(state)

    @staticmethod
    def _shown(state: Json) -> int:
        """The displayed whole °F: it moves when the room is 0.75 °F away from it (chosen: no
        flicker at x.5)."""
        temp = c_to_f(state["air_c"])
        shown = state.get("shown")
        if shown is not None and abs(temp - shown) < DISPLAY_HYSTERESIS_F:
            return int(shown)
        return round(temp)

    def _status(self, state: Json, at: float) -> Json:
        rh = ZoneAir(state["air_c"], state["air_w"]).humidity
        return {
            "mode": state["mode"],
            "fan": state["fan"],
            "temp": state["shown"],
            "humidity": round(rh * 100),
            "heatSetpoint": state["heat"],
            "coolSetpoint": state["cool"],
            "activity": state["activity"],
            "program": state["program"],
        }

    def _targets(self, state: Json) -> tuple[float, float]:
        setback = SETBACK_F if state["program"] and not state["occupied"] else 0.0
        return state["heat"] - setback, state["cool"] + setback

    def _wanted(self, state: Json) -> str:
        """What the equipment should do now, with the start/stop offsets (the deadband)."""
        temp = c_to_f(state["air_c"])
        heat, cool = self._targets(state)
        mode, activity = state["mode"], state["activity"]
        heats, cools = mode in ("heat", "auto"), mode in ("cool", "auto")
        if activity == "heating" and heats:
            return "heating" if temp < heat + STOP_OFFSET_F else "idle"
        if activity == "cooling" and cools:
            return "cooling" if temp > cool - STOP_OFFSET_F else "idle"
        if heats and temp <= heat - START_OFFSET_F:
            return "heating"
        if cools and temp >= cool + START_OFFSET_F:
            return "cooling"
        return "idle"

    def _switch(self, state: Json, activity: str, at: float) -> tuple[str, ...]:
        if activity == state["activity"]:
            return ()
        state["activity"], state["since"] = activity, at
        return ("off",) if activity == "idle" else (activity,)

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        running = state["activity"]
        air = ZoneAir(state["air_c"], state["air_w"])
        if running == "idle":
            step_zone(air, HOUSE_ENVELOPE, _weather(env), MINUTE)
        else:
            mode = "heat" if running == "heating" else "cool"
            supply = FURNACE.supply_c(mode)
            step_zone(air, HOUSE_ENVELOPE, _weather(env), MINUTE, FURNACE.fan_m3_s, supply)
        state["air_c"], state["air_w"], state["occupied"] = (
            air.temperature_c,
            air.humidity_ratio,
            env.occupied,
        )
        events: tuple[str, ...] = ()
        if env.at - state["since"] >= MIN_CYCLE_SECONDS:
            events = self._switch(state, self._wanted(state), env.at)
        shown = self._shown(state)
        values: dict[str, float] = {}
        if shown != state["shown"]:
            state["shown"] = shown
            events += ("temp",)
            values["temp"] = shown
        return [self._report(state, env.at, "auto", events, values)] if events else []

    def _after_change(self, state: Json, at: float) -> list[Report]:
        """A command's report; equipment the new settings forbid stops at once."""
        events: tuple[str, ...] = ()
        wanted = self._wanted(state)
        if state["activity"] != "idle" and wanted == "idle":
            events = self._switch(state, "idle", at)
        return [self._report(state, at, "api", events)]

    def _mode(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        state["mode"], state["program"] = _THERMOSTAT_MODES[command["name"]]
        return self._after_change(state, at)

    def _fan(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        state["fan"] = "on" if command["name"] == "fan_on" else "auto"
        return [self._report(state, at, "api")]

    def _set(self, state: Json, which: str, value: float) -> None:
        low, high = SETPOINT_RANGE_F
        if not low <= value <= high:
            raise CommandRejected(f"a set point must be between {low:g} and {high:g} °F")
        state[which] = round(value)
        if which == "heat":
            state["cool"] = max(state["cool"], state["heat"] + SETPOINT_GAP)
        else:
            state["heat"] = min(state["heat"], state["cool"] - SETPOINT_GAP)

    def _set_to(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        if "temp" not in command:
            raise CommandRejected(f"the command '{command['name']}' needs a 'temp' (°F)")
        value = _number(command["temp"], "temp", -1000, 1000)
        self._set(state, "heat" if command["name"] == "set_heat_to" else "cool", value)
        return self._after_change(state, at)

    def _nudge(self, state: Json, command: Json, at: float, seed: int) -> list[Report]:
        """temp_up/temp_down (optional `temp`, default 1 °F) move the set point of the mode:
        chosen: both set points in auto and off."""
        step = _number(command.get("temp", 1), "temp", 1, 10)
        step = step if command["name"] == "temp_up" else -step
        mode = state["mode"]
        order = ("cool", "heat") if step > 0 else ("heat", "cool")  # keep the gap on the way
        for which in order:
            if mode in ("auto", "off") or mode == which:
                self._set(state, which, state[which] + step)
        return self._after_change(state, at)


# -- sensors -----------------------------------------------------------------------------------


class _Sensor(_Model):
    """A sensor: it answers `get_status` only and reports what it senses."""

    def _initial(self, state: Json, options: Json, seed: int, at: float) -> None:
        state["options"] = options
        self._start(state, options, seed, at)

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        raise NotImplementedError


class Motion(_Sensor):
    """Motion Sensor 2842-222: `motion` at a seeded second of an occupied minute (chance
    MOTION_PER_MINUTE, option `rate`), `clear` 30 s to 4 min after the last motion."""

    kind = "motion"
    profile = "motion"
    description = "Motion Sensor (2842-222)"

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        state.update(motion=False, clear_at=None)

    def _status(self, state: Json, at: float) -> Json:
        return {"motion": state["motion"]}

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        minute = int(env.at // MINUTE)
        rate = float(state["options"].get("rate", MOTION_PER_MINUTE))
        seen: float | None = None
        if env.occupied and _chance(seed, state, _MOTION, minute, rate):
            seen = env.at - MINUTE + _between(seed, state, _MOTION_AT, minute, 0.0, 59.0)
        reports: list[Report] = []
        if seen is not None:
            if state["motion"] and state["clear_at"] <= seen:
                reports += self._clear(state)
            hold = _between(seed, state, _CLEAR, minute, 30.0, 240.0)
            if not state["motion"]:
                state["motion"] = True
                reports.append(self._report(state, seen, "auto", ("motion",)))
            state["clear_at"] = seen + hold
        if state["motion"] and state["clear_at"] <= env.at:
            reports += self._clear(state)
        return reports

    def _clear(self, state: Json) -> list[Report]:
        at, state["motion"], state["clear_at"] = state["clear_at"], False, None
        return [self._report(state, at, "auto", ("clear",))]


class Door(_Sensor):
    """Open/Close Sensor 2845-222 (or a Sensor Hub contact): opened a few times a day while
    the house is occupied (chance DOOR_PER_MINUTE, option `rate`) and as people leave or come
    home (occupancy changing between 7:00 and 21:00 local; getting up and going to bed open
    nothing); open for 5 s to 3 min (log-uniform)."""

    kind = "door"
    profile = "door"
    description = "Open/Close Sensor (2845-222)"
    hub_description = "Contact Sensor"

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        state.update(open=False, close_at=None, occupied=None)

    def _status(self, state: Json, at: float) -> Json:
        return {"open": state["open"]}

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        minute = int(env.at // MINUTE)
        reports: list[Report] = []
        if state["open"] and state["close_at"] <= env.at:
            reports.append(self._close(state))
        rate = float(state["options"].get("rate", DOOR_PER_MINUTE))
        moving = (
            state["occupied"] is not None
            and state["occupied"] != env.occupied
            and DOOR_DAY[0] <= env.local_minute < DOOR_DAY[1]
        )
        state["occupied"] = env.occupied
        if not state["open"] and (
            moving or (env.occupied and _chance(seed, state, _DOOR, minute, rate))
        ):
            opened = env.at - MINUTE + _between(seed, state, _DOOR_AT, minute, 0.0, 59.0)
            if reports and reports[-1].at > opened:
                opened = reports[-1].at
            state["open"] = True
            state["close_at"] = opened + 5.0 * 36.0 ** (
                (_noise(seed, state, _OPEN_FOR, minute) + 1) / 2
            )
            reports.append(self._report(state, opened, "auto", ("opened",)))
            if state["close_at"] <= env.at:
                reports.append(self._close(state))
        return reports

    def _close(self, state: Json) -> Report:
        at, state["open"], state["close_at"] = state["close_at"], False, None
        return self._report(state, at, "auto", ("closed",))


class Leak(_Sensor):
    """Leak Sensor 2852-222 (or a Sensor Hub leak sensor): a rare leak (LEAKS_PER_YEAR,
    option `per_year`; option `leak_at` forces one at that epoch second) that dries after
    1 to 8 hours, and a heartbeat report (reason "heartbeat") every 24 h after joining."""

    kind = "leak"
    profile = "leak"
    description = "Leak Sensor (2852-222)"
    hub_description = "Leak Sensor"

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        state.update(wet=False, dry_at=None, heartbeat=at + HEARTBEAT_SECONDS)

    def _status(self, state: Json, at: float) -> Json:
        return {"wet": state["wet"]}

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        minute = int(env.at // MINUTE)
        start = env.at - MINUTE
        per_minute = float(state["options"].get("per_year", LEAKS_PER_YEAR)) / 525_960.0
        forced = state["options"].get("leak_at")
        leak_at: float | None = None
        if forced is not None and start < float(forced) <= env.at:
            leak_at = float(forced)
        elif _chance(seed, state, _LEAK, minute, per_minute):
            leak_at = start + _between(seed, state, _LEAK_AT, minute, 0.0, 59.0)
        reports: list[Report] = []
        if leak_at is not None and not state["wet"]:
            state["wet"] = True
            state["dry_at"] = leak_at + _between(seed, state, _DRY, minute, 3600.0, 8 * 3600.0)
            reports.append(self._report(state, leak_at, "auto", ("wet",)))
        if state["wet"] and state["dry_at"] <= env.at:
            at, state["wet"], state["dry_at"] = state["dry_at"], False, None
            reports.append(self._report(state, at, "auto", ("dry",)))
        if state["heartbeat"] <= env.at:
            reports.append(self._report(state, state["heartbeat"], "heartbeat"))
            state["heartbeat"] += HEARTBEAT_SECONDS
            reports.sort(key=lambda report: report.at)
        return reports


class Temperature(_Sensor):
    """Sensor Hub DS18B20 temperature sensor, indoors (option `indoor`, default true: around
    option `base_f`, default 69 °F, with a daily swing and the heating's wander) or outdoors
    (the weather's temperature). Readings in 0.1 °F, sampled each minute; reported when they
    moved 0.5 °F from the last report, or 0.1 °F after 15 minutes (chosen)."""

    kind = "temperature"
    profile = "temperature"
    description = "Temperature Sensor (DS18B20)"
    hub_description = "Temperature Sensor (DS18B20)"

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        state.update(temp=None, humidity=None, reported_at=at)

    def _ready(self, state: Json) -> bool:
        return state["temp"] is not None

    def _status(self, state: Json, at: float) -> Json:
        return {"temp": state["temp"]}

    def _sample(self, state: Json, env: Environment, seed: int) -> tuple[float, int]:
        minute = int(env.at // MINUTE)
        options = state["options"]
        channel = int(state["channel"]) * 32
        if options.get("indoor", True):
            hour = env.local_minute / 60.0
            temp = (
                float(options.get("base_f", 69.0))
                + 1.2 * math.cos(2 * math.pi * (hour - 17.0) / 24.0)
                + 0.8 * smooth(seed, channel + _TEMP, env.at, 2400.0)
            )
            humidity = 42.0 + 6.0 * smooth(seed, channel + _HUMIDITY, env.at, 6 * 3600.0)
        else:
            temp = c_to_f(env.outdoor_c)
            humidity = env.outdoor_humidity * 100.0
        temp += 0.1 * _noise(seed, state, _TEMP, minute)
        return round(temp, 1), round(humidity)

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        temp, humidity = self._sample(state, env, seed)
        last = state["temp"]
        moved = last is None or abs(temp - last) >= TEMP_REPORT_F - 1e-9
        idle = last != temp and env.at - state["reported_at"] >= TEMP_IDLE_SECONDS
        damp = (
            state["humidity"] is not None and abs(humidity - state["humidity"]) >= HUMIDITY_REPORT
        )
        if not (moved or idle or (self.kind == "temp_humidity" and damp)):
            return []
        events: tuple[str, ...] = ()
        values: dict[str, float] = {}
        if temp != last:
            events, values = ("temp",), {"temp": temp}
        state["temp"], state["humidity"], state["reported_at"] = temp, humidity, env.at
        return [self._report(state, env.at, "auto", events, values)]


class TempHumidity(Temperature):
    """Temperature & humidity sensor: as `Temperature`, plus relative humidity in percent
    (also reported on a change of 2 %; only temperature changes raise `temp`)."""

    kind = "temp_humidity"
    description = "Temperature & Humidity Sensor"
    hub_description = "Temperature & Humidity Sensor"

    def _status(self, state: Json, at: float) -> Json:
        return {"temp": state["temp"], "humidity": state["humidity"]}


class Flow(_Sensor):
    """Sensor Hub flow meter (TUF-2000M ultrasonic as a pulse meter), on the house's water
    main: taps (10 s-2 min at 3-8 L/min) and showers (5-15 min at 7-9.5 L/min) while the house
    is occupied. Reported when water starts (`turnOn`, `flow`) and stops (`turnOff`, `flow`
    at 0), with the flow in L/min (chosen: the instantaneous rate, no reports mid-draw)."""

    kind = "flow"
    profile = "flow"
    description = "Flow Sensor (TUF-2000M)"
    hub_description = "Flow Sensor (TUF-2000M)"

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        state.update(flow=0.0, stop_at=None)

    def _status(self, state: Json, at: float) -> Json:
        return {"flow": state["flow"]}

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        minute = int(env.at // MINUTE)
        reports: list[Report] = []
        if state["stop_at"] is not None and state["stop_at"] <= env.at:
            reports.append(self._stop(state))
        if state["stop_at"] is None and env.occupied:
            shower = _chance(seed, state, _SHOWER, minute, SHOWER_PER_MINUTE)
            if shower or _chance(seed, state, _TAP, minute, TAP_PER_MINUTE):
                low, high, rate_low, rate_high = (
                    (300.0, 900.0, 7.0, 9.5) if shower else (10.0, 120.0, 3.0, 8.0)
                )
                start = env.at - MINUTE + _between(seed, state, _FLOW_AT, minute, 0.0, 59.0)
                if reports:
                    start = max(start, reports[-1].at)
                rate = _between(seed, state, _FLOW_RATE, minute, rate_low, rate_high)
                state["flow"] = round(rate, 1)
                stop_at = start + _between(seed, state, _FLOW_LEN, minute, low, high)
                state["stop_at"] = stop_at
                values = {"flow": state["flow"]}
                reports.append(self._report(state, start, "auto", ("flow", "turnOn"), values))
                if stop_at <= env.at:
                    reports.append(self._stop(state))
        return reports

    def _stop(self, state: Json) -> Report:
        at, state["flow"], state["stop_at"] = state["stop_at"], 0.0, None
        return self._report(state, at, "auto", ("flow", "turnOff"), {"flow": 0.0})


class Current(_Sensor):
    """Current/power sensor on a refrigerator: its compressor runs 12-25 min at 1.1-1.5 A,
    then rests 25-45 min at 0 A (chosen). Reported at each start (`turnOn`, `current`) and
    stop (`turnOff`, `current`), in A."""

    kind = "current"
    profile = "current"
    description = "Current Sensor"
    hub_description = "Current Sensor"

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        state.update(current=0.0, cycle=0, change_at=at + 600.0)

    def _status(self, state: Json, at: float) -> Json:
        return {"current": state["current"]}

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        reports: list[Report] = []
        while state["change_at"] <= env.at:
            at, cycle = state["change_at"], state["cycle"]
            running = state["current"] == 0.0
            if running:
                amps = round(_between(seed, state, _AMPS, cycle, 1.1, 1.5), 2)
                rest = _between(seed, state, _CYCLE, cycle, 720.0, 1500.0)
            else:
                amps, rest = 0.0, _between(seed, state, _CYCLE, cycle, 1500.0, 2700.0)
            state.update(current=amps, cycle=cycle + 1, change_at=at + rest)
            events = ("current", "turnOn" if running else "turnOff")
            reports.append(self._report(state, at, "auto", events, {"current": amps}))
        return reports


class Photocell(_Sensor):
    """Light sensor (CdS photocell) facing the sky: resistance R = 10 kΩ·(lux/10)^-0.7,
    1 MΩ at most (dark), with 3 % noise; reported when it moved 10 % (`resistance`), with
    `dark`/`light` when it crosses info `lightThreshold` (ohms, default 20 kΩ, about 4 lux:
    chosen) upward/downward."""

    kind = "photocell"
    profile = "photocell"
    description = "Light Sensor (photocell)"
    hub_description = "Light Sensor (photocell)"

    def _start(self, state: Json, options: Json, seed: int, at: float) -> None:
        state["info"]["lightThreshold"] = int(
            options.get("lightThreshold", PHOTOCELL_THRESHOLD_OHM)
        )
        state.update(resistance=None, dark=None)

    def _settings(self, state: Json, info: Json) -> Json:
        if "lightThreshold" not in info:
            return {}
        threshold = _number(info["lightThreshold"], "lightThreshold", 1, PHOTOCELL_DARK_OHM)
        return {"lightThreshold": round(threshold)}

    def _ready(self, state: Json) -> bool:
        return state["resistance"] is not None

    def _status(self, state: Json, at: float) -> Json:
        return {"resistance": state["resistance"], "dark": state["dark"]}

    def _step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        minute = int(env.at // MINUTE)
        lux = max(env.light_lux, 0.01)
        ohms = 10_000.0 * (lux / 10.0) ** -0.7 * (1.0 + 0.03 * _noise(seed, state, _LUX, minute))
        ohms = round(min(ohms, PHOTOCELL_DARK_OHM))
        dark = ohms > state["info"]["lightThreshold"]
        last = state["resistance"]
        crossed = state["dark"] is not None and dark != state["dark"]
        moved = last is None or max(ohms, last) / max(min(ohms, last), 1) >= PHOTOCELL_REPORT_RATIO
        if not (crossed or moved):
            return []
        events: tuple[str, ...] = ("resistance",)
        if crossed:
            events += ("dark",) if dark else ("light",)
        state["resistance"], state["dark"] = ohms, dark
        return [self._report(state, env.at, "auto", events, {"resistance": ohms})]


def _registry() -> dict[str, DeviceModel]:
    models: list[DeviceModel] = [
        Switch(),
        Outlet(),
        Dimmer(),
        Thermostat(),
        Motion(),
        Door(),
        Leak(),
        Temperature(),
        TempHumidity(),
        Flow(),
        Current(),
        Photocell(),
    ]
    return {model.kind: model for model in models}


MODELS: dict[str, DeviceModel] = _registry()
