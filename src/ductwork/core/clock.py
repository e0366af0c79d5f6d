"""Per-account virtual clocks: frozen, accelerated or moved forward through the control plane."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.schema import clocks

RealTime = Callable[[], float]

_CACHE_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class ClockState:
    """A linear map from real time to an account's virtual time."""

    anchor_real: float
    anchor_virtual: float
    speed: float
    frozen: bool

    def at(self, real: float) -> float:
        """Virtual epoch seconds at the given real epoch seconds."""
        if self.frozen:
            return self.anchor_virtual
        return self.anchor_virtual + (real - self.anchor_real) * self.speed

    def document(self, real: float) -> dict[str, object]:
        """The clock as the control plane and the CLI show it."""
        now = dt.datetime.fromtimestamp(self.at(real), dt.UTC)
        return {"now": now.isoformat(), "speed": self.speed, "frozen": self.frozen}

    def rebased(self, real: float) -> ClockState:
        """The same clock re-anchored at `real`, so changes apply from that instant."""
        return replace(self, anchor_real=real, anchor_virtual=self.at(real))


class Clocks:
    """Reads and changes account clocks; every piece of code asks this for 'now'."""

    def __init__(self, engine: Engine, real_time: RealTime = time.time) -> None:
        self._engine = engine
        self._real_time = real_time
        self._cache: dict[int, tuple[float, ClockState]] = {}
        self._lock = threading.Lock()

    def real(self) -> float:
        """Real wall-clock epoch seconds (for records that are not simulated, e.g. key creation)."""
        return self._real_time()

    def state(self, account_id: int) -> ClockState:
        """The account's clock, cached briefly so hot reads do not query the database."""
        real = self._real_time()
        cached = self._cache.get(account_id)
        if cached is not None and real - cached[0] < _CACHE_SECONDS:
            return cached[1]
        with self._engine.connect() as connection:
            state = self._load(connection, account_id)
        self._cache[account_id] = (real, state)
        return state

    def peek(self, account_id: int) -> float | None:
        """The account's virtual now from the cache alone (None when it would need a query)."""
        real = self._real_time()
        cached = self._cache.get(account_id)
        if cached is None or real - cached[0] >= _CACHE_SECONDS:
            return None
        return cached[1].at(real)

    def now(self, account_id: int) -> float:
        """The account's virtual epoch seconds."""
        return self.state(account_id).at(self._real_time())

    def create(self, connection: Connection, account_id: int) -> ClockState:
        """Start an account's clock at real time, running at normal speed."""
        real = self._real_time()
        state = ClockState(anchor_real=real, anchor_virtual=real, speed=1.0, frozen=False)
        connection.execute(sa.insert(clocks).values(account_id=account_id, **_row(state)))
        return state

    def change(
        self,
        account_id: int,
        *,
        advance_seconds: float = 0.0,
        speed: float | None = None,
        freeze: bool | None = None,
        set_to: float | None = None,
    ) -> ClockState:
        """Apply a clock change atomically and return the new state."""
        with self._lock, self._engine.begin() as connection:
            real = self._real_time()
            state = self._load(connection, account_id, for_update=True).rebased(real)
            virtual = state.anchor_virtual
            if set_to is not None:
                virtual = set_to
            virtual += advance_seconds
            state = ClockState(
                anchor_real=real,
                anchor_virtual=virtual,
                speed=state.speed if speed is None else speed,
                frozen=state.frozen if freeze is None else freeze,
            )
            connection.execute(
                sa.update(clocks).where(clocks.c.account_id == account_id).values(**_row(state))
            )
        self._cache[account_id] = (real, state)
        return state

    def forget(self, account_id: int) -> None:
        """Drop the cached state so the next read sees the database."""
        self._cache.pop(account_id, None)

    @staticmethod
    def _load(connection: Connection, account_id: int, for_update: bool = False) -> ClockState:
        query = sa.select(clocks).where(clocks.c.account_id == account_id)
        if for_update and connection.dialect.name == "postgresql":
            query = query.with_for_update()
        row = connection.execute(query).one()
        return ClockState(
            anchor_real=row.anchor_real,
            anchor_virtual=row.anchor_virtual,
            speed=row.speed,
            frozen=bool(row.frozen),
        )


def _row(state: ClockState) -> dict[str, float | bool]:
    return {
        "anchor_real": state.anchor_real,
        "anchor_virtual": state.anchor_virtual,
        "speed": state.speed,
        "frozen": state.frozen,
    }
