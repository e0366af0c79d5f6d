"""Phason API v1.0.3 through HTTP, table-driven from the document's examples and messages."""

from __future__ import annotations

import base64
import itertools
import json
import re
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from ductwork.vendors.phason import wire
from tests.conftest import HISTORY_HOURS, PREFIX, World

EXAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "phason_v1_0_3_examples.json").read_text()
)
AUTH_FAILED = {"message": "API Key Authentication Failed."}
NOT_ON_DEVICE = {"message": "Phason User Account does not exists on this device."}
NOW = "2024-07-23 16:30:00"
GROUPS = 5

# Every endpoint behind the Phasonkey header: (example name, path, query, wire type).
ENDPOINTS: list[tuple[str, str, dict[str, str], Any]] = [
    ("devices", "/devices", {}, list[wire.DeviceOut]),
    ("time", "/devices/{device}/time", {}, wire.DeviceTime),
    ("equipment_groups_history", "/devices/{device}/equipment_groups/history", {},
     list[wire.GroupReading]),
    ("equipment_groups_settings", "/devices/{device}/equipment_groups/settings",
     {"group_id": "{group}"}, wire.GroupSettings),
    ("outputs_history", "/devices/{device}/outputs/history",
     {"start": "2024-07-23 16:00:00", "end": "2024-07-23 16:30:00"}, list[wire.OutputOut]),
    ("outputs_settings", "/devices/{device}/outputs/settings", {"module_num": "2", "io_num": "1"},
     wire.OutputSettings),
    ("inputs", "/devices/{device}/inputs",
     {"start": "2024-07-23 16:00:00", "end": "2024-07-23 16:30:00"}, list[wire.InputOut]),
    ("growth_curves", "/devices/{device}/growth_curves", {}, wire.Curves),
    ("growth_curves_settings", "/devices/{device}/growth_curves/settings",
     {"growth_curve_id": "{curve}"}, wire.CurveSettings),
]  # fmt: skip
DEVICE_ENDPOINTS = [e for e in ENDPOINTS if "{device}" in e[1]]


def _ids(client: httpx.Client, world: World) -> dict[str, str]:
    """Real ids of tenant a's device, group and curve, as the API reports them."""
    device = world.a.device
    groups = client.get(f"{PREFIX}/devices/{device}/equipment_groups/history",
                        headers=world.a.headers).json()  # fmt: skip
    curves = client.get(f"{PREFIX}/devices/{device}/growth_curves", headers=world.a.headers)
    return {
        "device": device,
        "group": groups[0]["group_id"],
        "curve": str(curves.json()["settings"][0]["growth_curve_id"]),
    }


def _fill(text: str, ids: dict[str, str]) -> str:
    return text.format(**ids)


