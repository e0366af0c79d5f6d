"""Settings written through the v1.0.2 API, acting on the twin from the next minute.

Every write first brings the device up to the account's now (so the history already
recorded keeps the old settings), validates everything it was given, and only then stores
the change in one transaction: a refused request changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ductwork.core.accounts import Account
from ductwork.vendors.phason import schema, wire
from ductwork.vendors.phason.exceptions import PhasonError, invalid
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
    MistingGroup,
)
from ductwork.vendors.phason.service import PhasonService, parse_int


class _HasId(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=_HasId)
MISSING = "Missing post data"
NO_GROUPS = "No equipment groups found"
NO_MISTING = "No misting groups found"
NO_OUTPUTS = "No outputs found"

# Setpoint ranges by equipment-group type (°C, in WC, THI).
SETPOINT_RANGES = {1: (-10.0, 51.7), 5: (0.0, 0.5), 9: (-10.0, 51.7), 15: (-10.0, 51.7),
                   16: (30.0, 110.0), 101: (-10.0, 51.7)}  # fmt: skip

# Misting-group fields: form name → (stored name, minimum, maximum, integer?). The document's
# form names come first; the names GET answers with are accepted as well.
MISTING_FIELDS: dict[str, tuple[str, float, float, bool]] = {
    "function_mode": ("function_mode", 0, 2, True),
    "active": ("active", 0, 1, True),
    "active_start_time": ("active_start_time", 0, 86_340, True),
    "active_end_time": ("active_end_time", 0, 86_340, True),
    "cycle_dur": ("cycle_duration", 60, 86_340, True),
    "min_mist_dur": ("min_misting_duration", 60, 86_340, True),
    "max_mist_dur": ("max_misting_duration", 60, 86_340, True),
    "soak_dur": ("soak_duration", 60, 86_340, True),
    "min_cycle_dur": ("min_cycle_duration", 60, 86_340, True),
    "max_cycle_dur": ("max_cycle_duration", 60, 86_340, True),
    "low_temp": ("low_temp", -10.0, 51.7, False),
    "high_temp": ("high_temp", -10.0, 51.7, False),
    "max_temp": ("max_temp", -10.0, 51.7, False),
    "pump_delay": ("pump_delay", 1, 59, True),
    "humidity_bypass_active": ("humidity_bypass_active", 0, 1, True),
    "humidity_setpt": ("humidity_setpt", 0, 100, False),
    "low_thi": ("low_thi", 30.0, 110.0, False),
    "high_thi": ("high_thi", 30.0, 110.0, False),
    "max_thi": ("max_thi", 30.0, 110.0, False),
}
_ALIASES = {
    "cycle_duration": "cycle_dur",
    "min_mist_duration": "min_mist_dur",
    "max_mist_duration": "max_mist_dur",
    "min_misting_duration": "min_mist_dur",
    "max_misting_duration": "max_mist_dur",
    "soak_duration": "soak_dur",
    "min_cycle_duration": "min_cycle_dur",
    "max_cycle_duration": "max_cycle_dur",
}
# misting_function → the misting_order values it allows (document, POST outputs/settings).
MISTING_ORDERS = {0: range(0, 1), 1: range(2, 16), 2: range(16, 17), 3: range(16, 17)}


RAMP_MINUTES = 5
MAX_OVERRIDE = 10 * 365 * 86_400  # seconds: the longest manual override
COMMANDS = {
    "ramp_test": "Ramp test command issued successfully.",
    "auto_cali": "Automatic calibration command issued successfully.",
    "man_cali": "Manual calibration command issued successfully.",
}


def number(params: Mapping[str, str], name: str, low: float, high: float) -> float:
    """A numeric parameter within [low, high]; 422 naming it otherwise."""
    text = params.get(name)
    if text is None or str(text).strip() == "":
        raise invalid(MISSING)
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise invalid(f"{name} must be a number.") from None
    if not math.isfinite(value) or not low <= value <= high:
        raise invalid(f"{name} must be between {wire.number(low, 3)} and {wire.number(high, 3)}.")
    return value


def whole(params: Mapping[str, str], name: str, low: float, high: float) -> int:
    """An integer parameter within [low, high]."""
    value = number(params, name, low, high)
    if value != int(value):
        raise invalid(f"{name} must be a whole number.")
    return int(value)


_SETPOINT_RANGE = (-10.0, 51.7, False)
# Every field of POST outputs/settings with its range (low, high, whole number): each output
# reads its own section's fields, and any field sent must be valid (the document's schema).
OUTPUT_FIELDS: dict[str, tuple[float, float, bool]] = {
    "setpoint": _SETPOINT_RANGE, "idle_setpoint": _SETPOINT_RANGE,
    "differential_setpoint": _SETPOINT_RANGE, "idle_speed": (0, 100, True),
    "idle_band": (0.1, 10.0, False), "open_runtime": (1, 3600, True),
    "open_idle_time": (0, 3600, True), "close_runtime": (1, 3600, True),
    "close_idle_time": (0, 3600, True), "minimum_setpoint": _SETPOINT_RANGE,
    "minimum_position": (0, 100, True),
    **{f"stage{n}_{field}": limits for n in range(1, 6)
       for field, limits in (("setpoint", _SETPOINT_RANGE), ("position", (0, 100, True)),
                             ("differential_setpoint", _SETPOINT_RANGE))},
    "misting_function": (0, 3, True), "misting_order": (0, 16, True),
}  # fmt: skip


class PhasonSettings:
    """Writes on an account's devices."""

    def __init__(self, engine: Engine, service: PhasonService) -> None:
        self._engine = engine
        self._service = service

    def _save(self, table: sa.Table, row_id: int, settings: dict[str, Any]) -> None:
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(table).where(table.c.id == row_id).values(settings=settings)
            )

    # ------------------------------------------------------------ equipment groups
    def group(self, device: Device, group_id: str | None) -> Group:
        """The device's group with this id (404 in the v1.0.2 wording otherwise)."""
        return _by_id(device.groups, group_id, NO_GROUPS)

    def group_settings(self, account: Account, device_id: str, group_id: str | None
                       ) -> wire.GroupSettingsV102:  # fmt: skip
        """GET equipment_groups/settings (v1.0.2)."""
        device, _ = self._service.device(account, device_id)
        return _group_settings(self.group(device, group_id))

    def set_master_setpoint(
        self, account: Account, device_id: str, params: Mapping[str, str]
    ) -> wire.GroupSettingsV102:
        """POST equipment_groups/settings: a new master setpoint, acting from the next minute."""
        device, _ = self._service.device(account, device_id)
        group = self.group(device, params.get("group_id"))
        low, high = SETPOINT_RANGES.get(group.group_type, (-10.0, 51.7))
        value = number(params, "master_setpoint", low, high)
        curve = int(group.settings.get("growth_curve_id", 0))
        if curve and int(group.settings.get("growth_curve_enabled", 0)):
            raise invalid(
                f"The setpoint of this group follows growth curve {curve}; "
                "the master setpoint is read-only while the curve is enabled."
            )
        settings = dict(group.settings)
        settings["master_setpoint"] = round(value, 3 if group.group_type == 5 else 1)
        self._save(schema.groups, group.id, settings)
        return _group_settings(Group(group.id, group.room_id, group.group_num, group.group_type,
                                     group.group_name, settings))  # fmt: skip

    # ------------------------------------------------------------ misting groups
    def misting_group(self, device: Device, group_id: str | None) -> MistingGroup:
        """The device's misting group with this id."""
        return _by_id(device.misting_groups, group_id, NO_MISTING)

    def misting_settings(self, account: Account, device_id: str, group_id: str | None
                         ) -> wire.MistingSettingsAnswer:  # fmt: skip
        """GET misting_groups/settings."""
        device, _ = self._service.device(account, device_id)
        return wire.MistingSettingsAnswer("Success", _misting_settings(
            self.misting_group(device, group_id)))  # fmt: skip

    def set_misting(
        self, account: Account, device_id: str, params: Mapping[str, str]
    ) -> wire.MistingSettingsAnswer:
        """POST misting_groups/settings: any of the documented fields, each within its range."""
        device, _ = self._service.device(account, device_id)
        group = self.misting_group(device, params.get("group_id"))
        given = {
            _ALIASES.get(k, k): v for k, v in params.items() if _ALIASES.get(k, k) in MISTING_FIELDS
        }
        if not given:
            raise invalid(MISSING)
        settings = dict(group.settings)
        for name, text in given.items():
            stored, low, high, integer = MISTING_FIELDS[name]
            view = {name: text}
            settings[stored] = (
                whole(view, name, low, high) if integer else number(view, name, low, high)
            )
        for first, second in (("min_misting_duration", "max_misting_duration"),
                              ("min_cycle_duration", "max_cycle_duration"),
                              ("low_temp", "high_temp"), ("high_temp", "max_temp"),
                              ("low_thi", "high_thi"), ("high_thi", "max_thi")):  # fmt: skip
            if float(settings[first]) > float(settings[second]):
                raise invalid(f"{first} must not be greater than {second}.")
        self._save(schema.misting_groups, group.id, settings)
        return wire.MistingSettingsAnswer(
            "misting setting change success.",
            _misting_settings(MistingGroup(group.id, group.room_id, settings)),
        )

    # ------------------------------------------------------------ outputs
    def output(self, device: Device, params: Mapping[str, str]) -> Io:
        """The output at module_num / io_num."""
        module = whole(params, "module_num", 0, 255)
        position = whole(params, "io_num", 0, 255)
        found = next((o for o in device.outputs if o.module_num == module and o.io_num == position),
                     None)  # fmt: skip
        if found is None:
            raise PhasonError(404, NO_OUTPUTS)
        return found

    def set_output(
        self, account: Account, device_id: str, params: Mapping[str, str]
    ) -> wire.OutputSettings:
        """POST outputs/settings: the settings of the output's own section."""
        for name, (low, high, integer) in OUTPUT_FIELDS.items():
            if name in params:
                (whole if integer else number)(params, name, low, high)
        device, minute = self._service.device(account, device_id)
        io = self.output(device, params)
        if "measures_current_of" in io.settings:
            io = next(o for o in device.outputs if o.id == io.settings["measures_current_of"])
        target = self._service.target_of(device, io, minute)
        settings = dict(io.settings)
        function = io.function
        if function == MISTING:
            kind = whole(params, "misting_function", 0, 3)
            order = whole(params, "misting_order", 0, 16)
            if order not in MISTING_ORDERS[kind]:
                allowed = MISTING_ORDERS[kind]
                raise invalid(f"misting_order must be between {allowed[0]} and {allowed[-1]} "
                              f"for misting_function {kind}.")  # fmt: skip
            settings.update(misting_function=kind, misting_order=order)
        elif function in (TIMED_EVENTS, FOLLOW_LUX) and io.module_type not in ACTUATOR_MODULES:
            raise invalid("This output follows its schedule: set it with the schedule endpoints.")
        elif io.module_type in ACTUATOR_MODULES and function == INLET_FEEDBACK:
            settings.update(_inlet_stages(params, settings, target))
        elif io.module_type in ACTUATOR_MODULES:
            point = number(params, "setpoint", -10.0, 51.7)
            settings.update(
                offset=round(point - target, 1),
                idle_band=number(params, "idle_band", 0.1, 10.0),
                open_runtime=whole(params, "open_runtime", 1, 3600),
                open_idle_time=whole(params, "open_idle_time", 0, 3600),
                close_runtime=whole(params, "close_runtime", 1, 3600),
                close_idle_time=whole(params, "close_idle_time", 0, 3600),
            )
        elif io.module_type in RELAY_MODULES and function in (COOLING, HEATING):
            settings["offset"] = round(number(params, "setpoint", -10.0, 51.7) - target, 1)
        elif function == COOLING:
            idle_at = number(params, "idle_setpoint", -10.0, 51.7)
            ramp_at = number(params, "setpoint", -10.0, 51.7)
            full_at = number(params, "differential_setpoint", -10.0, 51.7)
            if not idle_at <= ramp_at < full_at:
                raise invalid("idle_setpoint must not exceed setpoint, and setpoint must be "
                              "below differential_setpoint.")  # fmt: skip
            settings.update(
                idle_offset=round(idle_at - target, 1), offset=round(ramp_at - target, 1),
                differential_offset=round(full_at - target, 1),
                idle_speed=whole(params, "idle_speed", 0, 100),
            )  # fmt: skip
        elif function == HEATING:
            point = number(params, "setpoint", -10.0, 51.7)
            full_at = number(params, "differential_setpoint", -10.0, 51.7)
            if not full_at < point:
                raise invalid("differential_setpoint must be below setpoint for a heating output.")
            settings.update(offset=round(point - target, 1), differential=round(point - full_at, 1))
        else:
            raise PhasonError(400, "This module type is not supported.")
        self._save(schema.ios, io.id, settings)
        return self._service.output_settings(account, device_id, str(io.module_num), str(io.io_num))

    def manual_override(
        self, account: Account, device_id: str, params: Mapping[str, str]
    ) -> wire.Message:
        """POST outputs/manual_override: hold an output at a value for a duration (0: until
        disabled), or release it."""
        device, minute = self._service.device(account, device_id)
        io = self.output(device, params)
        if "measures_current_of" in io.settings:
            raise PhasonError(400, "This module type is not supported.")
        enabled = whole(params, "enabled", 0, 1)
        high = 1.0 if io.module_type in RELAY_MODULES else 100.0
        # A value or duration that is given must be valid, even when disabling ignores it.
        value = number(params, "value", 0.0, high) if enabled or "value" in params else 0.0
        duration = whole(params, "duration", 0, MAX_OVERRIDE) if "duration" in params else 0
        settings = dict(io.settings)
        if not enabled:
            settings.pop("manual_override", None)
            self._save(schema.ios, io.id, settings)
            return wire.Message("Manual override disabled.")
        until = minute + math.ceil(duration / 60) if duration else 2**40
        settings["manual_override"] = {"value": value, "until_minute": until}
        self._save(schema.ios, io.id, settings)
        return wire.Message("Manual override enabled.")

    def command(
        self,
        account: Account,
        device_id: str,
        params: Mapping[str, str],
        command: str,
    ) -> dict[str, str]:
        """POST ramp_test, auto_cali or man_cali on a variable follow-lux output (man_cali also
        on a timed VAC1): the twin carries it out as a timed override from the next minute.

        A ramp test ramps the lamps to 0 % (mode 1) or 100 % (mode 2) over five minutes and
        holds them a minute; automatic calibration runs them at full output for two minutes,
        manual calibration for five, then control resumes. The last calibration is recorded.
        """
        service = self._service
        device, minute = service.device(account, device_id)
        module = whole(params, "module", 1, 255)
        port = whole(params, "port", 1, 255)
        io = next((o for o in device.outputs if (o.module_num, o.io_num) == (module, port)), None)
        if io is None:
            raise PhasonError(404, NO_OUTPUTS)
        lux = io.function == FOLLOW_LUX and io.module_type in (3, 4)
        timed_vac = command == "man_cali" and io.function == TIMED_EVENTS and io.module_type == 4
        if not (lux or timed_vac):
            raise PhasonError(400, "This module type is not supported.")
        settings = dict(io.settings)
        if command == "ramp_test":
            target = 0.0 if whole(params, "mode", 1, 2) == 1 else 100.0
            settings["manual_override"] = {
                "value": target, "until_minute": minute + RAMP_MINUTES + 1,
                "ramp_from": service.latest_reading(io, minute), "ramp_start": minute,
                "ramp_minutes": RAMP_MINUTES,
            }  # fmt: skip
        else:
            hold = 2 if command == "auto_cali" else RAMP_MINUTES
            settings["manual_override"] = {"value": 100.0, "until_minute": minute + hold}
            kind = "automatic" if command == "auto_cali" else "manual"
            settings["last_calibration"] = {"kind": kind, "minute": minute}
        self._save(schema.ios, io.id, settings)
        return {"Message": COMMANDS[command]}


