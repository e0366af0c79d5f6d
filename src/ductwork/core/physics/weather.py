"""Outdoor weather: seasonal trend, daily cycle and seeded wandering, as a pure function of time."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ductwork.core.noise import layered
from ductwork.core.physics.air import P_ATM, saturation_vapour_pressure

DAY = 86_400.0
YEAR = 365.2425 * DAY


@dataclass(frozen=True, slots=True)
class Climate:
    """A site's climate: yearly mean and swing, daily swing, latitude (for the sun)."""

    mean_c: float = 9.5
    seasonal_swing_c: float = 14.0
    daily_swing_c: float = 5.5
    dew_depression_c: float = 4.5
    latitude_deg: float = 42.0
    utc_offset_hours: float = -6.0


@dataclass(frozen=True, slots=True)
class Weather:
    """Outdoor conditions at one instant."""

    temperature_c: float
    humidity: float  # relative, 0..1
    wind_speed_kmh: float
    wind_direction_deg: float
    light_lux: float
    pressure_hpa: float
    raining: bool


def weather_at(climate: Climate, seed: int, t: float) -> Weather:
    """Outdoor weather at epoch second `t`; the same seed and time always give the same answer."""
    solar_t = t + climate.utc_offset_hours * 3600.0
    day_of_year = (solar_t % YEAR) / DAY
    hour = (solar_t % DAY) / 3600.0
    seasonal = -math.cos(2 * math.pi * (day_of_year - 20.0) / 365.2425)
    front = layered(seed, 1, t, 3.5 * DAY)
    mean = climate.mean_c + climate.seasonal_swing_c * seasonal + 4.0 * front
    cloud = 0.5 + 0.5 * layered(seed, 2, t, 0.8 * DAY)
    daily = climate.daily_swing_c * (1.0 - 0.5 * cloud) * math.cos(2 * math.pi * (hour - 15.0) / 24)
    temperature = mean + daily + 0.6 * layered(seed, 3, t, 1800.0)
    dew = mean - climate.dew_depression_c + 1.5 * layered(seed, 4, t, 0.5 * DAY)
    dew = min(dew, temperature)
    humidity = saturation_vapour_pressure(dew) / saturation_vapour_pressure(temperature)
    declination = 23.44 * math.sin(2 * math.pi * (day_of_year - 81.0) / 365.2425)
    lat, dec = math.radians(climate.latitude_deg), math.radians(declination)
    hour_angle = math.radians(15.0 * (hour - 12.0))
    elevation = math.sin(lat) * math.sin(dec) + math.cos(lat) * math.cos(dec) * math.cos(hour_angle)
    light = max(0.0, elevation) * 110_000.0 * (1.0 - 0.75 * cloud)
    wind = max(0.0, 14.0 + 10.0 * layered(seed, 5, t, 6 * 3600.0) + 4.0 * front)
    direction = (225.0 + 120.0 * layered(seed, 6, t, DAY)) % 360.0
    pressure = P_ATM + 12.0 * layered(seed, 7, t, 2 * DAY) - 6.0 * front
    raining = cloud > 0.85 and humidity > 0.8
    return Weather(
        temperature_c=temperature,
        humidity=min(1.0, humidity),
        wind_speed_kmh=wind,
        wind_direction_deg=direction,
        light_lux=light,
        pressure_hpa=pressure,
        raining=raining,
    )
