"""The AutoFlex controller loop, compiled: one iteration is one controller minute.

Each minute the controller reads the sensors measured at the end of the previous minute,
computes its equipment-group readings, drives every output by its function, lets the room
air answer (core physics), measures the sensors again and books alarms. Everything that does
not depend on the loop (weather, sensor noise, daily targets, animal weights, local clock)
is precomputed as arrays by `twin.py`; the loop only carries the feedback.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from ductwork.core.jit import jit
from ductwork.core.physics.air import relative_humidity, thi
from ductwork.core.physics.room import CFM, PA_PER_INCH_WC, air_step

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

# Output kinds (what the controller does with an output).
RELAY_COOL, RELAY_HEAT, VAR_COOL, VAR_HEAT, MISTING, TIMED, FOLLOW_LUX = 0, 1, 2, 3, 4, 5, 6
INLET_STAGED, INLET_PULSED, CURRENT_SENSE, INLET_STATIC = 7, 8, 9, 10
# Input kinds (what a sensor measures).
T_ROOM, RH_ROOM, CO2, NH3, STATIC, LIGHT_ROOM, HEAT_PROVING, WATER_PULSES = 0, 1, 2, 3, 4, 5, 6, 7
T_OUT, RH_OUT, WIND_SPEED, WIND_DIR, LIGHT_OUT, BARO, RAIN = 10, 11, 12, 13, 14, 15, 16
# Equipment-group types.
G_TEMPERATURE, G_STATIC, G_WINDCHILL, G_THI = 1, 5, 15, 16
# Column layouts.
W_T, W_RH, W_WIND, W_DIR, W_LIGHT, W_BARO, W_RAIN = 0, 1, 2, 3, 4, 5, 6
R_VOLUME, R_UA, R_MASS, R_LEAK, R_FIXED_INLET, R_WIDTH, R_HEIGHT, R_HEADS = 0, 1, 2, 3, 4, 5, 6, 7
R_REF_WEIGHT, R_REF_SENSIBLE, R_REF_LATENT = 8, 9, 10
E_FAN_CFM, E_HEATER_KW, E_MIST_KG_S, E_LAMP_W, E_INLET_M2, E_LAMP_LUX = 0, 1, 2, 3, 4, 5
S_T, S_W, S_CO2, S_NH3, S_STATIC, S_FLOW = 0, 1, 2, 3, 4, 5
O_VALUE, O_ON, O_POSITION, O_MOTION = 0, 1, 2, 3
A_CODE, A_TIME, A_PENDING, A_SEEN = 0, 1, 2, 3
H_READING, H_TARGET, H_LOWER, H_UPPER, H_CODE, H_TIME = 0, 1, 2, 3, 4, 5

# Misting-group parameters (the v1.0.2 misting group settings, times in seconds).
MG_MODE, MG_ACTIVE, MG_START, MG_END, MG_CYCLE, MG_MIN_MIST, MG_MAX_MIST, MG_SOAK = range(8)
MG_MIN_CYCLE, MG_MAX_CYCLE, MG_LOW_T, MG_HIGH_T, MG_MAX_T, MG_PUMP_DELAY = range(8, 14)
MG_BYPASS, MG_HUMIDITY, MG_LOW_THI, MG_HIGH_THI, MG_MAX_THI = range(14, 19)
MODE_SOAKING, MODE_MISTING, MODE_SMART = 0.0, 1.0, 2.0

RELAY_HYSTERESIS_C = 1.0
FAN_SHUTOFF_PA = 0.4 * PA_PER_INCH_WC
ACTUATOR_STEP_PER_MINUTE = 60.0
SOAK_HEAT_REMOVAL = 0.3  # share of the animals' sensible heat a full soak takes away


@jit
def quantise(value: float, step: float) -> float:
    """Round to the sensor's resolution (half away from zero)."""
    scaled = value / step
    rounded = math.floor(scaled + 0.5) if scaled >= 0 else -math.floor(-scaled + 0.5)
    return rounded * step


