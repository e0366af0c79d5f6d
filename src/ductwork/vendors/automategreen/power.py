"""The Automate Green Power Controller twin: a relay in front of a load (by default a 4.5 kW
electric water heater), its meters, the mains frequency with Fast Frequency Response (FFR),
timers, power limits, capacity set points, schedules and the link to the cloud.

Everything is pure and seeded: the state is a JSON dict, every instant is seconds since the
epoch on the account's clock, noise comes from `ductwork.core.noise` keyed by the house seed
(the grid: frequency and its dips are the same for every controller of a house) and a channel
made from the device id (its voltage, water draws, boot and back-off delays).

Units: current A, voltage V, power reported as energy per update period (Wh, as the vendor's
`power`), instantaneous load W internally, enclosure temperature °F, frequency Hz, flow L/min,
tank water °C internally, durations and delays s, `periods` mains cycles, capacity in the
user's own units (`gainPerWattHour` per Wh, `lossPerLiter` per L, `lossPerIdleMinute` per min).

Spec (`initial`'s `spec`): `id` (the device id, put on every Report), `address`, `sn`,
`country` ("US": 240 V / 60 Hz, else 230 V / 50 Hz), each read from the spec or its
`options`; options: `new` (True: added through `POST /devices`, starts Initializing and boots
120-300 s later, seeded; otherwise Active from the start), `load` (`{"kind": "water_heater",
"watts": 4500, "tankLiters": 190, "setpointC": 52}` or `{"kind": "constant", "watts": W}`),
`dips` (forced frequency dips, see `force_dip`).

Reports (`Report.type`): `update` (reason `auto` every samplePeriod, `api` on refresh),
`relay` (reboot, timer, ffr, ffrr, api, power_limit, max_capacity, min_capacity; events
turnOn/turnOff on a change), `trigger` (reason `ffr`), `function` (the answer to a command or
setting: `{"update": <as sent>, "responseCodes": [...]}`). Update statuses raise `current`
and `temp` with their values when the reading differs from the previous update's.

Chosen where the documents are silent:
- the relay boots on (a new controller powers its load); a reset keeps the relay as it was
  (latching relay), cancels timers and a running power limit; schedules and settings stay;
- auto updates keep their own cadence (every samplePeriod from boot, `duration` always the
  period); a refresh (`api`) averages since the last update of either kind and does not move
  the cadence; changing samplePeriod restarts the cadence at that instant;
- a refresh answers codes [100, 101] with a function status (reason `status`, update `{}`)
  followed by the `api` update status;
- one timer (toggleAt) at a time: a new timed command replaces it and an immediate on/off
  cancels it; on/off with `delay` answer 102/103; on_for/off_for need `delay` > 0, on_at/off_at
  a `time` in the future, else -992; limit_power needs `power` > 0 and `time` > 0, else -986;
- scheduled commands and timers switch the relay with reason `timer`; a power limit ending
  switches back on with reason `power_limit` (only when the limit had switched it off);
- a value of the wrong type (a number field that is neither a number nor a numeric string,
  a boolean field that is not a boolean or "true"/"false", a body part that is not an
  object/array) raises CommandRejected (400); values of the right type out of range get the
  device's negative codes;
- FFR: `periods` 1..600 cycles (-996 / -995), `delay`/`maxBackOff` >= 0 (-994),
  tripThreshold within [nominal-1, nominal-0.05] Hz and returnThreshold within
  [tripThreshold, nominal] Hz, else -993 (no closer code exists); FFR trips only a load that
  is on, once the frequency stayed below tripThreshold for `periods` consecutive cycles; once
  it is back at or above returnThreshold the relay returns after a seeded delay in
  [0, maxBackOff] s; a relay command cancels a pending return, and so does disabling FFR;
- samplePeriod: a whole number of seconds in 60..86400, else -985;
- flowmeter types none / EUF4315K / TUF2000M (case-insensitive, else -999); pipeType one of
  PIPE_TYPES (-991); pipeOuterDiameter 10..6000 mm (-990); pipeWallThickness > 0 and below
  half the diameter (-989);
- capacity: minCapacity < 0 or a negative loss/gain rate -988, maxCapacity < 0 -987,
  maxCapacity == 0 when enabled -998, minCapacity >= maxCapacity when enabled -997; the running
  capacity starts at minCapacity when enabled, gains per Wh drawn, loses per litre (only with a
  flowmeter) and per minute without load; it switches off at max (`max_capacity`) and back on
  at min (`min_capacity`, only if it had switched off);
- powerLimit setting: `{"power": Wh, "time": s}` (or `"endsAt"`) sets a limit without
  switching the load (115); `0`, `false`, null or `{"enabled": false}` disables it (122);
- schedules: codes [117] per schedule, [119] for an empty array; a non-repeating schedule in
  the past never fires, a repeating one fires at its next occurrence;
- several settings in one body: every code in order; if any is negative nothing is applied,
  the answer holds only the negative codes and only the failing settings get function
  statuses; flowmeter, capacity and powerLimit function statuses use reason `command`;
- offline (or booting): the device keeps running (timers, schedules, FFR, metering) but
  nothing it sends reaches the cloud; due auto updates are lost (their period still restarts);
  kept (persistent async) settings are applied in order, then the latest kept command, then a
  kept refresh, when the link is back (or at the end of a boot);
- `step` covers the minute (env.at - 60, env.at]: something due exactly at env.at belongs to
  it; events that fall due before the instant the model was last stepped to (a command applied
  after its minute was simulated) are reported at their due time, applied from that instant;
- a timed command that does not switch now (on/off with delay, on_at/off_at, on_for/off_for
  with the relay already there) and an immediate on/off that cancels a timer send a `relay`
  status (reason `api`, no event) carrying the new toggleAt; `status()` shows `on`/`toggleAt`
  of the latest relay status over the last update's readings, `toggleIn` counted at `at`;
- a booting controller fires no schedule: after boot each resumes at its next occurrence;
- the grid: about three dips a week (seeded per hour, the same for the whole house), 2-60 s
  at 0.31-0.51 Hz below nominal, falling in 1 s and recovering over 10 s; otherwise nominal
  ±0.02 Hz; FFR samples every mains cycle only during a dip, and every 0.1 s while a return
  waits for the frequency; ordinary minutes sample nothing;
- the enclosure is in a garage/basement: room °C = 16 + 0.35·(outdoor − 16); enclosure °F =
  room °F + 6 + 0.3 per A of load; hot-water draws (2-10 L/min for 1-10 min) start on minute
  boundaries, seeded, most often 6-9 h and 18-22 h when someone is home;
- the water heater: 190 L tank at 52 °C set point, 6 °C thermostat band, 12 °C inlet, 2.5 W/K
  standby loss; its element draws only while its thermostat calls and the relay is on.
"""

