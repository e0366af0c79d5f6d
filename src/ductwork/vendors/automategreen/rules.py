"""Automate Green actions: validating a create or update body into a stored definition,
showing an action as the API does, deciding whether it fires for a device's report, and what
it then does (an outgoing HTTP request, or a command to another device of the account).

Pure: no database, no HTTP, no clock. Instants are seconds since the epoch on the account's
clock (`last`), `Context.local` is the report's instant in the house's local time, threshold
values are in the unit of the event's value (temp °F, flow L/min, current A, resistance ohm;
docs kinds table), times of day are minutes since local midnight.

A definition holds only the fields the body gave (the API echoes them, as the document's
create example shows), in this order: `type`, `event`, `options`, `conditions`, `threshold`,
`injectStatus`, `injectDeviceId`, `deviceToControlId`, `disabled`. Bodies come from JSON or
from `forms.nest` (booleans as "true"/"false", numbers as strings); both give the same
definition.

Chosen where the documents are silent:
- Unknown top-level fields (`access_token`, `device`, `id`, ...) are ignored; a field sent
  as JSON null or an empty string counts as absent. Inside a condition or a threshold an
  unknown field is refused (a misspelt day would otherwise silently mean false).
- Booleans: true/false, "true"/"false" (any case), 1/0, "1"/"0".
- Request options keep `url` (http or https, with a host) and `method` (GET, POST, PUT,
  DELETE or PATCH, any case, stored upper case; GET when absent, not stored then).
- Command options are stored as `{"command": {"name": "on", ...}}`, the object the device's
  command endpoint takes, values as sent; `options[name]=on&options[level]=75` (the command
  given flat) and `options[command]=on` (a name alone) are accepted and stored that way.
  `deviceToControlId` is required for command actions and refused on request actions, as are
  true `injectStatus`/`injectDeviceId` on command actions (false ones are dropped).
- Thresholds: exactly one of goesAbove/goesBelow/isAbove/isBelow with a number (stored as a
  number); an empty threshold (`{}`, null, "") means none; only on temp, flow, current and
  resistance events. Comparisons are strict: a value equal to the threshold is neither above
  nor below it.
- Conditions are a list (a form's `conditions[0][...]`; an object of indexes, as a form with
  more than 20 conditions gives, is read in index order).
  `timeOfDay` {start, end}: "h:mm AM/PM" (12 AM is midnight, 12 PM noon) or 24-hour "HH:MM";
  the window includes its start minute and excludes its end minute and crosses midnight when
  end is earlier than start (22:00-06:00); start equal to end is refused.
  `dayOfWeek` {sunday..saturday}: omitted days are false, days are stored as booleans.
  `deviceStatus` {"device": id of the account, "state": "Active" | "Unavailable" |
  "Initializing" (optional), "info": {key: value} (optional)}: holds while the device's
  current status has that state and every listed info value (numbers compared as numbers,
  "true"/"false" as booleans, so form strings match); with neither, while the device has a
  status at all.
- Updates merge: the body's fields replace the stored ones, others stay (what an Express
  handler assigning the body onto the stored action does; the document's `PUT` example,
  which resends every field, works the same). A body that changes `type` drops the stored
  type-specific fields (options, inject flags, deviceToControlId) it does not resend; one
  that changes `event` drops the stored threshold unless it sends one; null or "" removes a
  field. The result is validated whole.
- `wire` omits `last` and `count` until the action first fires (the create example shows
  neither).
- The engine's memory per action is `{"value": v}`, the last value of the action's event the
  device reported, kept up to date whether or not the action fires (disabled, or a condition
  failing): a goesAbove crossing that happens while disabled or outside the conditions is
  spent, not kept for later. With no memory (a new action) the first value above a goesAbove
  threshold (below a goesBelow one) fires.
- Requests: injected data goes into a JSON body `{"deviceId": ..., "status": ...}` for POST,
  PUT and PATCH, else into query parameters `deviceId=<id>` and `status=<status as JSON>`
  added to the URL's query; with nothing injected the request has no body.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ductwork.vendors.automategreen.devices import ACTIVE, INITIALIZING, UNAVAILABLE, Json, Report

EVENTS: Mapping[str, tuple[str, ...]] = {
    "switch": ("turnOn", "turnOff"),
    "outlet": ("turnOn", "turnOff"),
    "dimmer": ("turnOn", "turnOff"),
    "thermostat": ("heating", "cooling", "off", "temp"),
    "motion": ("motion", "clear"),
    "door": ("opened", "closed"),
    "leak": ("wet", "dry"),
    "temperature": ("temp",),
    "temp_humidity": ("temp",),
    "flow": ("flow", "turnOn", "turnOff"),
    "current": ("current", "turnOn", "turnOff"),
    "photocell": ("resistance", "dark", "light"),
    "power_controller": ("turnOn", "turnOff", "current", "temp"),
}
"""The action events each device kind raises (docs kinds table)."""

VALUE_EVENTS = ("temp", "flow", "current", "resistance")
"""Events that carry a value (`Report.values[event]`) and so accept a threshold."""

TYPES = ("request", "command")
THRESHOLDS = ("goesAbove", "goesBelow", "isAbove", "isBelow")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH")
DEFAULT_METHOD = "GET"
BODY_METHODS = ("POST", "PUT", "PATCH")
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
STATES = (ACTIVE, UNAVAILABLE, INITIALIZING)
FIELDS = (
    "type",
    "event",
    "options",
    "conditions",
    "threshold",
    "injectStatus",
    "injectDeviceId",
    "deviceToControlId",
    "disabled",
)
"""A definition's fields in the order the API shows them."""

