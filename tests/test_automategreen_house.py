"""The Automate Green house twin: each kind's commands and refusals, dimmer ramps, the
thermostat heating a winter house, sensors over simulated days, seeded replay, chunked
stepping across JSON round trips, off-line devices and the demo house's speed."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import time
from typing import Any

import pytest

from ductwork.vendors.automategreen.devices import (
    ACTIVE,
    INITIALIZING,
    UNAVAILABLE,
    CommandRejected,
    DeviceOffline,
    Report,
)
from ductwork.vendors.automategreen.house import (
    DeviceSpec,
    House,
    Site,
    demo_devices,
    demo_sensor_hub,
    minute_of,
    new_house,
)
from ductwork.vendors.automategreen.insteon import MODELS, RAMP_RATES_MS

# Monday 2026-01-05 00:00 local time at the default site (UTC-6): a winter week.
MONDAY = dt.datetime(2026, 1, 5, 6, tzinfo=dt.UTC).timestamp()
DAY = 86_400.0
HUB = "3f0024000547343337373738"


def spec(kind: str, device_id: str | None = None, **options: Any) -> DeviceSpec:
    """A device of `kind` on the hub GW (Insteon kinds) or the Sensor Hub (others)."""
    insteon = kind in ("switch", "outlet", "dimmer", "thermostat", "motion", "door", "leak")
    address = "1A2B3C" if insteon else f"{HUB}:sensor:01"
    return DeviceSpec(
        device_id or kind, kind, address, kind.title(), "GW" if insteon else None, options
    )


def house(*specs: DeviceSpec, seed: int = 7, at: float = MONDAY, site: Site | None = None) -> House:
    """A house holding `specs`, joined at `at`."""
    return House(new_house(seed, site or Site(), specs, at), seed)


def run(home: House, seconds: float) -> list[Report]:
    """Step the house `seconds` on from where it is."""
    start = home.state["minute"]
    return home.step(start, start + round(seconds / 60))


def level(home: House, device_id: str, at: float) -> int:
    """A light's status level."""
    return int(home.status(device_id, at)[1]["level"])


def command(home: House, device_id: str, at: float, **body: Any) -> tuple[Report, ...]:
    """A synchronous command's reports."""
    return home.call(device_id, "command", body, at, asynchronous=False).reports


# -- lights ------------------------------------------------------------------------------------

AT = MONDAY + 30.0  # inside the minute the house was created in


@pytest.mark.parametrize(
    ("kind", "start", "body", "final", "events"),
    [
        ("switch", 0, {"name": "on"}, 100, ("turnOn",)),
        ("switch", 100, {"name": "off"}, 0, ("turnOff",)),
        ("switch", 0, {"name": "fast_on"}, 100, ("turnOn",)),
        ("switch", 100, {"name": "fast_off"}, 0, ("turnOff",)),
        ("switch", 100, {"name": "on"}, 100, ("turnOn",)),
        ("switch", 0, {"name": "on", "level": "40"}, 100, ("turnOn",)),
        ("switch", 0, {"name": "get_status"}, 0, ()),
        ("outlet", 0, {"name": "on"}, 100, ("turnOn",)),
        ("outlet", 100, {"name": "fast_off"}, 0, ("turnOff",)),
        ("dimmer", 0, {"name": "on"}, 100, ("turnOn",)),
        ("dimmer", 0, {"name": "on", "level": 75}, 75, ("turnOn",)),
        ("dimmer", 0, {"name": "on", "level": "30"}, 30, ("turnOn",)),
        ("dimmer", 50, {"name": "level", "level": "20"}, 20, ()),
        ("dimmer", 0, {"name": "level", "level": 60}, 60, ("turnOn",)),
        ("dimmer", 60, {"name": "level", "level": 0}, 0, ("turnOff",)),
        ("dimmer", 80, {"name": "off"}, 0, ("turnOff",)),
        ("dimmer", 0, {"name": "fast_on"}, 100, ("turnOn",)),
        ("dimmer", 80, {"name": "fast_off"}, 0, ("turnOff",)),
        ("dimmer", 50, {"name": "bright"}, 53, ()),
        ("dimmer", 50, {"name": "dim"}, 47, ()),
        ("dimmer", 0, {"name": "bright"}, 3, ("turnOn",)),
        ("dimmer", 2, {"name": "dim"}, 0, ("turnOff",)),
        ("dimmer", 0, {"name": "instant_on", "level": 45}, 45, ("turnOn",)),
        ("dimmer", 30, {"name": "get_status"}, 30, ()),
    ],
)
def test_light_commands(
    kind: str, start: int, body: dict[str, Any], final: int, events: tuple[str, ...]
) -> None:
    home = house(spec(kind, level=start))
    reports = command(home, kind, AT, **body)
    assert [r.events for r in reports] == [events]
    assert reports[0].info == {"level": final}
    assert reports[0].reason == ("status" if body["name"] == "get_status" else "api")
    assert level(home, kind, AT + 3600) == final