from __future__ import annotations

import copy
import hashlib
import math
from typing import Any

from ductwork.core.noise import smooth, unit
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

KIND = "power_controller"
TYPE = {"id": "power-controller-v10", "profile": "power-controller", "desc": "Power Controller"}
FIRMWARE = 80

DEFAULT_SAMPLE_PERIOD = 900
SAMPLE_PERIOD_RANGE = (60, 86_400)
MAX_SCHEDULES = 39
SCHEDULE_NAMES = ("on", "off", "limit_power")
FFR_PERIODS_RANGE = (1, 600)
FLOWMETER_CODES = {"none": 110, "EUF4315K": 111, "TUF2000M": 112}
PIPE_TYPES = (
    "copper",
    "pvc",
    "cpvc",
    "pex",
    "steel",
    "stainless",
    "cast iron",
    "ductile iron",
    "aluminum",
    "fiberglass",
)
PIPE_DIAMETER_MM = (10.0, 6000.0)

BOOT_SECONDS_NEW = (120.0, 300.0)  # a new controller joins the cloud 2-5 min after it is added
BOOT_SECONDS_RESET = (20.0, 60.0)  # a reset controller is back after 20-60 s
DIPS_PER_HOUR = 3.0 / 168.0  # about three dips below 59.7 Hz a week
DIP_FALL_S = 1.0  # the frequency falls to the dip's low in 1 s
DIP_RAMP_S = 10.0  # and recovers over 10 s after the dip
RETURN_RESOLUTION_S = 0.1  # sampling while an FFR return waits for the frequency

# The water heater: tank, thermostat and losses (a 50 US gal tank).
INLET_C = 12.0
TANK_UA_W_PER_K = 2.5
WATER_J_PER_L_K = 4186.0
THERMOSTAT_BAND_C = 6.0

# Noise channels (offsets added to the device's channel, or to 0 for grid-wide noise).
_CH_FREQ, _CH_DIP, _CH_VOLT, _CH_DRAW, _CH_BOOT, _CH_BACKOFF, _CH_TANK = range(1, 8)

LIMIT_OFF = {"endsAt": 0, "power": 0.25, "used": 0.0, "tripped": False}


# --- small parsing helpers -------------------------------------------------------------------


def _number(value: Any, field: str) -> float | None:
    """A number from JSON or a form (numeric string); None when absent; CommandRejected when
    it is of the wrong type."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise CommandRejected(f"{field} must be a number")
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise CommandRejected(f"{field} must be a number") from None
    else:
        raise CommandRejected(f"{field} must be a number")
    if not math.isfinite(number):
        raise CommandRejected(f"{field} must be a finite number")
    return number


def _flag(value: Any, field: str) -> bool | None:
    """A boolean from JSON or a form ("true"/"false", "1"/"0"); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise CommandRejected(f"{field} must be true or false")


def _object(value: Any, field: str) -> Json:
    """A JSON object part of a body, or CommandRejected."""
    if not isinstance(value, dict):
        raise CommandRejected(f"{field} must be an object")
    return value


def _plain(number: float) -> int | float:
    """A whole number as an int (as a client sent it), else the float."""
    return int(number) if number.is_integer() else number


def _next_occurrence(entry: Json, at: float) -> float | None:
    """A schedule's first firing after `at`: `when`, or its next repetition, or never."""
    when, repeat = float(entry["when"]), float(entry["repeat"])
    if when > at:
        return when
    if repeat > 0:
        return when + (math.floor((at - when) / repeat) + 1) * repeat
    return None


def _channel(device_id: str) -> int:
    """A stable noise channel from a device id."""
    return int.from_bytes(hashlib.blake2b(device_id.encode(), digest_size=6).digest(), "big")


def _fraction(seed: int, channel: int, index: int) -> float:
    """A seeded uniform value in [0, 1)."""
    return (unit(seed, channel, index) + 1.0) / 2.0


# --- the grid: frequency and its dips --------------------------------------------------------


def force_dip(state: Json, at: float, duration: float, frequency: float) -> None:
    """Force a mains frequency dip (a test or control-plane hook): the frequency falls to
    `frequency` Hz over 1 s from `at`, stays there for `duration` s, then recovers over 10 s."""
    state["dips"].append({"at": float(at), "duration": float(duration), "frequency": frequency})


def _seeded_dip(state: Json, seed: int, hour: int) -> Json | None:
    """The dip of one hour, if the grid has one then (seeded, the same for the whole house)."""
    if _fraction(seed, _CH_DIP, hour) >= DIPS_PER_HOUR:
        return None
    nominal = float(state["nominal_hz"])
    duration = 2.0 + 58.0 * _fraction(seed, _CH_DIP + 100, hour)
    offset = (3600.0 - 80.0) * _fraction(seed, _CH_DIP + 200, hour)
    depth = 0.31 + 0.2 * _fraction(seed, _CH_DIP + 300, hour)
    return {"at": hour * 3600.0 + offset, "duration": duration, "frequency": nominal - depth}


def _dips(state: Json, seed: int, lo: float, hi: float) -> list[Json]:
    """The dips whose effect (fall, low, recovery) overlaps [lo, hi], by start."""
    found = [
        dip
        for dip in state["dips"]
        if dip["at"] <= hi and dip["at"] + dip["duration"] + DIP_RAMP_S >= lo
    ]
    for hour in range(math.floor(lo / 3600.0), math.floor(hi / 3600.0) + 1):
        dip = _seeded_dip(state, seed, hour)
        if dip is not None and dip["at"] <= hi and dip["at"] + dip["duration"] + DIP_RAMP_S >= lo:
            found.append(dip)
    return sorted(found, key=lambda d: float(d["at"]))


def _ordinary_hz(state: Json, seed: int, t: float) -> float:
    """The mains frequency outside dips: nominal with small deviations (±0.02 Hz)."""
    return float(state["nominal_hz"]) + 0.02 * smooth(seed, _CH_FREQ, t, 90.0)


def _frequency(state: Json, seed: int, t: float, dips: list[Json]) -> float:
    """The mains frequency (Hz) at `t`, given the dips near it."""
    ordinary = _ordinary_hz(state, seed, t)
    for dip in dips:
        start, low = float(dip["at"]), float(dip["frequency"])
        end = start + float(dip["duration"])
        if start <= t < start + DIP_FALL_S:
            return ordinary - (ordinary - low) * (t - start) / DIP_FALL_S
        if start + DIP_FALL_S <= t <= end:
            return low
        if end < t <= end + DIP_RAMP_S:
            return low + (ordinary - low) * (t - end) / DIP_RAMP_S
    return ordinary