_TYPE_FIELDS = ("options", "injectStatus", "injectDeviceId", "deviceToControlId")
_TIME = re.compile(r"\s*(\d{1,2}):(\d{2})\s*(?:([AaPp])\.?[Mm]\.?)?\s*")
_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_DECIMAL = re.compile(r"\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*")


class RuleError(Exception):
    """A create or update body the API refuses: it answers 400 with `message`."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Context:
    """What conditions look at besides the report: the report's instant in the house's local
    time, and the current state and status info of any device of the account (None for a
    device that does not exist or has no status)."""

    local: dt.datetime
    device_state: Callable[[str], tuple[str, Json] | None]


# ---------------------------------------------------------------------------- definitions


def definition(body: Json, device_kind: str, kinds: Mapping[str, str]) -> Json:
    """The stored definition of a create body for a device of `device_kind`; `kinds` maps the
    account's device ids to their kinds. Raises RuleError (module docstring) on a bad body."""
    if not isinstance(body, dict):
        raise RuleError("The body must be an object")
    events = EVENTS.get(device_kind)
    if events is None:
        raise RuleError(f"A {device_kind} device has no actions")
    kind = _required_text(body, "type")
    if kind not in TYPES:
        raise RuleError(f"Invalid type '{kind}': expected request or command")
    event = _required_text(body, "event")
    if event not in events:
        raise RuleError(
            f"Invalid event '{event}' for a {device_kind} device: expected {_either(events)}"
        )
    result: Json = {"type": kind, "event": event}
    if kind == "request":
        result["options"] = _request_options(body.get("options"))
    else:
        result["options"] = _command_options(body.get("options"))
    conditions = _conditions(body.get("conditions"), kinds)
    if conditions:
        result["conditions"] = conditions
    threshold = _threshold(body.get("threshold"), event)
    if threshold:
        result["threshold"] = threshold
    for flag in ("injectStatus", "injectDeviceId"):
        if not _absent(body.get(flag)):
            value = _boolean(body[flag], flag)
            if kind == "command" and value:
                raise RuleError(f"{flag} is for request actions only")
            if kind == "request":
                result[flag] = value
    target = body.get("deviceToControlId")
    if kind == "command":
        if _absent(target):
            raise RuleError("Missing deviceToControlId")
        if not isinstance(target, str) or target not in kinds:
            raise RuleError(f"Unknown deviceToControlId '{target}'")
        result["deviceToControlId"] = target
    elif not _absent(target):
        raise RuleError("deviceToControlId is for command actions only")
    if not _absent(body.get("disabled")):
        result["disabled"] = _boolean(body["disabled"], "disabled")
    return result


def updated(old: Json, body: Json, device_kind: str, kinds: Mapping[str, str]) -> Json:
    """The definition after an update body (`POST` or `PUT /actions/{id}`): the body's fields
    merged over the stored definition `old` and validated whole (module docstring)."""
    if not isinstance(body, dict):
        raise RuleError("The body must be an object")
    merged = dict(old)
    if not _absent(body.get("type")) and str(body["type"]).strip() != old.get("type"):
        for name in _TYPE_FIELDS:
            merged.pop(name, None)
    if not _absent(body.get("event")) and str(body["event"]).strip() != old.get("event"):
        merged.pop("threshold", None)
    merged.update(body)
    return definition(merged, device_kind, kinds)