def _request(
    client: httpx.Client, world: World, path: str, query: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    ids = _ids(client, world)
    return client.get(
        PREFIX + _fill(path, ids), params={k: _fill(v, ids) for k, v in query.items()},
        headers=headers,
    )  # fmt: skip


def _shape(value: Any) -> Any:
    """Keys and JSON types of a document, with lists reduced to their first item's shape."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shape(value[0])] if value else []
    return type(value).__name__


# ------------------------------------------------------------------ the documented shapes
@pytest.mark.parametrize(("example", "path", "query", "type_"), ENDPOINTS,
                         ids=[e[0] for e in ENDPOINTS])  # fmt: skip
def test_response_matches_document_example(
    client: httpx.Client, world: World, example: str, path: str, query: dict[str, str], type_: Any
) -> None:
    """Field names and value types (strings stay strings) are the document's, in its order."""
    response = _request(client, world, path, query, world.a.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    msgspec.json.decode(response.content, type=type_, strict=True)
    documented = EXAMPLES[example]
    if isinstance(body, list):
        assert body, "a list endpoint returned nothing"
        assert _shape(body[0]) == _shape(documented)
        assert list(body[0]) == list(documented)
    elif example == "outputs_settings":
        # Only the sections that apply to the output are present; each as documented.
        sections = [k for k in body if k != "message"]
        assert sections == ["variable output settings"]
        assert _shape(body[sections[0]]) == _shape(documented[sections[0]])
    else:
        assert _shape(body) == _shape(documented)


# ------------------------------------------------------------------ authentication
@pytest.mark.parametrize(("example", "path", "query", "type_"), ENDPOINTS,
                         ids=[e[0] for e in ENDPOINTS])  # fmt: skip
@pytest.mark.parametrize("key", [None, "", "0" * 32, "not-a-key"])
def test_bad_or_missing_key_is_refused(
    client: httpx.Client,
    world: World,
    example: str,
    path: str,
    query: dict[str, str],
    type_: Any,
    key: str | None,
) -> None:
    """Every endpoint answers 401 'API Key Authentication Failed.' without a valid key."""
    headers = {} if key is None else {"Phasonkey": key}
    response = _request(client, world, path, query, headers)
    assert response.status_code == 401
    assert response.json() == AUTH_FAILED


def _basic(email: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{email}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def test_generate_key_issues_a_working_key(client: httpx.Client, world: World) -> None:
    """POST /generate_key with Basic auth returns a new 32-hex key that authenticates."""
    response = client.post(
        f"{PREFIX}/generate_key", headers=_basic(world.b.email, world.b.password)
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["api_key", "message"]
    assert body["message"] == EXAMPLES["generate_key"]["message"]
    assert re.fullmatch(r"[0-9a-f]{32}", body["api_key"])
    assert body["api_key"] != world.b.key
    devices = client.get(f"{PREFIX}/devices", headers={"Phasonkey": body["api_key"]})
    assert devices.status_code == 200
    assert [d["device_id"] for d in devices.json()] == list(world.b.device_ids)


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Invalid User."),
        ({"Authorization": "Basic !!!notbase64"}, "Invalid User."),
        ({"Authorization": "Bearer abc"}, "Invalid User."),
        (_basic("nobody@example.com", "whatever1"), "Invalid User."),
        (_basic("bob@example.com", "wrong-password"), "Invalid Password."),
        (_basic("BOB@example.com", "wrong-password"), "Invalid Password."),
    ],
    ids=["no-auth", "bad-base64", "bearer", "unknown-user", "wrong-password", "email-case"],
)
def test_generate_key_refusals(
    client: httpx.Client, world: World, headers: dict[str, str], message: str
) -> None:
    """Refusals are 401 with the document's messages and create no key."""
    before = len(world.runtime.accounts.list_keys())
    response = client.post(f"{PREFIX}/generate_key", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"message": message}
    assert len(world.runtime.accounts.list_keys()) == before


def test_revoked_key_stops_working(client: httpx.Client, world: World) -> None:
    """A revoked key is refused (after the short authentication cache)."""
    key = client.post(
        f"{PREFIX}/generate_key", headers=_basic(world.b.email, world.b.password)
    ).json()["api_key"]
    assert client.get(f"{PREFIX}/devices", headers={"Phasonkey": key}).status_code == 200
    key_id = max(k.id for k in world.runtime.accounts.list_keys(world.b.email))
    assert world.runtime.accounts.revoke_key(key_id)
    import time

    time.sleep(2.1)
    response = client.get(f"{PREFIX}/devices", headers={"Phasonkey": key})
    assert response.status_code == 401
    assert response.json() == AUTH_FAILED


# ------------------------------------------------------------------ tenant isolation
@pytest.mark.parametrize(("example", "path", "query", "type_"), DEVICE_ENDPOINTS,
                         ids=[e[0] for e in DEVICE_ENDPOINTS])  # fmt: skip
def test_other_accounts_device_is_not_visible(
    client: httpx.Client, world: World, example: str, path: str, query: dict[str, str], type_: Any
) -> None:
    """Tenant b's key on tenant a's device gets the document's 404 message, nothing else."""
    response = _request(client, world, path, query, world.b.headers)
    assert response.status_code == 404
    assert response.json() == NOT_ON_DEVICE


def test_device_lists_are_per_account(client: httpx.Client, world: World) -> None:
    """Each key sees exactly its own account's devices."""
    for tenant in (world.a, world.b):
        body = client.get(f"{PREFIX}/devices", headers=tenant.headers).json()
        assert [d["device_id"] for d in body] == list(tenant.device_ids)
    assert set(world.a.device_ids).isdisjoint(world.b.device_ids)


@pytest.mark.parametrize("device", ["0", "-1", "abc", "99999999999999999999", "1.5", "%20"])
def test_unknown_device(client: httpx.Client, world: World, device: str) -> None:
    """Unknown or malformed device ids answer like another account's device."""
    response = client.get(f"{PREFIX}/devices/{device}/time", headers=world.a.headers)
    assert response.status_code == 404
    assert response.json() == NOT_ON_DEVICE


# ------------------------------------------------------------------ devices and time
def test_devices(client: httpx.Client, world: World) -> None:
    """The demo barn is an AutoFlex Connect reporting at the account's (frozen) clock."""
    (device,) = client.get(f"{PREFIX}/devices", headers=world.a.headers).json()
    assert device["device_id"] == world.a.device
    assert device["device_type"] == "AutoFlex Connect"
    assert re.fullmatch(r"AutoFlex-[0-9A-F]{6}", device["host_name"])
    assert device["last_reported_on"] == NOW


def test_device_time(client: httpx.Client, world: World) -> None:
    """The device's local date-time and time zone."""
    body = client.get(f"{PREFIX}/devices/{world.a.device}/time", headers=world.a.headers).json()
    assert body == {"datetime": NOW, "timezone": "America/Chicago"}


# ------------------------------------------------------------------ equipment groups
def _latest_groups(client: httpx.Client, world: World) -> list[dict[str, str]]:
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/equipment_groups/history", headers=world.a.headers
    )
    assert response.status_code == 200
    result: list[dict[str, str]] = response.json()
    return result


def _inputs_at(client: httpx.Client, world: World) -> dict[str, float]:
    body = client.get(f"{PREFIX}/devices/{world.a.device}/inputs", headers=world.a.headers).json()
    return {i["name"]: float(i["values"][-1]["reading"]) for i in body}


def test_latest_equipment_groups(client: httpx.Client, world: World) -> None:
    """One latest record per group, of the documented types, at the device's current minute."""
    groups = _latest_groups(client, world)
    assert len(groups) == GROUPS
    assert {g["group_type"] for g in groups} == {"1", "5", "15", "16"}
    descriptions = {g["group_type"]: g["group_type_description"] for g in groups}
    assert descriptions["1"] == "temperature"
    assert descriptions["5"] == "static pressure"
    assert {g["reading_time"] for g in groups} == {NOW}
    assert len({g["room_id"] for g in groups}) == 2
    for g in groups:
        limits = ("target_lower_limit", "target_value", "target_upper_limit")
        low, target, high = (float(g[k]) for k in limits)
        assert low < target < high
        assert g["alarm_code"] in {"0", "1", "2"}
        assert (g["alarm_code"] == "0") == (g["alarm_time"] == "0")
        if g["alarm_code"] != "0":
            assert not low <= float(g["current_reading"]) <= high


def test_group_readings_come_from_their_sensors(client: httpx.Client, world: World) -> None:
    """Temperature is the mean of its probes; THI = 0.8·T + RH·(T − 14.4) + 46.4."""
    groups = {g["group_name"]: float(g["current_reading"]) for g in _latest_groups(client, world)}
    sensors = _inputs_at(client, world)
    mean = (sensors["Finisher Temp A"] + sensors["Finisher Temp B"]) / 2
    assert groups["Finisher Temperature"] == pytest.approx(mean, abs=0.051)
    rh = sensors["Finisher Humidity"] / 100
    assert groups["Finisher THI"] == pytest.approx(0.8 * mean + rh * (mean - 14.4) + 46.4, abs=0.06)
    assert groups["Nursery Temperature"] == sensors["Nursery Temp"]
    assert groups["Finisher Static Pressure"] == sensors["Finisher Static"]


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        ("2024-07-23 12:00:00", "2024-07-23 13:00:00", 61),
        ("2024-07-23T12:00:00", "2024-07-23T12:09:00", 10),
        ("2024-07-23 12:00", "2024-07-23 12:04", 5),
        ("2024-07-23", "2024-07-23", HISTORY_HOURS * 60),
        ("2024-07-20", "2024-07-25", HISTORY_HOURS * 60),
        ("2024-07-01", "2024-07-02", 0),
    ],
)
def test_equipment_group_history_range(
    client: httpx.Client, world: World, start: str, end: str, minutes: int
) -> None:
    """A range returns every one-minute record of every group, oldest first."""
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/equipment_groups/history",
        params={"start": start, "end": end},
        headers=world.a.headers,
    )
    assert response.status_code == 200
    rows = response.json()
    assert len(rows) == minutes * GROUPS
    times = [r["reading_time"] for r in rows]
    assert times == sorted(times)
    if minutes > 30:
        readings = {r["current_reading"] for r in rows if r["group_type"] == "1"}
        assert len(readings) > 3, "a simulated barn's temperature moves over an hour"


