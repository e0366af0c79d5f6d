"""The Power Controller twin (vendors/automategreen/power.py) against the Power Controller API
document: commands and their codes, settings and their negative codes, FFR, power limits,
schedules, timers, boot, the link to the cloud, update cadence and seeded replay."""

from __future__ import annotations

import copy
import itertools
import json
from typing import Any

import pytest

from ductwork.vendors.automategreen.devices import (
    ACTIVE,
    INITIALIZING,
    UNAVAILABLE,
    CommandRejected,
    DeviceOffline,
    Environment,
    Json,
    Report,
)
from ductwork.vendors.automategreen.power import MODELS, force_dip

MODEL = MODELS["power_controller"]
T0 = 1_700_002_800.0  # a whole hour, on the account's clock
SEED = 7
CONSTANT = {"load": {"kind": "constant", "watts": 2400}}


def env(at: float) -> Environment:
    """A winter minute with someone at home."""
    return Environment(at, 2.0, 0.7, 0.0, int(at // 60) % 1440, 2, True)


def make(options: Json | None = None, seed: int = SEED, country: str = "US") -> Json:
    """A controller (Active unless options say new) added at T0."""
    spec: Json = {"id": "pc1", "address": "1234567890qwertyuiopasdf", "sn": "PC-ZXCVBNMASDF-001"}
    spec |= {"country": country, "options": dict(options or {})}
    return MODEL.initial(spec, seed, T0)


def run(state: Json, start: float, minutes: int, seed: int = SEED) -> list[Report]:
    """Step the minutes ending at start+60 ... start+60*minutes."""
    reports: list[Report] = []
    for i in range(1, minutes + 1):
        reports += MODEL.step(state, env(start + 60 * i), seed)
    return reports


def relays(reports: list[Report]) -> list[tuple[float, str, bool]]:
    """(seconds after T0, reason, on) of the relay statuses."""
    return [(r.at - T0, r.reason, r.info["on"]) for r in reports if r.type == "relay"]


def of_type(reports: Any, kind: str) -> list[Report]:
    """The reports of one status type."""
    return [r for r in reports if r.type == kind]


def test_type_info_and_status_of_the_demo_controller() -> None:
    state = make()
    assert MODEL.type_object(state) == {
        "id": "power-controller-v10",
        "profile": "power-controller",
        "desc": "Power Controller",
    }
    info = MODEL.info(state, T0)
    assert info["ffr"] == {
        "enabled": False,
        "tripThreshold": 59.7,
        "returnThreshold": 60.0,
        "periods": 10,
        "maxBackOff": 10,
    }
    assert info["flowmeter"]["type"] == "none"
    assert info["powerLimit"] == {"endsAt": 0, "power": 0.25}
    assert info["samplePeriod"] == 900
    assert info["schedule"] == []
    name, status = MODEL.status(state, T0)
    assert name == ACTIVE
    assert set(status) == {
        "firmware",
        "duration",
        "current",
        "voltage",
        "power",
        "temperature",
        "frequency",
        "flow",
        "on",
        "toggleIn",
        "toggleAt",
    }
    assert status["flow"] is None
    assert 225 < status["voltage"] < 255


@pytest.mark.parametrize(("country", "volts", "hz"), [("US", 240, 60), ("DE", 230, 50)])
def test_mains_follow_the_country(country: str, volts: float, hz: float) -> None:
    state = make(CONSTANT, country=country)
    updates = of_type(run(state, T0, 120), "update")
    assert len(updates) == 8
    for update in updates:
        assert abs(update.info["voltage"] - volts) < volts * 0.02
        assert abs(update.info["frequency"] - hz) <= 0.02
        assert update.info["current"] == pytest.approx(2400 / update.info["voltage"], rel=0.03)
        assert update.info["power"] == pytest.approx(2400 * 0.25, rel=0.03)  # Wh in 15 min


def test_water_heater_element_cycles_on_its_own_thermostat() -> None:
    state = make()
    currents = [u.info["current"] for u in of_type(run(state, T0, 2 * 1440), "update")]
    assert max(currents) > 15  # 4.5 kW at 240 V: 18.75 A while heating
    assert min(currents) < 0.5  # satisfied tank: the element is open
    assert state["on"] is True


# --- commands ------------------------------------------------------------------------------

# (command, starting relay, code, relay now, later: (seconds after, reason, on) or None)
COMMANDS = [
    ({"name": "on"}, False, 102, True, None),
    ({"name": "off"}, True, 103, False, None),
    ({"name": "on", "delay": 90}, False, 102, False, (90, "timer", True)),
    ({"name": "off", "delay": "150"}, True, 103, True, (150, "timer", False)),
    ({"name": "on_for", "delay": 120}, False, 104, True, (120, "timer", False)),
    ({"name": "off_for", "delay": 300}, True, 105, False, (300, "timer", True)),
    ({"name": "on_at", "time": T0 + 30 + 400}, False, 106, False, (400, "timer", True)),
    ({"name": "off_at", "time": T0 + 30 + 400}, True, 107, True, (400, "timer", False)),
    ({"name": "limit_power", "power": 5000, "time": 600}, False, 115, True, None),
]


@pytest.mark.parametrize(("command", "was_on", "code", "on_now", "later"), COMMANDS)
def test_commands_answer_their_code_and_switch(
    command: Json, was_on: bool, code: int, on_now: bool, later: Any
) -> None:
    state = make(CONSTANT)
    state["on"] = was_on
    at = T0 + 30
    outcome = MODEL.command(state, command, at, SEED)
    assert outcome.codes == (code,)
    function = outcome.reports[0]
    assert function.type == "function"
    assert function.reason == "command"
    assert function.state == ACTIVE
    assert function.info == {"update": command, "responseCodes": [code]}
    assert state["on"] is on_now
    changed = [r for r in outcome.reports if r.type == "relay" and r.events]
    if on_now != was_on:
        assert changed[0].reason == "api"
        assert changed[0].events == (("turnOn",) if on_now else ("turnOff",))
    else:
        assert changed == []
    if later is not None:
        _, status = MODEL.status(state, at)
        assert status["toggleAt"] == round(at + later[0])
        assert status["toggleIn"] == later[0]
    reports = run(state, T0, 20)
    expected = [] if later is None else [(30 + later[0], later[1], later[2])]
    assert relays(reports) == expected
    if later is not None:
        assert state["on"] is later[2]
        assert MODEL.status(state, T0 + 1200)[1]["toggleAt"] == 0


@pytest.mark.parametrize(
    ("command", "code"),
    [
        ({"name": "blink"}, -992),
        ({}, -992),
        ({"name": "on", "delay": -5}, -992),
        ({"name": "on_for"}, -992),
        ({"name": "off_for", "delay": 0}, -992),
        ({"name": "on_at", "time": T0 - 10}, -992),
        ({"name": "off_at"}, -992),
        ({"name": "limit_power", "power": 0, "time": 60}, -986),
        ({"name": "limit_power", "power": 50}, -986),
        ({"name": "limit_power", "power": 50, "time": -1}, -986),
    ],
)
def test_invalid_commands_get_negative_codes_and_change_nothing(command: Json, code: int) -> None:
    state = make(CONSTANT)
    before = copy.deepcopy(state)
    outcome = MODEL.command(state, command, T0 + 30, SEED)
    assert outcome.codes == (code,)
    assert [r.type for r in outcome.reports] == ["function"]
    assert outcome.reports[0].info["responseCodes"] == [code]
    assert state == before


@pytest.mark.parametrize(
    "command",
    [
        {"name": "on", "delay": "soon"},
        {"name": "on_at", "time": [1]},
        {"name": "on", "persist": "maybe"},
        {"name": "limit_power", "power": True, "time": 60},
    ],
)
def test_values_of_the_wrong_type_are_rejected(command: Json) -> None:
    state = make()
    with pytest.raises(CommandRejected):
        MODEL.command(state, command, T0, SEED)


def test_an_immediate_command_cancels_a_pending_timer() -> None:
    state = make(CONSTANT)
    MODEL.command(state, {"name": "off", "delay": 300}, T0 + 10, SEED)
    MODEL.command(state, {"name": "on"}, T0 + 20, SEED)
    assert MODEL.status(state, T0 + 20)[1]["toggleAt"] == 0
    assert relays(run(state, T0, 10)) == []
    assert state["on"] is True


def test_limit_power_turns_off_at_the_limit_and_on_after_the_period() -> None:
    state = make(CONSTANT)
    state["on"] = False
    outcome = MODEL.command(state, {"name": "limit_power", "power": 50, "time": 3600}, T0, SEED)
    assert outcome.codes == (115,)
    assert MODEL.info(state, T0)["powerLimit"] == {"endsAt": round(T0 + 3600), "power": 50}
    reports = run(state, T0, 70)
    (off_at, reason, on), (back_at, reason2, on2) = relays(reports)
    assert (reason, on, reason2, on2) == ("power_limit", False, "power_limit", True)
    assert off_at == pytest.approx(50 / 2400 * 3600, rel=0.03)  # 75 s at 2.4 kW
    assert back_at == pytest.approx(3600)
    energy = sum(u.info["power"] for u in of_type(reports, "update") if u.at <= T0 + 3600)
    assert energy == pytest.approx(50, abs=0.5)
    assert MODEL.info(state, T0 + 4200)["powerLimit"]["endsAt"] == 0


def test_limit_power_not_reached_leaves_the_load_on() -> None:
    state = make(CONSTANT)
    MODEL.command(state, {"name": "limit_power", "power": 5000, "time": 600}, T0, SEED)
    assert relays(run(state, T0, 30)) == []
    assert state["on"] is True


def test_reset_reboots_the_controller() -> None:
    state = make(CONSTANT)
    outcome = MODEL.command(state, {"name": "reset"}, T0 + 5, SEED)
    assert outcome.codes == (10,)
    assert MODEL.status(state, T0 + 6)[0] == UNAVAILABLE
    with pytest.raises(DeviceOffline):
        MODEL.command(state, {"name": "off"}, T0 + 6, SEED)
    reports = run(state, T0, 3)
    relay, update = reports[0], reports[1]
    assert (relay.type, relay.reason, relay.info["on"]) == ("relay", "reboot", True)
    assert (update.type, update.reason) == ("update", "auto")
    assert 20 <= relay.at - (T0 + 5) <= 60
    assert update.at == relay.at
    assert MODEL.status(state, relay.at)[0] == ACTIVE


def test_refresh_answers_100_101_and_an_api_update_since_the_last_update() -> None:
    state = make(CONSTANT)
    run(state, T0, 20)  # an auto update at T0+900
    outcome = MODEL.refresh(state, T0 + 1200, SEED)
    assert outcome.codes == (100, 101)
    function, update = outcome.reports
    assert (function.type, function.reason, function.info["responseCodes"]) == (
        "function",
        "status",
        [100, 101],
    )
    assert (update.type, update.reason, update.info["duration"]) == ("update", "api", 300)
    # the auto cadence is not moved: the next auto update still averages a whole period
    nxt = of_type(run(state, T0 + 1200, 15), "update")[0]
    assert (nxt.at - T0, nxt.reason, nxt.info["duration"]) == (1800, "auto", 900)


# --- settings ------------------------------------------------------------------------------

FFR_ON = {"enable": True, "tripThreshold": 59.7, "returnThreshold": 59.8, "periods": 10, "delay": 5}

# (body, codes, function status reasons, check of info afterwards)
SETTINGS: list[tuple[Json, list[int], list[str], Any]] = [
    ({"info": {"ffr": FFR_ON}}, [108], ["ffr"], lambda i: i["ffr"]["maxBackOff"] == 5),
    ({"info": {"ffr": {"enable": False}}}, [1001], ["ffr"], lambda i: not i["ffr"]["enabled"]),
    ({"info": {"samplePeriod": 300}}, [120], ["samplePeriod"], lambda i: i["samplePeriod"] == 300),
    ({"info": {"samplePeriod": "900"}}, [1002], ["samplePeriod"], lambda i: True),
    (
        {"info": {"flowmeter": {"type": "TUF2000M", "pipeType": "pex"}}},
        [112],
        ["command"],
        lambda i: i["flowmeter"]["type"] == "TUF2000M" and i["flowmeter"]["pipeType"] == "pex",
    ),
    (
        {"info": {"flowmeter": {"type": "euf4315k"}}},
        [111],
        ["command"],
        lambda i: i["flowmeter"]["type"] == "EUF4315K",
    ),
    ({"info": {"flowmeter": {"type": "none"}}}, [110], ["command"], lambda i: True),
    (
        {"info": {"capacity": {"enabled": True, "maxCapacity": 100, "minCapacity": 20}}},
        [114],
        ["command"],
        lambda i: i["capacity"]["enabled"] and i["capacity"]["maxCapacity"] == 100,
    ),
    ({"info": {"capacity": {"enabled": False}}}, [113], ["command"], lambda i: True),
    (
        {"info": {"powerLimit": {"power": 40, "time": 600}}},
        [115],
        ["command"],
        lambda i: i["powerLimit"] == {"endsAt": round(T0 + 600), "power": 40},
    ),
    ({"info": {"powerLimit": False}}, [122], ["command"], lambda i: i["powerLimit"]["endsAt"] == 0),
    (
        {
            "schedule": [
                {"name": "on", "when": T0 + 600, "repeat": 86400},
                {"name": "off", "when": T0 + 660, "repeat": 86400},
                {"name": "limit_power", "power": 50, "time": 3600, "when": T0 + 900},
            ]
        },
        [117, 117, 117],
        ["schedule"],
        lambda i: [s["name"] for s in i["schedule"]] == ["on", "off", "limit_power"],
    ),
    ({"schedule": []}, [119], ["schedule"], lambda i: i["schedule"] == []),
    (
        {"info": {"samplePeriod": 600, "ffr": FFR_ON}, "schedule": []},
        [120, 108, 119],
        ["samplePeriod", "ffr", "schedule"],
        lambda i: i["samplePeriod"] == 600 and i["ffr"]["enabled"],
    ),
]


@pytest.mark.parametrize(("body", "codes", "reasons", "check"), SETTINGS)
def test_settings_answer_their_codes(
    body: Json, codes: list[int], reasons: list[str], check: Any
) -> None:
    state = make()
    outcome = MODEL.configure(state, body, T0, SEED)
    assert list(outcome.codes) == codes
    assert [r.reason for r in outcome.reports] == reasons
    assert all(r.type == "function" and r.state == ACTIVE for r in outcome.reports)
    assert check(MODEL.info(state, T0))


def _ffr(**fields: Any) -> Json:
    return {"info": {"ffr": {**FFR_ON, **fields}}}


INVALID_SETTINGS: list[tuple[Json, list[int]]] = [
    (_ffr(periods=0), [-996]),
    (_ffr(periods=1000), [-995]),
    (_ffr(delay=-1), [-994]),
    (_ffr(tripThreshold=61), [-993]),
    (_ffr(returnThreshold=59.5), [-993]),
    ({"info": {"samplePeriod": 30}}, [-985]),
    ({"info": {"samplePeriod": 100000}}, [-985]),
    ({"info": {"samplePeriod": 300.5}}, [-985]),
    ({"info": {"flowmeter": {"type": "XYZ100"}}}, [-999]),
    ({"info": {"flowmeter": {"type": "TUF2000M", "pipeType": "wood"}}}, [-991]),
    ({"info": {"flowmeter": {"pipeOuterDiameter": 5}}}, [-990]),
    ({"info": {"flowmeter": {"pipeWallThickness": 12}}}, [-989]),
    ({"info": {"capacity": {"minCapacity": -1}}}, [-988]),
    ({"info": {"capacity": {"maxCapacity": -1}}}, [-987]),
    ({"info": {"capacity": {"enabled": True, "maxCapacity": 0}}}, [-998]),
    ({"info": {"capacity": {"enabled": True, "maxCapacity": 10, "minCapacity": 10}}}, [-997]),
    ({"info": {"powerLimit": {"power": -5, "time": 60}}}, [-986]),
    ({"schedule": [{"name": "on", "when": T0 + 60}] * 40}, [-985]),
    ({"schedule": [{"name": "dance", "when": T0 + 60}]}, [-985]),
    ({"schedule": [{"name": "on"}]}, [-985]),
    ({"schedule": [{"name": "limit_power", "power": 50, "when": T0 + 60}]}, [-985]),
    # one invalid setting spoils the whole body: only its code, nothing applied
    ({"info": {"samplePeriod": 300, "ffr": {"periods": 0}}}, [-996]),
    ({"info": {"flowmeter": {"type": "TUF2000M"}}, "schedule": [{"name": "x"}]}, [-985]),
]


@pytest.mark.parametrize(("body", "codes"), INVALID_SETTINGS)
def test_invalid_settings_get_negative_codes_and_change_nothing(
    body: Json, codes: list[int]
) -> None:
    state = make()
    before = copy.deepcopy(state)
    outcome = MODEL.configure(state, body, T0, SEED)
    assert list(outcome.codes) == codes
    assert all(r.type == "function" for r in outcome.reports)
    assert [c for r in outcome.reports for c in r.info["responseCodes"]] == codes
    assert state == before


@pytest.mark.parametrize(
    "body",
    [
        {"info": "fast"},
        {"info": {"samplePeriod": "often"}},
        {"info": {"ffr": {"enable": "perhaps"}}},
        {"schedule": {"name": "on"}},
        {"schedule": [{"name": "on", "when": "tomorrow"}]},
    ],
)
def test_settings_of_the_wrong_type_are_rejected(body: Json) -> None:
    with pytest.raises(CommandRejected):
        MODEL.configure(make(), body, T0, SEED)


def test_update_cadence_follows_the_sample_period() -> None:
    state = make(CONSTANT)
    first = of_type(run(state, T0, 60), "update")
    assert [(u.at - T0, u.info["duration"]) for u in first] == [
        (900 * k, 900) for k in (1, 2, 3, 4)
    ]
    assert all(u.reason == "auto" for u in first)
    at = T0 + 3600
    assert MODEL.configure(state, {"info": {"samplePeriod": 300}}, at, SEED).codes == (120,)
    then = of_type(run(state, at, 30), "update")
    assert [(u.at - at, u.info["duration"]) for u in then] == [(300 * k, 300) for k in range(1, 7)]
    assert then[0].info["power"] == pytest.approx(2400 * 300 / 3600, rel=0.03)


def test_schedules_fire_and_repeat() -> None:
    state = make(CONSTANT)
    body = {
        "schedule": [
            {"name": "off", "when": T0 + 600, "repeat": 3600},
            {"name": "on", "when": T0 + 1200, "repeat": 3600},
            {"name": "limit_power", "power": 20, "time": 600, "when": T0 + 9000},
        ]
    }
    assert MODEL.configure(state, body, T0, SEED).codes == (117, 117, 117)
    reports = run(state, T0, 180)
    assert [r for r in relays(reports) if r[1] == "timer"][:6] == [
        (600, "timer", False),
        (1200, "timer", True),
        (4200, "timer", False),
        (4800, "timer", True),
        (7800, "timer", False),
        (8400, "timer", True),
    ]
    # the limit_power schedule at 9000 (load already on): the limit cuts it at 20 Wh and
    # lets it on again when its 600 s are over
    (cut, _, off), (again, _, on) = [r for r in relays(reports) if r[1] == "power_limit"]
    assert (off, on) == (False, True)
    assert cut == pytest.approx(9000 + 20 / 2400 * 3600, abs=1)
    assert again == pytest.approx(9600)
    assert [e.get("next") for e in state["schedule"]][:2] == [T0 + 11400, T0 + 12000]


def test_a_past_schedule_fires_at_its_next_repetition_or_never() -> None:
    state = make(CONSTANT)
    body = {
        "schedule": [
            {"name": "off", "when": T0 - 3000, "repeat": 3600},  # next at T0 + 600
            {"name": "on", "when": T0 - 60},  # never
        ]
    }
    MODEL.configure(state, body, T0, SEED)
    assert relays(run(state, T0, 20)) == [(600, "timer", False)]


# --- FFR -----------------------------------------------------------------------------------


def test_ffr_trips_on_a_dip_and_returns_after_a_random_delay() -> None:
    state = make(CONSTANT)
    assert MODEL.configure(state, {"info": {"ffr": FFR_ON}}, T0, SEED).codes == (108,)
    force_dip(state, T0 + 120.5, 20, 59.6)
    reports = run(state, T0, 5)
    trigger = of_type(reports, "trigger")
    assert len(trigger) == 1
    assert trigger[0].reason == "ffr"
    assert trigger[0].info["frequency"] < 59.7
    # below 59.7 after 0.75 s of the 1 s fall, then 10 cycles (1/6 s)
    assert trigger[0].at - (T0 + 120.5) == pytest.approx(0.75 + 10 / 60, abs=0.02)
    (off, reason, on), (back, reason2, on2) = relays(reports)
    assert (reason, on, reason2, on2) == ("ffr", False, "ffrr", True)
    assert off == trigger[0].at - T0
    # back above 59.8 halfway up the 10 s recovery, then a random delay up to 5 s
    assert 120.5 + 20 + 5 <= back <= 120.5 + 20 + 5 + 5 + 0.1
    assert state["on"] is True


@pytest.mark.parametrize(
    ("ffr", "dip_seconds", "trips"),
    [
        (FFR_ON, 20, True),
        ({**FFR_ON, "enable": False}, 20, False),
        ({**FFR_ON, "periods": 600}, 5, False),  # 10 s of cycles: a 5 s dip is too short
        ({**FFR_ON, "periods": 600}, 30, True),
        ({**FFR_ON, "tripThreshold": 59.5}, 20, False),  # the dip stays above 59.5
    ],
)
def test_ffr_trip_conditions(ffr: Json, dip_seconds: float, trips: bool) -> None:
    state = make(CONSTANT)
    MODEL.configure(state, {"info": {"ffr": ffr}}, T0, SEED)
    force_dip(state, T0 + 90, dip_seconds, 59.6)
    reports = run(state, T0, 5)
    assert bool(of_type(reports, "trigger")) is trips
    assert ("ffr" in [r[1] for r in relays(reports)]) is trips


def test_ffr_leaves_a_load_that_is_off_alone() -> None:
    state = make(CONSTANT)
    MODEL.configure(state, {"info": {"ffr": FFR_ON}}, T0, SEED)
    MODEL.command(state, {"name": "off"}, T0, SEED)
    force_dip(state, T0 + 90, 20, 59.6)
    reports = run(state, T0, 5)
    assert of_type(reports, "trigger") == []
    assert relays(reports) == []


def test_seeded_dips_trip_ffr_a_few_times_a_week() -> None:
    state = make(CONSTANT, seed=3)
    MODEL.configure(state, {"info": {"ffr": FFR_ON}}, T0, 3)
    reports = run(state, T0, 7 * 1440, seed=3)
    triggers = of_type(reports, "trigger")
    assert 1 <= len(triggers) <= 10
    assert all(t.info["frequency"] < 59.7 for t in triggers)
    returns = [r for r in relays(reports) if r[1] == "ffrr"]
    assert len(returns) == len(triggers)
    frequencies = [u.info["frequency"] for u in of_type(reports, "update")]
    assert all(59.95 <= f <= 60.05 for f in frequencies)


# --- capacity and flow ---------------------------------------------------------------------


def test_capacity_set_points_switch_the_relay() -> None:
    state = make(CONSTANT)
    capacity = {
        "enabled": True,
        "gainPerWattHour": 1,
        "lossPerIdleMinute": 10,
        "maxCapacity": 100,
        "minCapacity": 50,
    }
    assert MODEL.configure(state, {"info": {"capacity": capacity}}, T0, SEED).codes == (114,)
    found = relays(run(state, T0, 12))
    assert [(reason, on) for _, reason, on in found[:3]] == [
        ("max_capacity", False),
        ("min_capacity", True),
        ("max_capacity", False),
    ]
    assert found[0][0] == pytest.approx(50 / 2400 * 3600, rel=0.03)  # 50 units at 2.4 kW
    assert found[1][0] - found[0][0] == pytest.approx(300, abs=0.5)  # 50 units at 10/min


def test_flow_is_null_without_a_flowmeter_and_measured_with_one() -> None:
    plain = make()
    assert all(u.info["flow"] is None for u in of_type(run(plain, T0, 1440), "update"))
    metered = make()
    assert MODEL.configure(
        metered, {"info": {"flowmeter": {"type": "TUF2000M"}}}, T0, SEED
    ).codes == (112,)
    flows = [u.info["flow"] for u in of_type(run(metered, T0, 1440), "update")]
    assert all(isinstance(f, float) for f in flows)
    assert max(flows) > 0
    assert min(flows) == 0


# --- boot and the link ---------------------------------------------------------------------


def test_a_new_controller_initializes_then_comes_online() -> None:
    state = make({"new": True, **CONSTANT})
    assert MODEL.status(state, T0) == (INITIALIZING, {})
    with pytest.raises(DeviceOffline):
        MODEL.command(state, {"name": "off"}, T0 + 10, SEED)
    reports = run(state, T0, 6)
    relay, update = reports[0], reports[1]
    assert 120 <= relay.at - T0 <= 300
    assert (relay.type, relay.reason, relay.info["on"], relay.events) == (
        "relay",
        "reboot",
        True,
        ("turnOn",),
    )
    assert (update.type, update.reason, update.at) == ("update", "auto", relay.at)
    assert MODEL.status(state, T0 + 360)[0] == ACTIVE
    nxt = of_type(run(state, T0 + 360, 16), "update")[0]
    assert nxt.at == update.at + 900


def test_offline_sync_calls_raise_and_nothing_is_reported() -> None:
    state = make(CONSTANT)
    assert MODEL.set_online(state, False, T0, SEED) == []
    assert MODEL.status(state, T0)[0] == UNAVAILABLE
    with pytest.raises(DeviceOffline):
        MODEL.command(state, {"name": "off"}, T0, SEED)
    with pytest.raises(DeviceOffline):
        MODEL.configure(state, {"info": {"samplePeriod": 300}}, T0, SEED)
    with pytest.raises(DeviceOffline):
        MODEL.refresh(state, T0, SEED)
    assert run(state, T0, 60) == []


def test_offline_async_persistent_work_is_carried_out_on_return() -> None:
    state = make(CONSTANT)
    MODEL.set_online(state, False, T0, SEED)
    first = MODEL.command(state, {"name": "on_for", "delay": 60}, T0 + 10, SEED, asynchronous=True)
    latest = MODEL.command(state, {"name": "off"}, T0 + 20, SEED, asynchronous=True)
    setting = MODEL.configure(state, {"info": {"samplePeriod": 300}}, T0 + 30, SEED, True)
    for outcome, reason in ((first, "command"), (latest, "command"), (setting, "samplePeriod")):
        (function,) = outcome.reports
        assert (function.type, function.state, function.reason) == ("function", UNAVAILABLE, reason)
        assert function.info["responseCodes"] == []
        assert outcome.codes == ()
    assert state["on"] is True
    run(state, T0, 10)
    back = MODEL.set_online(state, True, T0 + 700, SEED)
    assert [(r.type, r.state, r.reason) for r in back] == [
        ("function", ACTIVE, "samplePeriod"),
        ("function", ACTIVE, "command"),
        ("relay", ACTIVE, "api"),
    ]
    assert back[0].info["responseCodes"] == [120]
    assert back[1].info == {"update": {"name": "off"}, "responseCodes": [103]}  # the latest only
    assert state["on"] is False
    updates = of_type(run(state, T0 + 660, 11), "update")
    assert [u.at - T0 for u in updates] == [1000, 1300]


def test_offline_async_non_persistent_command_is_dropped() -> None:
    state = make(CONSTANT)
    MODEL.set_online(state, False, T0, SEED)
    outcome = MODEL.command(state, {"name": "off", "persist": False}, T0, SEED, asynchronous=True)
    assert [(r.type, r.state) for r in outcome.reports] == [("function", UNAVAILABLE)]
    assert MODEL.set_online(state, True, T0 + 300, SEED) == []
    assert state["on"] is True


def test_async_refresh_offline_is_kept() -> None:
    state = make(CONSTANT)
    MODEL.set_online(state, False, T0, SEED)
    outcome = MODEL.refresh(state, T0, SEED, asynchronous=True)
    assert [(r.type, r.reason, r.state) for r in outcome.reports] == [
        ("function", "status", UNAVAILABLE)
    ]
    back = MODEL.set_online(state, True, T0 + 120, SEED)
    assert [(r.type, r.reason) for r in back] == [("function", "status"), ("update", "api")]


def test_async_commands_online_are_carried_out_at_once() -> None:
    state = make(CONSTANT)
    outcome = MODEL.command(state, {"name": "off"}, T0, SEED, asynchronous=True)
    assert outcome.codes == (103,)
    assert state["on"] is False


# --- events, replay and persistence --------------------------------------------------------


def test_updates_raise_current_and_temp_when_they_change() -> None:
    state = make()
    updates = of_type(run(state, T0, 1440), "update")
    for previous, update in itertools.pairwise(updates):
        changed = update.info["current"] != previous.info["current"]
        assert ("current" in update.events) is changed
        if changed:
            assert update.values["current"] == update.info["current"]
        if "temp" in update.events:
            assert update.values["temp"] == update.info["temperature"]


def test_seeded_replay() -> None:
    a, b, c = make(seed=11), make(seed=11), make(seed=12)
    ra, rb, rc = run(a, T0, 2880, 11), run(b, T0, 2880, 11), run(c, T0, 2880, 12)
    assert ra == rb
    assert ra != rc


def test_a_json_round_trip_mid_run_changes_nothing() -> None:
    straight = make({"dips": [{"at": T0 + 3000.5, "duration": 30, "frequency": 59.6}]})
    chunked = copy.deepcopy(straight)
    for state in (straight, chunked):
        MODEL.configure(state, {"info": {"ffr": FFR_ON, "samplePeriod": 300}}, T0, SEED)
        MODEL.command(state, {"name": "off_for", "delay": 4000}, T0 + 10, SEED)
    one = run(straight, T0, 1440)
    two = run(chunked, T0, 700)
    chunked = json.loads(json.dumps(chunked))
    two += run(chunked, T0 + 700 * 60, 740)
    assert one == two
    assert straight == chunked