def test_dimmer_on_without_level_goes_to_its_on_level() -> None:
    home = house(spec("dimmer"))
    home.call("dimmer", "configure", {"info": {"onLevel": "60"}}, AT, asynchronous=False)
    command(home, "dimmer", AT, name="on")
    assert level(home, "dimmer", AT + 10) == 60
    assert home.info("dimmer", AT)["onLevel"] == 60


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("switch", {"name": "bright"}, "does not support the command 'bright'"),
        ("switch", {"name": "level", "level": 50}, "does not support the command 'level'"),
        ("outlet", {"name": "dim"}, "does not support"),
        ("dimmer", {"name": "set_heat_to", "temp": 70}, "does not support"),
        ("dimmer", {"name": "level"}, "needs a 'level'"),
        ("dimmer", {"name": "level", "level": 101}, "between 0 and 100"),
        ("dimmer", {"name": "on", "level": "bright"}, "must be a number"),
        ("dimmer", {"name": "on", "level": -5}, "between 0 and 100"),
        ("dimmer", {"level": 5}, "needs a 'name'"),
        ("thermostat", {"name": "on"}, "does not support"),
        ("thermostat", {"name": "set_heat_to"}, "needs a 'temp'"),
        ("thermostat", {"name": "set_heat_to", "temp": 120}, "between 40 and 95"),
        ("thermostat", {"name": "set_cool_to", "temp": "warm"}, "must be a number"),
        ("thermostat", {"name": "temp_up", "temp": 0}, "between 1 and 10"),
        ("motion", {"name": "on"}, "does not support"),
        ("door", {"name": "off"}, "does not support"),
        ("leak", {"name": "fast_on"}, "does not support"),
        ("temperature", {"name": "on"}, "does not support"),
        ("temp_humidity", {"name": "level", "level": 3}, "does not support"),
        ("flow", {"name": "off"}, "does not support"),
        ("current", {"name": "on"}, "does not support"),
        ("photocell", {"name": "dim"}, "does not support"),
    ],
)
def test_refused_commands(kind: str, body: dict[str, Any], message: str) -> None:
    home = house(spec(kind))
    before = json.dumps(home.state, sort_keys=True)
    with pytest.raises(CommandRejected, match=message):
        home.call(kind, "command", body, AT, asynchronous=False)
    assert json.dumps(home.state, sort_keys=True) == before


@pytest.mark.parametrize(
    ("info", "expected"),
    [
        ({"onLevel": "75"}, {"onLevel": 75}),
        ({"onLevel": 1}, {"onLevel": 1}),
        ({"rampRate": "500"}, {"rampRate": 500}),
        ({"rampRate": 1000}, {"rampRate": 500}),
        ({"rampRate": 1500}, {"rampRate": 2000}),
        ({"rampRate": "7000"}, {"rampRate": 6500}),
        ({"rampRate": 480000}, {"rampRate": 480000}),
        ({"ledBrightness": "127"}, {"ledBrightness": 127}),
        ({"ledBrightness": 0, "onLevel": 50}, {"ledBrightness": 0, "onLevel": 50}),
    ],
)
def test_dimmer_configuration(info: dict[str, Any], expected: dict[str, Any]) -> None:
    home = house(spec("dimmer"))
    home.call("dimmer", "configure", {"name": "Hall", "info": info}, AT, asynchronous=False)
    shown = home.info("dimmer", AT)
    assert {key: shown[key] for key in expected} == expected
    assert shown["links"] == []