def _by_id(items: Sequence[T], group_id: str | None, missing: str) -> T:
    """The item whose id is the `group_id` parameter: 422 when absent, 404 when unknown."""
    try:
        number_ = parse_int(group_id, "group_id")
    except PhasonError:
        raise invalid(MISSING) from None
    found = next((item for item in items if item.id == number_), None)
    if found is None:
        raise PhasonError(404, missing)
    return found


def _group_settings(group: Group) -> wire.GroupSettingsV102:
    s = group.settings
    return wire.GroupSettingsV102("Success", [wire.GroupSettingV102(
        int(s["setting_num"]), str(s["settings_name"]), float(s["master_setpoint"]))])  # fmt: skip


def _misting_settings(group: MistingGroup) -> wire.MistingSettings:
    s = group.settings
    return wire.MistingSettings(
        settings_num=group.id, function_mode=int(s["function_mode"]), active=int(s["active"]),
        active_start_time=int(s["active_start_time"]), active_end_time=int(s["active_end_time"]),
        cycle_duration=int(s["cycle_duration"]), min_mist_duration=int(s["min_misting_duration"]),
        max_mist_duration=int(s["max_misting_duration"]), soak_duration=int(s["soak_duration"]),
        min_cycle_duration=int(s["min_cycle_duration"]),
        max_cycle_duration=int(s["max_cycle_duration"]), low_temp=float(s["low_temp"]),
        high_temp=float(s["high_temp"]), max_temp=float(s["max_temp"]),
        pump_delay=int(s["pump_delay"]), humidity_bypass_active=int(s["humidity_bypass_active"]),
        humidity_setpt=float(s["humidity_setpt"]), low_thi=wire.number(float(s["low_thi"])),
        high_thi=wire.number(float(s["high_thi"])), max_thi=wire.number(float(s["max_thi"])),
    )  # fmt: skip


def _inlet_stages(params: Mapping[str, str], settings: dict[str, Any], target: float
                  ) -> dict[str, Any]:  # fmt: skip
    """An inlet's minimum and five stages from `minimum_setpoint`, `stage1_position`, ..."""
    minimum = {
        "offset": round(number(params, "minimum_setpoint", -10.0, 51.7) - target, 1),
        "position": whole(params, "minimum_position", 0, 100),
    }
    stages = []
    last = minimum["position"]
    for n in range(1, 6):
        point = number(params, f"stage{n}_setpoint", -10.0, 51.7)
        position = whole(params, f"stage{n}_position", 0, 100)
        full = number(params, f"stage{n}_differential_setpoint", -10.0, 51.7)
        if position < last:
            raise invalid(f"stage{n}_position must not be below the previous stage's position.")
        last = position
        stages.append({"offset": round(point - target, 1), "position": position,
                       "differential": round(full - point, 1)})  # fmt: skip
    return {"minimum": minimum, "stages": stages}