def test_history_is_the_same_through_both_time_forms(client: httpx.Client, world: World) -> None:
    """A date-time range is a slice of the whole-day range: one history, not canned values."""
    url = f"{PREFIX}/devices/{world.a.device}/equipment_groups/history"
    day = client.get(url, params={"start": "2024-07-23", "end": "2024-07-23"},
                     headers=world.a.headers).json()  # fmt: skip
    hour = client.get(url, params={"start": "2024-07-23 14:00:00", "end": "2024-07-23 14:59:59"},
                      headers=world.a.headers).json()  # fmt: skip
    assert hour == [r for r in day if r["reading_time"].startswith("2024-07-23 14:")]


BAD_RANGES = [
    ({"start": "2024-07-23"}, "Both start and end dates are required for a date range."),
    ({"end": "2024-07-23"}, "Both start and end dates are required for a date range."),
    ({"start": "2024-13-01", "end": "2024-07-23"},
     "Invalid start date. Use yyyy-mm-dd or yyyy-mm-dd hh:mm:ss."),
    ({"start": "2024-07-23", "end": "tomorrow"},
     "Invalid end date. Use yyyy-mm-dd or yyyy-mm-dd hh:mm:ss."),
    ({"start": "2024-07-23 25:00:00", "end": "2024-07-24"},
     "Invalid start date. Use yyyy-mm-dd or yyyy-mm-dd hh:mm:ss."),
    ({"start": "9999-12-31", "end": "9999-12-31"},
     "Invalid end date. Use yyyy-mm-dd or yyyy-mm-dd hh:mm:ss."),
    ({"start": "x" * 5000, "end": "2024-07-23"},
     "Invalid start date. Use yyyy-mm-dd or yyyy-mm-dd hh:mm:ss."),
    ({"start": "2024-07-23", "end": "2024-07-22"}, "End date should be greater than start date."),
    ({"start": "2024-07-23 12:00:00", "end": "2024-07-23 12:00:00"},
     "End date should be greater than start date."),
    ({"start": "2024-07-01", "end": "2024-07-23"}, "The date range may not exceed 7 days."),
    ({"start": "1970-01-01", "end": "2099-01-01"}, "The date range may not exceed 7 days."),
]  # fmt: skip