@pytest.mark.parametrize(
    ("info", "message"),
    [
        ({"onLevel": 0}, "onLevel"),
        ({"onLevel": "101"}, "onLevel"),
        ({"rampRate": 50}, "rampRate"),
        ({"rampRate": 500000}, "rampRate"),
        ({"ledBrightness": 128}, "ledBrightness"),
        ({"ledBrightness": "dim"}, "ledBrightness"),
        ({"onLevel": 50, "rampRate": -1}, "rampRate"),
    ],
)
def test_dimmer_configuration_refused(info: dict[str, Any], message: str) -> None:
    home = house(spec("dimmer"))
    with pytest.raises(CommandRejected, match=message):
        home.call("dimmer", "configure", {"info": info}, AT, asynchronous=False)
    assert home.info("dimmer", AT) == {
        "ledBrightness": 32,
        "links": [],
        "onLevel": 100,
        "rampRate": 500,
    }


def test_ramp_rates_are_the_insteon_table() -> None:
    assert len(RAMP_RATES_MS) == 31
    assert (RAMP_RATES_MS[0], RAMP_RATES_MS[-1]) == (480000, 100)


@pytest.mark.parametrize("ramp_ms", [2000, 8500, 47000, 90000])
def test_dimmer_ramp_timing(ramp_ms: int) -> None:
    home = house(spec("dimmer"))
    home.call("dimmer", "configure", {"info": {"rampRate": ramp_ms}}, AT, asynchronous=False)
    ramp = ramp_ms / 1000
    (first,) = command(home, "dimmer", AT, name="on", level=80)
    assert (first.at, first.events, first.info) == (AT, ("turnOn",), {"level": 80})
    assert level(home, "dimmer", AT) == 0
    assert level(home, "dimmer", AT + ramp / 4) == 20
    assert level(home, "dimmer", AT + ramp / 2) == 40
    assert level(home, "dimmer", AT + ramp) == 80
    reports = run(home, 300)
    finals = [r for r in reports if r.device_id == "dimmer"]
    assert [(r.at, r.events, r.info, r.reason) for r in finals] == [
        (AT + ramp, (), {"level": 80}, "auto")
    ]
    # Dimming from mid-ramp starts where the light is.
    home.call("dimmer", "configure", {"info": {"rampRate": 2000}}, AT + 400, asynchronous=False)
    command(home, "dimmer", AT + 400, name="off")
    assert level(home, "dimmer", AT + 401) == 40


def test_a_second_command_replaces_the_ramp() -> None:
    home = house(spec("dimmer"))
    home.call("dimmer", "configure", {"info": {"rampRate": 8500}}, AT, asynchronous=False)
    command(home, "dimmer", AT, name="on", level=100)
    (second,) = command(home, "dimmer", AT + 4.25, name="level", level=10)
    assert second.events == ()
    assert level(home, "dimmer", AT + 4.25) == 50
    assert level(home, "dimmer", AT + 4.25 + 8.5) == 10
    finals = [r for r in run(home, 120) if r.device_id == "dimmer"]
    assert [(r.at, r.info) for r in finals] == [(AT + 12.75, {"level": 10})]


