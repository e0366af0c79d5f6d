"""Phason v1.0.2 lighting timed events: schedules, segments and events, acting on the barn."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.conftest import World
from tests.test_phason_v1_0_2 import BASE, Owner, _advance, owner


def call(client: httpx.Client, me: Owner, method: str, name: str, **fields: Any) -> Any:
    """One timed-event endpoint of the owner's device; returns the JSON (asserting 200)."""
    url = BASE + name.format(device=me.device)
    data = {k: str(v) for k, v in fields.items()}
    if method == "GET":
        answer = client.get(url, params=data, headers=me.headers)
    else:
        answer = client.request(method, url, data=data, headers=me.headers)
    assert answer.status_code == 200, (name, answer.text)
    return answer.json()


def test_schedules_as_the_barn_has_them(client: httpx.Client, world: World) -> None:
    """The demo's weekly relay schedule and daily lux schedule, with outputs and segments."""
    me = owner(world)
    schedules = call(client, me, "GET", "/devices/{device}/light_all_schedules")
    weekly = next(s for s in schedules if s["schedule_name"] == "Finisher lighting")
    assert (weekly["schedule_type"], weekly["sched_repeat_day"]) == (1, 7)
    assert (weekly["output_module"], weekly["output_port"]) == (6, 1)
    assert 1 <= weekly["schedule_current_day"] <= 7
    assert [s["segment_start"] for s in weekly["segments"]] == ["1", "6"]
    first = weekly["segments"][0]["events"]
    assert [(e["event_value"], e["event_time"][-8:]) for e in first] == [
        (1, "06:00:00"),
        (0, "20:00:00"),
    ]
    lux = next(s for s in schedules if s["schedule_type"] == 1000)
    assert lux["input_module"] == 8
    stats = call(client, me, "GET", "/devices/{device}/timed_statistic")
    assert {s["schedule_id"] for s in stats["schedule_ids"]} == {
        s["schedule_id"] for s in schedules
    }
    device = call(client, me, "GET", "/devices/{device}/events_device")
    assert device["schedule_ids"][0]["segment_ids"][0]["event_ids"][0]["event_time"]
    single = call(
        client, me, "GET", "/devices/{device}/single_schedule", schedule_id=weekly["schedule_id"]
    )
    assert single["segments"] == weekly["segments"]