@pytest.mark.parametrize("endpoint", ["equipment_groups/history", "outputs/history", "inputs"])
@pytest.mark.parametrize(("query", "message"), BAD_RANGES)
def test_bad_ranges(
    client: httpx.Client, world: World, endpoint: str, query: dict[str, str], message: str
) -> None:
    """Malformed, reversed or huge ranges get 422 with a message; never a 500."""
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/{endpoint}", params=query, headers=world.a.headers
    )
    assert response.status_code == 422
    assert response.json() == {"message": message}


@pytest.mark.parametrize("endpoint", ["equipment_groups/history", "outputs/history", "inputs"])
@pytest.mark.parametrize(
    "query",
    [
        {"start": "0007-02-07", "end": "0007-02-07"},
        {"start": "7611-01-08", "end": "7611-01-08"},
        {"start": "2000-01-01 12:00:10", "end": "2000-01-01 12:00:50"},
    ],
    ids=["year-7", "year-7611", "inside-one-minute"],
)
def test_ranges_far_from_now_are_empty(
    client: httpx.Client, world: World, endpoint: str, query: dict[str, str]
) -> None:
    """A range centuries before or after the history answers 200 with no readings (the
    latest reading is read apart from it), never a 500."""
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/{endpoint}", params=query, headers=world.a.headers
    )
    assert response.status_code == 200, response.text
    assert all(not item.get("values") for item in response.json())