# -- thermostat --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"name": "all_off"}, {"mode": "off", "program": False}),
        ({"name": "heat"}, {"mode": "heat", "program": False}),
        ({"name": "cool"}, {"mode": "cool", "program": False}),
        ({"name": "auto"}, {"mode": "auto"}),
        ({"name": "prog_heat"}, {"mode": "heat", "program": True}),
        ({"name": "prog_cool"}, {"mode": "cool", "program": True}),
        ({"name": "prog_auto"}, {"mode": "auto", "program": True}),
        ({"name": "fan_on"}, {"fan": "on"}),
        ({"name": "fan_auto"}, {"fan": "auto"}),
        ({"name": "set_heat_to", "temp": "70"}, {"heatSetpoint": 70, "coolSetpoint": 76}),
        ({"name": "set_heat_to", "temp": 75}, {"heatSetpoint": 75, "coolSetpoint": 77}),
        ({"name": "set_cool_to", "temp": 72.4}, {"heatSetpoint": 68, "coolSetpoint": 72}),
        ({"name": "set_cool_to", "temp": 66}, {"heatSetpoint": 64, "coolSetpoint": 66}),
        ({"name": "temp_up"}, {"heatSetpoint": 69, "coolSetpoint": 77}),
        ({"name": "temp_down", "temp": "3"}, {"heatSetpoint": 65, "coolSetpoint": 73}),
        ({"name": "get_status"}, {"mode": "auto", "heatSetpoint": 68, "coolSetpoint": 76}),
    ],
)
def test_thermostat_commands(body: dict[str, Any], expected: dict[str, Any]) -> None:
    home = house(spec("thermostat"))
    (report,) = command(home, "thermostat", AT, **body)
    status = home.status("thermostat", AT)[1]
    assert {key: status[key] for key in expected} == expected
    assert report.info == status
    assert set(status) == {
        "mode", "fan", "temp", "humidity", "heatSetpoint", "coolSetpoint", "activity", "program"
    }  # fmt: skip


@pytest.mark.parametrize(
    ("mode", "body", "expected"),
    [
        ("heat", {"name": "temp_up", "temp": 2}, (70, 76)),
        ("cool", {"name": "temp_down", "temp": 2}, (68, 74)),
        ("cool", {"name": "temp_down", "temp": 9}, (65, 67)),
    ],
)
def test_temp_up_and_down_move_the_mode_set_point(
    mode: str, body: dict[str, Any], expected: tuple[int, int]
) -> None:
    home = house(spec("thermostat", mode=mode))
    command(home, "thermostat", AT, **body)
    status = home.status("thermostat", AT)[1]
    assert (status["heatSetpoint"], status["coolSetpoint"]) == expected


def test_thermostat_heats_a_winter_day_and_cycles_with_a_deadband() -> None:
    home = house(
        spec("thermostat", mode="heat", start_f=62), spec("thermostat", "cold", mode="off")
    )
    reports = run(home, DAY)
    mine = [r for r in reports if r.device_id == "thermostat"]
    switching = [r.events[0] for r in mine if r.events and r.events[0] != "temp"]
    assert switching[0] == "heating"
    assert switching == ["heating", "off"] * (len(switching) // 2) + ["heating"] * (
        len(switching) % 2
    )
    starts = [r.at for r in mine if "heating" in r.events]
    assert 10 <= len(starts) <= 150, len(starts)
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 360
    temps = [r.values["temp"] for r in mine if "temp" in r.events]
    assert temps[0] == 63
    assert {63, 64, 65, 66, 67, 68} <= set(temps)
    settled = [
        t
        for r, t in zip((r for r in mine if "temp" in r.events), temps, strict=True)
        if r.at > MONDAY + 4 * 3600
    ]
    assert all(67 <= t <= 69 for t in settled)
    assert 67 <= home.status("thermostat", MONDAY + DAY)[1]["temp"] <= 69
    assert home.status("thermostat", MONDAY + DAY)[1]["humidity"] > 5
    cold = home.status("cold", MONDAY + DAY)[1]
    assert cold["temp"] < 58
    assert cold["activity"] == "idle"
    assert not [r for r in reports if r.device_id == "cold" and set(r.events) - {"temp"}]


