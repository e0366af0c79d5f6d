"""Phason wire types: the JSON objects of the v1.0.3 document, field for field.

Numbers the document shows as strings are strings here; numbers it shows bare stay numbers.
"""

from __future__ import annotations

import msgspec


class Message(msgspec.Struct):
    """An error or status answer."""

    message: str


class ApiKey(msgspec.Struct):
    """The answer of POST /generate_key."""

    api_key: str
    message: str


class DeviceOut(msgspec.Struct):
    """One AutoFlex Connect device."""

    device_id: str
    device_name: str
    host_name: str
    device_type: str
    version: str
    last_reported_on: str


class DeviceTime(msgspec.Struct):
    """A device's local date-time and time zone."""

    datetime: str
    timezone: str


class GroupReading(msgspec.Struct):
    """One equipment-group record (latest or historical)."""

    group_id: str
    room_id: str
    group_type: str
    group_type_description: str
    group_name: str
    current_reading: str
    alarm_code: str
    alarm_time: str
    target_value: str
    target_lower_limit: str
    target_upper_limit: str
    reading_time: str


class GroupSetting(msgspec.Struct):
    """Room-settings mode of an equipment group with its growth-curve state."""

    setting_num: int
    settings_name: str
    master_setpoint: float
    growth_curve_id: int
    growth_curve_enabled: int
    growth_curve_current_day: int


class GroupSettings(msgspec.Struct):
    """The answer of GET equipment_groups/settings."""

    message: str
    settings: list[GroupSetting]


class Reading(msgspec.Struct):
    """One timestamped reading."""

    reading: str
    time: str


class ConfigurationOut(msgspec.Struct):
    """One configured input or output of a device's modules, with its latest reading."""

    device_id: str
    module_num: str
    io_num: str
    group_id: str
    name: str
    module_type: str
    io_type: str
    current_reading: str
    alarm_code: str
    alarm_time: str
    version_number: str
    reading_time: str


class OutputOut(ConfigurationOut):
    """One output position with its readings in the asked range."""

    values: list[Reading]


class FixedStage(msgspec.Struct):
    """A relay (fixed) stage."""

    setpoint: str


class VariableOutput(msgspec.Struct):
    """A variable stage: idle, ramp and full-speed temperatures."""

    setpoint: str
    idle_setpoint: str
    idle_speed: str
    differential_setpoint: str


class InletNoFeedback(msgspec.Struct):
    """An actuator without position feedback, moved by timed pulses."""

    setpoint: str
    idle_band: str
    open_runtime: str
    open_idle_time: str
    close_runtime: str
    close_idle_time: str


class InletPoint(msgspec.Struct):
    """The minimum position of an inlet with feedback."""

    setpoint: str
    position: str


class InletStage(msgspec.Struct):
    """One stage position of an inlet with feedback."""

    setpoint: str
    position: str
    differential_setpoint: str


class InletWithFeedback(msgspec.Struct):
    """An actuator with position feedback: a minimum and five stage positions."""

    minimum: InletPoint
    stage1: InletStage
    stage2: InletStage
    stage3: InletStage
    stage4: InletStage
    stage5: InletStage


class MistingOrder(msgspec.Struct):
    """Misting function and order of a misting output."""

    misting_function: str
    misting_order: str


class TimedEvent(msgspec.Struct):
    """Schedule of a timed-event or follow-lux output."""

    schedule_id: str
    schedule_current_day: str


class OutputSettings(msgspec.Struct, omit_defaults=True):
    """The answer of GET outputs/settings: only the sections that apply to the output."""

    message: str
    fixed_stage: list[FixedStage] | None = msgspec.field(default=None, name="fixed stage settings")
    variable: list[VariableOutput] | None = msgspec.field(
        default=None, name="variable output settings"
    )
    inlet_no_feedback: list[InletNoFeedback] | None = msgspec.field(
        default=None, name="Inlet no feedback settings"
    )
    inlet_with_feedback: list[InletWithFeedback] | None = msgspec.field(
        default=None, name="Inlet With Feedback Settings"
    )
    misting: list[MistingOrder] | None = msgspec.field(
        default=None, name="Misting Order output settings"
    )
    timed: list[TimedEvent] | None = msgspec.field(
        default=None, name="Timed Event/Follow Lux output settings"
    )


class InputOut(msgspec.Struct):
    """One input sensor with its readings."""

    name: str
    io_num: str
    module_number: str
    io_type: str
    values: list[Reading]


class CurveSummary(msgspec.Struct):
    """One growth curve in the list."""

    growth_curve_id: int
    restart_day: int
    curve_name: str
    zone_type: int


class Curves(msgspec.Struct):
    """The answer of GET growth_curves."""

    message: str
    settings: list[CurveSummary]


class CurveStep(msgspec.Struct):
    """One of a growth curve's seven steps."""

    day_num: int
    curve_value: str


class CurveSettings(msgspec.Struct):
    """The answer of GET growth_curves/settings."""

    message: str
    growth_curve_id: str
    settings: list[CurveStep]


def number(value: float, decimals: int = 1) -> str:
    """A reading as the controller shows it: fixed decimals, no trailing '.0' on whole numbers."""
    text = f"{value:.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# ---------------------------------------------------------------- v1.0.2 (AutoFlex Connect)
class RoomOut(msgspec.Struct):
    """One room of a device."""

    room_id: str
    room_name: str


class GroupSettingV102(msgspec.Struct):
    """v1.0.2's equipment-group settings: the room-settings mode and master setpoint."""

    setting_num: int
    settings_name: str
    master_setpoint: float


class GroupSettingsV102(msgspec.Struct):
    """The answer of GET and POST equipment_groups/settings (v1.0.2)."""

    message: str
    settings: list[GroupSettingV102]


class MistingGroupOut(msgspec.Struct):
    """One misting group, every value a string as in the document."""

    group_id: str
    room_id: str
    function_mode: str
    active: str
    active_start_time: str
    active_end_time: str
    cycle_duration: str
    min_misting_duration: str
    max_misting_duration: str
    soak_duration: str
    min_cycle_duration: str
    max_cycle_duration: str
    low_temp: str
    high_temp: str
    max_temp: str
    pump_delay: str
    humidity_bypass_active: str
    humidity_setpt: str
    humidity_module_num: str
    humidity_io_num: str
    low_thi: str
    high_thi: str
    max_thi: str
    entered_by: str


class MistingSettings(msgspec.Struct):
    """A misting group's settings, numbers as numbers (THI as strings, as documented)."""

    settings_num: int
    function_mode: int
    active: int
    active_start_time: int
    active_end_time: int
    cycle_duration: int
    min_mist_duration: int
    max_mist_duration: int
    soak_duration: int
    min_cycle_duration: int
    max_cycle_duration: int
    low_temp: float
    high_temp: float
    max_temp: float
    pump_delay: int
    humidity_bypass_active: int
    humidity_setpt: float
    low_thi: str
    high_thi: str
    max_thi: str


class MistingSettingsAnswer(msgspec.Struct):
    """The answer of GET and POST misting_groups/settings."""

    message: str
    settings: MistingSettings
