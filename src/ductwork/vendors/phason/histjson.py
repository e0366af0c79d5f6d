"""History answers encoded in bulk: byte for byte the JSON the per-reading wire structs
encode (`wire.GroupReading`, `wire.Reading`), built with numpy instead.

A 24-hour range is tens of thousands of readings. Made one struct at a time, each number
formatted and each minute turned into local time by itself, an answer cost over ten times the
SQL query and the JSON encoding of the same rows (bench/history.py). Here the distinct
numbers are formatted once each, local times come from one UTC offset per hour (a DST
change inside an hour is done minute by minute), and the records are joined as text.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import numpy as np
import numpy.typing as npt

from ductwork.vendors.phason import wire

I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]
Floats = npt.NDArray[np.floating]


def _offset(t: int, zone: ZoneInfo) -> int:
    offset = dt.datetime.fromtimestamp(t, zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def local_texts(seconds: I64, zone: ZoneInfo) -> list[str]:
    """'YYYY-MM-DD HH:MM:SS' in the zone for each epoch second (service.local_text in bulk)."""
    if seconds.shape[0] == 0:
        return []
    hours, inverse = np.unique(seconds // 3600, return_inverse=True)
    offsets = np.empty(hours.shape[0], dtype=np.int64)
    whole = np.ones(hours.shape[0], dtype=bool)
    for n, hour in enumerate(hours.tolist()):
        first, last = _offset(hour * 3600, zone), _offset(hour * 3600 + 3599, zone)
        offsets[n], whole[n] = first, first == last
    local = seconds + offsets[inverse]
    for i in np.flatnonzero(~whole[inverse]).tolist():  # an hour with a DST change in it
        local[i] = seconds[i] + _offset(int(seconds[i]), zone)
    texts = np.datetime_as_string(local.astype("datetime64[s]"), unit="s")
    return [text.replace("T", " ") for text in texts.tolist()]


# wire.number's texts by (value, decimals), shared by every request: a barn's readings repeat
# from one answer to the next. Bounded: emptied when full.
_NUMBERS: dict[tuple[float, int], str] = {}
_NUMBERS_LIMIT = 65_536


def _number(value: float, decimals: int) -> str:
    key = (value, decimals)
    text = _NUMBERS.get(key)
    if text is None:
        if len(_NUMBERS) >= _NUMBERS_LIMIT:
            _NUMBERS.clear()
        text = _NUMBERS[key] = wire.number(value, decimals)
    return text


def number_array(values: Floats, decimals: int) -> npt.NDArray[np.object_]:
    """wire.number of each value, as an object array (each distinct value formatted once)."""
    if values.shape[0] == 0:
        return np.empty(0, dtype=object)
    distinct, inverse = np.unique(values, return_inverse=True)
    texts = np.array([_number(v, decimals) for v in distinct.tolist()], dtype=object)
    return texts[inverse]


def number_texts(values: Floats, decimals: int) -> list[str]:
    """wire.number of each value."""
    texts: list[str] = number_array(values, decimals).tolist()
    return texts


def _string(text: str) -> str:
    return msgspec.json.encode(text).decode()


class Times:
    """Local time texts of a span of minutes, made once and shared by its series."""

    def __init__(self, minutes: I64, zone: ZoneInfo) -> None:
        self._texts = np.array(local_texts(minutes * 60, zone), dtype=object)

    def at(self, rows: I64) -> npt.NDArray[np.object_]:
        """The texts of these rows of the span."""
        texts: npt.NDArray[np.object_] = self._texts[rows]
        return texts


def _joined(pieces: Sequence[Any], count: int) -> str:
    """Records made of pieces (object arrays of `count` texts, or one text for every
    record), each ending with a comma: joined in one go, the last comma dropped. No Python
    code runs per record."""
    table = np.empty((count, len(pieces)), dtype=object)
    for n, piece in enumerate(pieces):
        table[:, n] = piece
    return "".join(table.ravel().tolist())[:-1]


def readings(times: npt.NDArray[np.object_], values: Floats, decimals: int) -> msgspec.Raw:
    """A `list[wire.Reading]` as JSON: a value and its local time text each, in order."""
    count = values.shape[0]
    if count == 0:
        return msgspec.Raw(b"[]")
    pieces = ['{"reading":"', number_array(values, decimals), '","time":"', times, '"},']
    return msgspec.Raw(f"[{_joined(pieces, count)}]".encode())


def group_readings(
    minutes: I64,
    grid: F32,
    fixed: Sequence[tuple[str, str, str, str, str, int]],
    zone: ZoneInfo,
) -> msgspec.Raw:
    """A `list[wire.GroupReading]` as JSON from a (minutes, groups, fields) history grid: a
    record per minute and group with a reading (NaN: the group did not exist yet), minute by
    minute, groups in their order. `fixed` holds each group's id, room id, type, type
    description, name and decimals; the fields are reading, target, lower and upper limits,
    alarm code and alarm age in minutes."""
    rows, columns = np.nonzero(~np.isnan(grid[:, :, 0]))
    count = rows.shape[0]
    if count == 0:
        return msgspec.Raw(b"[]")
    values = grid[rows, columns]
    at = minutes[rows]
    distinct, which = np.unique(at, return_inverse=True)
    reading_time = np.array(local_texts(distinct * 60, zone), dtype=object)[which]
    codes = values[:, 4].astype(np.int64)
    alarmed = np.flatnonzero(codes != 0)
    alarm = np.full(count, "0", dtype=object)
    since = (at[alarmed] - values[alarmed, 5].astype(np.int64)) * 60
    alarm[alarmed] = local_texts(since, zone)
    code_values, code_which = np.unique(codes, return_inverse=True)
    code = np.array([str(c) for c in code_values.tolist()], dtype=object)[code_which]
    numbers = [np.empty(count, dtype=object) for _ in range(4)]
    for column, (*_, decimals) in enumerate(fixed):
        where = np.flatnonzero(columns == column)
        for index, field in enumerate(numbers):
            field[where] = number_array(values[where, index], decimals)
    prefixes = np.array([
        '{"group_id":' + _string(gid) + ',"room_id":' + _string(room) + ',"group_type":'
        + _string(gtype) + ',"group_type_description":' + _string(description)
        + ',"group_name":' + _string(name) + ',"current_reading":"'
        for gid, room, gtype, description, name, _ in fixed
    ], dtype=object)  # fmt: skip
    reading, target, lower, upper = numbers
    # Each record's pieces side by side, then one join: no Python code runs per record.
    pieces = [prefixes[columns], reading, '","alarm_code":"', code, '","alarm_time":"', alarm,
              '","target_value":"', target, '","target_lower_limit":"', lower,
              '","target_upper_limit":"', upper, '","reading_time":"', reading_time,
              '"},']  # fmt: skip
    body = _joined(pieces, count)
    return msgspec.Raw(f"[{body}]".encode())
