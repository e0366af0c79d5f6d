"""The v1.0.2 timed-event family: schedules, segments tied in at start days, and events.

Ids are device-wide and increase (the document: "the segment id will auto-increment"). A
schedule of type 1 (relay), 100 (variable) or 1000 (0-1000 lux) takes segments of module type
2, 3 or 13 respectively and drives one output; its current day is kept as the date of its
day 1. Every change acts on the twin from the next minute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import Account
from ductwork.vendors.phason import schema
from ductwork.vendors.phason.exceptions import PhasonError, invalid
from ductwork.vendors.phason.models import FOLLOW_LUX, TIMED_EVENTS, Device
from ductwork.vendors.phason.schedules import Event, Schedule, Segment
from ductwork.vendors.phason.service import PhasonService
from ductwork.vendors.phason.settings import MISSING, whole
from ductwork.vendors.phason.store import load_schedules

SEGMENT_TYPE_OF_SCHEDULE = {1: 2, 100: 3, 1000: 13}
EVENT_RANGES = {2: (0, 1), 3: (0, 100), 13: (0, 1000)}
SCHEDULE_MODULES = {1: {2, 8}, 100: {3, 4}, 1000: {3, 4}}
TYPE_NAMES = {1: "Relay Schedule", 100: "Variable Schedule", 1000: "0-1000 Schedule"}


def _seconds_of_day(text: str | None) -> int:
    """'hh:mm:ss' (or 'hh:mm', or a full 'yyyy-mm-dd hh:mm:ss') as seconds after midnight."""
    if not text:
        raise invalid(MISSING)
    clock = text.strip().split(" ")[-1]
    try:
        parts = [int(p) for p in clock.split(":")]
    except ValueError:
        raise invalid("event_time must be hh:mm:ss.") from None
    if len(parts) not in (2, 3):
        raise invalid("event_time must be hh:mm:ss.")
    hours, minutes, seconds = [*parts, 0][:3]
    if not (0 <= hours < 24 and 0 <= minutes < 60 and 0 <= seconds < 60):
        raise invalid("event_time must be hh:mm:ss.")
    return hours * 3600 + minutes * 60 + seconds


class TimedEvents:
    """Reads and writes of a device's schedules, segments and events."""

    def __init__(self, engine: Engine, service: PhasonService) -> None:
        self._engine = engine
        self._service = service

    # ------------------------------------------------------------ lookups
    def _device(self, account: Account, device_id: str) -> tuple[Device, dt.date]:
        device, minute = self._service.device(account, device_id)
        today = dt.datetime.fromtimestamp(minute * 60, ZoneInfo(device.timezone)).date()
        return device, today

    @staticmethod
    def _segments(connection: Connection, device: Device) -> dict[int, Segment]:

        schedules = load_schedules(connection, device.id)
        found = {seg.id: seg for s in schedules for _, seg in s.ties}
        rows = connection.execute(
            sa.select(schema.segments).where(schema.segments.c.device_id == device.id)
        )
        for row in rows:
            if row.id not in found:
                events = connection.execute(
                    sa.select(schema.events).where(schema.events.c.segment_id == row.id)
                ).all()
                found[row.id] = Segment(
                    row.id,
                    row.name,
                    row.module_type,
                    tuple(_event(e) for e in sorted(events, key=lambda e: (e.time_of_day, e.id))),
                )
        return found

    def _segment(self, device: Device, segment_id: str | None) -> Segment:
        number = whole({"segment_id": segment_id or ""}, "segment_id", 1, 2**31 - 1)
        with self._engine.connect() as connection:
            segment = self._segments(connection, device).get(number)
        if segment is None:
            raise PhasonError(404, "No segment found")
        return segment

    @staticmethod
    def _schedule(device: Device, schedule_id: str | None) -> Schedule:
        number = whole({"schedule_id": schedule_id or ""}, "schedule_id", 1, 2**31 - 1)
        schedule = next((s for s in device.schedules if s.id == number), None)
        if schedule is None:
            raise PhasonError(404, "No schedule found")
        return schedule

    # ------------------------------------------------------------ events
    def statistic(self, account: Account, device_id: str) -> dict[str, Any]:
        """GET timed_statistic: the ids of schedules, their segments and their events."""
        device, _ = self._device(account, device_id)
        return {
            "device_id": device.id,
            "schedule_ids": [
                {
                    "schedule_id": s.id,
                    "segment_ids": [
                        {"segment_id": seg.id, "event_ids": [e.id for e in seg.events]}
                        for _, seg in s.ties
                    ],
                }
                for s in device.schedules
            ],
        }

    def event(self, account: Account, device_id: str, params: Mapping[str, str]) -> dict[str, Any]:
        """GET event_single."""
        device, _ = self._device(account, device_id)
        segment = self._segment(device, params.get("segment_id"))
        event_id = whole(params, "event_id", 1, 2**31 - 1)
        found = next((e for e in segment.events if e.id == event_id), None)
        if found is None:
            raise PhasonError(404, "No event found")
        return {
            "device_id": device.id,
            "segment_id": segment.id,
            "event_id": found.id,
            "event_value": _value(found.value),
            "event_time": found.time_text(),
        }

    def events_of_segment(
        self, account: Account, device_id: str, segment_id: str | None
    ) -> dict[str, Any]:
        """GET events_segment."""
        device, _ = self._device(account, device_id)
        segment = self._segment(device, segment_id)
        return {"device_id": device.id, "segment_id": segment.id, "events": _events(segment)}

    def events_of_device(self, account: Account, device_id: str) -> dict[str, Any]:
        """GET events_device: schedules with their segments and events."""
        device, _ = self._device(account, device_id)
        return {
            "device_id": device.id,
            "schedule_ids": [
                {
                    "schedule_name": s.name,
                    "schedule_repeat": s.repeat_day,
                    "schedule_id": s.id,
                    "segment_ids": [
                        {
                            "segment_name": seg.name,
                            "segment_start": start,
                            "segment_id": seg.id,
                            "event_ids": _events(seg),
                        }
                        for start, seg in s.ties
                    ],
                }
                for s in device.schedules
            ],
        }

    def write_event(
        self, account: Account, device_id: str, params: Mapping[str, str], action: str
    ) -> dict[str, Any]:
        """PUT (update), POST (create) or DELETE event_single."""
        device, today = self._device(account, device_id)
        segment = self._segment(device, params.get("segment_id"))
        low, high = EVENT_RANGES.get(segment.module_type, (0, 1000))
        event_id = 0
        if action != "create":
            event_id = whole(params, "event_id", 1, 2**31 - 1)
            if not any(e.id == event_id for e in segment.events):
                raise PhasonError(404, "No event found")
        table = schema.events
        with self._engine.begin() as connection:
            if action == "delete":
                old = next(e for e in segment.events if e.id == event_id)
                connection.execute(sa.delete(table).where(table.c.id == event_id))
                body = {
                    "segment_id": segment.id,
                    "event_id": event_id,
                    "event_value": _value(old.value),
                    "event_time": old.time_text(),
                }
                return {"Message": "Event Deleted.", "Delete": body}
            value = whole(params, "event_value", low, high)
            seconds = _seconds_of_day(params.get("event_time"))
            values = {
                "value": float(value),
                "time_of_day": seconds,
                "written_on": today.isoformat(),
            }
            if action == "update":
                connection.execute(sa.update(table).where(table.c.id == event_id).values(**values))
            else:
                event_id = int(
                    connection.execute(
                        sa.insert(table)
                        .values(segment_id=segment.id, **values)
                        .returning(table.c.id)
                    ).scalar_one()
                )
        hours, rest = divmod(seconds, 3600)
        body = {
            "segment_id": segment.id,
            "event_id": event_id,
            "event_value": value,
            "event_time": f"{today.isoformat()} {hours:02d}:{rest // 60:02d}:{rest % 60:02d}",
        }
        if action == "update":
            return {"Message": "Event Updated.", "Update": body}
        return {"Message": "Event Created.", "Create": body}

    # ------------------------------------------------------------ segments
    def segment_of_schedule(
        self, account: Account, device_id: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """GET segment_single: a segment as tied into a schedule."""
        device, _ = self._device(account, device_id)
        schedule = self._schedule(device, params.get("schedule_id"))
        segment_id = whole(params, "segment_id", 1, 2**31 - 1)
        tie = next(((start, seg) for start, seg in schedule.ties if seg.id == segment_id), None)
        if tie is None:
            raise PhasonError(404, "No segment found")
        return {
            "message": "Segment Details fetched successfully.",
            "settings": {
                "device_id": device.id,
                "schedule_id": schedule.id,
                "segment_id": segment_id,
                "segment_name": tie[1].name,
                "segment_start": tie[0],
            },
        }

    def all_segments(self, account: Account, device_id: str) -> list[dict[str, Any]]:
        """GET segments_all: every segment, tied to a schedule or not."""
        device, _ = self._device(account, device_id)
        with self._engine.connect() as connection:
            segments = self._segments(connection, device)
        return [
            {"segment_id": s.id, "segment_name": s.name, "seg_module_type": s.module_type}
            for s in sorted(segments.values(), key=lambda s: s.id)
        ]

    def write_segment(
        self, account: Account, device_id: str, params: Mapping[str, str], action: str
    ) -> dict[str, Any]:
        """POST (create), PUT (rename) or DELETE segment_single."""
        device, _ = self._device(account, device_id)
        table = schema.segments
        if action == "create":
            name = (params.get("segment_name") or "").strip()
            if not name:
                raise invalid(MISSING)
            kind = whole(params, "segment_module_type", 2, 13)
            if kind not in EVENT_RANGES:
                raise invalid(
                    "segment_module_type must be 2 (relay), 3 (variable) or 13 (follow lux)."
                )
            with self._engine.begin() as connection:
                new = int(
                    connection.execute(
                        sa.insert(table)
                        .values(device_id=device.id, name=name[:100], module_type=kind)
                        .returning(table.c.id)
                    ).scalar_one()
                )
            return {
                "message": "New Segment Inserted Successfully",
                "settings": {
                    "segment_id": new,
                    "segment_name": name[:100],
                    "segment_module_type": kind,
                },
            }
        segment = self._segment(device, params.get("segment_id"))
        with self._engine.begin() as connection:
            if action == "rename":
                name = (params.get("segment_name") or "").strip()
                if not name:
                    raise invalid(MISSING)
                connection.execute(
                    sa.update(table).where(table.c.id == segment.id).values(name=name[:100])
                )
                return {
                    "message": "Segment Name Updated successfully",
                    "settings": {"segment_id": segment.id, "segment_name": name[:100]},
                }
            tied = connection.execute(
                sa.select(schema.schedule_segments.c.schedule_id).where(
                    schema.schedule_segments.c.segment_id == segment.id
                )
            ).first()
            if tied is not None:
                raise invalid(
                    "The segment is tied to a schedule; remove it from the schedule "
                    "before deleting it."
                )
            connection.execute(sa.delete(table).where(table.c.id == segment.id))
        return {"message": "Segment Details Deleted Successfully"}

    def tie(
        self, account: Account, device_id: str, params: Mapping[str, str], action: str
    ) -> dict[str, Any]:
        """POST (tie), PUT (move the start day) or DELETE tie_schedule_segment."""
        device, _ = self._device(account, device_id)
        schedule = self._schedule(device, params.get("schedule_id"))
        segment = self._segment(device, params.get("segment_id"))
        table = schema.schedule_segments
        key = (table.c.schedule_id == schedule.id) & (table.c.segment_id == segment.id)
        starts = {start for start, seg in schedule.ties if seg.id == segment.id}
        repeat = schedule.repeat_day
        with self._engine.begin() as connection:
            if action == "tie":
                start = whole(params, "segment_start", 1, repeat)
                expected = SEGMENT_TYPE_OF_SCHEDULE[schedule.schedule_type]
                if segment.module_type != expected:
                    raise invalid(
                        f"The segment's module type ({segment.module_type}) is not the "
                        f"schedule's ({expected})."
                    )
                if start in starts:
                    raise invalid("The segment is already tied to this schedule on that day.")
                connection.execute(
                    sa.insert(table).values(
                        schedule_id=schedule.id, segment_id=segment.id, segment_start=start
                    )
                )
                return {
                    "message": "Schedule and Segment Tied Successfully",
                    "settings": {
                        "schedule_id": schedule.id,
                        "segment_id": segment.id,
                        "segment_start": start,
                        "schedule_module_type": expected,
                    },
                }
            if action == "move":
                old = whole(params, "segment_start_old", 1, 10_000)
                new = whole(params, "segment_start_new", 1, repeat)
                if old not in starts:
                    raise PhasonError(404, "No segment found")
                connection.execute(
                    sa.update(table)
                    .where(key & (table.c.segment_start == old))
                    .values(segment_start=new)
                )
                return {
                    "message": "Segment Start Day Updated successfully",
                    "settings": {
                        "schedule_id": schedule.id,
                        "segment_id": segment.id,
                        "segment_start": new,
                    },
                }
            start = whole(params, "segment_start", 1, 10_000)
            if start not in starts:
                raise PhasonError(404, "No segment found")
            connection.execute(sa.delete(table).where(key & (table.c.segment_start == start)))
        return {
            "message": "Segment with this Start day is Successfully Deleted from Schedule "
            "Successfully!"
        }

    # ------------------------------------------------------------ schedules
    def schedules(self, account: Account, device_id: str) -> list[dict[str, Any]]:
        """GET light_all_schedules: every schedule with its output, input, day and segments."""
        device, today = self._device(account, device_id)
        ios = {io.id: io for io in device.ios}
        result = []
        for s in device.schedules:
            out = ios.get(s.output_io_id or -1)
            inp = ios.get(s.input_io_id or -1)
            result.append(
                {
                    **_schedule_head(s),
                    "output_module": out.module_num if out else 0,
                    "output_port": out.io_num if out else 0,
                    "output_module_desc": f"M{out.module_num}O{out.io_num}-{out.name}"
                    if out
                    else "",
                    "input_module": inp.module_num if inp else 0,
                    "input_port": inp.io_num if inp else 0,
                    "input_module_type": inp.module_type if inp else 0,
                    "input_module_desc": f"M{inp.module_num}I{inp.io_num}-{inp.name}"
                    if inp
                    else "",
                    "schedule_current_day": s.cycle_day(today),
                    "segments": _segments_of(s),
                }
            )
        return result

    def schedule(self, account: Account, device_id: str, schedule_id: str | None) -> dict[str, Any]:
        """GET single_schedule."""
        device, _ = self._device(account, device_id)
        found = self._schedule(device, schedule_id)
        return {**_schedule_head(found), "segments": _segments_of(found)}

    def create_schedule(
        self, account: Account, device_id: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """POST create_schedule."""
        device, today = self._device(account, device_id)
        name = (params.get("schedule_name") or "").strip()
        if not name:
            raise invalid(MISSING)
        repeat = whole(params, "sched_repeat_day", 1, 365)
        kind = whole(params, "schedule_type", 1, 1000)
        if kind not in TYPE_NAMES:
            raise invalid("schedule_type must be 1, 100 or 1000.")
        with self._engine.begin() as connection:
            new = int(
                connection.execute(
                    sa.insert(schema.schedules)
                    .values(
                        device_id=device.id,
                        name=name[:100],
                        schedule_type=kind,
                        repeat_day=repeat,
                        start_date=today.isoformat(),
                        output_io_id=None,
                        input_io_id=None,
                    )
                    .returning(schema.schedules.c.id)
                ).scalar_one()
            )
        return {"Message": "The Schedule is created successfully", "schedule_id": str(new)}

    def update_schedule(
        self, account: Account, device_id: str, params: Mapping[str, str]
    ) -> dict[str, Any]:
        """POST single_schedule: name and/or repeat day."""
        device, _ = self._device(account, device_id)
        found = self._schedule(device, params.get("schedule_id"))
        values: dict[str, Any] = {}
        if "schedule_name" in params:  # given, a name may not be blank
            values["name"] = params["schedule_name"].strip()[:100]
            if not values["name"]:
                raise invalid("schedule_name may not be blank.")
        if "sched_repeat_day" in params:
            values["repeat_day"] = whole(params, "sched_repeat_day", 1, 365)
        if not values:
            raise invalid(MISSING)
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(schema.schedules)
                .where(schema.schedules.c.id == found.id)
                .values(**values)
            )
        return {"Message": "The Schedule is updated successfully"}

    def set_module(
        self, account: Account, device_id: str, params: Mapping[str, str], replace: bool
    ) -> dict[str, Any]:
        """POST single_schedule_set_module / single_schedule_module: tie the schedule to an
        output whose function suits the schedule type, and set its current day."""
        device, today = self._device(account, device_id)
        found = self._schedule(device, params.get("schedule_id"))
        if replace:
            current = next((io for io in device.outputs if io.id == found.output_io_id), None)
            if current is None or (str(current.module_num), str(current.io_num)) != (
                params.get("old_output_module"),
                params.get("old_output_port"),
            ):
                raise PhasonError(404, "The schedule is not tied to that module and port.")
        module = whole(params, "output_module", 1, 255)
        port = whole(params, "output_port", 1, 255)
        day = whole(params, "schedule_current_day", 1, found.repeat_day)
        output = next(
            (o for o in device.outputs if (o.module_num, o.io_num) == (module, port)), None
        )
        if output is None:
            raise PhasonError(404, "No outputs found")
        functions = {1: {TIMED_EVENTS}, 100: {TIMED_EVENTS, FOLLOW_LUX}, 1000: {FOLLOW_LUX}}
        if output.module_type not in SCHEDULE_MODULES[found.schedule_type] or (
            output.function not in functions[found.schedule_type]
        ):
            raise invalid(
                f"Output {module}/{port} cannot follow a {TYPE_NAMES[found.schedule_type]}."
            )
        taken = device.schedule_of(output.id)
        if taken is not None and taken.id != found.id:
            raise invalid(f"Output {module}/{port} already follows schedule {taken.id}.")
        start = today - dt.timedelta(days=day - 1)
        with self._engine.begin() as connection:
            connection.execute(
                sa.update(schema.schedules)
                .where(schema.schedules.c.id == found.id)
                .values(output_io_id=output.id, start_date=start.isoformat())
            )
        return {"Message": "The Schedule is updated successfully"}

    def delete_schedule(
        self, account: Account, device_id: str, schedule_id: str | None
    ) -> dict[str, Any]:
        """DELETE single_schedule (its ties go with it; segments stay)."""
        device, _ = self._device(account, device_id)
        found = self._schedule(device, schedule_id)
        with self._engine.begin() as connection:
            connection.execute(
                sa.delete(schema.schedule_segments).where(
                    schema.schedule_segments.c.schedule_id == found.id
                )
            )
            connection.execute(sa.delete(schema.schedules).where(schema.schedules.c.id == found.id))
        return {"Message": "The Schedule is deleted successfully"}


def _value(value: float) -> int | float:
    return int(value) if value == int(value) else value


def _event(row: Any) -> Any:

    return Event(row.id, float(row.value), row.time_of_day, row.written_on)


def _events(segment: Segment) -> list[dict[str, Any]]:
    return [
        {"event_id": e.id, "event_value": _value(e.value), "event_time": e.time_text()}
        for e in segment.events
    ]


def _schedule_head(s: Schedule) -> dict[str, Any]:
    return {
        "schedule_id": s.id,
        "schedule_name": s.name,
        "schedule_type": s.schedule_type,
        "sched_repeat_day": s.repeat_day,
    }


def _segments_of(s: Schedule) -> list[dict[str, Any]]:
    return [
        {
            "segment_id": str(seg.id),
            "segment_name": seg.name,
            "segment_start": str(start),
            "events": _events(seg),
        }
        for start, seg in s.ties
    ]