def test_thermostat_turned_off_while_heating_reports_off_at_once() -> None:
    home = house(spec("thermostat", mode="heat", start_f=60))
    reports = run(home, 300)
    assert next(r.events for r in reports) == ("heating",)
    (report,) = command(home, "thermostat", MONDAY + 330, name="all_off")
    assert report.events == ("off",)
    assert report.info["activity"] == "idle"


def test_program_mode_sets_back_while_nobody_is_home() -> None:
    workday = Site(home_day_chance=0.0)
    home = house(spec("thermostat", mode="heat"), spec("thermostat", "prog"), site=workday)
    command(home, "prog", AT, name="prog_heat")
    run(home, 14 * 3600)  # Monday 14:00: the occupants are at work
    assert home.environment(MONDAY + 14 * 3600).occupied is False
    plain = home.status("thermostat", MONDAY + 14 * 3600)[1]["temp"]
    saved = home.status("prog", MONDAY + 14 * 3600)[1]["temp"]
    assert saved <= plain - 2


@pytest.mark.parametrize(
    ("day", "clock", "occupied"),
    [
        (0, "03:00", False),  # Monday: asleep
        (0, "06:29", False),
        (0, "06:30", True),  # up
        (0, "07:59", True),
        (0, "08:00", False),  # at work
        (0, "17:29", False),
        (0, "17:30", True),  # home
        (0, "22:59", True),
        (0, "23:00", False),  # asleep
        (5, "07:59", False),  # Saturday: a lie-in
        (5, "08:00", True),
        (5, "12:00", True),  # home all day
        (6, "23:30", False),
    ],
)
def test_occupancy_routine(day: int, clock: str, occupied: bool) -> None:
    hours, minutes = map(int, clock.split(":"))
    home = house(site=Site(home_day_chance=0.0, jitter_minutes=0))
    env = home.environment(MONDAY + day * DAY + hours * 3600 + minutes * 60)
    assert env.local_minute == hours * 60 + minutes
    assert env.weekday == day
    assert env.occupied is occupied


def test_some_weekdays_are_spent_at_home() -> None:
    home = house(site=Site(home_day_chance=0.5))
    at_noon = [home.environment(MONDAY + d * DAY + 12 * 3600).occupied for d in range(70)]
    weekdays = [seen for d, seen in enumerate(at_noon) if d % 7 < 5]
    assert 0 < sum(weekdays) < len(weekdays)
    assert all(seen for d, seen in enumerate(at_noon) if d % 7 >= 5)


# -- sensors -----------------------------------------------------------------------------------


def by_device(reports: list[Report], device_id: str) -> list[Report]:
    """The reports of one device."""
    return [r for r in reports if r.device_id == device_id]


@pytest.fixture(scope="module")
def week() -> tuple[House, list[Report]]:
    """Every sensor kind over a simulated week (forced leak on Wednesday 10:00 local)."""
    leak_at = MONDAY + 2 * DAY + 10 * 3600 + 17
    home = house(
        spec("motion"),
        spec("door"),
        spec("door", "busy_door", rate=0.02),
        spec("leak", leak_at=leak_at),
        spec("leak", "leaky", per_year=200),
        spec("temperature", indoor=False),
        spec("temperature", "indoor"),
        spec("temp_humidity"),
        spec("flow"),
        spec("current"),
        spec("photocell"),
    )
    return home, run(home, 7 * DAY)