@jit
def ramp(value: float, start: float, full: float) -> float:
    """0 at `start`, 1 at `full`, linear between, clamped (works in either direction)."""
    if full == start:
        return 1.0 if value >= full else 0.0
    return max(0.0, min(1.0, (value - start) / (full - start)))


@jit
def effective_temperature(t_c: float, air_speed: float, body_c: float) -> float:
    """Windchill for livestock: a fit to broiler tables (domain notes 1.6)."""
    chill = 12.8 * (1.0 - math.exp(-air_speed / 1.28))
    return t_c - chill * max(0.0, min(1.5, (body_c - t_c) / (body_c - 32.0)))


@jit
def in_window(minute_of_day: int, start: float, end: float) -> bool:
    """True inside [start, end) minutes of the day; windows may wrap past midnight."""
    if start <= end:
        return start <= minute_of_day < end
    return minute_of_day >= start or minute_of_day < end


@jit
def cycle_overlap(second: float, cycle: float, on_seconds: float) -> float:
    """Seconds of [second, second + 60) that fall in the 'on' part [0, on) of a repeating cycle."""
    if on_seconds <= 0.0:
        return 0.0
    if on_seconds >= cycle:
        return 60.0
    total = 0.0
    start = second % cycle
    remaining = 60.0
    while remaining > 0.0:
        span = min(remaining, cycle - start)
        total += max(0.0, min(start + span, on_seconds) - start)
        remaining -= span
        start = 0.0
    return total


@jit
def group_readings(
    readings: F64,
    in_s: F64,
    room_s: F64,
    r_p: F64,
    g_type: I64,
    g_room: I64,
    g_probes: I64,
    g_hum: I64,
) -> None:
    """Each group's reading from its sensors (mean of probes; windchill; THI)."""
    for g in range(g_type.shape[0]):
        total = 0.0
        count = 0
        for k in range(g_probes.shape[1]):
            probe = g_probes[g, k]
            if probe >= 0:
                total += in_s[probe]
                count += 1
        mean = total / count if count else 0.0
        kind = g_type[g]
        if kind == G_WINDCHILL:
            room = g_room[g]
            speed = 0.5 * room_s[room, S_FLOW] / (r_p[room, R_WIDTH] * r_p[room, R_HEIGHT])
            readings[g] = quantise(effective_temperature(mean, speed, 39.0), 0.1)
        elif kind == G_THI:
            rh = in_s[g_hum[g]] / 100.0 if g_hum[g] >= 0 else 0.5
            readings[g] = quantise(thi(mean, rh), 0.1)
        elif kind == G_STATIC:
            readings[g] = quantise(mean, 0.001)
        else:
            readings[g] = quantise(mean, 0.1)