def test_group_settings(client: httpx.Client, world: World) -> None:
    """Master setpoint, settings mode and growth-curve day; the curve drives today's target."""
    groups = {g["group_name"]: g for g in _latest_groups(client, world)}
    finisher = groups["Finisher Temperature"]
    body = client.get(
        f"{PREFIX}/devices/{world.a.device}/equipment_groups/settings",
        params={"group_id": finisher["group_id"]},
        headers=world.a.headers,
    ).json()
    (setting,) = body["settings"]
    assert body["message"] == "Success"
    assert setting["settings_name"] == "Room settings mode 1"
    assert setting["growth_curve_enabled"] == 1
    assert setting["growth_curve_current_day"] == 56
    curve = client.get(
        f"{PREFIX}/devices/{world.a.device}/growth_curves/settings",
        params={"growth_curve_id": setting["growth_curve_id"]},
        headers=world.a.headers,
    ).json()
    steps = [(s["day_num"], float(s["curve_value"])) for s in curve["settings"]]
    (d0, v0), (d1, v1) = next((a, b) for a, b in itertools.pairwise(steps) if a[0] <= 56 <= b[0])
    assert float(finisher["target_value"]) == round(v0 + (v1 - v0) * (56 - d0) / (d1 - d0), 1)


@pytest.mark.parametrize(
    ("group_id", "status", "message"),
    [
        (None, 422, "The group_id parameter is required."),
        ("", 422, "The group_id parameter is required."),
        ("abc", 422, "The group_id parameter must be an integer."),
        ("1.5", 422, "The group_id parameter must be an integer."),
        ("99999999999999999999", 404, "Equipment group not found on this device."),
        ("-3", 404, "Equipment group not found on this device."),
    ],
)
def test_group_settings_errors(
    client: httpx.Client, world: World, group_id: str | None, status: int, message: str
) -> None:
    """A missing, malformed or unknown group id."""
    params = {} if group_id is None else {"group_id": group_id}
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/equipment_groups/settings",
        params=params,
        headers=world.a.headers,
    )
    assert response.status_code == status
    assert response.json() == {"message": message}


def test_group_of_another_device_is_not_found(client: httpx.Client, world: World) -> None:
    """Tenant b's group id on tenant a's device is unknown there."""
    b_groups = client.get(
        f"{PREFIX}/devices/{world.b.device}/equipment_groups/history", headers=world.b.headers
    ).json()
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/equipment_groups/settings",
        params={"group_id": b_groups[0]["group_id"]},
        headers=world.a.headers,
    )
    assert response.status_code == 404


# ------------------------------------------------------------------ outputs
def test_outputs_history(client: httpx.Client, world: World) -> None:
    """Every output module type of the barn, each with one value per minute of the range."""
    body = client.get(
        f"{PREFIX}/devices/{world.a.device}/outputs/history",
        params={"start": "2024-07-23 15:30:00", "end": "2024-07-23 16:29:00"},
        headers=world.a.headers,
    ).json()
    assert {o["module_type"] for o in body} >= {"2", "3", "4", "5"}
    for output in body:
        assert len(output["values"]) == 60
        assert output["reading_time"] == NOW
        assert output["device_id"] == world.a.device
        readings = [float(v["reading"]) for v in output["values"]]
        if output["module_type"] == "2":
            assert set(readings) <= {0.0, 1.0}
        elif output["module_type"] == "5" and output["io_type"] == "2":
            assert set(readings) <= {0.0, 1.0, 2.0}
        elif output["name"].endswith("Current"):
            assert all(0 <= r < 20 for r in readings)
        else:
            assert all(0 <= r <= 100 for r in readings)


def test_latest_outputs_without_range(client: httpx.Client, world: World) -> None:
    """Without start and end, each output carries its latest reading only."""
    body = client.get(
        f"{PREFIX}/devices/{world.a.device}/outputs/history", headers=world.a.headers
    ).json()
    for output in body:
        assert output["values"] == [{"reading": output["current_reading"], "time": NOW}]


