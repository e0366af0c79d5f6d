"""Twin catch-up: stepping simulated devices forward to an account's 'now', for any vendor.

A twin is one database row holding its last simulated minute and its state (plain JSON). The
vendor's `TwinKind` reads a twin, simulates a chunk of minutes and writes the chunk's history;
the `TwinRunner` does the rest the same way for every vendor: one lock per twin in this
process, the chunk loop, and a compare-and-set on the row's minute in a short transaction, so
several processes can share one database. The `Ticker` keeps every account's twins flowing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import anyio
import anyio.to_thread
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import Account

log = logging.getLogger("ductwork")

Progress = Callable[[int], None]  # called with the minutes each committed chunk simulated
T = TypeVar("T")  # a vendor's configuration of one twin
C = TypeVar("C")  # what a vendor's step produced for one chunk


@dataclass(frozen=True)
class TwinRow:
    """Where a kind of twin keeps its progress: the columns the runner's claim reads and sets."""

    table: sa.Table
    id: str = "id"
    minute: str = "sim_minute"
    state: str = "state"
    # A column counting every write of the twin, for kinds whose twins also change between
    # minutes (a command at the current minute): the claim then compares it too.
    version: str | None = None

    def claim(
        self,
        connection: Connection,
        twin_id: int,
        done: int,
        end: int,
        state: dict[str, Any],
        version: int = 0,
    ) -> bool:
        """Move the twin from minute `done` to `end` with its new state, unless another process
        moved or changed it meanwhile (then nothing changes and the answer is False)."""
        c = self.table.c
        where = [c[self.id] == twin_id, c[self.minute] == done]
        values: dict[str, Any] = {self.minute: end, self.state: state}
        if self.version is not None:
            where.append(c[self.version] == version)
            values[self.version] = version + 1
        advanced = connection.execute(sa.update(self.table).where(*where).values(values))
        return advanced.rowcount == 1


@dataclass
class Loaded(Generic[T]):
    """A twin as read before a chunk: the vendor's configuration, its last minute, its state."""

    config: T
    minute: int
    state: dict[str, Any]
    version: int = 0  # the row's write count, where its TwinRow keeps one


class TwinKind(Protocol[T, C]):
    """A vendor's part of a catch-up, so the runner steps its twins without knowing the vendor."""

    @property
    def row(self) -> TwinRow:
        """The table and columns holding each twin's minute and state."""

    @property
    def chunk_minutes(self) -> int:
        """The most minutes one chunk simulates: one short write transaction's worth."""

    def load(self, connection: Connection, twin_id: int) -> Loaded[T]:
        """Read the twin: configuration, last minute and state (no write transaction is open)."""

    def step(self, loaded: Loaded[T], end: int) -> C:
        """Simulate the minutes after `loaded.minute` up to `end`, updating `loaded.state` in
        place; return what `persist` writes (runs outside any transaction)."""

    def persist(
        self, connection: Connection, twin_id: int, chunk: C, end: int, final: bool
    ) -> None:
        """Write the chunk's history in the transaction that claimed it; `final` when the chunk
        ends at the minute the catch-up was asked for."""


