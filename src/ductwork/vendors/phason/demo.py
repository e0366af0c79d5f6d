"""The demo barn: a wean-to-finish site with a finisher room and a nursery on one AutoFlex."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ductwork.core.noise import unit
from ductwork.core.physics.room import Shell
from ductwork.core.physics.weather import Climate
from ductwork.vendors.phason import schema
from ductwork.vendors.phason.models import (
    COOLING,
    FOLLOW_LUX,
    HEATING,
    INLET_FEEDBACK,
    INLET_NO_FEEDBACK,
    INPUT_MODULE,
    MISTING,
    TIMED_EVENTS,
)
from ductwork.vendors.phason.schedules import LUX_SCHEDULE, RELAY_SCHEDULE
from ductwork.vendors.phason.store import load_device
from ductwork.vendors.phason.twin import BarnModel

TIMEZONE = "America/Chicago"

CURVES = (
    # (name, zone type, restart day, seven (day, value) steps) - domain notes 1.7
    ("Wean-to-finish temperature", 1, 1, [(0, 29.5), (7, 28.0), (14, 26.5), (28, 24.0),
                                          (49, 21.0), (77, 19.0), (112, 18.0)]),
    ("Nursery temperature", 1, 1, [(0, 29.0), (7, 28.0), (14, 27.0), (21, 26.0),
                                   (28, 25.0), (35, 24.0), (42, 23.0)]),
    ("Nursery windchill", 15, 5, [(0, 28.0), (7, 27.0), (14, 26.0), (21, 25.0),
                                  (28, 24.0), (35, 23.0), (42, 22.0)]),
)  # fmt: skip


def _stage(offset: float, position: int, differential: float) -> dict[str, Any]:
    return {"offset": offset, "position": position, "differential": differential}


def create_demo_barn(connection: Connection, account_id: int, seed: int, now: float) -> int:
    """Create the demo barn for an account, settled at `now`; returns the device id."""
    today = dt.datetime.fromtimestamp(now, ZoneInfo(TIMEZONE)).date()
    minute = int(now // 60)
    host_suffix = f"{abs(int(unit(seed, 0, 0) * 0xFFFFFF)):06X}"
    device_id = connection.execute(
        sa.insert(schema.devices)
        .values(
            account_id=account_id,
            device_name="Wean-to-Finish Barn",
            host_name=f"AutoFlex-{host_suffix}",
            device_type="AutoFlex Connect",
            version="3.08.06",
            timezone=TIMEZONE,
            seed=seed,
            site={"climate": asdict(Climate())},
            sim_minute=minute,
            state={},
        )
        .returning(schema.devices.c.id)
    ).scalar_one()

    def room(num: int, name: str, params: dict[str, Any]) -> int:
        return int(
            connection.execute(
                sa.insert(schema.rooms)
                .values(device_id=device_id, room_num=num, name=name, params=params)
                .returning(schema.rooms.c.id)
            ).scalar_one()
        )

    finisher = room(1, "Finisher Room", {
        "shell": asdict(Shell(volume_m3=1440.0, ua_w_k=900.0, leak_area_m2=0.12)),
        "species": "swine", "head_count": 600, "start_weight_kg": 25.0, "daily_gain_kg": 0.85,
        "placed_on": (today - dt.timedelta(days=55)).isoformat(),
        "width_m": 12.0, "height_m": 3.0, "fixed_inlet_m2": 0.3,
    })  # fmt: skip
    nursery = room(2, "Nursery Room", {
        "shell": asdict(Shell(volume_m3=560.0, ua_w_k=450.0, leak_area_m2=0.05)),
        "species": "swine", "head_count": 400, "start_weight_kg": 6.5, "daily_gain_kg": 0.4,
        "placed_on": (today - dt.timedelta(days=12)).isoformat(),
        "width_m": 10.0, "height_m": 2.8, "fixed_inlet_m2": 0.25,
    })  # fmt: skip

    curve_ids = [
        int(
            connection.execute(
                sa.insert(schema.curves)
                .values(
                    device_id=device_id,
                    curve_name=name,
                    zone_type=zone,
                    restart_day=restart,
                    steps=[list(s) for s in steps],
                )
                .returning(schema.curves.c.id)
            ).scalar_one()
        )
        for name, zone, restart, steps in CURVES
    ]

    def group(num: int, room_id: int, gtype: int, name: str, settings: dict[str, Any]) -> int:
        base = {"setting_num": 1, "settings_name": "Room settings mode 1",
                "growth_curve_id": 0, "growth_curve_enabled": 0}  # fmt: skip
        return int(
            connection.execute(
                sa.insert(schema.groups)
                .values(
                    device_id=device_id,
                    room_id=room_id,
                    group_num=num,
                    group_type=gtype,
                    group_name=name,
                    settings=base | settings,
                )
                .returning(schema.groups.c.id)
            ).scalar_one()
        )

    finisher_start = (today - dt.timedelta(days=55)).isoformat()
    nursery_start = (today - dt.timedelta(days=12)).isoformat()
    g_fin_t = group(1, finisher, 1, "Finisher Temperature", {
        "master_setpoint": 20.0, "growth_curve_id": curve_ids[0], "growth_curve_enabled": 1,
        "curve_start": finisher_start, "low_limit": 4.0, "high_limit": 8.0})  # fmt: skip
    g_fin_sp = group(2, finisher, 5, "Finisher Static Pressure", {
        "master_setpoint": 0.06, "low_limit": 0.06, "high_limit": 0.09})  # fmt: skip
    g_fin_thi = group(3, finisher, 16, "Finisher THI", {
        "master_setpoint": 72.0, "low_limit": 20.0, "high_limit": 10.0})  # fmt: skip
    # The nursery's temperature is under manual control, as in many real barns (the curve is
    # kept but off): its master setpoint is the target, and the documented write applies.
    g_nur_t = group(4, nursery, 1, "Nursery Temperature", {
        "master_setpoint": 27.0, "growth_curve_id": curve_ids[1], "growth_curve_enabled": 0,
        "curve_start": nursery_start, "low_limit": 3.0, "high_limit": 6.0})  # fmt: skip
    g_nur_wc = group(5, nursery, 15, "Nursery Windchill", {
        "master_setpoint": 26.0, "growth_curve_id": curve_ids[2], "growth_curve_enabled": 0,
        "curve_start": nursery_start, "low_limit": 5.0, "high_limit": 5.0})  # fmt: skip

    def io(direction: str, module: tuple[int, int, str], io_num: int, io_type: str | int,
           name: str, room_id: int | None, group_id: int | None,
           settings: dict[str, Any]) -> int:  # fmt: skip
        module_num, module_type, version = module
        return int(
            connection.execute(
                sa.insert(schema.ios)
                .values(
                    device_id=device_id,
                    direction=direction,
                    module_num=module_num,
                    module_type=module_type,
                    io_num=io_num,
                    io_type=str(io_type),
                    name=name,
                    version_number=version,
                    room_id=room_id,
                    group_id=group_id,
                    settings=settings,
                )
                .returning(schema.ios.c.id)
            ).scalar_one()
        )

    rm4_a, vdc4, vac1 = (1, 2, "1.02"), (2, 3, "1.05"), (3, 4, "2.01")
    act_fin, act_nur, rm4_b = (4, 5, "1.10"), (5, 5, "1.10"), (6, 2, "1.02")
    act_ceiling = (10, 5, "1.10")
    inputs_fin, inputs_nur, weather = (7, INPUT_MODULE, "1.20"), (8, INPUT_MODULE, "1.20"), (
        9, INPUT_MODULE, "1.20")  # fmt: skip
    out = "output"
    io(out, rm4_a, 1, HEATING, "Finisher Heater", finisher, g_fin_t,
       {"offset": -2.0, "equipment": {"heater_kw": 45.0}})  # fmt: skip
    io(out, rm4_a, 2, COOLING, "Finisher Tunnel Fans", finisher, g_fin_t,
       {"offset": 3.0, "equipment": {"fan_cfm": 48000.0}})  # fmt: skip
    misting = int(
        connection.execute(
            sa.insert(schema.misting_groups)
            .values(device_id=device_id, room_id=finisher, settings={})
            .returning(schema.misting_groups.c.id)
        ).scalar_one()
    )
    io(out, rm4_a, 3, MISTING, "Finisher Mister Line 1", finisher, g_fin_thi,
       {"misting_group_id": misting, "misting_function": 1, "misting_order": 2,
        "equipment": {"mist_kg_s": 0.02}})  # fmt: skip
    io(out, rm4_a, 4, HEATING, "Nursery Heater", nursery, g_nur_t,
       {"offset": -1.5, "equipment": {"heater_kw": 20.0}})  # fmt: skip
    io(out, vdc4, 1, COOLING, "Finisher Fans Stage 1", finisher, g_fin_t,
       {"idle_offset": -1.0, "offset": 0.0, "differential_offset": 3.0, "idle_speed": 30.0,
        "equipment": {"fan_cfm": 20000.0}})  # fmt: skip
    io(out, vdc4, 2, COOLING, "Nursery Fan Stage 1", nursery, g_nur_t,
       {"idle_offset": -1.0, "offset": 0.5, "differential_offset": 3.0, "idle_speed": 25.0,
        "equipment": {"fan_cfm": 3000.0}})  # fmt: skip
    io(out, vdc4, 3, HEATING, "Nursery Heat Mats", nursery, g_nur_t,
       {"offset": -0.5, "differential": 2.0, "equipment": {"heater_kw": 6.0}})  # fmt: skip
    nursery_lights = io(out, vdc4, 4, FOLLOW_LUX, "Nursery Lights", nursery, g_nur_t,
                        {"lamp_lux": 250.0, "window_factor": 0.003,
                         "equipment": {"lamp_w": 600.0}})  # fmt: skip
    chimney = io(out, vac1, 1, COOLING, "Nursery Chimney Fan", nursery, g_nur_wc,
                 {"idle_offset": -0.5, "offset": 1.0, "differential_offset": 4.0,
                  "idle_speed": 20.0, "equipment": {"fan_cfm": 6000.0}})  # fmt: skip
    io(out, vac1, 3, COOLING, "Nursery Chimney Fan Current", nursery, g_nur_wc,
       {"measures_current_of": chimney, "full_load_amps": 6.5})  # fmt: skip
    io(out, act_fin, 1, INLET_FEEDBACK, "Finisher Inlet", finisher, g_fin_t,
       {"minimum": {"offset": -2.0, "position": 5},
        "stages": [_stage(0.0, 15, 1.0), _stage(1.0, 30, 1.0), _stage(2.0, 50, 1.0),
                   _stage(3.0, 75, 1.0), _stage(4.0, 100, 1.0)],
        "equipment": {"inlet_area_m2": 3.0}})  # fmt: skip
    io(out, act_nur, 1, INLET_NO_FEEDBACK, "Nursery Inlet", nursery, g_nur_t,
       {"offset": 0.5, "idle_band": 1.0, "open_runtime": 10, "open_idle_time": 50,
        "close_runtime": 10, "close_idle_time": 50, "full_travel_s": 120.0,
        "equipment": {"inlet_area_m2": 0.6}})  # fmt: skip
    finisher_lights = io(out, rm4_b, 1, TIMED_EVENTS, "Finisher Lights", finisher, g_fin_t,
                         {"equipment": {"lamp_w": 1500.0}})  # fmt: skip
    io(out, rm4_b, 2, MISTING, "Finisher Mister Line 2", finisher, g_fin_thi,
       {"misting_group_id": misting, "misting_function": 1, "misting_order": 3,
        "equipment": {"mist_kg_s": 0.02}})  # fmt: skip
    io(out, rm4_b, 3, MISTING, "Finisher Mister Pump", finisher, g_fin_thi,
       {"misting_group_id": misting, "misting_function": 2, "misting_order": 16})  # fmt: skip
    io(out, rm4_b, 4, MISTING, "Finisher Stir Fans", finisher, g_fin_thi,
       {"misting_group_id": misting, "misting_function": 3, "misting_order": 16})  # fmt: skip
    io(out, act_ceiling, 1, INLET_FEEDBACK, "Finisher Ceiling Inlets", finisher, g_fin_sp,
       {"minimum": {"offset": 0.0, "position": 10},
        "stages": [_stage(0.0, 20, 0.01), _stage(0.01, 40, 0.01), _stage(0.02, 60, 0.01),
                   _stage(0.03, 80, 0.01), _stage(0.04, 100, 0.01)],
        "dead_band": 0.01, "gain": 3.0, "equipment": {"inlet_area_m2": 2.5}})  # fmt: skip
    inp = "input"
    fin_a = io(inp, inputs_fin, 1, "temperature", "Finisher Temp A", finisher, g_fin_t,
               {"calibration_offset": 0.1})  # fmt: skip
    fin_b = io(inp, inputs_fin, 2, "temperature", "Finisher Temp B", finisher, g_fin_t,
               {"calibration_offset": -0.1})  # fmt: skip
    fin_h = io(inp, inputs_fin, 3, "humidity", "Finisher Humidity", finisher, g_fin_thi, {})
    fin_sp = io(inp, inputs_fin, 4, "static_pressure", "Finisher Static", finisher, g_fin_sp, {})
    io(inp, inputs_fin, 5, "co2", "Finisher CO2", finisher, None, {})
    io(inp, inputs_fin, 6, "nh3", "Finisher NH3", finisher, None, {})
    io(inp, inputs_fin, 7, "pulse_counter", "Finisher Water Meter", finisher, None,
       {"litres_per_pulse": 1.0})  # fmt: skip
    io(inp, inputs_fin, 8, "digital_input", "Finisher Heater Proving", finisher, None, {})
    nur_t = io(inp, inputs_nur, 1, "temperature", "Nursery Temp", nursery, g_nur_t, {})
    io(inp, inputs_nur, 2, "humidity", "Nursery Humidity", nursery, None, {})
    io(inp, inputs_nur, 3, "light", "Nursery Light", nursery, None, {"window_factor": 0.003})
    outdoor = {"source": "outdoor"}
    io(inp, weather, 1, "temperature", "Outdoor Temp", None, None, outdoor)
    io(inp, weather, 2, "humidity", "Outdoor Humidity", None, None, outdoor)
    io(inp, weather, 3, "wind_speed", "Wind Speed", None, None, outdoor)
    io(inp, weather, 4, "wind_direction", "Wind Direction", None, None, outdoor)
    io(inp, weather, 5, "light", "Outdoor Light", None, None, outdoor)
    io(inp, weather, 6, "barometric_pressure", "Barometer", None, None, outdoor)
    io(inp, weather, 7, "rain_sensor", "Rain Sensor", None, None, outdoor)

    connection.execute(
        sa.update(schema.misting_groups)
        .where(schema.misting_groups.c.id == misting)
        .values(settings={
            # Smart mode: THI drives the misters from 09:00 to 21:00 (seconds of the day).
            "function_mode": 2, "active": 1, "active_start_time": 9 * 3600,
            "active_end_time": 21 * 3600, "cycle_duration": 300, "min_misting_duration": 30,
            "max_misting_duration": 150, "soak_duration": 120, "min_cycle_duration": 900,
            "max_cycle_duration": 2400, "low_temp": 26.0, "high_temp": 29.0, "max_temp": 32.0,
            "pump_delay": 5, "humidity_bypass_active": 1, "humidity_setpt": 85,
            "humidity_module_num": 7, "humidity_io_num": 3, "low_thi": 76.0, "high_thi": 80.0,
            "max_thi": 84.0, "entered_by": "ductwork demo", "temperature_group_id": g_fin_t,
        })
    )  # fmt: skip
    nursery_light_sensor = connection.execute(
        sa.select(schema.ios.c.id).where(
            schema.ios.c.device_id == device_id, schema.ios.c.name == "Nursery Light"
        )
    ).scalar_one()
    add_schedules(connection, device_id, finisher_start, finisher_lights, nursery_lights,
                  int(nursery_light_sensor))  # fmt: skip
    probes: dict[int, dict[str, Any]] = {
        g_fin_t: {"probes": [fin_a, fin_b]},
        g_fin_sp: {"probes": [fin_sp]},
        g_fin_thi: {"probes": [fin_a, fin_b], "humidity_probe": fin_h},
        g_nur_t: {"probes": [nur_t]},
        g_nur_wc: {"probes": [nur_t]},
    }
    for group_id, extra in probes.items():
        settings = connection.execute(
            sa.select(schema.groups.c.settings).where(schema.groups.c.id == group_id)
        ).scalar_one()
        connection.execute(
            sa.update(schema.groups)
            .where(schema.groups.c.id == group_id)
            .values(settings=dict(settings) | extra)
        )
    device, _, _ = load_device(connection, device_id)
    connection.execute(
        sa.update(schema.devices)
        .where(schema.devices.c.id == device_id)
        .values(state=BarnModel(device).initial_state(minute))
    )
    return int(device_id)


def add_schedules(
    connection: Connection,
    device_id: int,
    start: str,
    finisher_lights: int,
    nursery_lights: int,
    light_sensor: int,
) -> None:
    """Lighting: a weekly relay program for the finisher, a lux program for the nursery."""

    def insert(table: sa.Table, **values: Any) -> int:
        return int(connection.execute(
            sa.insert(table).values(**values).returning(table.c.id)).scalar_one())  # fmt: skip

    def segment(name: str, module_type: int, events: list[tuple[str, float]]) -> int:
        segment_id = insert(schema.segments, device_id=device_id, name=name,
                            module_type=module_type)  # fmt: skip
        for clock, value in events:
            hours, minutes = clock.split(":")
            insert(schema.events, segment_id=segment_id, value=value,
                   time_of_day=int(hours) * 3600 + int(minutes) * 60, written_on=start)  # fmt: skip
        return segment_id

    weekly = insert(schema.schedules, device_id=device_id, name="Finisher lighting",
                    schedule_type=RELAY_SCHEDULE, repeat_day=7, start_date=start,
                    output_io_id=finisher_lights, input_io_id=None)  # fmt: skip
    workday = segment("Finisher workdays", 2, [("06:00", 1.0), ("20:00", 0.0)])
    rest = segment("Finisher rest days", 2, [("07:00", 1.0), ("18:00", 0.0)])
    daily = insert(schema.schedules, device_id=device_id, name="Nursery light level",
                   schedule_type=LUX_SCHEDULE, repeat_day=1, start_date=start,
                   output_io_id=nursery_lights, input_io_id=light_sensor)  # fmt: skip
    daylight = segment("Nursery daylight", 13, [("06:00", 150.0), ("21:00", 0.0)])
    connection.execute(sa.insert(schema.schedule_segments), [
        {"schedule_id": weekly, "segment_id": workday, "segment_start": 1},
        {"schedule_id": weekly, "segment_id": rest, "segment_start": 6},
        {"schedule_id": daily, "segment_id": daylight, "segment_start": 1},
    ])  # fmt: skip