def test_a_new_schedule_drives_the_lights(client: httpx.Client, world: World) -> None:
    """Build a segment, events and a schedule by API, move the lights onto it: the twin
    switches them exactly at the events' times."""
    me = owner(world)
    old = next(
        s
        for s in call(client, me, "GET", "/devices/{device}/light_all_schedules")
        if s["schedule_type"] == 1
    )
    created = call(
        client,
        me,
        "POST",
        "/devices/{device}/segment_single",
        segment_name="Test",
        segment_module_type=2,
    )
    assert created["message"] == "New Segment Inserted Successfully"
    segment = created["settings"]["segment_id"]
    on = call(
        client,
        me,
        "POST",
        "/devices/{device}/event_single",
        segment_id=segment,
        event_value=1,
        event_time="16:40:00",
    )
    assert on["Message"] == "Event Created."
    off = call(
        client,
        me,
        "POST",
        "/devices/{device}/event_single",
        segment_id=segment,
        event_value=0,
        event_time="16:50",
    )
    schedule = call(
        client,
        me,
        "POST",
        "/devices/{device}/create_schedule",
        schedule_name="Test lights",
        sched_repeat_day=1,
        schedule_type=1,
    )
    assert schedule["Message"] == "The Schedule is created successfully"
    tied = call(
        client,
        me,
        "POST",
        "/devices/{device}/tie_schedule_segment",
        schedule_id=schedule["schedule_id"],
        segment_id=segment,
        segment_start=1,
    )
    assert tied["settings"]["schedule_module_type"] == 2
    taken = client.post(
        f"{BASE}/devices/{me.device}/single_schedule_set_module",
        params={"schedule_id": schedule["schedule_id"]},
        headers=me.headers,
        data={"output_module": "6", "output_port": "1", "schedule_current_day": "1"},
    )
    assert taken.status_code == 422, "the lights follow the weekly schedule already"
    call(client, me, "DELETE", "/devices/{device}/single_schedule", schedule_id=old["schedule_id"])
    moved = client.post(
        f"{BASE}/devices/{me.device}/single_schedule_set_module",
        params={"schedule_id": schedule["schedule_id"]},
        headers=me.headers,
        data={"output_module": "6", "output_port": "1", "schedule_current_day": "1"},
    )
    assert moved.status_code == 200
    _advance(client, me.email, 30 * 60)
    outputs = client.get(
        f"{BASE}/devices/{me.device}/outputs",
        headers=me.headers,
        params={"start": "2024-07-23 16:31:00", "end": "2024-07-23 16:59:00"},
    ).json()
    lights = next(o for o in outputs if o["name"] == "Finisher Lights")
    on_times = [v["time"][-8:-3] for v in lights["values"] if v["reading"] == "1"]
    assert on_times == [f"16:{m}" for m in range(40, 50)]
    updated = call(
        client,
        me,
        "PUT",
        "/devices/{device}/event_single",
        segment_id=segment,
        event_id=off["Create"]["event_id"],
        event_value=0,
        event_time="16:55:00",
    )
    assert updated["Message"] == "Event Updated."
    assert updated["Update"]["event_time"].endswith("16:55:00")
    deleted = call(
        client,
        me,
        "DELETE",
        "/devices/{device}/event_single",
        segment_id=segment,
        event_id=on["Create"]["event_id"],
    )
    assert deleted["Message"] == "Event Deleted."
    events = call(client, me, "GET", "/devices/{device}/events_segment", segment_id=segment)[
        "events"
    ]
    assert [e["event_id"] for e in events] == [off["Create"]["event_id"]]


@pytest.mark.parametrize(
    ("method", "name", "fields", "status"),
    [
        (
            "POST",
            "/devices/{device}/segment_single",
            {"segment_name": "x", "segment_module_type": "7"},
            422,
        ),
        ("POST", "/devices/{device}/segment_single", {"segment_module_type": "2"}, 422),
        (
            "POST",
            "/devices/{device}/event_single",
            {"segment_id": "{segment}", "event_value": "5", "event_time": "10:00:00"},
            422,
        ),
        (
            "POST",
            "/devices/{device}/event_single",
            {"segment_id": "{segment}", "event_value": "1", "event_time": "25:00"},
            422,
        ),
        ("DELETE", "/devices/{device}/segment_single", {"segment_id": "{segment}"}, 422),
        (
            "POST",
            "/devices/{device}/create_schedule",
            {"schedule_name": "x", "sched_repeat_day": "0", "schedule_type": "1"},
            422,
        ),
        (
            "POST",
            "/devices/{device}/create_schedule",
            {"schedule_name": "x", "sched_repeat_day": "3", "schedule_type": "7"},
            422,
        ),
        (
            "POST",
            "/devices/{device}/segment_single",
            {"segment_name": "a\x00b", "segment_module_type": "2"},
            422,
        ),
        (
            "POST",
            "/devices/{device}/create_schedule",
            {"schedule_name": "a\x00b", "sched_repeat_day": "3", "schedule_type": "1"},
            422,
        ),
        ("GET", "/devices/{device}/single_schedule", {"schedule_id": "999999"}, 404),
        (
            "POST",
            "/devices/{device}/single_schedule",
            {"schedule_id": "{schedule}", "schedule_name": " ", "sched_repeat_day": "7"},
            422,
        ),
        (
            "POST",
            "/devices/{device}/single_schedule",
            {"schedule_id": "{schedule}", "schedule_name": "x", "sched_repeat_day": ""},
            422,
        ),
        ("GET", "/devices/{device}/events_segment", {"segment_id": "999999"}, 404),
    ],
)
def test_timed_event_refusals(
    client: httpx.Client,
    world: World,
    method: str,
    name: str,
    fields: dict[str, str],
    status: int,
) -> None:
    """Bad values, unknown ids and deleting a tied segment are refused; nothing changes."""
    me = owner(world)
    weekly = next(
        s
        for s in call(client, me, "GET", "/devices/{device}/light_all_schedules")
        if s["schedule_type"] == 1
    )
    segment = weekly["segments"][0]["segment_id"]
    before = call(client, me, "GET", "/devices/{device}/events_device")
    schedule = str(weekly["schedule_id"])
    data = {
        k: v.replace("{segment}", segment).replace("{schedule}", schedule)
        for k, v in fields.items()
    }
    url = BASE + name.format(device=me.device)
    if method == "GET":
        answer = client.get(url, params=data, headers=me.headers)
    else:
        answer = client.request(method, url, data=data, headers=me.headers)
    assert answer.status_code == status, answer.text
    assert "message" in answer.json()
    assert call(client, me, "GET", "/devices/{device}/events_device") == before


