"""One-minute history stored in hour chunks: one row per series and hour, float32 columns.

A row holds 60 minutes x N fields; minutes not simulated (yet) are NaN. A barn-year is then
a few hundred thousand small rows instead of tens of millions, written in bulk by the single
writer that advances a device, and read back for any range by decoding whole hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import numpy.typing as npt
import sqlalchemy as sa
from sqlalchemy.engine import Connection

F32 = npt.NDArray[np.float32]
I64 = npt.NDArray[np.int64]
MINUTES_PER_HOUR = 60


def decode(data: bytes, fields: int) -> F32:
    """The (60, fields) array of a stored chunk."""
    return np.frombuffer(data, dtype=np.float32).reshape(MINUTES_PER_HOUR, fields).copy()


def upsert(
    connection: Connection, table: sa.Table, key: str, rows: list[tuple[int, int, bytes]]
) -> None:
    """Insert (id, hour, data) rows, replacing the data of existing ones (SQLite, PostgreSQL).

    Written with the driver itself (executemany; COPY on PostgreSQL): at a few hundred
    thousand rows a barn-year, per-row parameter handling would cost more than the simulation.
    """
    if not rows:
        return
    name = connection.dialect.identifier_preparer.format_table(table)
    conflict = f"ON CONFLICT ({key}, hour) DO UPDATE SET data = excluded.data"
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        load = f"{table.name}_load"
        with raw.cursor() as cursor:  # type: ignore[union-attr]
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {load} (LIKE {name}) ON COMMIT DROP")
            with cursor.copy(f"COPY {load} ({key}, hour, data) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"INSERT INTO {name} SELECT * FROM {load} {conflict}")
            cursor.execute(f"TRUNCATE {load}")
        return
    connection.exec_driver_sql(
        f"INSERT INTO {name} ({key}, hour, data) VALUES (?, ?, ?) {conflict}", rows
    )


def read_chunks(
    connection: Connection,
    table: sa.Table,
    key: str,
    ids: Iterable[int],
    first_hour: int,
    last_hour: int,
    fields: int,
) -> dict[tuple[int, int], F32]:
    """Stored chunks of the given series between two hours (inclusive), by (id, hour)."""
    column = table.c[key]
    query = sa.select(column, table.c.hour, table.c.data).where(
        column.in_(list(ids)), table.c.hour >= first_hour, table.c.hour <= last_hour
    )
    return {(int(i), int(h)): decode(d, fields) for i, h, d in connection.execute(query)}


def write_span(
    connection: Connection,
    table: sa.Table,
    key: str,
    ids: Sequence[int],
    minutes: I64,
    values: npt.NDArray[np.float64],
) -> None:
    """Store consecutive minutes x series x fields values, merging into a partly written hour."""
    if minutes.shape[0] == 0:
        return
    fields = values.shape[2]
    first_hour = int(minutes[0] // MINUTES_PER_HOUR)
    last_hour = int(minutes[-1] // MINUTES_PER_HOUR)
    hours = last_hour - first_hour + 1
    grid = np.full((hours * MINUTES_PER_HOUR, len(ids), fields), np.nan, dtype=np.float32)
    existing = read_chunks(connection, table, key, ids, first_hour, first_hour, fields)
    position = {series: n for n, series in enumerate(ids)}
    for (series, _hour), chunk in existing.items():
        grid[:MINUTES_PER_HOUR, position[series], :] = chunk
    grid[minutes - first_hour * MINUTES_PER_HOUR] = values
    # (series, hour, 60, fields): each [series, hour] block is one stored row.
    blocks = np.ascontiguousarray(
        grid.reshape(hours, MINUTES_PER_HOUR, len(ids), fields).transpose(2, 0, 1, 3)
    )
    rows = [
        (int(series), first_hour + h, blocks[n, h].tobytes())
        for n, series in enumerate(ids)
        for h in range(hours)
    ]
    upsert(connection, table, key, rows)


def read_span(
    connection: Connection,
    table: sa.Table,
    key: str,
    ids: Sequence[int],
    first_minute: int,
    last_minute: int,
    fields: int,
) -> tuple[I64, F32]:
    """Minutes with data in [first, last] and a (minutes, series, fields) array (NaN: none)."""
    first_hour, last_hour = first_minute // MINUTES_PER_HOUR, last_minute // MINUTES_PER_HOUR
    hours = last_hour - first_hour + 1
    grid = np.full((hours * MINUTES_PER_HOUR, len(ids), fields), np.nan, dtype=np.float32)
    position = {series: n for n, series in enumerate(ids)}
    column = table.c[key]
    query = sa.select(column, table.c.hour, table.c.data).where(
        column.in_(list(ids)), table.c.hour >= first_hour, table.c.hour <= last_hour
    )
    rows = connection.execute(query).all()
    if rows:
        # Every chunk decoded at once and put in place by fancy indexing: (hour, series) pairs
        # pick (60, fields) blocks of the grid seen as (hours, 60, series, fields).
        series = np.array([position[int(r[0])] for r in rows], dtype=np.intp)
        offsets = np.array([int(r[1]) - first_hour for r in rows], dtype=np.intp)
        blocks = np.frombuffer(b"".join([r[2] for r in rows]), dtype=np.float32)
        blocks = blocks.reshape(len(rows), MINUTES_PER_HOUR, fields)
        grid.reshape(hours, MINUTES_PER_HOUR, len(ids), fields)[offsets, :, series, :] = blocks
    minutes = np.arange(first_hour * MINUTES_PER_HOUR, (last_hour + 1) * MINUTES_PER_HOUR,
                        dtype=np.int64)  # fmt: skip
    keep = (minutes >= first_minute) & (minutes <= last_minute)
    keep &= ~np.all(np.isnan(grid[:, :, 0]), axis=1)
    return minutes[keep], grid[keep]
