"""A ventilated livestock room: one well-mixed air node for heat, moisture, CO2 and NH3.

C·dT/dt = animals + heaters − λ·ṁ_evap − (ρ·cp·V̇ + UA)·(T − T_out), integrated exactly over a
step (the balance is linear in T over one step), and the same for moisture and gases.
Static pressure follows from fan airflow against inlet area: ΔP = ρ/2·(V̇ / (Cd·A))².
"""

from __future__ import annotations

import math
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Herd:
    """Animals in a room; heat and moisture scale with live weight to the power 0.75."""

    head_count: int
    weight_kg: float
    # Reference animal: a 90 kg finisher pig gives 261 W sensible and 45 W latent at 20 °C.
    ref_weight_kg: float = 90.0
    ref_sensible_w: float = 261.0
    ref_latent_w: float = 45.0

    def _scale(self) -> float:
        return float(self.head_count * (self.weight_kg / self.ref_weight_kg) ** 0.75)

    def sensible_w(self, t_c: float) -> float:
        """Sensible heat of the herd; it falls as the room warms."""
        return self._scale() * self.ref_sensible_w * max(0.3, 1.0 - 0.02 * (t_c - 20.0))

    def latent_kg_s(self, t_c: float) -> float:
        """Water vapour given off by the herd; it rises as the room warms."""
        latent_w = self._scale() * self.ref_latent_w * max(0.5, 1.0 + 0.04 * (t_c - 20.0))
        return latent_w / LATENT_HEAT

    def co2_m3_s(self) -> float:
        """CO2 produced: 0.185 m³/h per kW of total animal heat (CIGR)."""
        total_kw = self._scale() * (self.ref_sensible_w + self.ref_latent_w) / 1000.0
        return total_kw * 0.185 / 3600.0

    def nh3_m3_s(self) -> float:
        """Ammonia released from manure, roughly proportional to live weight."""
        return float(self.head_count) * self.weight_kg * 2.0e-10


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
        return relative_humidity(self.temperature_c, self.humidity_ratio)


@dataclass(frozen=True, slots=True)
class Drive:
    """What the equipment does to the room during one step."""

    fan_m3_s: float  # free-air capacity of the running fans at their speeds
    fan_shutoff_pa: float  # static pressure at which the fans move no air
    inlet_area_m2: float
    heater_w: float
    mist_kg_s: float
    lamp_w: float = 0.0


def airflow_and_static(drive: Drive, shell: Shell) -> tuple[float, float]:
    """Solve fan curve against inlet resistance: Q = Qf·(1 − k·Q²/Ps), ΔP = k·Q²."""
    area = drive.inlet_area_m2 + shell.leak_area_m2
    k = RHO_AIR / (2.0 * (DISCHARGE_COEFFICIENT * area) ** 2)
    if drive.fan_m3_s <= 0.0:
        return 0.0, 0.0
    a = drive.fan_m3_s * k / drive.fan_shutoff_pa
    flow = (-1.0 + math.sqrt(1.0 + 4.0 * a * drive.fan_m3_s)) / (2.0 * a)
    return flow, k * flow * flow


def _relax(value: float, equilibrium: float, rate: float, dt: float) -> float:
    return equilibrium + (value - equilibrium) * math.exp(-rate * dt)


def step(air: RoomAir, shell: Shell, herd: Herd, drive: Drive, outdoor: Weather, dt: float) -> None:
    """Advance the room's air by `dt` seconds in place."""
    flow, static = airflow_and_static(drive, shell)
    # Wind and stack effect give a little infiltration even with the fans off.
    infiltration = shell.volume_m3 * 0.1 / 3600.0 * (1.0 + outdoor.wind_speed_kmh / 20.0)
    exchange = flow + infiltration
    t = air.temperature_c
    relative = air.humidity
    evaporation = drive.mist_kg_s * max(0.0, min(1.0, (0.97 - relative) / 0.3))
    gains = herd.sensible_w(t) + drive.heater_w + drive.lamp_w - LATENT_HEAT * evaporation
    loss_rate = RHO_CP * exchange + shell.ua_w_k
    capacity = RHO_CP * shell.volume_m3 * shell.mass_factor
    t_eq = outdoor.temperature_c + gains / loss_rate
    air.temperature_c = _relax(t, t_eq, loss_rate / capacity, dt)

    w_out = humidity_ratio(outdoor.temperature_c, outdoor.humidity)
    moisture = herd.latent_kg_s(t) + evaporation
    air_mass = RHO_AIR * shell.volume_m3
    w_rate = RHO_AIR * exchange / air_mass
    air.humidity_ratio = _relax(
        air.humidity_ratio, w_out + moisture / (RHO_AIR * exchange), w_rate, dt
    )
    # Condensation on cold surfaces keeps the air at or below saturation.
    air.humidity_ratio = min(air.humidity_ratio, humidity_ratio(air.temperature_c, 1.0))

    gas_rate = exchange / shell.volume_m3
    air.co2_ppm = _relax(
        air.co2_ppm, CO2_OUTDOOR_PPM + herd.co2_m3_s() * 1e6 / exchange, gas_rate, dt
    )
    air.nh3_ppm = _relax(air.nh3_ppm, herd.nh3_m3_s() * 1e6 / exchange, gas_rate, dt)
    air.static_pa = static
    air.airflow_m3_s = flow