@jit
def misting_output(
    second: float,
    minute_of_day: int,
    readings: F64,
    in_s: F64,
    mg: F64,
    group: int,
    humidity_input: int,
    sprinklers: int,
    function: int,
    place: int,
) -> tuple[float, float]:
    """One misting-group output over one minute: (seconds on, effective spraying share).

    Misting/fogging and smart mode spray every mister together for a duration that grows
    from the minimum to the maximum between the low and high limit (temperature, or THI in
    smart mode), within a fixed cycle, and continuously at the max limit. Soaking runs the
    sprinklers one after another for the soak duration each; the whole round repeats on a
    cycle that shortens from the maximum to the minimum cycle between low and high. Pumps run
    while anything sprays; fans while the group is working. The group rests outside its
    active window and, with the bypass on, above its humidity setpoint.
    """
    if mg[MG_ACTIVE] < 0.5 or function == 0:
        return 0.0, 0.0
    start, end = mg[MG_START] / 60.0, mg[MG_END] / 60.0
    if not in_window(minute_of_day, start, end):
        return 0.0, 0.0
    rh = in_s[humidity_input] if humidity_input >= 0 else 50.0
    if mg[MG_BYPASS] > 0.5 and rh >= mg[MG_HUMIDITY]:
        return 0.0, 0.0
    temperature = readings[group] if group >= 0 else 0.0
    mode = mg[MG_MODE]
    if mode == MODE_SMART:
        value = thi(temperature, rh / 100.0)
        low, high, top = mg[MG_LOW_THI], mg[MG_HIGH_THI], mg[MG_MAX_THI]
    else:
        value = temperature
        low, high, top = mg[MG_LOW_T], mg[MG_HIGH_T], mg[MG_MAX_T]
    if value < low:
        return 0.0, 0.0
    if function == 3:
        return 60.0, 0.0
    if mode == MODE_SOAKING:
        if value >= top:
            cycle = mg[MG_MIN_CYCLE]
        else:
            cycle = mg[MG_MAX_CYCLE] - (mg[MG_MAX_CYCLE] - mg[MG_MIN_CYCLE]) * ramp(
                value, low, high
            )
        soak = mg[MG_SOAK]
        if function == 2:
            wet = cycle_overlap(second, cycle, min(cycle, soak * sprinklers))
            return wet, 0.0
        wet = cycle_overlap(second - place * soak, cycle, min(soak, max(0.0, cycle - place * soak)))
        return wet, wet / 60.0
    cycle = mg[MG_CYCLE]
    if value >= top:
        on = cycle
    else:
        on = mg[MG_MIN_MIST] + (mg[MG_MAX_MIST] - mg[MG_MIN_MIST]) * ramp(value, low, high)
    wet = cycle_overlap(second, cycle, on)
    if function == 2:
        return wet, 0.0
    # The first seconds of each spray go to bringing the line up to pressure.
    effective = wet * max(0.0, on - mg[MG_PUMP_DELAY]) / on if on < cycle else wet
    return wet, effective / 60.0