def test_segment_types_must_match_the_schedule(client: httpx.Client, world: World) -> None:
    """A variable segment cannot join a relay schedule; a relay schedule cannot drive a VDC4."""
    me = owner(world)
    segment = call(
        client,
        me,
        "POST",
        "/devices/{device}/segment_single",
        segment_name="Var",
        segment_module_type=3,
    )["settings"]["segment_id"]
    relay = call(
        client,
        me,
        "POST",
        "/devices/{device}/create_schedule",
        schedule_name="R",
        sched_repeat_day=2,
        schedule_type=1,
    )["schedule_id"]
    mismatch = client.post(
        f"{BASE}/devices/{me.device}/tie_schedule_segment",
        headers=me.headers,
        data={"schedule_id": relay, "segment_id": segment, "segment_start": "1"},
    )
    assert mismatch.status_code == 422
    wrong_output = client.post(
        f"{BASE}/devices/{me.device}/single_schedule_set_module",
        params={"schedule_id": relay},
        headers=me.headers,
        data={"output_module": "2", "output_port": "4", "schedule_current_day": "1"},
    )
    assert wrong_output.status_code == 422
    renamed = call(
        client,
        me,
        "PUT",
        "/devices/{device}/segment_single",
        segment_id=segment,
        segment_name="Dimmer",
    )
    assert renamed["settings"]["segment_name"] == "Dimmer"
    assert any(
        s["segment_name"] == "Dimmer"
        for s in call(client, me, "GET", "/devices/{device}/segments_all")
    )