class TwinRunner(Generic[T, C]):
    """Catches twins of one kind up to a minute, chunk by chunk, one writer per twin at a time."""

    def __init__(self, engine: Engine, kind: TwinKind[T, C]) -> None:
        self._engine = engine
        self.kind = kind
        self._locks: dict[int, threading.Lock] = {}
        self._known: dict[int, int] = {}  # the last minute this process saw each twin reach
        self._guard = threading.Lock()

    def _lock(self, twin_id: int) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(twin_id, threading.Lock())

    def is_current(self, twin_id: int, minute: int) -> bool:
        """True when this process already knows the twin is simulated up to `minute`."""
        return self._known.get(twin_id, -1) >= minute

    def forget(self, twin_id: int) -> None:
        """Drop what this process knows of a twin (after it was deleted or rewritten)."""
        self._known.pop(twin_id, None)

    def catch_up(self, twin_id: int, minute: int, progress: Progress | None = None) -> int:
        """Simulate every minute after the twin's last one up to `minute`; returns its minute.

        Each chunk commits only if no other process advanced the twin meanwhile (a
        compare-and-set on its minute), so several workers can share one database.
        """
        known = self._known.get(twin_id, -1)
        if known >= minute:
            return known
        kind = self.kind
        with self._lock(twin_id):
            while True:
                # Simulate outside any write transaction, then commit the chunk in a short one
                # that claims it (SQLite has one writer at a time; keep its lock brief).
                try:
                    with self._engine.connect() as connection:
                        loaded = kind.load(connection, twin_id)
                except sa.exc.NoResultFound:
                    # Deleted meanwhile (a reset, another process): nothing left to catch up.
                    self._known.pop(twin_id, None)
                    return minute
                done = loaded.minute
                if done >= minute:
                    self._known[twin_id] = done
                    return done
                end = min(minute, done + kind.chunk_minutes)
                chunk = kind.step(loaded, end)
                with self._engine.begin() as connection:
                    if not kind.row.claim(
                        connection, twin_id, done, end, loaded.state, loaded.version
                    ):
                        continue  # another process advanced it meanwhile: start from its state
                    kind.persist(connection, twin_id, chunk, end, end == minute)
                self._known[twin_id] = end
                if progress is not None:
                    progress(end - done)

    def apply(self, twin_id: int, minute: int, change: Callable[[Loaded[T]], C]) -> C:
        """Catch the twin up to `minute`, then change it there: `change` alters the loaded
        state in place (or raises, and nothing is written) and returns what `persist` writes
        with the new state, in one transaction that commits only if no other process wrote
        the twin meanwhile (else it runs again on the newer twin). Its result is returned."""
        kind = self.kind
        while True:
            self.catch_up(twin_id, minute)
            with self._lock(twin_id):
                with self._engine.connect() as connection:
                    loaded = kind.load(connection, twin_id)
                if loaded.minute < minute:
                    continue
                result = change(loaded)
                with self._engine.begin() as connection:
                    if not kind.row.claim(
                        connection, twin_id, loaded.minute, loaded.minute, loaded.state,
                        loaded.version,
                    ):  # fmt: skip
                        continue
                    kind.persist(connection, twin_id, result, loaded.minute, True)
                self._known[twin_id] = loaded.minute
                return result

    def reset(self, twin_id: int, rewrite: Callable[[Connection], None]) -> None:
        """Run `rewrite` (a new start for the twin's row and history) in one transaction while
        no catch-up of the twin runs in this process, then forget what was known of it."""
        with self._lock(twin_id), self._engine.begin() as connection:
            rewrite(connection)
            self._known.pop(twin_id, None)


class Ticker:
    """Keeps every twin's history flowing in the background, one catch-up pass per tick."""

    def __init__(
        self,
        accounts: Callable[[], Iterable[Account]],
        steps: Sequence[Callable[[Account], object]],
        interval: float = 5.0,
    ) -> None:
        self._accounts = accounts
        self._steps = steps
        self._interval = interval
        self._stop = threading.Event()

    def run_once(self) -> None:
        """Catch every account's twins up to its clock, one step (vendor) after another."""
        for account in self._accounts():
            if self._stop.is_set():
                return
            for step in self._steps:
                step(account)

    async def run(self) -> None:
        """Tick until stopped; a failing pass is logged and retried on the next tick."""
        while not self._stop.is_set():
            try:
                await anyio.to_thread.run_sync(self.run_once)
            except Exception:
                log.exception("background catch-up failed; retrying next tick")
            with anyio.move_on_after(self._interval):
                await anyio.to_thread.run_sync(self._stop.wait, abandon_on_cancel=True)

    def stop(self) -> None:
        """Ask the loop to end after the chunk it is writing (chunks commit whole)."""
        self._stop.set()
