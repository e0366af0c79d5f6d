"""The barn behaves like a barn: physical sanity as tables, on the demo barn's own twin."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pytest

from ductwork.core.physics.room import Herd
from ductwork.vendors.phason.models import Device
from ductwork.vendors.phason.store import load_device
from ductwork.vendors.phason.twin import BarnModel, Span
from tests.conftest import ZONE, World

READING, TARGET, LOWER, UPPER, CODE = 0, 1, 2, 3, 4


@pytest.fixture(scope="module")
def device(world: World) -> Iterator[Device]:
    """Tenant a's demo barn, as configured in the database."""
    with world.runtime.engine.connect() as connection:
        yield load_device(connection, int(world.a.device))[0]


def minute(year: int, month: int, day: int, hour: int, minute_: int = 0) -> int:
    """Epoch minute of a local time at the barn."""
    return int(dt.datetime(year, month, day, hour, minute_, tzinfo=ZONE).timestamp() // 60)


def run(
    model: BarnModel,
    start: int,
    minutes: int,
    forced: Mapping[str, float] | None = None,
    state: dict[str, Any] | None = None,
) -> Span:
    """Run from a settled barn (or carry on `state`), some outputs held by manual override."""
    if state is None:
        state = model.initial_state(start)
    overrides = model.overrides.copy()
    for name, value in (forced or {}).items():
        overrides[model.output(name)] = (value, start + minutes, 0.0, 0.0, 0.0)
    return model.run(state, start, start + minutes, overrides)


def room_temperature(model: BarnModel, span: Span, group: str) -> float:
    """The group's reading at the end of the span."""
    return float(span.groups[-1, model.group(group), READING])


WARMING = [
    ("Finisher Temperature", {"Finisher Inlet": 0, "Finisher Ceiling Inlets": 0,
                              "Finisher Heater": 1}),
    ("Nursery Temperature", {"Nursery Inlet": 0, "Nursery Heater": 1, "Nursery Heat Mats": 100}),
]  # fmt: skip


@pytest.mark.parametrize(("group", "forced"), WARMING, ids=["finisher", "nursery"])
def test_closing_inlets_and_raising_heat_warms_the_room(
    device: Device, group: str, forced: dict[str, float]
) -> None:
    """On a November night, shut inlets and full heat leave the room warmer than the controller."""
    model = BarnModel(device)
    start = minute(2024, 11, 5, 1)
    baseline = run(model, start, 180)
    heated = run(model, start, 180, forced)
    assert room_temperature(model, heated, group) > room_temperature(model, baseline, group) + 1.0


COOLING = [
    ("Finisher Temperature", {"Finisher Tunnel Fans": 1, "Finisher Fans Stage 1": 100,
                              "Finisher Inlet": 100, "Finisher Ceiling Inlets": 100,
                              "Finisher Heater": 0}),
    ("Nursery Temperature", {"Nursery Fan Stage 1": 100, "Nursery Chimney Fan": 100,
                             "Nursery Inlet": 100, "Nursery Heater": 0, "Nursery Heat Mats": 0}),
]  # fmt: skip


@pytest.mark.parametrize(("group", "forced"), COOLING, ids=["finisher", "nursery"])
def test_a_fan_override_cools_the_room(
    device: Device, group: str, forced: dict[str, float]
) -> None:
    """Before a July dawn, full fans (heat held off) cool the room below the controller's."""
    model = BarnModel(device)
    start = minute(2024, 7, 15, 3)
    baseline = run(model, start, 90)
    vented = run(model, start, 90, forced)
    assert room_temperature(model, vented, group) < room_temperature(model, baseline, group) - 1.0
    static = float(vented.inputs[-1, model.inputs.index(
        next(io for io in model.inputs if io.name == "Finisher Static"))])  # fmt: skip
    assert static >= 0.0


def test_a_hot_afternoon_starts_misting_and_a_cold_day_does_not(device: Device) -> None:
    """Smart mode: misters cycle once THI passes its low limit inside the active window,
    the pump runs with them; never on a November day."""
    model = BarnModel(device)
    mister = model.output("Finisher Mister Line 1")
    pump = model.output("Finisher Mister Pump")
    thi = model.group("Finisher THI")
    summer = run(model, minute(2024, 7, 23, 8), 12 * 60)
    on = summer.outputs[:, mister] > 0
    assert on.any(), "a July afternoon at 30 °C must start the misters"
    assert 0 < on.mean() < 1, "misting cycles on and off"
    assert (summer.outputs[on, pump] > 0).all(), "the pump runs whenever a mister sprays"
    local_hours = [dt.datetime.fromtimestamp(int(m) * 60, ZONE).hour for m in summer.minutes[on]]
    assert min(local_hours) >= 9, "only inside the active window"
    assert max(local_hours) < 21, "only inside the active window"
    assert (summer.groups[:-1, thi, READING][on[1:]] >= 76.0 - 1e-6).all()
    winter = run(model, minute(2024, 11, 5, 8), 12 * 60)
    assert not (winter.outputs[:, mister] > 0).any()


def with_misting(device: Device, **changes: float) -> Device:
    """The device with its misting group's settings changed."""
    (group,) = device.misting_groups
    return replace(device, misting_groups=(replace(group, settings=group.settings | changes),))


def test_soaking_runs_the_sprinklers_in_turn(device: Device) -> None:
    """Soaking mode: each sprinkler line soaks for its duration in order, never together."""
    model = BarnModel(with_misting(device, function_mode=0, low_temp=20.0, high_temp=24.0))
    lines = [model.output("Finisher Mister Line 1"), model.output("Finisher Mister Line 2")]
    span = run(model, minute(2024, 7, 23, 12), 6 * 60)
    first, second = (span.outputs[:, line] > 0 for line in lines)
    assert first.any()
    assert second.any()
    assert not (first & second).any(), "one line at a time"
    pump = span.outputs[:, model.output("Finisher Mister Pump")] > 0
    assert (pump[first | second]).all()


def test_humidity_bypass_stops_misting(device: Device) -> None:
    """With the bypass set below the room's humidity, the misters stay off."""
    model = BarnModel(with_misting(device, humidity_setpt=10.0))
    span = run(model, minute(2024, 7, 23, 8), 12 * 60)
    assert not (span.outputs[:, model.output("Finisher Mister Line 1")] > 0).any()


def test_growth_curve_steps_change_the_target_at_midnight(device: Device) -> None:
    """Targets hold through each day and change only at the device's local midnight."""
    model = BarnModel(device)
    start = minute(2024, 7, 23, 20)
    span = run(model, start, 2 * 1440)
    target = span.groups[:, model.group("Finisher Temperature"), TARGET]
    changes = np.flatnonzero(np.diff(target)) + 1
    assert len(changes) >= 1
    for index in changes:
        local = dt.datetime.fromtimestamp(int(span.minutes[index]) * 60, ZONE)
        assert (local.hour, local.minute) == (0, 0)


def test_an_alarm_needs_a_full_minute_out_of_range_and_clears_on_return(device: Device) -> None:
    """Overheat the nursery, then let it go: high alarm after one minute out, clear on return."""
    model = BarnModel(device)
    start = minute(2024, 7, 23, 14)
    forced = {"Nursery Fan Stage 1": 0.0, "Nursery Chimney Fan": 0.0, "Nursery Inlet": 0.0,
              "Nursery Heater": 1.0, "Nursery Heat Mats": 100.0}  # fmt: skip
    state = model.initial_state(start)
    hot = run(model, start, 120, forced, state)
    column = model.group("Nursery Temperature")
    above = hot.groups[:, column, READING] > hot.groups[:, column, UPPER]
    codes = hot.groups[:, column, CODE]
    assert above.any(), "two hours without ventilation and with full heat overheat the nursery"
    first = int(np.argmax(above))
    assert (codes[: first + 1] == 0).all(), "no alarm before a full minute out of range"
    assert above[first + 1]
    assert codes[first + 1] == 2, "a high alarm once the reading stayed above for a minute"
    recovery = run(model, start + 120, 240, None, state)
    back = recovery.groups[:, column, READING] <= recovery.groups[:, column, UPPER]
    assert back.any(), "ventilation brings the room back into range"
    returned = int(np.argmax(back))
    assert recovery.groups[returned, column, CODE] == 0, "the alarm clears on return"


def test_state_carries_over_between_runs(device: Device) -> None:
    """Running 3 h then 5 h from the carried state equals one 8 h run."""
    model = BarnModel(device)
    start = minute(2024, 7, 23, 6)
    state = model.initial_state(start)
    whole = model.run(copy.deepcopy(state), start, start + 480)
    first = model.run(state, start, start + 180)
    second = model.run(state, start + 180, start + 480)
    np.testing.assert_array_equal(np.concatenate([first.groups, second.groups]), whole.groups)
    np.testing.assert_array_equal(np.concatenate([first.outputs, second.outputs]), whole.outputs)


def test_lighting_schedules_switch_by_segment_and_day(device: Device) -> None:
    """The weekly relay schedule: workday segment (06:00-20:00) on cycle days 1-5, rest-day
    segment (07:00-18:00) on days 6-7; the lux schedule keeps nursery lamps off at night."""
    model = BarnModel(device)
    schedule = next(s for s in device.schedules if s.name == "Finisher lighting")
    start = minute(2024, 7, 20, 0)
    span = run(model, start, 7 * 1440)
    lights = span.outputs[:, model.output("Finisher Lights")]
    for index, at in enumerate(span.minutes.tolist()):
        local = dt.datetime.fromtimestamp(at * 60, ZONE)
        day = (local.date() - schedule.start_date).days % 7 + 1
        on, off = ((6, 0), (20, 0)) if day <= 5 else ((7, 0), (18, 0))
        expected = on <= (local.hour, local.minute) < off
        assert lights[index] == (1.0 if expected else 0.0), local
    nursery = span.outputs[:, model.output("Nursery Lights")]
    hours = np.array([dt.datetime.fromtimestamp(int(m) * 60, ZONE).hour for m in span.minutes])
    assert (nursery[(hours < 6) | (hours >= 21)] == 0).all()
    assert (nursery[(hours >= 6) & (hours < 21)] > 0).any()


@pytest.mark.parametrize(
    ("species", "heads", "weight", "sensible_w"),
    [("swine", 600, 90.0, 600 * 261.0), ("broiler", 20_000, 2.0, 20_000 * 6.5),
     ("swine", 100, 22.5, 100 * 261.0 * 0.25**0.75)],
)  # fmt: skip
def test_animal_heat_by_species_and_weight(
    species: str, heads: int, weight: float, sensible_w: float
) -> None:
    """Animal heat follows the species' reference animal and live weight to the power 0.75."""
    herd = Herd(heads, weight, species)
    assert herd.sensible_w(20.0) == pytest.approx(sensible_w)
    assert herd.sensible_w(30.0) < herd.sensible_w(20.0) < herd.sensible_w(10.0)
    assert herd.latent_kg_s(30.0) > herd.latent_kg_s(20.0)
