"""A ventilated livestock room: one well-mixed air node for heat, moisture, CO2 and NH3.

C·dT/dt = animals + heaters + lamps − λ·ṁ_evap − (ρ·cp·V̇ + UA)·(T − T_out), integrated exactly
over a step (the balance is linear in T over one step), and the same for moisture and gases.
Static pressure follows from fan airflow against inlet area: ΔP = ρ/2·(V̇ / (Cd·A))², with the
fans' airflow falling linearly to zero at their shut-off pressure.

The numbered functions are compiled (numba) so that a controller loop can call them a
million times a second; the dataclasses wrap them for code that steps one room at a time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ductwork.core.jit import jit
from ductwork.core.physics.air import (
    LATENT_HEAT,
    RHO_AIR,
    RHO_CP,
    humidity_ratio,
    relative_humidity,
)
from ductwork.core.physics.weather import Weather

CFM = 0.000471947  # m³/s per cubic foot per minute
PA_PER_INCH_WC = 249.08891
CO2_OUTDOOR_PPM = 420.0
DISCHARGE_COEFFICIENT = 0.6
# Reference animals at 20 °C: (live weight kg, sensible W, latent W). A 90 kg finisher pig
# gives 261 W sensible and 45 W latent (USDA-ARS MARC); a 2 kg broiler about 6.5 W and 3.5 W.
SPECIES: dict[str, tuple[float, float, float]] = {
    "swine": (90.0, 261.0, 45.0),
    "broiler": (2.0, 6.5, 3.5),
}
REF_WEIGHT_KG, REF_SENSIBLE_W, REF_LATENT_W = SPECIES["swine"]


@jit
def herd_scale(head_count: float, weight_kg: float, ref_weight_kg: float) -> float:
    """Head count in reference animals, by metabolic size (live weight to the power 0.75)."""
    return float(head_count * (weight_kg / ref_weight_kg) ** 0.75)


@jit
def herd_sensible_w(scale: float, ref_sensible_w: float, t_c: float) -> float:
    """Sensible heat of a herd; it falls as the room warms."""
    return scale * ref_sensible_w * max(0.3, 1.0 - 0.02 * (t_c - 20.0))


@jit
def herd_latent_kg_s(scale: float, ref_latent_w: float, t_c: float) -> float:
    """Water vapour given off by a herd; it rises as the room warms."""
    return scale * ref_latent_w * max(0.5, 1.0 + 0.04 * (t_c - 20.0)) / LATENT_HEAT


@jit
def herd_co2_m3_s(scale: float, ref_total_w: float) -> float:
    """CO2 produced: 0.185 m³/h per kW of total animal heat (CIGR)."""
    return scale * ref_total_w / 1000.0 * 0.185 / 3600.0


@jit
def herd_nh3_m3_s(head_count: float, weight_kg: float) -> float:
    """Ammonia released from manure, roughly proportional to live weight."""
    return head_count * weight_kg * 2.0e-10


@jit
def airflow_and_static_pa(
    fan_m3_s: float, shutoff_pa: float, inlet_area_m2: float, leak_area_m2: float
) -> tuple[float, float]:
    """Solve fan curve against inlet resistance: Q = Qf·(1 − k·Q²/Ps), ΔP = k·Q²."""
    if fan_m3_s <= 0.0:
        return 0.0, 0.0
    area = inlet_area_m2 + leak_area_m2
    k = RHO_AIR / (2.0 * (DISCHARGE_COEFFICIENT * area) ** 2)
    a = fan_m3_s * k / shutoff_pa
    flow = (-1.0 + math.sqrt(1.0 + 4.0 * a * fan_m3_s)) / (2.0 * a)
    return flow, k * flow * flow


@jit
def _relax(value: float, equilibrium: float, rate: float, dt: float) -> float:
    return equilibrium + (value - equilibrium) * math.exp(-rate * dt)


@jit
def air_step(
    state: tuple[float, float, float, float],
    volume_m3: float,
    ua_w_k: float,
    mass_factor: float,
    leak_area_m2: float,
    head_count: float,
    weight_kg: float,
    species: tuple[float, float, float],
    fan_m3_s: float,
    shutoff_pa: float,
    inlet_area_m2: float,
    heater_w: float,
    mist_kg_s: float,
    lamp_w: float,
    t_out: float,
    rh_out: float,
    wind_kmh: float,
    dt: float,
    sensible_factor: float = 1.0,
) -> tuple[float, float, float, float, float, float]:
    """One step of (T, W, CO2, NH3); returns them with static pressure (Pa) and airflow (m³/s).

    `sensible_factor` scales the animals' sensible heat (soaking wet animals lose heat by
    evaporation from their skin instead of warming the air).
    """
    t, w, co2, nh3 = state
    flow, static = airflow_and_static_pa(fan_m3_s, shutoff_pa, inlet_area_m2, leak_area_m2)
    # Wind and stack effect give a little infiltration even with the fans off.
    exchange = flow + volume_m3 * 0.1 / 3600.0 * (1.0 + wind_kmh / 20.0)
    ref_weight, ref_sensible, ref_latent = species
    scale = herd_scale(head_count, weight_kg, ref_weight)
    relative = relative_humidity(t, w, 1013.25)
    evaporation = mist_kg_s * max(0.0, min(1.0, (0.97 - relative) / 0.3))
    gains = (
        herd_sensible_w(scale, ref_sensible, t) * sensible_factor
        + heater_w
        + lamp_w
        - LATENT_HEAT * evaporation
    )
    loss_rate = RHO_CP * exchange + ua_w_k
    capacity = RHO_CP * volume_m3 * mass_factor
    t_new = _relax(t, t_out + gains / loss_rate, loss_rate / capacity, dt)
    w_out = humidity_ratio(t_out, rh_out, 1013.25)
    moisture = herd_latent_kg_s(scale, ref_latent, t) + evaporation
    w_rate = exchange / volume_m3
    w_new = _relax(w, w_out + moisture / (RHO_AIR * exchange), w_rate, dt)
    # Condensation on cold surfaces keeps the air at or below saturation.
    w_new = min(w_new, humidity_ratio(t_new, 1.0, 1013.25))
    co2_eq = CO2_OUTDOOR_PPM + herd_co2_m3_s(scale, ref_sensible + ref_latent) * 1e6 / exchange
    nh3_eq = herd_nh3_m3_s(head_count, weight_kg) * 1e6 / exchange
    co2_new = _relax(co2, co2_eq, w_rate, dt)
    nh3_new = _relax(nh3, nh3_eq, w_rate, dt)
    return t_new, w_new, co2_new, nh3_new, static, flow


@dataclass(frozen=True, slots=True)
class Herd:
    """Animals in a room; heat and moisture scale with live weight to the power 0.75."""

    head_count: int
    weight_kg: float
    species: str = "swine"

    @property
    def reference(self) -> tuple[float, float, float]:
        """The species' reference animal: weight, sensible and latent heat."""
        return SPECIES[self.species]

    def sensible_w(self, t_c: float) -> float:
        """Sensible heat of the herd at room temperature t_c."""
        ref_weight, ref_sensible, _ = self.reference
        return herd_sensible_w(herd_scale(self.head_count, self.weight_kg, ref_weight),
                               ref_sensible, t_c)  # fmt: skip

    def latent_kg_s(self, t_c: float) -> float:
        """Water vapour given off by the herd at room temperature t_c."""
        ref_weight, _, ref_latent = self.reference
        return herd_latent_kg_s(herd_scale(self.head_count, self.weight_kg, ref_weight),
                                ref_latent, t_c)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Shell:
    """The building: air volume, envelope losses, thermal mass and leakage."""

    volume_m3: float
    ua_w_k: float
    mass_factor: float = 15.0  # pens, slats and animals slow the air's response
    leak_area_m2: float = 0.15


