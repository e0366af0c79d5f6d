"""The catch-up runner and ticker of `core/twins.py`, on a counting twin that knows no vendor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import Account
from ductwork.core.db import create_engine
from ductwork.core.twins import Loaded, Ticker, TwinRow, TwinRunner

metadata = sa.MetaData()
counters = sa.Table(
    "counters",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sim_minute", sa.BigInteger, nullable=False),
    sa.Column("state", sa.JSON, nullable=False),
)
ticks = sa.Table(
    "ticks",
    metadata,
    sa.Column("counter_id", sa.Integer, nullable=False),
    sa.Column("minute", sa.BigInteger, nullable=False),
    sa.Column("final", sa.Boolean, nullable=False),
)


class Counter:
    """A twin whose state is the sum of its minutes; each minute is one history row."""

    row = TwinRow(counters)
    chunk_minutes = 7

    def __init__(self, before_step: Callable[[], None] | None = None) -> None:
        self.before_step = before_step

    def load(self, connection: Connection, twin_id: int) -> Loaded[None]:
        """The counter's minute and sum."""
        row = connection.execute(sa.select(counters).where(counters.c.id == twin_id)).one()
        return Loaded(None, int(row.sim_minute), dict(row.state))

    def step(self, loaded: Loaded[None], end: int) -> list[int]:
        """Add up the chunk's minutes."""
        if self.before_step is not None:
            self.before_step()
        minutes = list(range(loaded.minute + 1, end + 1))
        loaded.state["sum"] += sum(minutes)
        return minutes

    def persist(
        self, connection: Connection, twin_id: int, chunk: list[int], end: int, final: bool
    ) -> None:
        """One row per minute, the last one marked when the chunk is final."""
        connection.execute(
            sa.insert(ticks),
            [{"counter_id": twin_id, "minute": m, "final": final and m == end} for m in chunk],
        )


def _engine(tmp_path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{tmp_path / 'twins.db'}")
    metadata.create_all(engine)
    with engine.begin() as connection:
        connection.execute(sa.insert(counters).values(id=1, sim_minute=0, state={"sum": 0}))
    return engine


def _history(engine: Engine) -> tuple[list[int], list[int], dict[str, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(sa.select(ticks).order_by(ticks.c.minute)).all()
        state = connection.execute(sa.select(counters.c.state)).scalar_one()
    return [r.minute for r in rows], [r.minute for r in rows if r.final], dict(state)


def test_catch_up_runs_in_chunks_and_reports_each(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    runner = TwinRunner(engine, Counter())
    progress: list[int] = []
    assert runner.catch_up(1, 20, progress.append) == 20
    assert progress == [7, 7, 6]
    assert _history(engine) == (list(range(1, 21)), [20], {"sum": 210})
    assert runner.is_current(1, 20)
    assert not runner.is_current(1, 21)
    assert runner.catch_up(1, 15) == 20  # asking for the past simulates nothing


def test_a_chunk_another_process_claimed_first_is_simulated_again_from_its_state(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    other = TwinRunner(engine, Counter())
    raced: list[int] = []

    def race() -> None:
        if not raced:
            raced.append(other.catch_up(1, 5))

    runner = TwinRunner(engine, Counter(before_step=race))
    assert runner.catch_up(1, 12) == 12
    assert raced == [5]
    minutes, final, state = _history(engine)
    assert minutes == list(range(1, 13))  # each minute once: the lost chunk wrote nothing
    assert final == [5, 12]
    assert state == {"sum": 78}


def test_a_twin_deleted_during_a_catch_up_ends_it_quietly(tmp_path: Path) -> None:
    """A reset (in this process or another) may delete a twin that the background tick is
    stepping: the catch-up ends without an error, whether the row went before a chunk was
    read or before it was claimed."""
    engine = _engine(tmp_path)

    def delete() -> None:
        with engine.begin() as connection:
            connection.execute(sa.delete(counters).where(counters.c.id == 1))

    runner = TwinRunner(engine, Counter(before_step=delete))
    assert runner.catch_up(1, 20) == 20
    with engine.connect() as connection:  # the claim found no row: the chunk wrote nothing
        assert connection.execute(sa.select(sa.func.count()).select_from(ticks)).scalar() == 0
    assert not runner.is_current(1, 20)
    assert TwinRunner(engine, Counter()).catch_up(1, 5) == 5  # a row that is already gone


def test_forget_makes_the_runner_read_the_row_again(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    runner = TwinRunner(engine, Counter())
    runner.catch_up(1, 3)

    def rewind(connection: Connection) -> None:
        connection.execute(sa.delete(ticks))
        connection.execute(sa.update(counters).values(sim_minute=0, state={"sum": 0}))

    runner.reset(1, rewind)
    assert not runner.is_current(1, 3)
    assert runner.catch_up(1, 3) == 3
    assert _history(engine) == ([1, 2, 3], [3], {"sum": 6})
    runner.forget(1)
    assert not runner.is_current(1, 3)


def test_ticker_steps_every_account_and_stops_between_accounts() -> None:
    accounts = [Account(id=n, email=f"{n}@example.com", seed=n) for n in (1, 2, 3)]
    calls: list[tuple[str, int]] = []
    ticker = Ticker(
        lambda: accounts,
        [lambda a: calls.append(("barn", a.id)), lambda a: calls.append(("home", a.id))],
    )
    ticker.run_once()
    assert calls == [(kind, n) for n in (1, 2, 3) for kind in ("barn", "home")]
    calls.clear()

    def stop_after_first(account: Account) -> None:
        calls.append(("stop", account.id))
        ticker.stop()

    ticker = Ticker(lambda: accounts, [stop_after_first])
    ticker.run_once()
    assert calls == [("stop", 1)]
