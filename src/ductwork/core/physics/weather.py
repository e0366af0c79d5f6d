"""Outdoor weather: seasonal trend, daily cycle and seeded wandering, as a pure function of time."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ductwork.core.noise import FloatArray, layered_array
from ductwork.core.physics.air import P_ATM

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


@dataclass(frozen=True, slots=True)
class WeatherSeries:
    """Outdoor conditions at many instants, one array per quantity."""

    temperature_c: FloatArray
    humidity: FloatArray
    wind_speed_kmh: FloatArray
    wind_direction_deg: FloatArray
    light_lux: FloatArray
    pressure_hpa: FloatArray
    raining: FloatArray  # 1.0 or 0.0

    def at(self, i: int) -> Weather:
        """The conditions at index i."""
        return Weather(
            temperature_c=float(self.temperature_c[i]),
            humidity=float(self.humidity[i]),
            wind_speed_kmh=float(self.wind_speed_kmh[i]),
            wind_direction_deg=float(self.wind_direction_deg[i]),
            light_lux=float(self.light_lux[i]),
            pressure_hpa=float(self.pressure_hpa[i]),
            raining=bool(self.raining[i]),
        )


def _saturation(t_c: FloatArray) -> FloatArray:
    result: FloatArray = 6.112 * np.exp(17.62 * t_c / (243.12 + t_c))
    return result


def weather_series(climate: Climate, seed: int, t: FloatArray) -> WeatherSeries:
    """Outdoor weather at epoch seconds `t`; the same seed and times always give the same."""
    solar_t = t + climate.utc_offset_hours * 3600.0
    day_of_year = np.mod(solar_t, YEAR) / DAY
    hour = np.mod(solar_t, DAY) / 3600.0
    seasonal = -np.cos(2 * np.pi * (day_of_year - 20.0) / 365.2425)
    front = layered_array(seed, 1, t, 3.5 * DAY)
    mean = climate.mean_c + climate.seasonal_swing_c * seasonal + 4.0 * front
    cloud = 0.5 + 0.5 * layered_array(seed, 2, t, 0.8 * DAY)
    daily = climate.daily_swing_c * (1.0 - 0.5 * cloud) * np.cos(2 * np.pi * (hour - 15.0) / 24)
    temperature = mean + daily + 0.6 * layered_array(seed, 3, t, 1800.0)
    dew = mean - climate.dew_depression_c + 1.5 * layered_array(seed, 4, t, 0.5 * DAY)
    dew = np.minimum(dew, temperature)
    humidity = np.minimum(1.0, _saturation(dew) / _saturation(temperature))
    declination = np.radians(23.44 * np.sin(2 * np.pi * (day_of_year - 81.0) / 365.2425))
    lat = np.radians(climate.latitude_deg)
    hour_angle = np.radians(15.0 * (hour - 12.0))
    elevation = np.sin(lat) * np.sin(declination) + np.cos(lat) * np.cos(declination) * np.cos(
        hour_angle
    )
    light = np.maximum(0.0, elevation) * 110_000.0 * (1.0 - 0.75 * cloud)
    wind = np.maximum(0.0, 14.0 + 10.0 * layered_array(seed, 5, t, 6 * 3600.0) + 4.0 * front)
    direction = np.mod(225.0 + 120.0 * layered_array(seed, 6, t, DAY), 360.0)
    pressure = P_ATM + 12.0 * layered_array(seed, 7, t, 2 * DAY) - 6.0 * front
    raining = ((cloud > 0.85) & (humidity > 0.8)).astype(np.float64)
    return WeatherSeries(temperature, humidity, wind, direction, light, pressure, raining)


def weather_at(climate: Climate, seed: int, t: float) -> Weather:
    """Outdoor weather at one epoch second (the same numbers as `weather_series`)."""
    return weather_series(climate, seed, np.array([t], dtype=np.float64)).at(0)


def solar_declination_deg(day_of_year: float) -> float:
    """The sun's declination on a day of the year (the same formula `weather_series` uses)."""
    return 23.44 * math.sin(2 * math.pi * (day_of_year - 81.0) / 365.2425)


def half_day_hours(latitude_deg: float, day_of_year: float) -> float:
    """Hours from sunrise to solar noon: the sunrise hour angle cos ω₀ = −tan φ·tan δ over
    15° an hour (the geometric horizon, as the light of `weather_series`; 0 in polar night,
    12 in polar day)."""
    lat = math.radians(latitude_deg)
    declination = math.radians(solar_declination_deg(day_of_year))
    cos_omega = max(-1.0, min(1.0, -math.tan(lat) * math.tan(declination)))
    return math.degrees(math.acos(cos_omega)) / 15.0


def sunrise_sunset(latitude_deg: float, utc_offset_hours: float, t: float) -> tuple[int, int]:
    """Epoch seconds of sunrise and sunset on the local day holding epoch second `t`.

    The local day and its solar noon (12:00) follow `utc_offset_hours`, as the daylight of
    `weather_series` does; the day of the year is that of its noon.
    """
    offset = utc_offset_hours * 3600.0
    midnight = math.floor((t + offset) / DAY) * DAY - offset
    noon = midnight + DAY / 2
    day_of_year = math.fmod(noon + offset, YEAR) / DAY
    half = half_day_hours(latitude_deg, day_of_year) * 3600.0
    return round(noon - half), round(noon + half)


def clear_sky_lux(climate: Climate, t: float) -> float:
    """Daylight at epoch second `t` under a cloudless sky (`light_lux` with no cloud)."""
    solar_t = t + climate.utc_offset_hours * 3600.0
    day_of_year = math.fmod(solar_t, YEAR) / DAY
    hour = math.fmod(solar_t, DAY) / 3600.0
    lat = math.radians(climate.latitude_deg)
    declination = math.radians(solar_declination_deg(day_of_year))
    elevation = math.sin(lat) * math.sin(declination) + math.cos(lat) * math.cos(
        declination
    ) * math.cos(math.radians(15.0 * (hour - 12.0)))
    return max(0.0, elevation) * 110_000.0


def wind_chill_c(temperature_c: float, wind_kmh: float) -> float:
    """The Environment Canada / NWS wind-chill index (°C) at or below 10 °C with wind above
    4.8 km/h; otherwise the air temperature itself."""
    if temperature_c > 10.0 or wind_kmh <= 4.8:
        return temperature_c
    v = math.pow(wind_kmh, 0.16)
    return 13.12 + 0.6215 * temperature_c - 11.37 * v + 0.3965 * temperature_c * v