def wire(action_id: str, device_id: str, definition: Json, last: float | None, count: int) -> Json:
    """The action as the API shows it: `id, device, last, count`, then the definition's fields
    in the document's order; `last` (seconds since the epoch) as ISO 8601 UTC with
    milliseconds, `last` and `count` omitted until the action first fires."""
    result: Json = {"id": action_id, "device": device_id}
    if last is not None:
        result["last"] = iso(last)
    if count:
        result["count"] = count
    for name in FIELDS:
        if name in definition:
            result[name] = copy.deepcopy(definition[name])
    return result


def iso(at: float) -> str:
    """Seconds since the epoch as `YYYY-MM-DDTHH:MM:SS.sssZ` (UTC, rounded to the ms)."""
    seconds, millis = divmod(round(at * 1000), 1000)
    moment = dt.datetime.fromtimestamp(seconds, dt.UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis:03d}Z"


def _request_options(options: Any) -> Json:
    """A request action's options: `url` and, when given, `method`."""
    if _absent(options):
        raise RuleError("Missing options.url")
    if not isinstance(options, dict):
        raise RuleError("Invalid options: expected an object")
    url = options.get("url")
    if _absent(url):
        raise RuleError("Missing options.url")
    if not isinstance(url, str) or not _web_url(url.strip()):
        raise RuleError(f"Invalid options.url '{url}': expected an http or https URL")
    result: Json = {"url": url.strip()}
    method = options.get("method")
    if not _absent(method):
        if not isinstance(method, str) or method.strip().upper() not in METHODS:
            raise RuleError(f"Invalid options.method '{method}': expected {_either(METHODS)}")
        result["method"] = method.strip().upper()
    return result


def _web_url(url: str) -> bool:
    """Whether `url` is an absolute http(s) URL with a host and no blanks or controls."""
    if any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        return False
    try:
        parts = urllib.parse.urlsplit(url)
        host = parts.hostname
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(host)


def _command_options(options: Any) -> Json:
    """A command action's options: `{"command": {"name": ..., ...}}`."""
    if _absent(options):
        raise RuleError("Missing options.command")
    if not isinstance(options, dict):
        raise RuleError("Invalid options: expected an object")
    command = options.get("command")
    if _absent(command) and "name" in options:
        command = options
    if _absent(command):
        raise RuleError("Missing options.command")
    if isinstance(command, str):
        command = {"name": command.strip()}
    if not isinstance(command, dict) or not isinstance(command.get("name"), str):
        raise RuleError("Invalid options.command: expected an object with a name")
    if not command["name"].strip():
        raise RuleError("Invalid options.command: expected an object with a name")
    return {"command": copy.deepcopy(command)}


def _threshold(threshold: Any, event: str) -> Json:
    """A threshold `{kind: number}`, or {} for none."""
    if isinstance(threshold, dict):
        threshold = {key: value for key, value in threshold.items() if not _absent(value)}
    if _absent(threshold) or threshold == {}:
        return {}
    if event not in VALUE_EVENTS:
        raise RuleError(f"Event {event} does not support thresholds")
    if not isinstance(threshold, dict):
        raise RuleError(f"Invalid threshold: expected exactly one of {_either(THRESHOLDS)}")
    given: Json = threshold
    if len(given) != 1 or not set(given) <= set(THRESHOLDS):
        raise RuleError(f"Invalid threshold: expected exactly one of {_either(THRESHOLDS)}")
    ((key, value),) = given.items()
    return {key: _number(value, f"threshold.{key}")}


# ----------------------------------------------------------------------------- conditions


def _conditions(conditions: Any, kinds: Mapping[str, str]) -> list[Json]:
    """The validated condition objects, in order."""
    if _absent(conditions):
        return []
    if (
        isinstance(conditions, dict)
        and conditions
        and all(isinstance(key, str) and key.isdecimal() for key in conditions)
    ):
        conditions = [conditions[key] for key in sorted(conditions, key=int)]
    if not isinstance(conditions, list):
        raise RuleError("Invalid conditions: expected a list of objects")
    result = []
    for index, condition in enumerate(conditions):
        where = f"conditions[{index}]"
        if not isinstance(condition, dict):
            raise RuleError(f"Invalid {where}: expected an object")
        kind = condition.get("type")
        if _absent(kind):
            raise RuleError(f"Missing {where}.type")
        check = _CONDITIONS.get(kind) if isinstance(kind, str) else None
        if check is None:
            raise RuleError(
                f"Unknown condition type '{kind}' in {where}: expected {_either(_CONDITIONS)}"
            )
        result.append({"type": kind, **check.validate(condition, where, kinds)})
    return result