OUTPUT_SECTIONS = [
    (1, 1, "fixed stage settings"),
    (1, 3, "Misting Order output settings"),
    (2, 1, "variable output settings"),
    (2, 3, "variable output settings"),
    (2, 4, "Timed Event/Follow Lux output settings"),
    (3, 1, "variable output settings"),
    (3, 3, "variable output settings"),
    (4, 1, "Inlet With Feedback Settings"),
    (5, 1, "Inlet no feedback settings"),
    (6, 1, "Timed Event/Follow Lux output settings"),
]


@pytest.mark.parametrize(("module", "io", "section"), OUTPUT_SECTIONS)
def test_output_settings_sections(
    client: httpx.Client, world: World, module: int, io: int, section: str
) -> None:
    """Each output function shows its own documented settings section, with its fields."""
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/outputs/settings",
        params={"module_num": module, "io_num": io},
        headers=world.a.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert list(body) == ["message", section]
    assert _shape(body[section]) == _shape(EXAMPLES["outputs_settings"][section])


def test_fixed_stage_setpoint_follows_the_group_target(client: httpx.Client, world: World) -> None:
    """The heater's relay setpoint is its offset below the group's current target."""
    groups = {g["group_name"]: g for g in _latest_groups(client, world)}
    body = client.get(
        f"{PREFIX}/devices/{world.a.device}/outputs/settings",
        params={"module_num": 1, "io_num": 1},
        headers=world.a.headers,
    ).json()
    target = float(groups["Finisher Temperature"]["target_value"])
    assert float(body["fixed stage settings"][0]["setpoint"]) == pytest.approx(target - 2.0)


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({"module_num": 7, "io_num": 1}, 400, "This module type is not supported."),
        ({"module_num": 9, "io_num": 3}, 400, "This module type is not supported."),
        ({"module_num": 42, "io_num": 1}, 404, "No module at this position on this device."),
        ({"module_num": 1, "io_num": 9}, 404, "No output at this position on this module."),
        ({"io_num": 1}, 422, "The module_num parameter is required."),
        ({"module_num": 1}, 422, "The io_num parameter is required."),
        ({"module_num": "one", "io_num": 1}, 422, "The module_num parameter must be an integer."),
    ],
)
def test_output_settings_errors(
    client: httpx.Client, world: World, params: dict[str, Any], status: int, message: str
) -> None:
    """Input modules are not supported; unknown positions and bad parameters are refused."""
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/outputs/settings",
        params=params,
        headers=world.a.headers,
    )
    assert response.status_code == status
    assert response.json() == {"message": message}


# ------------------------------------------------------------------ inputs
def test_inputs(client: httpx.Client, world: World) -> None:
    """The barn's sensors: the documented input types, one reading per minute in the range."""
    body = client.get(
        f"{PREFIX}/devices/{world.a.device}/inputs",
        params={"start": "2024-07-23 16:00:00", "end": "2024-07-23 16:29:59"},
        headers=world.a.headers,
    ).json()
    types = {i["io_type"] for i in body}
    assert types >= {"temperature", "humidity", "co2", "static_pressure", "nh3", "wind_speed",
                     "wind_direction", "light", "barometric_pressure", "rain_sensor",
                     "digital_input", "pulse_counter"}  # fmt: skip
    for sensor in body:
        assert len(sensor["values"]) == 30
        for value in sensor["values"]:
            float(value["reading"])
    by_name = {i["name"]: [float(v["reading"]) for v in i["values"]] for i in body}
    assert all(0 <= h <= 100 for h in by_name["Finisher Humidity"])
    assert all(400 <= c <= 6000 for c in by_name["Finisher CO2"])


# ------------------------------------------------------------------ growth curves
def test_growth_curves(client: httpx.Client, world: World) -> None:
    """Curves assigned and unassigned, each with seven steps of increasing day."""
    body = client.get(
        f"{PREFIX}/devices/{world.a.device}/growth_curves", headers=world.a.headers
    ).json()
    assert body["message"] == "API request successful."
    assert len(body["settings"]) == 3
    assert {c["zone_type"] for c in body["settings"]} == {1, 15}
    for curve in body["settings"]:
        steps = client.get(
            f"{PREFIX}/devices/{world.a.device}/growth_curves/settings",
            params={"growth_curve_id": curve["growth_curve_id"]},
            headers=world.a.headers,
        ).json()
        assert steps["growth_curve_id"] == str(curve["growth_curve_id"])
        days = [s["day_num"] for s in steps["settings"]]
        assert len(days) == 7
        assert days == sorted(set(days))