def test_motion_while_occupied_then_clear(week: tuple[House, list[Report]]) -> None:
    home, reports = week
    motion = by_device(reports, "motion")
    assert len(motion) > 20
    assert [r.events for r in motion] == [("motion",), ("clear",)] * (len(motion) // 2)
    for seen, clear in zip(motion[::2], motion[1::2], strict=True):
        assert home.environment(seen.at).occupied
        assert seen.info == {"motion": True}
        assert clear.info == {"motion": False}
        assert clear.at - seen.at >= 30
    gaps = [clear.at - seen.at for seen, clear in zip(motion[::2], motion[1::2], strict=True)]
    assert min(gaps) < 240


def test_doors_open_and_close(week: tuple[House, list[Report]]) -> None:
    _home, reports = week
    for device_id in ("door", "busy_door"):
        door = by_device(reports, device_id)
        assert len(door) >= 2 * 7
        assert [r.events for r in door] == [("opened",), ("closed",)] * (len(door) // 2)
        for opened, closed in zip(door[::2], door[1::2], strict=True):
            assert 5 <= closed.at - opened.at <= 180
    assert len(by_device(reports, "busy_door")) > len(by_device(reports, "door"))


def test_leaks_forced_and_seeded_with_heartbeats(week: tuple[House, list[Report]]) -> None:
    _, reports = week
    forced = by_device(reports, "leak")
    wet = [r for r in forced if r.events]
    assert [r.events for r in wet] == [("wet",), ("dry",)]
    assert wet[0].at == MONDAY + 2 * DAY + 10 * 3600 + 17
    assert wet[0].info == {"wet": True}
    assert 3600 <= wet[1].at - wet[0].at <= 8 * 3600
    beats = [r.at for r in forced if r.reason == "heartbeat"]
    assert beats == [MONDAY + k * DAY for k in range(1, 8)]
    seeded = [r.events for r in by_device(reports, "leaky") if r.events]
    assert seeded
    assert seeded[0] == ("wet",)


def test_temperatures(week: tuple[House, list[Report]]) -> None:
    home, reports = week
    outdoor = by_device(reports, "temperature")
    assert 7 * 24 <= len(outdoor) < 7 * 1440 / 4
    for report in outdoor[::25]:
        env = home.environment(report.at)
        assert report.values["temp"] == pytest.approx(env.outdoor_c * 9 / 5 + 32, abs=0.2)
        assert report.events == ("temp",)
        assert report.info == {"temp": report.values["temp"]}
    indoor = [r.values["temp"] for r in by_device(reports, "indoor")]
    assert all(65 < t < 73 for t in indoor)
    humid = by_device(reports, "temp_humidity")
    assert all(set(r.info) == {"temp", "humidity"} for r in humid)
    assert all("temp" in r.values for r in humid if r.events)


def test_flow_during_the_occupied_day(week: tuple[House, list[Report]]) -> None:
    home, reports = week
    flow = by_device(reports, "flow")
    assert len(flow) >= 2 * 20
    assert [r.events for r in flow] == [("flow", "turnOn"), ("flow", "turnOff")] * (len(flow) // 2)
    for start, stop in zip(flow[::2], flow[1::2], strict=True):
        assert home.environment(start.at).occupied
        assert 3 <= start.values["flow"] <= 9.5
        assert stop.values == {"flow": 0.0}
        assert 10 <= stop.at - start.at <= 900


def test_current_cycles(week: tuple[House, list[Report]]) -> None:
    _, reports = week
    current = by_device(reports, "current")
    assert 7 * 15 <= len(current) <= 7 * 80
    assert [r.events[1] for r in current] == ["turnOn", "turnOff"] * (len(current) // 2)
    assert all(1.1 <= r.values["current"] <= 1.5 for r in current[::2])
    assert all(r.values["current"] == 0.0 for r in current[1::2])


def test_photocell_dark_at_night_light_by_day(week: tuple[House, list[Report]]) -> None:
    home, reports = week
    cell = by_device(reports, "photocell")
    turns = [(r.events[1], home.environment(r.at).local_minute) for r in cell if len(r.events) > 1]
    assert [name for name, _ in turns] == ["light", "dark"] * 7
    assert all(6 * 60 < minute < 10 * 60 for name, minute in turns if name == "light")
    assert all(15 * 60 < minute < 19 * 60 for name, minute in turns if name == "dark")
    assert all("resistance" in r.events and r.values["resistance"] > 0 for r in cell)
    night = home.status("photocell", MONDAY + 7 * DAY)
    assert night == (ACTIVE, {"resistance": 1_000_000, "dark": True})


def test_photocell_threshold_is_configurable() -> None:
    home = house(spec("photocell"))
    home.call("photocell", "configure", {"info": {"lightThreshold": "200000"}}, AT, False)
    assert home.info("photocell", AT)["lightThreshold"] == 200_000
    with pytest.raises(CommandRejected, match="lightThreshold"):
        home.call("photocell", "configure", {"info": {"lightThreshold": 0}}, AT, False)


@pytest.mark.parametrize("kind", ["temperature", "photocell"])
def test_a_sensor_initializes_until_its_first_reading(kind: str) -> None:
    home = house(spec(kind))
    assert home.status(kind, AT)[0] == INITIALIZING
    run(home, 60)
    assert home.status(kind, AT + 60)[0] == ACTIVE
    (report,) = command(home, kind, AT + 60, name="get_status")
    assert report.state == ACTIVE
    assert report.events == ()


# -- the house ---------------------------------------------------------------------------------


def demo(seed: int) -> House:
    """The demo house (both helpers) with fixed ids and addresses."""
    specs = demo_devices("GW") + demo_sensor_hub(HUB)
    fixed = [
        DeviceSpec(f"d{i:02d}", s.kind, f"{i:06X}", s.name, s.gateway, s.options)
        for i, s in enumerate(specs)
    ]
    return House(new_house(seed, Site(), fixed, MONDAY), seed)


def test_demo_devices_cover_every_kind() -> None:
    insteon = demo_devices("GW")
    hub = demo_sensor_hub(HUB)
    assert {s.kind for s in insteon} == {
        "switch", "outlet", "dimmer", "thermostat", "motion", "door", "leak"
    }  # fmt: skip
    assert {s.kind for s in insteon + hub} == set(MODELS)
    assert all(s.gateway == "GW" and len(s.address) == 6 for s in insteon)
    assert all(s.gateway is None and s.address.startswith(f"{HUB}:sensor:") for s in hub)
    assert len({s.id for s in insteon + hub}) == len(insteon) + len(hub)
    home = House(new_house(1, Site(), insteon + hub, MONDAY), 1)
    assert home.type_object(insteon[0].id) == {
        "description": "SwitchLinc Relay (2477S)",
        "name": "switch",
        "profile": "switch",
    }
    shed = next(s for s in hub if s.kind == "door")
    assert home.type_object(shed.id)["description"] == "Contact Sensor"
    assert home.info(shed.id, MONDAY) == {"mode": "door"}


def test_seeded_replay() -> None:
    first = demo(5).step(minute_of(MONDAY), minute_of(MONDAY) + 1440)
    again = demo(5).step(minute_of(MONDAY), minute_of(MONDAY) + 1440)
    other = demo(6).step(minute_of(MONDAY), minute_of(MONDAY) + 1440)
    assert first == again
    assert len(first) > 100
    assert first != other
    assert [r.at for r in first] == sorted(r.at for r in first)


def test_chunked_stepping_across_json_round_trips_equals_one_pass() -> None:
    start = minute_of(MONDAY)
    whole = demo(9)
    command(whole, "d03", MONDAY + 2 * 3600 + 20, name="on", level=70)  # before any step
    one_pass = whole.step(start, start + 2 * 1440)

    chunked = demo(9)
    command(chunked, "d03", MONDAY + 2 * 3600 + 20, name="on", level=70)
    reports: list[Report] = []
    cuts = [start, start + 1, start + 97, start + 700, start + 1439, start + 1440, start + 2880]
    for a, b in itertools.pairwise(cuts):
        state = json.loads(json.dumps(chunked.state))
        chunked = House(state, 9)
        reports += chunked.step(a, b)
    assert reports == one_pass
    assert json.loads(json.dumps(chunked.state)) == json.loads(json.dumps(whole.state))


def test_state_is_json_at_any_moment() -> None:
    home = demo(3)
    command(home, "d03", MONDAY + 1, name="on")
    home.set_online("d00", False, MONDAY + 1)
    home.call("d00", "command", {"name": "on"}, MONDAY + 2, asynchronous=True)
    for _ in range(3):
        assert json.loads(json.dumps(home.state)) == home.state
        run(home, 777 * 60)


def test_offline_devices() -> None:
    home = house(spec("switch"), spec("motion"))
    assert home.set_online("switch", False, AT) == []
    assert home.status("switch", AT) == (UNAVAILABLE, {"level": 0})
    with pytest.raises(DeviceOffline):
        home.call("switch", "command", {"name": "on"}, AT, asynchronous=False)
    with pytest.raises(DeviceOffline):
        home.call("switch", "refresh", {}, AT, asynchronous=False)
    with pytest.raises(DeviceOffline):
        home.call("switch", "configure", {"info": {"ledBrightness": 5}}, AT, asynchronous=False)
    with pytest.raises(CommandRejected):  # refusal comes first, even off line
        home.call("switch", "command", {"name": "dim"}, AT, asynchronous=True)
    kept = home.call("switch", "command", {"name": "on"}, AT + 1, asynchronous=True)
    home.call("switch", "configure", {"info": {"ledBrightness": 5}}, AT + 2, asynchronous=True)
    assert kept.reports == ()
    assert level(home, "switch", AT + 5) == 0

    home.set_online("motion", False, AT)
    quiet = run(home, 2 * DAY)
    assert not by_device(quiet, "motion")
    back = MONDAY + 2 * DAY + 60
    reports = home.set_online("switch", True, back)
    assert [(r.reason, r.events, r.info) for r in reports] == [
        ("status", (), {"level": 0}),
        ("api", ("turnOn",), {"level": 100}),
    ]
    assert home.info("switch", back)["ledBrightness"] == 5
    assert home.set_online("switch", True, back) == []
    (status,) = home.set_online("motion", True, back)
    assert status.reason == "status"
    assert status.state == ACTIVE
    assert by_device(run(home, 2 * DAY), "motion")


def test_links_and_reload() -> None:
    home = house(spec("switch"), spec("temperature"))
    new = DeviceSpec("new", "dimmer", "0A0B0C", "Den Dimmer", "GW", {})
    home.link("GW", new)
    assert [s.id for s in home.linked("GW")] == ["switch", "new"]
    assert "new" not in home.state["devices"]
    (first,) = home.add(new, AT)
    assert (first.device_id, first.reason, first.info) == ("new", "status", {"level": 0})
    assert [s.id for s in home.linked("GW")] == ["switch", "new"]
    assert home.kind("new") == "dimmer"
    assert home.linked("other") == []
    home.remove("new")
    assert [s.id for s in home.linked("GW")] == ["switch"]
    with pytest.raises(KeyError):
        home.status("new", AT)
    with pytest.raises(ValueError, match="unknown device kind"):
        home.add(DeviceSpec("x", "toaster", "0A0B0D", "Toaster", "GW", {}), AT)


def test_demo_house_day_speed() -> None:
    home = demo(11)
    start = minute_of(MONDAY)
    began = time.perf_counter()
    reports = home.step(start, start + 1440)
    seconds = time.perf_counter() - began
    devices = len(home.state["devices"])
    print(f"demo house, {devices} devices, one day: {seconds:.3f} s, {len(reports)} reports")
    assert len(reports) < devices * 1440 / 10


def test_kept_commands_are_checked_when_sent_and_dropped_when_refused_later() -> None:
    home = house(spec("dimmer"), spec("thermostat", mode="cool"))
    home.set_online("dimmer", False, AT)
    with pytest.raises(CommandRejected, match="between 0 and 100"):
        home.call("dimmer", "command", {"name": "level", "level": 150}, AT, asynchronous=True)
    assert home.state["devices"]["dimmer"]["state"]["kept"] == []

    home.set_online("thermostat", False, AT)
    for body in ({"name": "set_cool_to", "temp": 95}, {"name": "temp_up"}):
        home.call("thermostat", "command", body, AT, asynchronous=True)
    reports = home.set_online("thermostat", True, AT + 60)
    assert [r.reason for r in reports] == ["status", "api"]
    assert reports[-1].info["coolSetpoint"] == 95