@dataclass(frozen=True)
class _Condition:
    """One type of condition: its fields validated (all but `type`), and whether it holds."""

    fields: tuple[str, ...]
    validate_fields: Callable[[Json, str, Mapping[str, str]], Json]
    holds: Callable[[Json, Context], bool]

    def validate(self, condition: Json, where: str, kinds: Mapping[str, str]) -> Json:
        """The condition's stored fields; refuses fields this type does not have."""
        for key in condition:
            if key != "type" and key not in self.fields:
                raise RuleError(f"Unknown field '{key}' in {where}")
        return self.validate_fields(condition, where, kinds)


def minute_of_day(text: str) -> int:
    """Minutes since midnight of "h:mm AM/PM" (12 AM = 0:00, 12 PM = noon) or 24-hour "HH:MM";
    raises ValueError when `text` is neither."""
    match = _TIME.fullmatch(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (99, 99)
    half = match[3] if match else None
    if minute > 59 or hour > (23 if half is None else 12) or (half and hour == 0):
        raise ValueError(f"not a time of day: {text!r}")
    if half is None:
        return hour * 60 + minute
    return ((hour % 12) + (12 if half in "Pp" else 0)) * 60 + minute


def _time_of_day_fields(condition: Json, where: str, _kinds: Mapping[str, str]) -> Json:
    result: Json = {}
    for name in ("start", "end"):
        value = condition.get(name)
        if _absent(value):
            raise RuleError(f"Missing {where}.{name}")
        message = f"Invalid {where}.{name} '{value}': expected hh:mm AM/PM or HH:MM"
        if not isinstance(value, str):
            raise RuleError(message)
        try:
            minute_of_day(value)
        except ValueError:
            raise RuleError(message) from None
        result[name] = value.strip()
    if minute_of_day(result["start"]) == minute_of_day(result["end"]):
        raise RuleError(f"Invalid {where}: start and end must differ")
    return result


def _time_of_day_holds(condition: Json, context: Context) -> bool:
    start = minute_of_day(condition["start"])
    end = minute_of_day(condition["end"])
    now = context.local.hour * 60 + context.local.minute
    if start < end:
        return start <= now < end
    return now >= start or now < end


def _day_of_week_fields(condition: Json, where: str, _kinds: Mapping[str, str]) -> Json:
    return {
        day: _boolean(condition[day], f"{where}.{day}")
        for day in DAYS
        if not _absent(condition.get(day))
    }


def _day_of_week_holds(condition: Json, context: Context) -> bool:
    day = DAYS[(context.local.weekday() + 1) % 7]  # weekday(): Monday 0; DAYS: Sunday first
    return bool(condition.get(day, False))


def _device_status_fields(condition: Json, where: str, kinds: Mapping[str, str]) -> Json:
    device = condition.get("device")
    if _absent(device):
        raise RuleError(f"Missing {where}.device")
    if not isinstance(device, str) or device not in kinds:
        raise RuleError(f"Unknown device '{device}' in {where}")
    result: Json = {"device": device}
    state = condition.get("state")
    if not _absent(state):
        named = {name.lower(): name for name in STATES}
        if not isinstance(state, str) or state.strip().lower() not in named:
            raise RuleError(f"Invalid {where}.state '{state}': expected {_either(STATES)}")
        result["state"] = named[state.strip().lower()]
    info = condition.get("info")
    if not _absent(info):
        if not isinstance(info, dict):
            raise RuleError(f"Invalid {where}.info: expected an object")
        result["info"] = {key: _scalar(value) for key, value in info.items()}
    return result


def _device_status_holds(condition: Json, context: Context) -> bool:
    found = context.device_state(condition["device"])
    if found is None:
        return False
    state, info = found
    if "state" in condition and condition["state"] != state:
        return False
    return all(
        key in info and _same(expected, info[key])
        for key, expected in condition.get("info", {}).items()
    )


_CONDITIONS: Mapping[str, _Condition] = {
    "timeOfDay": _Condition(("start", "end"), _time_of_day_fields, _time_of_day_holds),
    "dayOfWeek": _Condition(DAYS, _day_of_week_fields, _day_of_week_holds),
    "deviceStatus": _Condition(
        ("device", "state", "info"), _device_status_fields, _device_status_holds
    ),
}


# ------------------------------------------------------------------------------ the engine


def _goes_above(previous: float | None, value: float, limit: float) -> bool:
    return value > limit and (previous is None or previous <= limit)


def _goes_below(previous: float | None, value: float, limit: float) -> bool:
    return value < limit and (previous is None or previous >= limit)


_CROSSINGS: Mapping[str, Callable[[float | None, float, float], bool]] = {
    "goesAbove": _goes_above,
    "goesBelow": _goes_below,
    "isAbove": lambda _previous, value, limit: value > limit,
    "isBelow": lambda _previous, value, limit: value < limit,
}


def evaluate(definition: Json, armed: Json, report: Report, context: Context) -> tuple[bool, Json]:
    """Whether the action fires for `report`, and the engine's new memory for it (`armed` is
    the memory it returned last time, {} at first). It fires when the report raises the
    action's event, its threshold (if any) is met by the report's value of that event, the
    action is not disabled and every condition holds (module docstring)."""
    memory = dict(armed)
    event = definition["event"]
    if event not in report.events:
        return False, memory
    value = report.values.get(event)
    previous = memory.get("value")
    if value is not None:
        memory["value"] = value
    threshold = definition.get("threshold")
    if threshold:
        ((key, limit),) = threshold.items()
        if value is None or not _CROSSINGS[key](previous, value, limit):
            return False, memory
    if definition.get("disabled"):
        return False, memory
    fires = all(
        _CONDITIONS[condition["type"]].holds(condition, context)
        for condition in definition.get("conditions", ())
    )
    return fires, memory


def request(definition: Json, device_id: str, status: Json) -> tuple[str, str, str | None]:
    """A request action's HTTP method, URL and body (JSON text, or None): `status` is the
    device's status as the API shows it, injected when `injectStatus` is true, as `device_id`
    is when `injectDeviceId` is (module docstring)."""
    options = definition["options"]
    method: str = options.get("method", DEFAULT_METHOD)
    url: str = options["url"]
    injected: Json = {}
    if definition.get("injectDeviceId"):
        injected["deviceId"] = device_id
    if definition.get("injectStatus"):
        injected["status"] = status
    if not injected:
        return method, url, None
    if method in BODY_METHODS:
        return method, url, _json(injected)
    query = urllib.parse.urlencode(
        [
            (key, value if isinstance(value, str) else _json(value))
            for key, value in injected.items()
        ]
    )
    base, hash_mark, fragment = url.partition("#")
    joiner = "" if base.endswith(("?", "&")) else "&" if "?" in base else "?"
    return method, f"{base}{joiner}{query}{hash_mark}{fragment}", None


def command(definition: Json) -> tuple[str, Json]:
    """A command action's device to control and the command to send it (the object a
    `POST /devices/{id}/command` body's `command` holds)."""
    return definition["deviceToControlId"], copy.deepcopy(definition["options"]["command"])


# ------------------------------------------------------------------------------- helpers


def _absent(value: Any) -> bool:
    """JSON null and the empty string count as a field not sent."""
    return value is None or value == ""


def _required_text(body: Json, name: str) -> str:
    value = body.get(name)
    if _absent(value):
        raise RuleError(f"Missing {name}")
    if not isinstance(value, str):
        raise RuleError(f"Invalid {name} '{value}'")
    return value.strip()


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "false", "0"):
        return value.strip().lower() in ("true", "1")
    raise RuleError(f"Invalid {name} '{value}': expected true or false")


def _number(value: Any, name: str) -> int | float:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return value
    if isinstance(value, str) and _INTEGER.fullmatch(value):
        return int(value)
    if isinstance(value, str) and _DECIMAL.fullmatch(value):
        number = float(value)
        if math.isfinite(number):
            return number
    raise RuleError(f"Invalid {name} '{value}': expected a number")


def _scalar(value: Any) -> Any:
    """A form string as the JSON value it stands for ("true" → True, "75" → 75), else as is."""
    if not isinstance(value, str):
        return value
    if value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    try:
        return _number(value, "")
    except RuleError:
        return value


def _same(expected: Any, actual: Any) -> bool:
    """Whether a device-status condition's value matches the device's, form strings read as
    the JSON values they stand for; booleans only match booleans."""
    expected, actual = _scalar(expected), _scalar(actual)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return isinstance(expected, bool) and isinstance(actual, bool) and expected == actual
    return bool(expected == actual)


def _either(names: Iterable[str]) -> str:
    """`a, b or c`."""
    listed = list(names)
    return listed[0] if len(listed) == 1 else ", ".join(listed[:-1]) + " or " + listed[-1]


def _json(value: Any) -> str:
    """Compact JSON text, as Node's JSON.stringify writes it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
