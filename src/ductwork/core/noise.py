"""Deterministic noise: a function of (seed, channel, time), so any stepping order agrees."""

from __future__ import annotations

import math
import struct
from hashlib import blake2b


def unit(seed: int, channel: int, index: int) -> float:
    """A uniform value in [-1, 1) fixed by its three integer coordinates."""
    digest = blake2b(struct.pack("<qqq", seed, channel, index), digest_size=8).digest()
    return int.from_bytes(digest, "little") / 2**63 - 1.0


def smooth(seed: int, channel: int, t: float, period: float) -> float:
    """Smooth noise in [-1, 1]: cosine interpolation between random knots `period` apart."""
    position = t / period
    knot = math.floor(position)
    frac = position - knot
    weight = (1.0 - math.cos(math.pi * frac)) / 2.0
    return unit(seed, channel, knot) * (1.0 - weight) + unit(seed, channel, knot + 1) * weight


def layered(seed: int, channel: int, t: float, period: float) -> float:
    """Two octaves of smooth noise, for weather that wanders on several time scales."""
    return 0.7 * smooth(seed, channel, t, period) + 0.3 * smooth(
        seed, channel + 7919, t, period / 4
    )
