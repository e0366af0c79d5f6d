"""A house heated and cooled by forced air: rooms as well-mixed thermal zones fed by registers.

C·dT/dt = ρ·cp·Q·(T_supply − T) + UA·(T_out − T) + gains, integrated exactly over a step (the
balance is linear in T over one step). A central air handler's flow divides among its open
registers; closing registers raises the duct's static pressure, so the flow through the
remaining ones rises while the total falls.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from ductwork.core.physics.air import RHO_AIR, RHO_CP, humidity_ratio, relative_humidity
from ductwork.core.physics.weather import Weather

CFM = 0.000471947  # m³/s per cubic foot per minute
SOLAR_W_PER_M2 = 150.0  # sun through a square metre of window at full daylight, all facings


@dataclass(frozen=True, slots=True)
class Envelope:
    """A room's shell: air volume, losses to outdoors, thermal mass, sun through its windows."""

    volume_m3: float
    ua_w_k: float
    mass_factor: float = 8.0  # furniture, walls and floors slow the air's response
    window_m2: float = 1.5
    internal_gain_w: float = 120.0
    interior_w_k: float = 40.0  # interior walls and door gaps to the rest of the house


@dataclass(slots=True)
class ZoneAir:
    """The air of one room."""

    temperature_c: float
    humidity_ratio: float

    @property
    def humidity(self) -> float:
        """Relative humidity 0..1."""
        return relative_humidity(self.temperature_c, self.humidity_ratio)


@dataclass(frozen=True, slots=True)
class AirHandler:
    """A central furnace / air conditioner: fan capacity and supply-air temperatures."""

    fan_m3_s: float = 1200.0 * CFM
    heat_supply_c: float = 40.0
    cool_supply_c: float = 13.0
    duct_leak: float = 0.4  # leakage and bypass, in units of one fully open register
    system_resistance: float = 3.0  # the duct's resistance, in the same units

    def supply_c(self, mode: str) -> float:
        """Supply-air temperature while heating ("heat") or cooling ("cool")."""
        return self.heat_supply_c if mode == "heat" else self.cool_supply_c


def register_flows(handler: AirHandler, openings: Sequence[float]) -> tuple[list[float], float]:
    """Airflow through each register (openings 0..1) and the duct's static pressure in Pa.

    The fan pushes Q = Qf·A/(A + R) through an effective open area A (registers plus leakage)
    against the system resistance R; each register gets its share of A. Static pressure rises
    as the open area shrinks: ΔP ∝ (Q/A)².
    """
    area = sum(openings) + handler.duct_leak
    total = handler.fan_m3_s * area / (area + handler.system_resistance)
    velocity = total / area
    static_pa = RHO_AIR / 2.0 * (velocity / 0.02) ** 2
    return [total * o / area for o in openings], static_pa


def _relax(value: float, equilibrium: float, rate: float, dt: float) -> float:
    return equilibrium + (value - equilibrium) * math.exp(-rate * dt)


def step_zone(
    air: ZoneAir,
    envelope: Envelope,
    outdoor: Weather,
    dt: float,
    supply_m3_s: float = 0.0,
    supply_c: float = 20.0,
    extra_w: float = 0.0,
    interior_c: float | None = None,
) -> None:
    """Advance a room's air by `dt` seconds: conditioned supply air, envelope, sun and people.

    `extra_w` is heat added (or, negative, removed) directly in the room, e.g. by a mini-split;
    `interior_c` is the temperature of the rest of the house behind the interior walls.
    """
    solar_w = envelope.window_m2 * outdoor.light_lux / 110_000.0 * SOLAR_W_PER_M2
    gains = envelope.internal_gain_w + solar_w + extra_w
    interior = envelope.interior_w_k if interior_c is not None else 0.0
    conductance = RHO_CP * supply_m3_s + envelope.ua_w_k + interior
    heat_in = RHO_CP * supply_m3_s * supply_c + envelope.ua_w_k * outdoor.temperature_c + gains
    t_eq = (heat_in + interior * (interior_c or 0.0)) / conductance
    capacity = RHO_CP * envelope.volume_m3 * envelope.mass_factor
    air.temperature_c = _relax(air.temperature_c, t_eq, conductance / capacity, dt)

    # Moisture: infiltration (half an air change an hour) brings outdoor air; supply air
    # leaves the cooling coil saturated at the supply temperature at most.
    infiltration = envelope.volume_m3 * 0.5 / 3600.0
    w_out = humidity_ratio(outdoor.temperature_c, outdoor.humidity)
    w_supply = min(air.humidity_ratio, humidity_ratio(supply_c, 0.95))
    exchange = infiltration + supply_m3_s
    w_eq = (infiltration * w_out + supply_m3_s * w_supply) / exchange + 2.0e-5 / (
        RHO_AIR * exchange
    )
    air.humidity_ratio = _relax(air.humidity_ratio, w_eq, exchange / envelope.volume_m3, dt)
    air.humidity_ratio = min(air.humidity_ratio, humidity_ratio(air.temperature_c, 1.0))


def heat_pump_w(capacity_w: float, mode: str, temperature_c: float, target_c: float) -> float:
    """A ductless mini-split's output into its room: full capacity until within 0.5 °C of its
    target, then proportional (inverter units modulate); positive heats, negative cools."""
    if mode == "heat":
        return capacity_w * max(0.0, min(1.0, (target_c - temperature_c) / 0.5))
    if mode == "cool":
        return -capacity_w * max(0.0, min(1.0, (temperature_c - target_c) / 0.5))
    return 0.0