@jit
def run_barn(
    minutes: I64,
    local_minute_of_day: I64,
    weather: F64,
    noise: F64,
    scheduled: F64,
    g_target: F64,
    r_weight: F64,
    r_p: F64,
    g_type: I64,
    g_room: I64,
    g_probes: I64,
    g_hum: I64,
    g_limits: F64,
    o_kind: I64,
    o_room: I64,
    o_group: I64,
    o_p: F64,
    o_eq: F64,
    o_override: F64,
    mg_p: F64,
    mg_group: I64,
    mg_hum: I64,
    mg_count: I64,
    i_kind: I64,
    i_room: I64,
    i_p: F64,
    r_hum: I64,
    room_s: F64,
    out_s: F64,
    in_s: F64,
    alarm_s: F64,
    g_hist: F64,
    o_hist: F64,
    i_hist: F64,
) -> None:
    """Run the controller and the rooms for every minute in `minutes`, filling the histories.

    The state arrays (room_s, out_s, in_s, alarm_s) are carried in place, so a run split
    into pieces equals one run over the whole span.
    """
    n_rooms = r_p.shape[0]
    n_groups = g_type.shape[0]
    n_out = o_kind.shape[0]
    n_in = i_kind.shape[0]
    readings = np.zeros(n_groups)
    drive = np.zeros((n_rooms, 7))  # fan m³/s, inlet m², heater W, mist kg/s, lamp W, soak, lux
    room_rh = np.zeros(n_rooms)
    for i in range(minutes.shape[0]):
        minute = minutes[i]
        second = float(minute) * 60.0
        mod = local_minute_of_day[i]
        group_readings(readings, in_s, room_s, r_p, g_type, g_room, g_probes, g_hum)
        for r in range(n_rooms):
            if r_hum[r] >= 0:  # the controller sees its humidity sensor, if the room has one
                room_rh[r] = in_s[r_hum[r]] / 100.0
            else:
                room_rh[r] = relative_humidity(room_s[r, S_T], room_s[r, S_W], 1013.25)
        # ---------------------------------------------------------------- control
        for o in range(n_out):
            kind = o_kind[o]
            if kind == CURRENT_SENSE:
                continue
            g = o_group[o]
            reading = readings[g] if g >= 0 else 0.0
            target = g_target[i, g] if g >= 0 else 0.0
            p = o_p[o]
            if o_override[o, 1] >= minute:
                # (value, last minute, ramp start value, ramp start minute, ramp minutes)
                value = o_override[o, 0]
                if o_override[o, 4] > 0.0:
                    share = min(1.0, (minute - o_override[o, 3]) / o_override[o, 4])
                    value = quantise(o_override[o, 2] + (value - o_override[o, 2]) * share, 1.0)
                out_s[o, O_VALUE] = value
                out_s[o, O_ON] = 1.0 if value > 0.0 else 0.0
                out_s[o, O_POSITION] = value
                out_s[o, O_MOTION] = 0.0
                if kind == INLET_PULSED:
                    out_s[o, O_VALUE] = 0.0
                continue
            if kind == RELAY_COOL:
                setpoint = target + p[0]
                if reading >= setpoint:
                    out_s[o, O_ON] = 1.0
                elif reading <= setpoint - p[1]:
                    out_s[o, O_ON] = 0.0
                out_s[o, O_VALUE] = out_s[o, O_ON]
            elif kind == RELAY_HEAT:
                setpoint = target + p[0]
                if reading <= setpoint:
                    out_s[o, O_ON] = 1.0
                elif reading >= setpoint + p[1]:
                    out_s[o, O_ON] = 0.0
                out_s[o, O_VALUE] = out_s[o, O_ON]
            elif kind == VAR_COOL:
                idle_at, ramp_at, full_at, idle = target + p[0], target + p[1], target + p[2], p[3]
                running = out_s[o, O_VALUE] > 0.0
                if reading < idle_at - (0.3 if running else 0.0):
                    value = 0.0
                elif reading < ramp_at:
                    value = idle
                else:
                    value = quantise(idle + (100.0 - idle) * ramp(reading, ramp_at, full_at), 1.0)
                out_s[o, O_VALUE] = value
            elif kind == VAR_HEAT:
                setpoint = target + p[0]
                out_s[o, O_VALUE] = quantise(100.0 * ramp(reading, setpoint, setpoint - p[1]), 1.0)
            elif kind == MISTING:
                # p: misting group, function (1 mister, 2 pump, 3 fan), place in the sequence
                m = int(p[0])
                wet, fraction = misting_output(
                    second, mod, readings, in_s, mg_p[m], mg_group[m], mg_hum[m], mg_count[m],
                    int(p[1]), int(p[2]),
                )  # fmt: skip
                out_s[o, O_ON] = 1.0 if wet > 0.0 else 0.0
                out_s[o, O_VALUE] = out_s[o, O_ON]
                out_s[o, O_POSITION] = fraction  # effective spraying share of the minute
                out_s[o, O_MOTION] = mg_p[m, MG_MODE]
            elif kind == TIMED:
                # p: column of the schedule's values (relay schedules: 0 or 1)
                column = int(p[0])
                value = scheduled[i, column] if column >= 0 else 0.0
                out_s[o, O_ON] = 1.0 if value > 0.0 else 0.0
                out_s[o, O_VALUE] = out_s[o, O_ON]
            elif kind == FOLLOW_LUX:
                # p: column of the schedule's lux targets, lamp lux at 100 %, window factor
                column = int(p[0])
                wanted = scheduled[i, column] if column >= 0 else 0.0
                if wanted > 0.0:
                    daylight = weather[i, W_LIGHT] * p[2]
                    out_s[o, O_VALUE] = quantise(100.0 * ramp(wanted - daylight, 0.0, p[1]), 1.0)
                else:
                    out_s[o, O_VALUE] = 0.0
            elif kind == INLET_STAGED:
                # p: minimum offset, minimum position, then (offset, position) for five stages
                wanted = p[1]
                for k in range(5):
                    t0, p0 = target + p[2 * k], p[2 * k + 1]
                    t1, p1 = target + p[2 * k + 2], p[2 * k + 3]
                    if reading >= t0:
                        wanted = p0 + (p1 - p0) * ramp(reading, t0, t1)
                limit = ACTUATOR_STEP_PER_MINUTE
                step = max(-limit, min(limit, wanted - out_s[o, O_POSITION]))
                out_s[o, O_POSITION] += step
                out_s[o, O_VALUE] = quantise(out_s[o, O_POSITION], 1.0)
            elif kind == INLET_STATIC:
                # p: minimum position, dead band (in WC), gain (% per minute per 0.01 in WC)
                error = reading - target
                position = out_s[o, O_POSITION]
                if abs(error) > p[1]:
                    move = p[2] * error / 0.01
                    move = max(-ACTUATOR_STEP_PER_MINUTE, min(ACTUATOR_STEP_PER_MINUTE, move))
                    position = max(p[0], min(100.0, position + move))
                out_s[o, O_POSITION] = max(p[0], position)
                out_s[o, O_VALUE] = quantise(out_s[o, O_POSITION], 1.0)
            elif kind == INLET_PULSED:
                # p: offset, idle band, open run, open idle, close run, close idle, travel s
                setpoint = target + p[0]
                band = p[1] / 2.0
                position = out_s[o, O_POSITION]
                motion = 0.0
                run, idle = 0.0, 1.0
                if reading > setpoint + band and position < 100.0:
                    motion, run, idle = 1.0, p[2], p[3]
                elif reading < setpoint - band and position > 0.0:
                    motion, run, idle = -1.0, p[4], p[5]
                if motion != 0.0:
                    seconds = 60.0 * run / (run + idle)
                    position = max(0.0, min(100.0, position + motion * 100.0 * seconds / p[6]))
                out_s[o, O_POSITION] = position
                out_s[o, O_MOTION] = motion
                out_s[o, O_VALUE] = 1.0 if motion > 0 else (2.0 if motion < 0 else 0.0)
        for o in range(n_out):
            if o_kind[o] == CURRENT_SENSE:
                source = int(o_p[o, 0])
                speed = out_s[source, O_VALUE] / 100.0
                amps = 0.6 + o_p[o, 1] * speed**1.5 if speed > 0.0 else 0.0
                out_s[o, O_VALUE] = quantise(amps, 0.1)
        # ---------------------------------------------------------------- equipment → rooms
        drive[:, :] = 0.0
        for r in range(n_rooms):
            drive[r, 1] = r_p[r, R_FIXED_INLET]
            drive[r, 5] = 1.0
        for o in range(n_out):
            r = o_room[o]
            if r < 0 or o_kind[o] == CURRENT_SENSE:
                continue
            kind = o_kind[o]
            eq = o_eq[o]
            if kind in (INLET_STAGED, INLET_STATIC, INLET_PULSED):
                drive[r, 1] += eq[E_INLET_M2] * out_s[o, O_POSITION] / 100.0
                continue
            if kind == MISTING:
                spraying = out_s[o, O_POSITION]
                if out_s[o, O_MOTION] == MODE_SOAKING:
                    drive[r, 5] -= SOAK_HEAT_REMOVAL * spraying
                else:
                    drive[r, 3] += eq[E_MIST_KG_S] * spraying
                continue
            share = out_s[o, O_VALUE]
            if kind != RELAY_COOL and kind != RELAY_HEAT and kind != TIMED:
                share = share / 100.0
            drive[r, 0] += eq[E_FAN_CFM] * CFM * share
            drive[r, 2] += eq[E_HEATER_KW] * 1000.0 * share
            drive[r, 4] += eq[E_LAMP_W] * share
            drive[r, 6] += eq[E_LAMP_LUX] * share
        for r in range(n_rooms):
            result = air_step(
                (room_s[r, S_T], room_s[r, S_W], room_s[r, S_CO2], room_s[r, S_NH3]),
                r_p[r, R_VOLUME], r_p[r, R_UA], r_p[r, R_MASS], r_p[r, R_LEAK],
                r_p[r, R_HEADS], r_weight[i, r],
                (r_p[r, R_REF_WEIGHT], r_p[r, R_REF_SENSIBLE], r_p[r, R_REF_LATENT]),
                drive[r, 0], FAN_SHUTOFF_PA, drive[r, 1], drive[r, 2], drive[r, 3], drive[r, 4],
                weather[i, W_T], weather[i, W_RH], weather[i, W_WIND], 60.0, max(0.0, drive[r, 5]),
            )  # fmt: skip
            for k in range(6):
                room_s[r, k] = result[k]
        # ---------------------------------------------------------------- sensors
        for s in range(n_in):
            kind = i_kind[s]
            r = i_room[s]
            nz = noise[i, s]
            value = 0.0
            if kind == T_ROOM:
                value = quantise(room_s[r, S_T] + 0.15 * nz + i_p[s, 0], 0.1)
            elif kind == RH_ROOM:
                rh = relative_humidity(room_s[r, S_T], room_s[r, S_W], 1013.25)
                value = quantise(min(100.0, 100.0 * rh + 1.5 * nz), 1.0)
            elif kind == CO2:
                value = quantise(room_s[r, S_CO2] * (1.0 + 0.02 * nz), 1.0)
            elif kind == NH3:
                value = quantise(max(0.0, room_s[r, S_NH3] + 0.3 * nz), 0.1)
            elif kind == STATIC:
                value = quantise(max(0.0, room_s[r, S_STATIC] / PA_PER_INCH_WC + 0.002 * nz), 0.001)
            elif kind == LIGHT_ROOM:
                daylight = weather[i, W_LIGHT] * i_p[s, 1]
                value = quantise(max(0.0, daylight + drive[r, 6] + 2.0 * nz), 1.0)
            elif kind == HEAT_PROVING:
                for o in range(n_out):
                    if o_room[o] == r and o_kind[o] == RELAY_HEAT and out_s[o, O_ON] > 0.0:
                        value = 1.0
            elif kind == WATER_PULSES:
                litres = 8.0 * (1.0 + 0.03 * (room_s[r, S_T] - 20.0)) * r_p[r, R_HEADS] / 1440.0
                value = max(0.0, quantise(litres / i_p[s, 2] * (1.0 + 0.15 * nz), 1.0))
            elif kind == T_OUT:
                value = quantise(weather[i, W_T] + 0.2 * nz + i_p[s, 0], 0.1)
            elif kind == RH_OUT:
                value = quantise(min(100.0, 100.0 * weather[i, W_RH] + 1.5 * nz), 1.0)
            elif kind == WIND_SPEED:
                value = quantise(max(0.0, weather[i, W_WIND] + 1.0 * nz), 0.1)
            elif kind == WIND_DIR:
                value = quantise((weather[i, W_DIR] + 5.0 * nz) % 360.0, 1.0)
            elif kind == LIGHT_OUT:
                value = quantise(max(0.0, weather[i, W_LIGHT] * (1.0 + 0.02 * nz)), 1.0)
            elif kind == BARO:
                value = quantise(weather[i, W_BARO] + 0.1 * nz, 0.1)
            elif kind == RAIN:
                value = weather[i, W_RAIN]
            in_s[s] = value
            i_hist[i, s] = value
        # ---------------------------------------------------------------- groups and alarms
        group_readings(readings, in_s, room_s, r_p, g_type, g_room, g_probes, g_hum)
        for g in range(n_groups):
            reading = readings[g]
            target = g_target[i, g]
            lower = target - g_limits[g, 0]
            upper = target + g_limits[g, 1]
            condition = 1.0 if reading < lower else (2.0 if reading > upper else 0.0)
            if condition == 0.0:
                alarm_s[g, :] = 0.0
            elif alarm_s[g, A_CODE] != condition:
                if alarm_s[g, A_SEEN] != condition:
                    alarm_s[g, A_SEEN] = condition
                    alarm_s[g, A_PENDING] = minute
                elif minute - alarm_s[g, A_PENDING] >= 1:
                    alarm_s[g, A_CODE] = condition
                    alarm_s[g, A_TIME] = minute
            g_hist[i, g, H_READING] = reading
            g_hist[i, g, H_TARGET] = target
            g_hist[i, g, H_LOWER] = lower
            g_hist[i, g, H_UPPER] = upper
            g_hist[i, g, H_CODE] = alarm_s[g, A_CODE]
            g_hist[i, g, H_TIME] = alarm_s[g, A_TIME]
        for o in range(n_out):
            o_hist[i, o] = out_s[o, O_VALUE]