@dataclass(slots=True)
class RoomAir:
    """State of the room's air."""

    temperature_c: float
    humidity_ratio: float
    co2_ppm: float
    nh3_ppm: float
    static_pa: float = 0.0
    airflow_m3_s: float = 0.0

    @property
    def humidity(self) -> float:
        """Relative humidity 0..1."""
        return relative_humidity(self.temperature_c, self.humidity_ratio, 1013.25)


@dataclass(frozen=True, slots=True)
class Drive:
    """What the equipment does to the room during one step."""

    fan_m3_s: float  # free-air capacity of the running fans at their speeds
    fan_shutoff_pa: float  # static pressure at which the fans move no air
    inlet_area_m2: float
    heater_w: float
    mist_kg_s: float
    lamp_w: float = 0.0


def step(air: RoomAir, shell: Shell, herd: Herd, drive: Drive, outdoor: Weather, dt: float) -> None:
    """Advance the room's air by `dt` seconds in place."""
    result = air_step(
        (air.temperature_c, air.humidity_ratio, air.co2_ppm, air.nh3_ppm),
        shell.volume_m3, shell.ua_w_k, shell.mass_factor, shell.leak_area_m2,
        float(herd.head_count), herd.weight_kg, herd.reference,
        drive.fan_m3_s, drive.fan_shutoff_pa, drive.inlet_area_m2, drive.heater_w,
        drive.mist_kg_s, drive.lamp_w,
        outdoor.temperature_c, outdoor.humidity, outdoor.wind_speed_kmh, dt,
    )  # fmt: skip
    (air.temperature_c, air.humidity_ratio, air.co2_ppm, air.nh3_ppm, air.static_pa,
     air.airflow_m3_s) = result  # fmt: skip
