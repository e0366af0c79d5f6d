"""Numba compilation for the simulation's inner loops, typed for mypy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar, cast

import numba

F = TypeVar("F", bound=Callable[..., Any])


def jit(function: F) -> F:
    """Compile to machine code on first call, caching the result on disk next to the module."""
    return cast(F, numba.njit(cache=True, error_model="numpy")(function))