@pytest.mark.parametrize(
    ("curve", "status", "message"),
    [
        (None, 422, "The growth_curve_id parameter is required."),
        ("x", 422, "The growth_curve_id parameter must be an integer."),
        ("424242", 404, "Growth curve not found on this device."),
    ],
)
def test_growth_curve_errors(
    client: httpx.Client, world: World, curve: str | None, status: int, message: str
) -> None:
    """A missing, malformed or unknown curve id."""
    response = client.get(
        f"{PREFIX}/devices/{world.a.device}/growth_curves/settings",
        params={} if curve is None else {"growth_curve_id": curve},
        headers=world.a.headers,
    )
    assert response.status_code == status
    assert response.json() == {"message": message}


# ------------------------------------------------------------------ routing and documents
def test_vendor_host_routes_to_the_real_paths(client: httpx.Client, world: World) -> None:
    """Host: api.phasoncontrols.com (or .localhost) serves /v1.0.3/... as the real service."""
    for host in ("api.phasoncontrols.com", "api.phasoncontrols.com.localhost:8000"):
        response = client.get("/v1.0.3/devices", headers={"Host": host, **world.a.headers})
        assert response.status_code == 200
        assert response.json()[0]["device_id"] == world.a.device


def test_unknown_path_and_method(client: httpx.Client, world: World) -> None:
    """Unknown paths and wrong methods answer in Phason's error shape."""
    missing = client.get(f"{PREFIX}/nope", headers=world.a.headers)
    assert missing.status_code == 404
    assert missing.json() == {"message": "Endpoint not found."}
    wrong = client.delete(f"{PREFIX}/devices", headers=world.a.headers)
    assert wrong.status_code == 405
    assert wrong.json() == {"message": "Method not allowed."}


def test_openapi_document_and_docs_page(client: httpx.Client) -> None:
    """The OpenAPI document lists every endpoint; the docs page loads Swagger UI locally."""
    document = client.get(f"{PREFIX}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = {(m.upper(), p) for p, ops in document["paths"].items() for m in ops}
    expected = {("POST", "/generate_key")} | {
        ("GET", path.replace("{device}", "{deviceId}")) for _, path, _, _ in ENDPOINTS
    }
    assert paths == expected
    schemas = document["components"]["schemas"]
    assert schemas["GroupReading"]["properties"]["current_reading"]["type"] == "string"
    assert "fixed stage settings" in schemas["OutputSettings"]["properties"]
    page = client.get(f"{PREFIX}/docs")
    assert page.status_code == 200
    assert "/_ductwork/swagger-ui/swagger-ui-bundle.js" in page.text
    assert client.get("/_ductwork/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_alarms_follow_the_one_minute_rule(client: httpx.Client, world: World) -> None:
    """An alarm is raised only after a reading stays out of its limits for a minute; it clears
    as soon as the reading returns (low = 1, high = 2)."""
    rows = client.get(
        f"{PREFIX}/devices/{world.a.device}/equipment_groups/history",
        params={"start": "2024-07-23", "end": "2024-07-23"},
        headers=world.a.headers,
    ).json()
    raised = 0
    by_group: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        by_group.setdefault(row["group_id"], []).append(row)
    for history in by_group.values():
        for before, row in itertools.pairwise(history):
            low, high = float(row["target_lower_limit"]), float(row["target_upper_limit"])
            reading = float(row["current_reading"])
            side = "1" if reading < low else "2" if reading > high else "0"
            if side == "0":
                assert row["alarm_code"] == "0"
            if row["alarm_code"] != "0" and before["alarm_code"] == "0":
                raised += 1
                assert row["alarm_code"] == side
                assert row["alarm_time"] == row["reading_time"]
                b_low, b_high = (
                    float(before["target_lower_limit"]),
                    float(before["target_upper_limit"]),
                )
                b_reading = float(before["current_reading"])
                assert (b_reading < b_low) if side == "1" else (b_reading > b_high)
    assert raised > 0, "the hot afternoon in the demo barn raises at least one alarm"