def test_ties_and_schedule_changes(client: httpx.Client, world: World) -> None:
    """Move a tie's start day, untie it, rename a schedule and move it to another output."""
    me = owner(world)
    weekly = next(
        s
        for s in call(client, me, "GET", "/devices/{device}/light_all_schedules")
        if s["schedule_type"] == 1
    )
    schedule, rest = weekly["schedule_id"], weekly["segments"][1]["segment_id"]
    tie = call(
        client, me, "GET", "/devices/{device}/segment_single", schedule_id=schedule, segment_id=rest
    )
    assert tie["settings"]["segment_start"] == 6
    moved = call(
        client,
        me,
        "PUT",
        "/devices/{device}/tie_schedule_segment",
        schedule_id=schedule,
        segment_id=rest,
        segment_start_old=6,
        segment_start_new=7,
    )
    assert moved["settings"]["segment_start"] == 7
    untied = call(
        client,
        me,
        "DELETE",
        "/devices/{device}/tie_schedule_segment",
        schedule_id=schedule,
        segment_id=rest,
        segment_start=7,
    )
    assert untied["message"].startswith("Segment with this Start day is Successfully Deleted")
    assert (
        len(
            call(client, me, "GET", "/devices/{device}/single_schedule", schedule_id=schedule)[
                "segments"
            ]
        )
        == 1
    )
    renamed = client.post(
        f"{BASE}/devices/{me.device}/single_schedule",
        headers=me.headers,
        params={"schedule_id": schedule},
        data={"schedule_name": "Barn lights", "sched_repeat_day": "14"},
    )
    assert renamed.json() == {"Message": "The Schedule is updated successfully"}
    wrong = client.post(
        f"{BASE}/devices/{me.device}/single_schedule_module",
        headers=me.headers,
        params={"schedule_id": schedule, "output_module": "1", "output_port": "1"},
        data={"output_module": "6", "output_port": "1", "schedule_current_day": "3"},
    )
    assert wrong.status_code == 404, "the schedule is not on module 1 port 1"
    same = client.post(
        f"{BASE}/devices/{me.device}/single_schedule_module",
        headers=me.headers,
        params={"schedule_id": schedule, "output_module": "6", "output_port": "1"},
        data={"output_module": "6", "output_port": "1", "schedule_current_day": "3"},
    )
    assert same.status_code == 200
    after = call(client, me, "GET", "/devices/{device}/single_schedule", schedule_id=schedule)
    assert (after["schedule_name"], after["sched_repeat_day"]) == ("Barn lights", 14)
    listed = next(
        s
        for s in call(client, me, "GET", "/devices/{device}/light_all_schedules")
        if s["schedule_id"] == schedule
    )
    assert listed["schedule_current_day"] == 3


@pytest.mark.parametrize(
    ("name", "fields", "message", "expected"),
    [
        (
            "/devices/{device}/ramp_test",
            {"mode": "2"},
            "Ramp test command issued successfully.",
            ["100"] * 6,
        ),
        (
            "/devices/{device}/ramp_test",
            {"mode": "1"},
            "Ramp test command issued successfully.",
            ["0"] * 6,
        ),
        (
            "/devices/{device}/auto_cali",
            {},
            "Automatic calibration command issued successfully.",
            ["100", "100"],
        ),
        (
            "/devices/{device}/man_cali",
            {},
            "Manual calibration command issued successfully.",
            ["100"] * 5,
        ),
    ],
)
def test_commands_run_on_the_lights(
    client: httpx.Client,
    world: World,
    name: str,
    fields: dict[str, str],
    message: str,
    expected: list[str],
) -> None:
    """A ramp test really ramps the nursery lamps; calibrations run them at full output."""
    me = owner(world)
    _advance(client, me.email, 3 * 3600)  # 19:30: the lux schedule has the lamps working
    answer = call(client, me, "POST", name, module=2, port=4, **fields)
    assert answer == {"Message": message}
    _advance(client, me.email, 10 * 60)
    outputs = client.get(
        f"{BASE}/devices/{me.device}/outputs",
        headers=me.headers,
        params={"start": "2024-07-23 19:31:00", "end": "2024-07-23 19:40:00"},
    ).json()
    lamps = next(o for o in outputs if o["name"] == "Nursery Lights")
    readings = [v["reading"] for v in lamps["values"]]
    values = [int(r) for r in readings[: len(expected)]]
    if "ramp_test" in name:
        # From wherever the lamps were, linearly to the end value in five minutes, then held.
        assert values[4:] == [int(expected[-1])] * 2
        steps = [b - a for a, b in itertools.pairwise(values)]
        rising = expected[-1] == "100"
        assert all(step >= 0 if rising else step <= 0 for step in steps)
    else:
        assert readings[: len(expected)] == expected
    refused = client.post(
        f"{BASE}/devices/{me.device}/ramp_test",
        headers=me.headers,
        data={"module": "1", "port": "1", "mode": "1"},
    )
    assert refused.status_code == 400
