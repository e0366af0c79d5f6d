"""The bulk history encoding (vendors/phason/histjson.py) makes exactly the texts the
per-reading code makes: local times across daylight-saving changes (whole-hour and half-hour
ones, and zones whose offset has minutes), and numbers at each precision. The HTTP answers it
builds are checked by tests/test_phason_v1_0_3.py; a barn's clock in those tests never crosses
a DST change, so the time texts are checked here, minute by minute, against local_text."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from ductwork.vendors.phason import wire
from ductwork.vendors.phason.histjson import local_texts, number_texts
from ductwork.vendors.phason.service import local_text

# (zone, a day with a DST change in it)
CHANGES = [
    ("America/Chicago", dt.date(2024, 3, 10)),  # spring forward at 02:00
    ("America/Chicago", dt.date(2024, 11, 3)),  # fall back: 01:00-02:00 twice
    ("Europe/Berlin", dt.date(2024, 10, 27)),
    ("Australia/Lord_Howe", dt.date(2024, 4, 7)),  # a half-hour change at 02:00
    ("Australia/Lord_Howe", dt.date(2024, 10, 6)),
    ("America/St_Johns", dt.date(2024, 3, 10)),  # UTC-03:30 / -02:30
    ("Asia/Kathmandu", dt.date(2024, 7, 1)),  # +05:45, no DST
    ("UTC", dt.date(2024, 7, 1)),
]


@pytest.mark.parametrize(("zone", "day"), CHANGES)
def test_local_texts_match_local_text_minute_by_minute(zone: str, day: dt.date) -> None:
    """Every minute of three days around the change, and odd seconds too."""
    tz = ZoneInfo(zone)
    start = int(dt.datetime.combine(day - dt.timedelta(days=1), dt.time(), tz).timestamp())
    seconds = np.arange(start, start + 3 * 86_400, 60, dtype=np.int64)
    seconds[::7] += 17  # not always on a whole minute
    assert local_texts(seconds, tz) == [local_text(int(t), tz) for t in seconds.tolist()]


def test_local_texts_of_nothing_and_out_of_order() -> None:
    tz = ZoneInfo("America/Chicago")
    assert local_texts(np.array([], dtype=np.int64), tz) == []
    seconds = np.array([1_710_061_200, 1_699_000_000, 1_710_057_600], dtype=np.int64)
    assert local_texts(seconds, tz) == [local_text(int(t), tz) for t in seconds.tolist()]


@pytest.mark.parametrize("decimals", [0, 1, 2, 3])
def test_number_texts_match_wire_number(decimals: int) -> None:
    """float32 values as history stores them: negatives, zero and minus zero, halves that
    round either way, repeats."""
    rng = np.random.default_rng(decimals)
    values = np.concatenate([
        rng.normal(20, 15, 2000), [0.0, -0.0, 0.05, -0.05, 0.5, 1.5, 2.25, -2.25, 1e6, -0.0004],
        np.repeat([21.5, 21.5, 3.0], 3),
    ]).astype(np.float32)  # fmt: skip
    assert number_texts(values, decimals) == [wire.number(v, decimals) for v in values.tolist()]