# --- the load and the meters -----------------------------------------------------------------


def _voltage(state: Json, seed: int, t: float) -> float:
    """Mains voltage (V) at `t`: nominal with slow wander and a little fast noise."""
    channel = int(state["channel"])
    slow = smooth(seed, channel + _CH_VOLT, t, 1800.0)
    fast = smooth(seed, channel + _CH_VOLT + 50, t, 45.0)
    return float(state["nominal_v"]) * (1.0 + 0.012 * slow + 0.003 * fast)


def _watts(state: Json, volts: float) -> float:
    """What the load draws (W) at `volts` with the relay as it is (resistive load)."""
    if not state["on"]:
        return 0.0
    load = state["load"]
    if load["kind"] == "water_heater" and not state["element"]:
        return 0.0
    scale = volts / float(state["nominal_v"])
    return float(load["watts"]) * scale * scale


def _flow_lpm(state: Json) -> float:
    """The hot water drawn now (L/min)."""
    return float(state["draw"]["lpm"]) if state["draw"] else 0.0


def _metered_lpm(state: Json) -> float | None:
    """What the flowmeter measures (L/min), or None without a flowmeter."""
    if state["flowmeter"]["type"] == "none":
        return None
    return _flow_lpm(state)


def _enclosure_f(state: Json, amps: float) -> float:
    """The enclosure's temperature (°F): the room plus the electronics' and contacts' heat."""
    room_f = float(state["room_c"]) * 9.0 / 5.0 + 32.0
    return room_f + 6.0 + 0.3 * amps


def _instant(state: Json, seed: int, at: float) -> Json:
    """Instantaneous readings at `at` (for a report over a zero-length period)."""
    volts = _voltage(state, seed, at)
    amps = _watts(state, volts) / volts
    flow = _metered_lpm(state)
    return {
        "current": amps,
        "voltage": volts,
        "temperature": _enclosure_f(state, amps),
        "frequency": _frequency(state, seed, at, _dips(state, seed, at, at)),
        "flow": flow,
    }


def _new_acc(since: float) -> Json:
    """An empty averaging accumulator from `since`."""
    return {"since": since, "s": 0.0, "a": 0.0, "v": 0.0, "wh": 0.0, "f": 0.0, "hz": 0.0, "l": 0.0}


# --- the model -------------------------------------------------------------------------------


