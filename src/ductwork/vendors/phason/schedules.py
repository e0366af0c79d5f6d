"""Timed-event schedules: which value an output gets at each minute, from segments and events.

A schedule repeats every `repeat_day` days, counting day 1 from its start date. Segments are
tied in at start days; on cycle day d the segment with the greatest start ≤ d applies (before
the first start, the last segment carries over from the previous cycle). Within the day the
output holds the value of the latest event at or before the time; before the day's first
event it keeps the day's last event value (events repeat daily).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
EPOCH = dt.date(1970, 1, 1)

RELAY_SCHEDULE, VARIABLE_SCHEDULE, LUX_SCHEDULE = 1, 100, 1000


@dataclass(frozen=True, slots=True)
class Event:
    """Switch to `value` at `time_of_day` seconds after local midnight."""

    id: int
    value: float
    time_of_day: int
    written_on: str = "1970-01-01"

    def time_text(self) -> str:
        """As the API shows it: the date it was written and its time of day."""
        hours, rest = divmod(self.time_of_day, 3600)
        return f"{self.written_on} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}"


@dataclass(frozen=True, slots=True)
class Segment:
    """A named day program of events, for one module type."""

    id: int
    name: str
    module_type: int
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Schedule:
    """A repeating program of segments, driving one output."""

    id: int
    name: str
    schedule_type: int
    repeat_day: int
    start_date: dt.date
    output_io_id: int | None
    input_io_id: int | None
    ties: tuple[tuple[int, Segment], ...]  # (segment start day, segment), by start day

    def cycle_day(self, date: dt.date) -> int:
        """The schedule's current day (1 .. repeat_day) on a local date."""
        return (date - self.start_date).days % max(1, self.repeat_day) + 1

    def segment_on(self, cycle_day: int) -> Segment | None:
        """The segment that applies on a cycle day."""
        if not self.ties:
            return None
        chosen = self.ties[-1][1]
        for start, segment in self.ties:
            if start <= cycle_day:
                chosen = segment
        return chosen

    def values(self, days: I64, minute_of_day: I64) -> F64:
        """The scheduled value at each (local day number, minute of the day); 0 without events."""
        out = np.zeros(days.shape[0], dtype=np.float64)
        for day in np.unique(days):
            segment = self.segment_on(self.cycle_day(EPOCH + dt.timedelta(days=int(day))))
            if segment is None or not segment.events:
                continue
            ordered = sorted(segment.events, key=lambda e: e.time_of_day)
            times = np.array([e.time_of_day / 60.0 for e in ordered])
            values = np.array([e.value for e in ordered])
            mask = days == day
            index = np.searchsorted(times, minute_of_day[mask], side="right") - 1
            out[mask] = values[index]  # index -1 wraps to the day's last event
        return out
