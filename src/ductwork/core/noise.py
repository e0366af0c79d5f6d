"""Deterministic noise: a function of (seed, channel, time), so any stepping order agrees.

A SplitMix64 hash of the three coordinates gives a uniform value; the scalar and the array
versions run the same 64-bit arithmetic and so return the same numbers.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

_MASK = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = 0xBF58476D1CE4E5B9
_M2 = 0x94D049BB133111EB
_CHANNEL = 0xD6E8FEB86659FD93

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


def _mix(z: int) -> int:
    z = (z ^ (z >> 30)) * _M1 & _MASK
    z = (z ^ (z >> 27)) * _M2 & _MASK
    return z ^ (z >> 31)


def unit(seed: int, channel: int, index: int) -> float:
    """A uniform value in [-1, 1) fixed by its three integer coordinates."""
    key = (_mix((seed * _GOLDEN) & _MASK) + channel * _CHANNEL + index * _GOLDEN) & _MASK
    return (_mix(key) >> 11) / 2.0**52 - 1.0


def unit_array(seed: int, channel: int, index: IntArray) -> FloatArray:
    """`unit` for many indices at once (identical values)."""
    base = np.uint64((_mix((seed * _GOLDEN) & _MASK) + channel * _CHANNEL) & _MASK)
    with np.errstate(over="ignore"):
        z = base + index.astype(np.uint64) * np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(_M1)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(_M2)
        z = z ^ (z >> np.uint64(31))
    result: FloatArray = (z >> np.uint64(11)).astype(np.float64) / 2.0**52 - 1.0
    return result


def smooth(seed: int, channel: int, t: float, period: float) -> float:
    """Smooth noise in [-1, 1]: cosine interpolation between random knots `period` apart."""
    position = t / period
    knot = math.floor(position)
    weight = (1.0 - math.cos(math.pi * (position - knot))) / 2.0
    return unit(seed, channel, knot) * (1.0 - weight) + unit(seed, channel, knot + 1) * weight


def smooth_array(seed: int, channel: int, t: FloatArray, period: float) -> FloatArray:
    """`smooth` for many times at once."""
    position = t / period
    knot = np.floor(position)
    weight = (1.0 - np.cos(np.pi * (position - knot))) / 2.0
    knots = knot.astype(np.int64)
    low = unit_array(seed, channel, knots)
    high = unit_array(seed, channel, knots + 1)
    result: FloatArray = low * (1.0 - weight) + high * weight
    return result


def layered(seed: int, channel: int, t: float, period: float) -> float:
    """Two octaves of smooth noise, for weather that wanders on several time scales."""
    return 0.7 * smooth(seed, channel, t, period) + 0.3 * smooth(
        seed, channel + 7919, t, period / 4
    )


def layered_array(seed: int, channel: int, t: FloatArray, period: float) -> FloatArray:
    """`layered` for many times at once."""
    result: FloatArray = 0.7 * smooth_array(seed, channel, t, period) + 0.3 * smooth_array(
        seed, channel + 7919, t, period / 4
    )
    return result