class PowerController:
    """The Power Controller (kind `power_controller`), a DeviceModel of devices.py."""

    kind = KIND

    # -- the protocol ------------------------------------------------------------------------

    def type_object(self, state: Json) -> Json:
        """The device's `type` as the API shows it."""
        return dict(TYPE)

    def initial(self, spec: Json, seed: int, at: float) -> Json:
        """A new controller's state from its spec (see the module docstring), from `at` on."""
        options: Json = dict(spec.get("options") or {})
        country = str(spec.get("country") or options.get("country") or "US").upper()
        us = country == "US"
        device_id = str(spec.get("id", ""))
        channel = _channel(device_id)
        load: Json = {"kind": "water_heater", "watts": 4500.0, "tankLiters": 190.0}
        load.update(options.get("load") or {})
        load.setdefault("setpointC", 52.0)
        new = bool(options.get("new", False))
        start = _fraction(seed, channel + _CH_TANK, 0)
        setpoint = float(load["setpointC"])
        state: Json = {
            "id": device_id,
            "address": spec.get("address") or options.get("address"),
            "sn": spec.get("sn") or options.get("sn"),
            "country": country,
            "channel": channel,
            "nominal_hz": 60.0 if us else 50.0,
            "nominal_v": float(options.get("voltage", 240.0 if us else 230.0)),
            "load": load,
            "tank_c": setpoint - THERMOSTAT_BAND_C * start,
            "element": start > 0.5,
            "room_c": 18.0,
            "draw": None,
            "t": float(at),
            "mode": INITIALIZING if new else ACTIVE,
            "booted": not new,
            "boot_at": None,
            "online": True,
            "on": True,
            "on_since": float(at),
            "timer": None,
            "limit": dict(LIMIT_OFF),
            "ffr": {
                "enabled": False,
                "tripThreshold": 59.7 if us else 49.7,
                "returnThreshold": 60.0 if us else 50.0,
                "periods": 10,
                "maxBackOff": 10,
            },
            "ffr_since": float(at),
            "ffr_run": None,
            "capacity": {
                "enabled": False,
                "lossPerLiter": 0,
                "lossPerIdleMinute": 0,
                "gainPerWattHour": 0,
                "maxCapacity": 0,
                "minCapacity": 0,
            },
            "cap_value": 0.0,
            "cap_off": False,
            "flowmeter": {
                "type": "none",
                "pipeOuterDiameter": 22.2,
                "pipeWallThickness": 1.1,
                "pipeType": "copper",
            },
            "samplePeriod": DEFAULT_SAMPLE_PERIOD,
            "schedule": [],
            "next_update": float(at) + DEFAULT_SAMPLE_PERIOD,
            "acc_auto": _new_acc(float(at)),
            "acc_api": _new_acc(float(at)),
            "last": None,
            "last_relay": None,
            "kept": {"command": None, "settings": [], "status": False},
            "dips": [dict(d) for d in options.get("dips", [])],
        }
        if new:
            low, high = BOOT_SECONDS_NEW
            state["boot_at"] = float(at) + round(
                low + (high - low) * _fraction(seed, channel + _CH_BOOT, math.floor(at))
            )
        else:
            state["last"] = self._update_info(state, state["acc_api"], at, seed)
        return state

    def step(self, state: Json, env: Environment, seed: int) -> list[Report]:
        """Advance through the minute ending at `env.at`; the reports sent, in time order."""
        t1 = float(env.at)
        t0 = t1 - 60.0
        t = max(float(state["t"]), t0)
        if t >= t1:
            return []
        state["room_c"] = 16.0 + 0.35 * (float(env.outdoor_c) - 16.0)
        self._draws(state, env, seed, t0)
        dips = _dips(state, seed, t0 - 1.0, t1)
        reports: list[Report] = []
        while True:
            volts = _voltage(state, seed, t)
            te, event, data = self._next_event(state, seed, t, t1, dips, volts)
            self._integrate(state, seed, t, max(t, te), dips, volts)
            t = max(t, te)
            if event == "end":
                break
            self._handle(state, seed, event, data, te, dips, reports)
        state["t"] = t1
        return reports

    def command(
        self, state: Json, command: Json, at: float, seed: int, asynchronous: bool = False
    ) -> Outcome:
        """Carry out a `command` object (codes in Outcome.codes; see the module docstring)."""
        command = _object(command, "command")
        self._check_command(command)
        if not self._connected(state):
            persist = _flag(command.get("persist"), "persist")
            if not asynchronous:
                raise DeviceOffline()
            if persist is not False:
                state["kept"]["command"] = copy.deepcopy(command)
            return Outcome(reports=(self._function(state, at, "command", command, [], False),))
        reports: list[Report] = []
        codes = self._do_command(state, command, at, seed, reports)
        return Outcome(reports=tuple(reports), codes=tuple(codes))

    def configure(
        self, state: Json, body: Json, at: float, seed: int, asynchronous: bool = False
    ) -> Outcome:
        """Apply a `PUT /devices/{id}` body's `info` settings and `schedule` all or nothing."""
        plan = self._plan(state, _object(body, "body"), at)
        if not self._connected(state):
            if not asynchronous:
                raise DeviceOffline()
            state["kept"]["settings"].append(copy.deepcopy(body))
            return Outcome(
                reports=tuple(
                    self._function(state, at, reason, update, [], False)
                    for reason, update, _codes, _apply in plan
                )
            )
        reports: list[Report] = []
        codes = self._apply_plan(state, plan, at, seed, reports)
        return Outcome(reports=tuple(reports), codes=tuple(codes))

    def refresh(self, state: Json, at: float, seed: int, asynchronous: bool = False) -> Outcome:
        """`POST /devices/{id}/status`: codes [100, 101] and an `api` update status now."""
        if not self._connected(state):
            if not asynchronous:
                raise DeviceOffline()
            state["kept"]["status"] = True
            return Outcome(reports=(self._function(state, at, "status", {}, [], False),))
        reports: list[Report] = []
        codes = self._do_refresh(state, at, seed, reports)
        return Outcome(reports=tuple(reports), codes=tuple(codes))

    def set_online(self, state: Json, online: bool, at: float, seed: int) -> list[Report]:
        """Cut or restore the controller's link; on return, kept work is carried out."""
        was = state["online"]
        state["online"] = bool(online)
        reports: list[Report] = []
        if online and not was and state["mode"] == ACTIVE:
            self._carry_out_kept(state, at, seed, reports)
        return reports

    def info(self, state: Json, at: float) -> Json:
        """The configuration: ffr, capacity, flowmeter, powerLimit (as the document shows
        them), plus samplePeriod (s) and schedule (the schedules as set) beside them."""
        limit = state["limit"]
        return {
            "ffr": dict(state["ffr"]),
            "capacity": dict(state["capacity"]),
            "flowmeter": dict(state["flowmeter"]),
            "powerLimit": {"endsAt": int(limit["endsAt"]), "power": limit["power"]},
            "samplePeriod": state["samplePeriod"],
            "schedule": [
                {k: v for k, v in entry.items() if k != "next"} for entry in state["schedule"]
            ],
        }

    def status(self, state: Json, at: float) -> tuple[str, Json]:
        """The state (Initializing, Active, Unavailable) and the last update status's info,
        with the relay (`on`, `toggleAt`, `toggleIn`) as last reported."""
        if not state["booted"]:
            return INITIALIZING, {}
        name = ACTIVE if self._connected(state) else UNAVAILABLE
        info = dict(state["last"] or {})
        info.update(state["last_relay"] or {})
        toggle_at = float(info.get("toggleAt", 0))
        info["toggleIn"] = max(0, math.ceil(toggle_at - at)) if toggle_at else 0
        return name, info

    # -- state and reports -------------------------------------------------------------------

    @staticmethod
    def _connected(state: Json) -> bool:
        """The controller runs and its link to the cloud is up."""
        return bool(state["online"]) and state["mode"] == ACTIVE

    @staticmethod
    def _toggle(state: Json, at: float) -> tuple[int, int]:
        """(toggleAt, toggleIn) of the pending timer (0, 0 without one)."""
        timer = state["timer"]
        if timer is None:
            return 0, 0
        return round(float(timer["at"])), max(0, math.ceil(float(timer["at"]) - at))

    def _emit(self, state: Json, reports: list[Report], report: Report) -> None:
        """Send a report the device made, if it reaches the cloud."""
        if self._connected(state):
            reports.append(report)

    def _function(
        self, state: Json, at: float, reason: str, update: Json, codes: list[int], active: bool
    ) -> Report:
        """A `function` status: what was sent and the device's codes."""
        return Report(
            device_id=state["id"],
            at=at,
            type="function",
            reason=reason,
            state=ACTIVE if active else UNAVAILABLE,
            info={"update": copy.deepcopy(update), "responseCodes": list(codes)},
        )

    def _relay_report(self, state: Json, at: float, reason: str, event: bool) -> Report:
        """A `relay` status of the relay as it is now."""
        toggle_at, _ = self._toggle(state, at)
        info = {"firmware": FIRMWARE, "on": bool(state["on"]), "toggleAt": toggle_at}
        state["last_relay"] = {"on": info["on"], "toggleAt": toggle_at}
        events = (("turnOn",) if state["on"] else ("turnOff",)) if event else ()
        return Report(state["id"], at, "relay", reason, ACTIVE, info, events)

    def _set_relay(
        self, state: Json, on: bool, at: float, reason: str, reports: list[Report]
    ) -> None:
        """Switch the relay; a `relay` status when it changed."""
        if bool(state["on"]) == on:
            return
        state["on"] = on
        if on:
            state["on_since"] = at
        self._emit(state, reports, self._relay_report(state, at, reason, True))

    def _update_info(self, state: Json, acc: Json, at: float, seed: int) -> Json:
        """The info of an update status averaging `acc` up to `at`."""
        seconds = float(acc["s"])
        if seconds > 0:
            amps, volts = acc["a"] / seconds, acc["v"] / seconds
            temp, hz = acc["f"] / seconds, acc["hz"] / seconds
            flow: float | None = acc["l"] / (seconds / 60.0)
            if state["flowmeter"]["type"] == "none":
                flow = None
        else:
            now = _instant(state, seed, at)
            amps, volts, temp, hz, flow = (
                now["current"],
                now["voltage"],
                now["temperature"],
                now["frequency"],
                now["flow"],
            )
        toggle_at, toggle_in = self._toggle(state, at)
        return {
            "firmware": FIRMWARE,
            "duration": round(at - float(acc["since"])),
            "current": round(amps, 2),
            "voltage": round(volts, 1),
            "power": round(float(acc["wh"]), 2),
            "temperature": round(temp, 1),
            "frequency": round(hz, 2),
            "flow": None
            if state["flowmeter"]["type"] == "none" or flow is None
            else round(flow, 2),
            "on": bool(state["on"]),
            "toggleIn": toggle_in,
            "toggleAt": toggle_at,
        }

    def _send_update(
        self, state: Json, acc_name: str, reason: str, at: float, seed: int, reports: list[Report]
    ) -> None:
        """Build, remember and send an update status from one accumulator."""
        info = self._update_info(state, state[acc_name], at, seed)
        state["acc_api"] = _new_acc(at)
        if acc_name == "acc_auto":
            state["acc_auto"] = _new_acc(at)
        if not self._connected(state):
            return
        last = state["last"] or {}
        events: list[str] = []
        values: dict[str, float] = {}
        if info["current"] != last.get("current"):
            events.append("current")
            values["current"] = info["current"]
        if info["temperature"] != last.get("temperature"):
            events.append("temp")
            values["temp"] = info["temperature"]
        state["last"] = info
        state["last_relay"] = {"on": info["on"], "toggleAt": info["toggleAt"]}
        reports.append(
            Report(state["id"], at, "update", reason, ACTIVE, info, tuple(events), values)
        )

    # -- stepping ----------------------------------------------------------------------------

    def _draws(self, state: Json, env: Environment, seed: int, t0: float) -> None:
        """Hot-water draws (showers, taps), seeded per minute, starting on minute boundaries."""
        draw = state["draw"]
        if draw is not None and float(draw["until"]) <= t0:
            state["draw"] = draw = None
        if draw is not None:
            return
        minute = math.floor(t0 / 60.0)
        hour = int(env.local_minute) // 60
        if not env.occupied:
            chance = 0.002
        elif 6 <= hour < 9 or 18 <= hour < 22:
            chance = 0.04
        else:
            chance = 0.01
        channel = int(state["channel"]) + _CH_DRAW
        if _fraction(seed, channel, minute) < chance:
            length = 1 + math.floor(9 * _fraction(seed, channel + 100, minute))
            lpm = 2.0 + 8.0 * _fraction(seed, channel + 200, minute)
            state["draw"] = {"until": t0 + 60.0 * length, "lpm": round(lpm, 2)}

    def _rates(self, state: Json, volts: float) -> tuple[float, float, float]:
        """(load W, tank °C/s, capacity units/s) at `volts` with the state as it is."""
        watts = _watts(state, volts)
        lps = _flow_lpm(state) / 60.0
        load = state["load"]
        tank_rate = 0.0
        if load["kind"] == "water_heater":
            litres = float(load["tankLiters"])
            tank = float(state["tank_c"])
            heat = watts - TANK_UA_W_PER_K * (tank - float(state["room_c"]))
            tank_rate = heat / (litres * WATER_J_PER_L_K) - lps * (tank - INLET_C) / litres
        cap = state["capacity"]
        cap_rate = 0.0
        if cap["enabled"]:
            cap_rate = float(cap["gainPerWattHour"]) * watts / 3600.0
            if state["flowmeter"]["type"] != "none":
                cap_rate -= float(cap["lossPerLiter"]) * lps
            if watts == 0.0:
                cap_rate -= float(cap["lossPerIdleMinute"]) / 60.0
        return watts, tank_rate, cap_rate

    def _next_event(
        self, state: Json, seed: int, t: float, t1: float, dips: list[Json], volts: float
    ) -> tuple[float, str, Any]:
        """The earliest thing due by t1 (ties: in the order below), else (t1, "end")."""
        best: list[Any] = [math.inf, "end", None]

        def consider(time: float | None, event: str, data: Any = None) -> None:
            if time is not None and time < best[0]:
                best[:] = [time, event, data]

        if state["mode"] != ACTIVE:
            consider(state["boot_at"], "boot")
        watts, tank_rate, cap_rate = self._rates(state, volts)
        if state["load"]["kind"] == "water_heater":
            setpoint = float(state["load"]["setpointC"])
            tank = float(state["tank_c"])
            if state["element"] and tank_rate > 0:
                consider(t + max(0.0, setpoint - tank) / tank_rate, "element")
            elif not state["element"] and tank_rate < 0:
                lower = setpoint - THERMOSTAT_BAND_C
                consider(t + max(0.0, tank - lower) / -tank_rate, "element")
        if state["mode"] == ACTIVE:
            if state["timer"] is not None:
                consider(float(state["timer"]["at"]), "timer")
            for index, entry in enumerate(state["schedule"]):
                consider(entry["next"], "schedule", index)
            limit = state["limit"]
            if limit["endsAt"]:
                consider(float(limit["endsAt"]), "limit_end")
                if not limit["tripped"] and watts > 0:
                    left = max(0.0, float(limit["power"]) - float(limit["used"]))
                    consider(t + left * 3600.0 / watts, "limit_trip")
            cap = state["capacity"]
            if cap["enabled"]:
                value = float(state["cap_value"])
                if state["on"] and cap_rate > 0:
                    gap = max(0.0, float(cap["maxCapacity"]) - value)
                    consider(t + gap / cap_rate, "cap_max")
                elif state["cap_off"] and cap_rate < 0:
                    gap = max(0.0, value - float(cap["minCapacity"]))
                    consider(t + gap / -cap_rate, "cap_min")
            consider(float(state["next_update"]), "update")
            self._consider_ffr(state, seed, t, min(best[0], t1), dips, consider)
        if best[0] > t1:
            return t1, "end", None
        return best[0], best[1], best[2]

    def _consider_ffr(
        self, state: Json, seed: int, t: float, until: float, dips: list[Json], consider: Any
    ) -> None:
        """FFR: the trip (below tripThreshold for `periods` cycles) or the return due."""
        ffr = state["ffr"]
        if not ffr["enabled"]:
            return
        run = state["ffr_run"]
        nominal = float(state["nominal_hz"])
        if run is None:
            if not state["on"]:
                return
            threshold = float(ffr["tripThreshold"])
            cycle = 1.0 / nominal
            for dip in dips:
                if float(dip["frequency"]) >= threshold:
                    continue
                start = max(float(dip["at"]), float(state["on_since"]), float(state["ffr_since"]))
                end = float(dip["at"]) + float(dip["duration"]) + DIP_RAMP_S
                k, count = math.ceil(start / cycle), 0
                while k * cycle <= min(end, until):
                    if _frequency(state, seed, k * cycle, dips) < threshold:
                        count += 1
                        if count >= int(ffr["periods"]):
                            consider(k * cycle, "ffr_trip", dip)
                            return
                    else:
                        count = 0
                    k += 1
            return
        if run["returnAt"] is None:
            threshold = float(ffr["returnThreshold"])
            near = run["dips"]
            start = max(float(run["trippedAt"]), t)
            k = math.ceil(start / RETURN_RESOLUTION_S)
            while k * RETURN_RESOLUTION_S <= until:
                sample = k * RETURN_RESOLUTION_S
                if _frequency(state, seed, sample, near) >= threshold:
                    index = math.floor(float(run["trippedAt"]))
                    spread = _fraction(seed, int(state["channel"]) + _CH_BACKOFF, index)
                    run["returnAt"] = sample + float(ffr["maxBackOff"]) * spread
                    break
                k += 1
        if run["returnAt"] is not None:
            consider(float(run["returnAt"]), "ffr_return")

    def _integrate(
        self, state: Json, seed: int, t: float, te: float, dips: list[Json], volts: float
    ) -> None:
        """Meter and move the physics over [t, te] with everything held as it is at `t`."""
        dt = te - t
        if dt <= 0:
            return
        watts, tank_rate, cap_rate = self._rates(state, volts)
        amps = watts / volts
        wh = watts * dt / 3600.0
        hz = _frequency(state, seed, t, dips)
        temp_f = _enclosure_f(state, amps)
        litres = _flow_lpm(state) * dt / 60.0
        for name in ("acc_auto", "acc_api"):
            acc = state[name]
            acc["s"] += dt
            acc["a"] += amps * dt
            acc["v"] += volts * dt
            acc["wh"] += wh
            acc["f"] += temp_f * dt
            acc["hz"] += hz * dt
            acc["l"] += litres
        if state["load"]["kind"] == "water_heater":
            state["tank_c"] = float(state["tank_c"]) + tank_rate * dt
        if state["limit"]["endsAt"]:
            state["limit"]["used"] = float(state["limit"]["used"]) + wh
        if state["capacity"]["enabled"]:
            state["cap_value"] = float(state["cap_value"]) + cap_rate * dt

    def _handle(
        self,
        state: Json,
        seed: int,
        event: str,
        data: Any,
        at: float,
        dips: list[Json],
        reports: list[Report],
    ) -> None:
        """Carry out one due event."""
        if event == "boot":
            self._boot(state, at, seed, reports)
        elif event == "element":
            state["element"] = not state["element"]
            setpoint = float(state["load"]["setpointC"])
            state["tank_c"] = setpoint if not state["element"] else setpoint - THERMOSTAT_BAND_C
        elif event == "timer":
            timer = state["timer"]
            state["timer"] = None
            self._cancel_ffr_return(state)
            if bool(state["on"]) != bool(timer["on"]):
                self._set_relay(state, bool(timer["on"]), at, "timer", reports)
            else:
                self._emit(state, reports, self._relay_report(state, at, "timer", False))
        elif event == "schedule":
            self._fire_schedule(state, int(data), at, reports)
        elif event == "limit_end":
            tripped = state["limit"]["tripped"]
            state["limit"] = {**LIMIT_OFF, "power": state["limit"]["power"]}
            if tripped:
                self._set_relay(state, True, at, "power_limit", reports)
        elif event == "limit_trip":
            state["limit"]["used"] = float(state["limit"]["power"])
            state["limit"]["tripped"] = True
            self._set_relay(state, False, at, "power_limit", reports)
        elif event == "cap_max":
            state["cap_value"] = float(state["capacity"]["maxCapacity"])
            state["cap_off"] = True
            self._set_relay(state, False, at, "max_capacity", reports)
        elif event == "cap_min":
            state["cap_value"] = float(state["capacity"]["minCapacity"])
            state["cap_off"] = False
            self._set_relay(state, True, at, "min_capacity", reports)
        elif event == "update":
            self._send_update(state, "acc_auto", "auto", at, seed, reports)
            state["next_update"] = at + float(state["samplePeriod"])
        elif event == "ffr_trip":
            hz = _frequency(state, seed, at, dips)
            state["ffr_run"] = {"trippedAt": at, "dips": [dict(data)], "returnAt": None}
            info = {"firmware": FIRMWARE, "frequency": round(hz, 3)}
            self._emit(state, reports, Report(state["id"], at, "trigger", "ffr", ACTIVE, info))
            self._set_relay(state, False, at, "ffr", reports)
        elif event == "ffr_return":
            state["ffr_run"] = None
            self._set_relay(state, True, at, "ffrr", reports)

    def _boot(self, state: Json, at: float, seed: int, reports: list[Report]) -> None:
        """The controller (re)joins the cloud: relay `reboot`, update `auto`, kept work."""
        first = not state["booted"]
        state["mode"] = ACTIVE
        state["booted"] = True
        state["boot_at"] = None
        state["acc_auto"] = _new_acc(at)
        state["acc_api"] = _new_acc(at)
        state["next_update"] = at + float(state["samplePeriod"])
        if state["on"]:
            state["on_since"] = at
        for entry in state["schedule"]:
            entry["next"] = _next_occurrence(entry, at)
        self._emit(state, reports, self._relay_report(state, at, "reboot", first))
        self._send_update(state, "acc_auto", "auto", at, seed, reports)
        if state["online"]:
            self._carry_out_kept(state, at, seed, reports)

    def _fire_schedule(self, state: Json, index: int, at: float, reports: list[Report]) -> None:
        """A scheduled command falls due: carry it out and move to its next repetition."""
        entry = state["schedule"][index]
        repeat = float(entry.get("repeat", 0))
        entry["next"] = float(entry["next"]) + repeat if repeat > 0 else None
        self._cancel_ffr_return(state)
        if entry["name"] == "limit_power":
            self._start_limit(state, float(entry["power"]), at + float(entry["time"]))
            self._set_relay(state, True, at, "timer", reports)
        else:
            self._set_relay(state, entry["name"] == "on", at, "timer", reports)

    def _cancel_ffr_return(self, state: Json) -> None:
        """Someone else took control of the relay: FFR no longer holds it off."""
        state["ffr_run"] = None

    @staticmethod
    def _start_limit(state: Json, power: float, ends_at: float) -> None:
        """Start a power limit of `power` Wh until `ends_at`."""
        state["limit"] = {"endsAt": ends_at, "power": _plain(power), "used": 0.0, "tripped": False}

    def _carry_out_kept(self, state: Json, at: float, seed: int, reports: list[Report]) -> None:
        """Carry out what was kept while the controller could not be reached."""
        kept = state["kept"]
        state["kept"] = {"command": None, "settings": [], "status": False}
        for body in kept["settings"]:
            plan = self._plan(state, body, at)
            self._apply_plan(state, plan, at, seed, reports)
        if kept["command"] is not None:
            self._do_command(state, kept["command"], at, seed, reports)
        if kept["status"]:
            self._do_refresh(state, at, seed, reports)

    # -- commands ----------------------------------------------------------------------------

    @staticmethod
    def _check_command(command: Json) -> None:
        """Reject (400) a command whose values are of the wrong type."""
        for field in ("delay", "time", "power"):
            _number(command.get(field), field)
        _flag(command.get("persist"), "persist")

    def _do_command(
        self, state: Json, command: Json, at: float, seed: int, reports: list[Report]
    ) -> list[int]:
        """Carry out a command on a connected controller; its codes."""
        name = command.get("name")
        delay = _number(command.get("delay"), "delay")
        time = _number(command.get("time"), "time")
        power = _number(command.get("power"), "power")
        function_at = len(reports)
        codes: list[int]
        relay_codes = {"on": 102, "off": 103, "on_for": 104, "off_for": 105}
        if name in ("on", "off"):
            target = name == "on"
            if delay is not None and delay < 0:
                codes = [-992]
            elif delay:
                codes = [relay_codes[name]]
                state["timer"] = {"at": at + delay, "on": target}
                self._emit(state, reports, self._relay_report(state, at, "api", False))
            else:
                codes = [relay_codes[name]]
                cancelled = state["timer"] is not None
                state["timer"] = None
                self._command_relay(state, target, at, reports, force_report=cancelled)
        elif name in ("on_for", "off_for"):
            if delay is None or delay <= 0:
                codes = [-992]
            else:
                codes = [relay_codes[name]]
                target = name == "on_for"
                state["timer"] = {"at": at + delay, "on": not target}
                self._command_relay(state, target, at, reports, force_report=True)
        elif name in ("on_at", "off_at"):
            if time is None or time <= at:
                codes = [-992]
            else:
                codes = [106 if name == "on_at" else 107]
                state["timer"] = {"at": time, "on": name == "on_at"}
                self._emit(state, reports, self._relay_report(state, at, "api", False))
        elif name == "limit_power":
            if power is None or power <= 0 or time is None or time <= 0:
                codes = [-986]
            else:
                codes = [115]
                self._start_limit(state, power, at + time)
                self._command_relay(state, True, at, reports)
        elif name == "reset":
            codes = [10]
            low, high = BOOT_SECONDS_RESET
            spread = _fraction(seed, int(state["channel"]) + _CH_BOOT, math.floor(at))
            state["boot_at"] = at + round(low + (high - low) * spread)
            state["timer"] = None
            state["limit"] = {**LIMIT_OFF, "power": state["limit"]["power"]}
            state["ffr_run"] = None
        else:
            codes = [-992]
        function = self._function(state, at, "command", command, codes, True)
        reports.insert(function_at, function)
        if name == "reset" and codes == [10]:
            state["mode"] = UNAVAILABLE
        return codes

    def _command_relay(
        self,
        state: Json,
        on: bool,
        at: float,
        reports: list[Report],
        force_report: bool = False,
    ) -> None:
        """The API switches the relay (an `api` relay status; FFR and capacity let go)."""
        self._cancel_ffr_return(state)
        state["cap_off"] = False
        if bool(state["on"]) != on:
            self._set_relay(state, on, at, "api", reports)
        elif force_report:
            self._emit(state, reports, self._relay_report(state, at, "api", False))

    def _do_refresh(self, state: Json, at: float, seed: int, reports: list[Report]) -> list[int]:
        """The controller refreshes its sensors and relay: codes [100, 101], an api update."""
        codes = [100, 101]
        reports.append(self._function(state, at, "status", {}, codes, True))
        self._send_update(state, "acc_api", "api", at, seed, reports)
        return codes

    # -- settings ----------------------------------------------------------------------------

    def _plan(self, state: Json, body: Json, at: float) -> list[tuple[str, Json, list[int], Any]]:
        """Check every setting of a body without changing anything: (function reason, what
        was sent, codes, how to apply it) per setting, in the body's order."""
        plan: list[tuple[str, Json, list[int], Any]] = []
        info = body.get("info")
        if info is not None:
            for key, value in _object(info, "info").items():
                if key == "ffr":
                    plan.append(("ffr", {"ffr": value}, *self._plan_ffr(state, value, at)))
                elif key == "samplePeriod":
                    plan.append(
                        ("samplePeriod", {key: value}, *self._plan_sample(state, value, at))
                    )
                elif key == "flowmeter":
                    plan.append(("command", {key: value}, *self._plan_flowmeter(state, value)))
                elif key == "capacity":
                    plan.append(("command", {key: value}, *self._plan_capacity(state, value)))
                elif key == "powerLimit":
                    plan.append(("command", {key: value}, *self._plan_limit(state, value, at)))
        if "schedule" in body:
            value = body["schedule"]
            plan.append(("schedule", {"schedule": value}, *self._plan_schedule(state, value, at)))
        return plan

    def _apply_plan(
        self,
        state: Json,
        plan: list[tuple[str, Json, list[int], Any]],
        at: float,
        seed: int,
        reports: list[Report],
    ) -> list[int]:
        """Apply a checked plan all or nothing; its codes (only the negative ones if any)."""
        failed = [step for step in plan if any(code < 0 for code in step[2])]
        chosen = failed or plan
        codes: list[int] = []
        for reason, update, step_codes, _apply in chosen:
            reports.append(self._function(state, at, reason, update, step_codes, True))
            codes.extend(code for code in step_codes if code < 0 or not failed)
        if not failed:
            for _reason, _update, _codes, apply in plan:
                if apply is not None:
                    apply()
        return codes

    def _plan_ffr(self, state: Json, value: Any, at: float) -> tuple[list[int], Any]:
        """Check an `ffr` setting (enable/enabled, thresholds, periods, delay/maxBackOff)."""
        ffr = _object(value, "ffr")
        new = dict(state["ffr"])
        enable = _flag(ffr.get("enable", ffr.get("enabled")), "enable")
        if enable is not None:
            new["enabled"] = enable
        for field in ("tripThreshold", "returnThreshold", "periods"):
            number = _number(ffr.get(field), field)
            if number is not None:
                new[field] = int(number) if field == "periods" and number.is_integer() else number
        backoff = _number(ffr.get("delay", ffr.get("maxBackOff")), "delay")
        if backoff is not None:
            new["maxBackOff"] = int(backoff) if backoff.is_integer() else backoff
        nominal = float(state["nominal_hz"])
        codes: list[int] = []
        if float(new["periods"]) < FFR_PERIODS_RANGE[0]:
            codes.append(-996)
        elif float(new["periods"]) > FFR_PERIODS_RANGE[1]:
            codes.append(-995)
        if float(new["maxBackOff"]) < 0:
            codes.append(-994)
        trip, ret = float(new["tripThreshold"]), float(new["returnThreshold"])
        if not (nominal - 1.0 <= trip <= nominal - 0.05 and trip <= ret <= nominal):
            codes.append(-993)
        if codes:
            return codes, None
        if new == state["ffr"]:
            return [1001], None

        def apply() -> None:
            state["ffr"] = new
            state["ffr_since"] = at
            if not new["enabled"]:
                state["ffr_run"] = None

        return [108 if new["enabled"] else 109], apply

    def _plan_sample(self, state: Json, value: Any, at: float) -> tuple[list[int], Any]:
        """Check a `samplePeriod` (whole seconds, 60..86400)."""
        number = _number(value, "samplePeriod")
        low, high = SAMPLE_PERIOD_RANGE
        if number is None or not number.is_integer() or not low <= number <= high:
            return [-985], None
        period = int(number)
        if period == state["samplePeriod"]:
            return [1002], None

        def apply() -> None:
            state["samplePeriod"] = period
            state["next_update"] = at + period
            state["acc_auto"] = _new_acc(at)

        return [120], apply

    def _plan_flowmeter(self, state: Json, value: Any) -> tuple[list[int], Any]:
        """Check a `flowmeter` setting (type, pipe type, outer diameter and wall in mm)."""
        meter = _object(value, "flowmeter")
        new = dict(state["flowmeter"])
        codes: list[int] = []
        if "type" in meter:
            names = {name.lower(): name for name in FLOWMETER_CODES}
            kind = names.get(str(meter["type"]).lower())
            if kind is None:
                codes.append(-999)
            else:
                new["type"] = kind
        if "pipeType" in meter:
            pipe = str(meter["pipeType"]).lower()
            if pipe not in PIPE_TYPES:
                codes.append(-991)
            else:
                new["pipeType"] = pipe
        for field in ("pipeOuterDiameter", "pipeWallThickness"):
            number = _number(meter.get(field), field)
            if number is not None:
                new[field] = number
        diameter, wall = float(new["pipeOuterDiameter"]), float(new["pipeWallThickness"])
        if not PIPE_DIAMETER_MM[0] <= diameter <= PIPE_DIAMETER_MM[1]:
            codes.append(-990)
        elif not 0 < wall < diameter / 2:
            codes.append(-989)
        if codes:
            return codes, None

        def apply() -> None:
            state["flowmeter"] = new

        return [FLOWMETER_CODES[new["type"]]], apply

    def _plan_capacity(self, state: Json, value: Any) -> tuple[list[int], Any]:
        """Check a `capacity` set point setting."""
        setting = _object(value, "capacity")
        new = dict(state["capacity"])
        enable = _flag(setting.get("enable", setting.get("enabled")), "enabled")
        if enable is not None:
            new["enabled"] = enable
        for field in (
            "lossPerLiter",
            "lossPerIdleMinute",
            "gainPerWattHour",
            "maxCapacity",
            "minCapacity",
        ):
            number = _number(setting.get(field), field)
            if number is not None:
                new[field] = number
        codes: list[int] = []
        low, high = float(new["minCapacity"]), float(new["maxCapacity"])
        rates = (new["lossPerLiter"], new["lossPerIdleMinute"], new["gainPerWattHour"])
        if low < 0 or any(float(rate) < 0 for rate in rates):
            codes.append(-988)
        if high < 0:
            codes.append(-987)
        if not codes and new["enabled"]:
            if high == 0:
                codes.append(-998)
            elif low >= high:
                codes.append(-997)
        if codes:
            return codes, None

        def apply() -> None:
            was = state["capacity"]["enabled"]
            state["capacity"] = new
            if new["enabled"] and not was:
                state["cap_value"] = low
            if not new["enabled"]:
                state["cap_off"] = False

        return [114 if new["enabled"] else 113], apply

    def _plan_limit(self, state: Json, value: Any, at: float) -> tuple[list[int], Any]:
        """Check a `powerLimit` setting ({power Wh, time s | endsAt}, or off)."""
        if value in (None, False, 0, "0", "false") or (
            isinstance(value, dict) and _flag(value.get("enabled"), "enabled") is False
        ):

            def disable() -> None:
                state["limit"] = {**LIMIT_OFF, "power": state["limit"]["power"]}

            return [122], disable
        setting = _object(value, "powerLimit")
        power = _number(setting.get("power"), "power")
        time = _number(setting.get("time"), "time")
        ends_at = _number(setting.get("endsAt"), "endsAt")
        if ends_at is None and time is not None:
            ends_at = at + time
        if power is None or power <= 0 or ends_at is None or ends_at <= at:
            return [-986], None

        def apply() -> None:
            self._start_limit(state, power, ends_at)

        return [115], apply

    def _plan_schedule(self, state: Json, value: Any, at: float) -> tuple[list[int], Any]:
        """Check a `schedule` array (replaces every schedule)."""
        if not isinstance(value, list):
            raise CommandRejected("schedule must be an array")
        entries: list[Json] = []
        if len(value) > MAX_SCHEDULES:
            return [-985], None
        for item in value:
            entry = _object(item, "schedule entry")
            when = _number(entry.get("when"), "when")
            repeat = _number(entry.get("repeat"), "repeat") or 0.0
            name = entry.get("name")
            if name not in SCHEDULE_NAMES or when is None or repeat < 0:
                return [-985], None
            stored: Json = {"name": name, "when": _plain(when), "repeat": _plain(repeat)}
            if name == "limit_power":
                power = _number(entry.get("power"), "power")
                time = _number(entry.get("time"), "time")
                if power is None or power <= 0 or time is None or time <= 0:
                    return [-985], None
                stored.update(power=_plain(power), time=_plain(time))
            stored["next"] = _next_occurrence(stored, at)
            entries.append(stored)

        def apply() -> None:
            state["schedule"] = entries

        return ([117] * len(entries) if entries else [119]), apply


MODELS: dict[str, DeviceModel] = {KIND: PowerController()}
