"""Psychrometrics of moist air (Magnus formula), in SI units."""

from __future__ import annotations

import math

from ductwork.core.jit import jit

RHO_AIR = 1.2  # kg/m³
CP_AIR = 1006.0  # J/(kg·K)
RHO_CP = RHO_AIR * CP_AIR  # J/(m³·K)
LATENT_HEAT = 2.45e6  # J/kg of water evaporated
P_ATM = 1013.25  # hPa


@jit
def saturation_vapour_pressure(t_c: float) -> float:
    """Saturation vapour pressure over water in hPa."""
    return 6.112 * math.exp(17.62 * t_c / (243.12 + t_c))


@jit
def humidity_ratio(t_c: float, rh: float, pressure: float = 1013.25) -> float:
    """kg water per kg dry air from temperature and relative humidity (0..1)."""
    e = rh * saturation_vapour_pressure(t_c)
    return 0.622 * e / (pressure - e)


@jit
def relative_humidity(t_c: float, w: float, pressure: float = 1013.25) -> float:
    """Relative humidity (0..1, capped) from temperature and humidity ratio."""
    e = w * pressure / (0.622 + w)
    return min(1.0, max(0.0, e / saturation_vapour_pressure(t_c)))


@jit
def dew_point(t_c: float, rh: float) -> float:
    """Dew point in °C."""
    a, b = 17.625, 243.04
    gamma = math.log(max(rh, 1e-4)) + a * t_c / (b + t_c)
    return b * gamma / (a - gamma)


@jit
def wet_bulb(t_c: float, rh: float) -> float:
    """Wet-bulb temperature in °C (Stull 2011, valid 5-99 % RH, -20..50 °C)."""
    rh_pct = max(5.0, min(99.0, rh * 100.0))
    return float(
        t_c * math.atan(0.151977 * math.sqrt(rh_pct + 8.313659))
        + math.atan(t_c + rh_pct)
        - math.atan(rh_pct - 1.676331)
        + 0.00391838 * rh_pct**1.5 * math.atan(0.023101 * rh_pct)
        - 4.686035
    )


@jit
def thi(t_c: float, rh: float) -> float:
    """Livestock temperature-humidity index: 0.8·T + RH·(T − 14.4) + 46.4 (RH as a fraction)."""
    return 0.8 * t_c + rh * (t_c - 14.4) + 46.4
