"""Automate Green actions without a server: bracket form bodies (forms.nest, qs's rules),
action definitions from JSON and form bodies, the API's action object, the threshold and
condition engine, and the request and command an action sends."""

from __future__ import annotations

import datetime as dt
import json
import random
import urllib.parse
from collections.abc import Sequence
from typing import Any

import pytest

from ductwork.vendors.automategreen.devices import Json, Report
from ductwork.vendors.automategreen.forms import PARAMETER_LIMIT, nest
from ductwork.vendors.automategreen.rules import (
    EVENTS,
    Context,
    RuleError,
    command,
    definition,
    evaluate,
    minute_of_day,
    request,
    updated,
    wire,
)

IFTTT = "https://maker.ifttt.com/trigger/bksxGL4wMx.cooling/with/key/bFbh7mj_PeM6ppxW1_Tq7H"
KINDS = {
    "bksxGL4wMx": "thermostat",
    "HyErn3Blm": "switch",
    "qWeRtYuIoP": "dimmer",
    "d00r5ensor": "door",
}
MONDAY_NOON = dt.datetime(2024, 1, 1, 12, 0)  # 2024-01-01 was a Monday


def form(text: str) -> dict[str, Any]:
    """A URL-encoded body as the API decodes it."""
    return nest(urllib.parse.parse_qsl(text, keep_blank_values=True))


def report(event: str, value: float | None = None, *more: str) -> Report:
    """A report raising `event` (and `more`), with `value` as the event's value."""
    values = {} if value is None else {event: value}
    return Report("bksxGL4wMx", 0.0, "update", "auto", "Active", {}, (event, *more), values)


def context(
    local: dt.datetime = MONDAY_NOON, states: dict[str, tuple[str, Json]] | None = None
) -> Context:
    """A context at `local` where the devices of `states` have those statuses."""
    known = states or {}
    return Context(local, known.get)


# ------------------------------------------------------------------------------ forms.nest

NEST_CASES: list[tuple[str, dict[str, Any]]] = [
    # the documents' bodies
    (
        "user[email]=user@example.com&user[password]=mypassword&expires=31536000",
        {"user": {"email": "user@example.com", "password": "mypassword"}, "expires": "31536000"},
    ),
    (
        f"device=bksxGL4wMx&options[url]={IFTTT}",
        {"device": "bksxGL4wMx", "options": {"url": IFTTT}},
    ),
    ("command[name]=level&command[level]=75", {"command": {"name": "level", "level": "75"}}),
    (
        "date[start]=2015-08-10T09:30&date[end]=2015-08-15",
        {"date": {"start": "2015-08-10T09:30", "end": "2015-08-15"}},
    ),
    # lists
    ("a[]=1&a[]=2", {"a": ["1", "2"]}),
    ("a[0]=x&a[1]=y", {"a": ["x", "y"]}),
    ("a[1]=y&a[0]=x", {"a": ["x", "y"]}),
    ("a[1]=x&a[5]=y", {"a": ["x", "y"]}),
    ("a[20]=x", {"a": ["x"]}),
    ("a[21]=x", {"a": {"21": "x"}}),
    ("a[21]=x&a[1]=y", {"a": {"1": "y", "21": "x"}}),
    ("a[01]=x", {"a": {"01": "x"}}),
    ("a[-1]=x", {"a": {"-1": "x"}}),
    ("a[0][b]=1&a[0][c]=2&a[1][b]=3", {"a": [{"b": "1", "c": "2"}, {"b": "3"}]}),
    ("c[][type]=timeOfDay&c[][start]=1", {"c": [{"type": "timeOfDay", "start": "1"}]}),
    ("c[][type]=a&c[][type]=b", {"c": [{"type": "b"}]}),
    ("a[]=x&a[0][b]=y", {"a": ["x", {"b": "y"}]}),
    ("a[b][]=1&a[b][]=2", {"a": {"b": ["1", "2"]}}),
    # plain keys, repeats, empties
    ("a=1&a=2", {"a": "2"}),
    ("a[b]=1&a[b]=2", {"a": {"b": "2"}}),
    ("a=&b", {"a": "", "b": ""}),
    ("=x&b=1", {"b": "1"}),
    ("a=1+2%26c", {"a": "1 2&c"}),
    # depth
    ("a[b][c][d][e][f]=x", {"a": {"b": {"c": {"d": {"e": {"f": "x"}}}}}}),
    ("a[b][c][d][e][f][g][h]=x", {"a": {"b": {"c": {"d": {"e": {"f": {"[g][h]": "x"}}}}}}}),
    # odd keys
    ("a[b=x", {"a[b": "x"}),
    ("a]b=x", {"a]b": "x"}),
    ("[a]=x", {"a": "x"}),
    ("[]=x&[]=y", {"0": "x", "1": "y"}),
    ("a[]b=x", {"a": ["x"]}),
    ("a[b]c[d]=x", {"a": {"b": {"d": "x"}}}),
    ("a[]=", {"a": [""]}),
    # conflicting shapes, as qs merges them
    ("a=1&a[b]=2", {"a": ["1", {"b": "2"}]}),
    ("a[b]=2&a=1", {"a": {"1": "true", "b": "2"}}),
    ("a[b]=1&a=", {"a": {"b": "1"}}),
    ("a=&a[b]=1", {"a": ["", {"b": "1"}]}),
    ("a[0]=1&a[x]=2", {"a": {"0": "1", "x": "2"}}),
    ("a[0]=x&a[0][b]=y", {"a": ["x", {"b": "y"}]}),
    ("a=1&a[]=2", {"a": ["1", "2"]}),
    ("5[a]=x&5=y", {"5": ["y", {"a": "x"}]}),
    # JavaScript's key order: integer keys first
    ("b=1&10=2&2=3", {"2": "3", "10": "2", "b": "1"}),
]


@pytest.mark.parametrize(("body", "expected"), NEST_CASES)
def test_nest_decodes_bracket_keys_as_qs_does(body: str, expected: dict[str, Any]) -> None:
    result = form(body)
    assert result == expected
    assert json.dumps(result) == json.dumps(expected)  # key order too


def test_nest_reads_only_the_first_thousand_pairs() -> None:
    pairs = [(f"k{i}", str(i)) for i in range(PARAMETER_LIMIT + 5)]
    result = nest(pairs)
    assert len(result) == PARAMETER_LIMIT
    assert "k999" in result
    assert "k1000" not in result


def _leaves_are_strings(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _leaves_are_strings(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_leaves_are_strings(item) for item in value)
    return isinstance(value, str)


def test_nest_never_raises_and_keeps_string_leaves() -> None:
    """Seeded fuzz over nasty keys: brackets, indexes, repeats, empties, deep nesting."""
    pieces = ["a", "b", "0", "1", "21", "[", "]", "[]", "[0]", "[1]", "[a]", "[25]", "", "=", "%"]
    rng = random.Random(20240101)
    for _ in range(3000):
        pairs = [
            (
                "".join(rng.choice(pieces) for _ in range(rng.randint(0, 9))),
                rng.choice(["", "x", "0", "true"]),
            )
            for _ in range(rng.randint(0, 8))
        ]
        result = nest(pairs)
        assert isinstance(result, dict)
        assert _leaves_are_strings(result), pairs


# ---------------------------------------------------------------------- valid definitions

VALID: list[tuple[str, str, Json, Json]] = [
    (
        "the document's create example",
        "thermostat",
        {"device": "bksxGL4wMx", "type": "request", "event": "cooling", "options": {"url": IFTTT}},
        {"type": "request", "event": "cooling", "options": {"url": IFTTT}},
    ),
    (
        "request with every field",
        "temperature",
        {
            "type": "request",
            "event": "temp",
            "options": {"url": "http://hooks.example/t", "method": "post"},
            "conditions": [
                {"type": "timeOfDay", "start": "10:00 PM", "end": "6:00 AM"},
                {"type": "dayOfWeek", "monday": True, "friday": "true"},
            ],
            "threshold": {"goesAbove": "80.5"},
            "injectStatus": True,
            "injectDeviceId": "false",
            "disabled": False,
            "access_token": "ignored",
        },
        {
            "type": "request",
            "event": "temp",
            "options": {"url": "http://hooks.example/t", "method": "POST"},
            "conditions": [
                {"type": "timeOfDay", "start": "10:00 PM", "end": "6:00 AM"},
                {"type": "dayOfWeek", "monday": True, "friday": True},
            ],
            "threshold": {"goesAbove": 80.5},
            "injectStatus": True,
            "injectDeviceId": False,
            "disabled": False,
        },
    ),
    (
        "command with options.command",
        "motion",
        {
            "type": "command",
            "event": "motion",
            "options": {"command": {"name": "on", "level": 75}},
            "deviceToControlId": "qWeRtYuIoP",
        },
        {
            "type": "command",
            "event": "motion",
            "options": {"command": {"name": "on", "level": 75}},
            "deviceToControlId": "qWeRtYuIoP",
        },
    ),
    (
        "command given flat in options",
        "door",
        {
            "type": "command",
            "event": "opened",
            "options": {"name": "level", "level": "30"},
            "deviceToControlId": "qWeRtYuIoP",
            "injectStatus": "false",
        },
        {
            "type": "command",
            "event": "opened",
            "options": {"command": {"name": "level", "level": "30"}},
            "deviceToControlId": "qWeRtYuIoP",
        },
    ),
    (
        "command named alone",
        "leak",
        {
            "type": "command",
            "event": "wet",
            "options": {"command": "off"},
            "deviceToControlId": "HyErn3Blm",
        },
        {
            "type": "command",
            "event": "wet",
            "options": {"command": {"name": "off"}},
            "deviceToControlId": "HyErn3Blm",
        },
    ),
    (
        "empty optional fields are absent",
        "flow",
        {
            "type": "request",
            "event": "turnOn",
            "options": {"url": "https://x.example/", "method": ""},
            "conditions": "",
            "threshold": {"goesAbove": "", "isBelow": None},
            "deviceToControlId": "",
            "disabled": None,
        },
        {"type": "request", "event": "turnOn", "options": {"url": "https://x.example/"}},
    ),
    (
        "isBelow on a photocell's resistance, 24-hour window",
        "photocell",
        {
            "type": "request",
            "event": "resistance",
            "options": {"url": "https://x.example/"},
            "threshold": {"isBelow": 1500},
            "conditions": [{"type": "timeOfDay", "start": "07:30", "end": "19:00"}],
        },
        {
            "type": "request",
            "event": "resistance",
            "options": {"url": "https://x.example/"},
            "conditions": [{"type": "timeOfDay", "start": "07:30", "end": "19:00"}],
            "threshold": {"isBelow": 1500},
        },
    ),
    (
        "device-status condition",
        "power_controller",
        {
            "type": "request",
            "event": "current",
            "options": {"url": "https://x.example/"},
            "threshold": {"isAbove": 12},
            "conditions": [
                {
                    "type": "deviceStatus",
                    "device": "HyErn3Blm",
                    "state": "active",
                    "info": {"level": "100", "locked": "false", "mode": "heat"},
                }
            ],
        },
        {
            "type": "request",
            "event": "current",
            "options": {"url": "https://x.example/"},
            "conditions": [
                {
                    "type": "deviceStatus",
                    "device": "HyErn3Blm",
                    "state": "Active",
                    "info": {"level": 100, "locked": False, "mode": "heat"},
                }
            ],
            "threshold": {"isAbove": 12},
        },
    ),
    (
        "conditions as an object of indexes (a form with more than 20)",
        "switch",
        {
            "type": "request",
            "event": "turnOff",
            "options": {"url": "https://x.example/"},
            "conditions": {
                "22": {"type": "dayOfWeek", "sunday": "1"},
                "3": {"type": "deviceStatus", "device": "d00r5ensor"},
            },
        },
        {
            "type": "request",
            "event": "turnOff",
            "options": {"url": "https://x.example/"},
            "conditions": [
                {"type": "deviceStatus", "device": "d00r5ensor"},
                {"type": "dayOfWeek", "sunday": True},
            ],
        },
    ),
]


@pytest.mark.parametrize(
    ("kind", "body", "expected"), [case[1:] for case in VALID], ids=[case[0] for case in VALID]
)
def test_valid_bodies_give_their_definition(kind: str, body: Json, expected: Json) -> None:
    result = definition(body, kind, KINDS)
    assert result == expected
    assert list(result) == list(expected)  # the document's field order
    assert definition(result, kind, KINDS) == result  # a stored definition validates as is


REQUEST = {"type": "request", "options": {"url": IFTTT}}
COMMAND = {
    "type": "command",
    "options": {"command": {"name": "on"}},
    "deviceToControlId": "HyErn3Blm",
}

INVALID: list[tuple[str, Json, str]] = [
    ("switch", {"event": "turnOn", "options": {"url": IFTTT}}, "Missing type"),
    (
        "switch",
        {**REQUEST, "type": "webhook", "event": "turnOn"},
        "Invalid type 'webhook': expected request or command",
    ),
    ("switch", {**REQUEST}, "Missing event"),
    ("switch", {**REQUEST, "event": 3}, "Invalid event '3'"),
    (
        "switch",
        {**REQUEST, "event": "heating"},
        "Invalid event 'heating' for a switch device: expected turnOn or turnOff",
    ),
    (
        "thermostat",
        {**REQUEST, "event": "motion"},
        "Invalid event 'motion' for a thermostat device: expected heating, cooling, off or temp",
    ),
    (
        "door",
        {**REQUEST, "event": "turnOn"},
        "Invalid event 'turnOn' for a door device: expected opened or closed",
    ),
    ("toaster", {**REQUEST, "event": "turnOn"}, "A toaster device has no actions"),
    # request options
    ("switch", {"type": "request", "event": "turnOn"}, "Missing options.url"),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": {"method": "GET"}},
        "Missing options.url",
    ),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": "x"},
        "Invalid options: expected an object",
    ),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": {"url": "ftp://x.example/"}},
        "Invalid options.url 'ftp://x.example/': expected an http or https URL",
    ),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": {"url": "maker.ifttt.com/x"}},
        "Invalid options.url 'maker.ifttt.com/x': expected an http or https URL",
    ),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": {"url": "http://"}},
        "Invalid options.url 'http://': expected an http or https URL",
    ),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": {"url": "http://a b/"}},
        "Invalid options.url 'http://a b/': expected an http or https URL",
    ),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": {"url": "http://[::1/"}},
        "Invalid options.url 'http://[::1/': expected an http or https URL",
    ),
    (
        "switch",
        {"type": "request", "event": "turnOn", "options": {"url": IFTTT, "method": "HEAD"}},
        "Invalid options.method 'HEAD': expected GET, POST, PUT, DELETE or PATCH",
    ),
    # command options and target
    ("switch", {**COMMAND, "event": "turnOn", "options": None}, "Missing options.command"),
    ("switch", {**COMMAND, "event": "turnOn", "options": {"level": 5}}, "Missing options.command"),
    (
        "switch",
        {**COMMAND, "event": "turnOn", "options": {"command": {"level": 5}}},
        "Invalid options.command: expected an object with a name",
    ),
    (
        "switch",
        {**COMMAND, "event": "turnOn", "options": {"command": {"name": " "}}},
        "Invalid options.command: expected an object with a name",
    ),
    (
        "switch",
        {**COMMAND, "event": "turnOn", "deviceToControlId": ""},
        "Missing deviceToControlId",
    ),
    (
        "switch",
        {**COMMAND, "event": "turnOn", "deviceToControlId": "nope"},
        "Unknown deviceToControlId 'nope'",
    ),
    (
        "switch",
        {**COMMAND, "event": "turnOn", "injectStatus": "true"},
        "injectStatus is for request actions only",
    ),
    (
        "switch",
        {**COMMAND, "event": "turnOn", "injectDeviceId": True},
        "injectDeviceId is for request actions only",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "deviceToControlId": "HyErn3Blm"},
        "deviceToControlId is for command actions only",
    ),
    # booleans
    (
        "switch",
        {**REQUEST, "event": "turnOn", "disabled": "yes"},
        "Invalid disabled 'yes': expected true or false",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "injectStatus": 2},
        "Invalid injectStatus '2': expected true or false",
    ),
    # thresholds
    (
        "switch",
        {**REQUEST, "event": "turnOn", "threshold": {"goesAbove": 1}},
        "Event turnOn does not support thresholds",
    ),
    (
        "thermostat",
        {**REQUEST, "event": "heating", "threshold": {"isAbove": 1}},
        "Event heating does not support thresholds",
    ),
    (
        "temperature",
        {**REQUEST, "event": "temp", "threshold": {"goesAbove": 1, "isBelow": 2}},
        "Invalid threshold: expected exactly one of goesAbove, goesBelow, isAbove or isBelow",
    ),
    (
        "temperature",
        {**REQUEST, "event": "temp", "threshold": {"above": 1}},
        "Invalid threshold: expected exactly one of goesAbove, goesBelow, isAbove or isBelow",
    ),
    (
        "temperature",
        {**REQUEST, "event": "temp", "threshold": "80"},
        "Invalid threshold: expected exactly one of goesAbove, goesBelow, isAbove or isBelow",
    ),
    (
        "temperature",
        {**REQUEST, "event": "temp", "threshold": {"goesAbove": "hot"}},
        "Invalid threshold.goesAbove 'hot': expected a number",
    ),
    (
        "temperature",
        {**REQUEST, "event": "temp", "threshold": {"goesAbove": "nan"}},
        "Invalid threshold.goesAbove 'nan': expected a number",
    ),
    (
        "temperature",
        {**REQUEST, "event": "temp", "threshold": {"goesAbove": "1_000"}},
        "Invalid threshold.goesAbove '1_000': expected a number",
    ),
    (
        "temperature",
        {**REQUEST, "event": "temp", "threshold": {"goesAbove": True}},
        "Invalid threshold.goesAbove 'True': expected a number",
    ),
    # conditions
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": "timeOfDay"},
        "Invalid conditions: expected a list of objects",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": ["x"]},
        "Invalid conditions[0]: expected an object",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"start": "1:00 AM"}]},
        "Missing conditions[0].type",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"type": "weather"}]},
        "Unknown condition type 'weather' in conditions[0]: "
        "expected timeOfDay, dayOfWeek or deviceStatus",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"type": "timeOfDay", "end": "1:00 AM"}]},
        "Missing conditions[0].start",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"type": "timeOfDay", "start": "1:00 AM"}]},
        "Missing conditions[0].end",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [
                {"type": "dayOfWeek"},
                {"type": "timeOfDay", "start": "13:00 PM", "end": "1:00"},
            ],
        },
        "Invalid conditions[1].start '13:00 PM': expected hh:mm AM/PM or HH:MM",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "timeOfDay", "start": "0:30 AM", "end": "1:00"}],
        },
        "Invalid conditions[0].start '0:30 AM': expected hh:mm AM/PM or HH:MM",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "timeOfDay", "start": "24:00", "end": "1:00"}],
        },
        "Invalid conditions[0].start '24:00': expected hh:mm AM/PM or HH:MM",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "timeOfDay", "start": "1:00", "end": "1:60"}],
        },
        "Invalid conditions[0].end '1:60': expected hh:mm AM/PM or HH:MM",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "timeOfDay", "start": "1:00", "end": 100}],
        },
        "Invalid conditions[0].end '100': expected hh:mm AM/PM or HH:MM",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "timeOfDay", "start": "12:00 AM", "end": "00:00"}],
        },
        "Invalid conditions[0]: start and end must differ",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "timeOfDay", "start": "1:00", "end": "2:00", "days": "x"}],
        },
        "Unknown field 'days' in conditions[0]",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"type": "dayOfWeek", "munday": True}]},
        "Unknown field 'munday' in conditions[0]",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"type": "dayOfWeek", "monday": "often"}]},
        "Invalid conditions[0].monday 'often': expected true or false",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"type": "deviceStatus"}]},
        "Missing conditions[0].device",
    ),
    (
        "switch",
        {**REQUEST, "event": "turnOn", "conditions": [{"type": "deviceStatus", "device": "gone"}]},
        "Unknown device 'gone' in conditions[0]",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "deviceStatus", "device": "HyErn3Blm", "state": "On"}],
        },
        "Invalid conditions[0].state 'On': expected Active, Unavailable or Initializing",
    ),
    (
        "switch",
        {
            **REQUEST,
            "event": "turnOn",
            "conditions": [{"type": "deviceStatus", "device": "HyErn3Blm", "info": "on"}],
        },
        "Invalid conditions[0].info: expected an object",
    ),
]


@pytest.mark.parametrize(("kind", "body", "message"), INVALID)
def test_invalid_bodies_are_refused_with_their_message(kind: str, body: Json, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        definition(body, kind, KINDS)
    assert caught.value.message == message


def test_every_kind_accepts_each_of_its_events_and_no_other() -> None:
    every = {event for events in EVENTS.values() for event in events}
    for kind, events in EVENTS.items():
        for event in every:
            body = {**REQUEST, "event": event}
            if event in events:
                assert definition(body, kind, KINDS)["event"] == event
            else:
                with pytest.raises(RuleError):
                    definition(body, kind, KINDS)


FORM_AND_JSON: list[tuple[str, str, Json]] = [
    (
        "thermostat",
        f"device=bksxGL4wMx&type=request&event=cooling&options[url]={urllib.parse.quote(IFTTT)}",
        {"device": "bksxGL4wMx", "type": "request", "event": "cooling", "options": {"url": IFTTT}},
    ),
    (
        "temperature",
        "type=request&event=temp&options[url]=https%3A%2F%2Fx.example%2Fh&options[method]=put"
        "&threshold[goesBelow]=-4.5&injectStatus=true&injectDeviceId=1&disabled=false"
        "&conditions[0][type]=timeOfDay&conditions[0][start]=9:15 PM&conditions[0][end]=5:00 AM"
        "&conditions[1][type]=dayOfWeek&conditions[1][saturday]=true&conditions[1][sunday]=true"
        "&conditions[2][type]=deviceStatus&conditions[2][device]=HyErn3Blm"
        "&conditions[2][info][level]=0&access_token=abc",
        {
            "type": "request",
            "event": "temp",
            "options": {"url": "https://x.example/h", "method": "PUT"},
            "threshold": {"goesBelow": -4.5},
            "injectStatus": True,
            "injectDeviceId": True,
            "disabled": False,
            "conditions": [
                {"type": "timeOfDay", "start": "9:15 PM", "end": "5:00 AM"},
                {"type": "dayOfWeek", "saturday": True, "sunday": True},
                {"type": "deviceStatus", "device": "HyErn3Blm", "info": {"level": 0}},
            ],
        },
    ),
    (
        "current",
        "type=command&event=current&threshold[isAbove]=15&options[command][name]=off"
        "&deviceToControlId=HyErn3Blm",
        {
            "type": "command",
            "event": "current",
            "threshold": {"isAbove": 15},
            "options": {"command": {"name": "off"}},
            "deviceToControlId": "HyErn3Blm",
        },
    ),
]


@pytest.mark.parametrize(("kind", "encoded", "as_json"), FORM_AND_JSON)
def test_form_and_json_bodies_give_the_same_definition(
    kind: str, encoded: str, as_json: Json
) -> None:
    from_form = definition(form(encoded), kind, KINDS)
    assert from_form == definition(as_json, kind, KINDS)
    assert json.dumps(from_form) == json.dumps(definition(as_json, kind, KINDS))


# ---------------------------------------------------------------------------------- updates


def test_update_as_the_documents_put_example_changes_the_event() -> None:
    old = definition({**REQUEST, "event": "cooling"}, "thermostat", KINDS)
    body = form(
        f"device=bksxGL4wMx&type=request&event=heating&options[url]={urllib.parse.quote(IFTTT)}"
    )
    assert updated(old, body, "thermostat", KINDS) == {
        "type": "request",
        "event": "heating",
        "options": {"url": IFTTT},
    }


def test_update_merges_over_the_stored_fields() -> None:
    old = definition(
        {
            **REQUEST,
            "event": "temp",
            "threshold": {"isAbove": 80},
            "conditions": [{"type": "dayOfWeek", "monday": True}],
        },
        "temperature",
        KINDS,
    )
    disabled = updated(old, {"disabled": "true"}, "temperature", KINDS)
    assert disabled == {**old, "disabled": True}
    cleared = updated(disabled, {"threshold": None, "conditions": ""}, "temperature", KINDS)
    assert cleared == {
        "type": "request",
        "event": "temp",
        "options": {"url": IFTTT},
        "disabled": True,
    }


def test_update_changing_event_drops_the_threshold_unless_resent() -> None:
    old = definition(
        {**REQUEST, "event": "current", "threshold": {"isAbove": 10}}, "current", KINDS
    )
    assert "threshold" not in updated(old, {"event": "turnOn"}, "current", KINDS)
    with_new = updated(old, {"event": "current", "threshold": {"goesBelow": "1"}}, "current", KINDS)
    assert with_new["threshold"] == {"goesBelow": 1}
    assert updated(old, {"event": "current"}, "current", KINDS)["threshold"] == {"isAbove": 10}


def test_update_changing_type_drops_the_other_types_fields() -> None:
    old = definition({**REQUEST, "event": "turnOn", "injectStatus": True}, "switch", KINDS)
    new = updated(old, dict(COMMAND), "switch", KINDS)
    assert new == {
        "type": "command",
        "event": "turnOn",
        **{k: v for k, v in COMMAND.items() if k != "type"},
    }
    with pytest.raises(RuleError, match=r"^Missing options\.url$"):
        updated(new, {"type": "request"}, "switch", KINDS)


def test_update_is_validated() -> None:
    old = definition({**REQUEST, "event": "turnOn"}, "switch", KINDS)
    with pytest.raises(RuleError) as caught:
        updated(old, {"event": "cooling"}, "switch", KINDS)
    assert caught.value.message.startswith("Invalid event 'cooling'")


# ------------------------------------------------------------------------------------- wire


def test_wire_matches_the_documents_create_response() -> None:
    stored = definition(
        form(f"device=bksxGL4wMx&type=request&event=cooling&options[url]={IFTTT}"),
        "thermostat",
        KINDS,
    )
    shown = wire("WJNShxzKNl", "bksxGL4wMx", stored, None, 0)
    assert json.dumps({"action": shown}) == json.dumps(
        {
            "action": {
                "id": "WJNShxzKNl",
                "device": "bksxGL4wMx",
                "type": "request",
                "event": "cooling",
                "options": {"url": IFTTT},
            }
        }
    )


def test_wire_matches_the_documents_get_response() -> None:
    stored = definition({**REQUEST, "event": "cooling"}, "thermostat", KINDS)
    last = dt.datetime(2015, 8, 14, 19, 34, 12, 228000, tzinfo=dt.UTC).timestamp()
    shown = wire("WJNShxzKNl", "bksxGL4wMx", stored, last, 1)
    assert list(shown) == ["id", "device", "last", "count", "type", "event", "options"]
    assert shown["last"] == "2015-08-14T19:34:12.228Z"
    assert shown["count"] == 1


def test_wire_shows_every_field_in_the_documents_order() -> None:
    stored = definition(
        {
            "disabled": "1",
            "threshold": {"isAbove": 1},
            "conditions": [{"type": "dayOfWeek"}],
            "injectDeviceId": 1,
            "injectStatus": 0,
            **REQUEST,
            "event": "temp",
        },
        "temperature",
        KINDS,
    )
    shown = wire("a", "b", stored, 1.0016, 3)
    assert list(shown) == [
        "id",
        "device",
        "last",
        "count",
        "type",
        "event",
        "options",
        "conditions",
        "threshold",
        "injectStatus",
        "injectDeviceId",
        "disabled",
    ]
    assert shown["last"] == "1970-01-01T00:00:01.002Z"
    assert wire("a", "b", stored, 59.9996, 1)["last"] == "1970-01-01T00:01:00.000Z"
    shown["options"]["url"] = "changed"
    assert stored["options"]["url"] == IFTTT  # a copy


# ------------------------------------------------------------------------------ thresholds

TEMPS = [70.0, 79.0, 80.0, 81.0, 85.0, 80.0, 79.5, 82.0, 90.0, 75.0]
THRESHOLD_CASES: list[tuple[str, float, list[int]]] = [
    # fires on the indexes of TEMPS listed; 80 is neither above nor below 80
    ("goesAbove", 80, [3, 7]),
    ("goesBelow", 80, [0, 6, 9]),
    ("isAbove", 80, [3, 4, 7, 8]),
    ("isBelow", 80, [0, 1, 6, 9]),
    ("goesAbove", 100, []),
    ("goesAbove", 60, [0]),
]


@pytest.mark.parametrize(("kind", "limit", "fires_at"), THRESHOLD_CASES)
def test_thresholds_fire_on_the_expected_reports(
    kind: str, limit: float, fires_at: list[int]
) -> None:
    action = definition(
        {**REQUEST, "event": "temp", "threshold": {kind: limit}}, "temperature", KINDS
    )
    assert _fired(action, TEMPS) == fires_at


def test_without_a_threshold_every_change_fires() -> None:
    action = definition({**REQUEST, "event": "temp"}, "temperature", KINDS)
    assert _fired(action, TEMPS) == list(range(len(TEMPS)))


def _fired(action: Json, values: Sequence[float], memory: Json | None = None) -> list[int]:
    armed = memory or {}
    fired = []
    for index, value in enumerate(values):
        fires, armed = evaluate(action, armed, report("temp", value), context())
        if fires:
            fired.append(index)
    return fired


def test_the_event_must_be_in_the_report() -> None:
    action = definition({**REQUEST, "event": "cooling"}, "thermostat", KINDS)
    assert evaluate(action, {}, report("cooling"), context())[0]
    assert not evaluate(action, {}, report("heating"), context())[0]
    assert not evaluate(action, {}, report("temp", 72.0), context())[0]
    assert evaluate(action, {}, report("temp", 72.0, "cooling"), context())[0]


def test_a_threshold_uses_the_value_of_the_actions_event() -> None:
    action = definition(
        {**REQUEST, "event": "current", "threshold": {"isAbove": 10}}, "power_controller", KINDS
    )
    both = Report(
        "pc",
        0.0,
        "update",
        "auto",
        "Active",
        {},
        ("current", "temp"),
        {"current": 12.0, "temp": 5.0},
    )
    assert evaluate(action, {}, both, context()) == (True, {"value": 12.0})
    low = Report(
        "pc",
        0.0,
        "update",
        "auto",
        "Active",
        {},
        ("current", "temp"),
        {"current": 2.0, "temp": 50.0},
    )
    assert evaluate(action, {}, low, context()) == (False, {"value": 2.0})
    no_value = Report("pc", 0.0, "update", "auto", "Active", {}, ("current",), {})
    assert evaluate(action, {"value": 2.0}, no_value, context()) == (False, {"value": 2.0})


def test_memory_is_the_last_value_and_the_input_is_not_changed() -> None:
    action = definition(
        {**REQUEST, "event": "temp", "threshold": {"goesAbove": 80}}, "temperature", KINDS
    )
    armed = {"value": 79.0}
    assert evaluate(action, armed, report("temp", 81.0), context()) == (True, {"value": 81.0})
    assert armed == {"value": 79.0}
    assert evaluate(action, {"value": 85.0}, report("temp", 81.0), context()) == (
        False,
        {"value": 81.0},
    )


# ------------------------------------------------------------------------------- conditions

MINUTES = [
    ("12:00 AM", 0),
    ("12:01 am", 1),
    ("1:00 AM", 60),
    ("11:59 AM", 719),
    ("12:00 PM", 720),
    ("12:30 pm", 750),
    ("1:05 PM", 785),
    ("11:59 PM", 1439),
    ("9:30PM", 1290),
    ("09:30 p.m.", 1290),
    ("00:00", 0),
    ("0:07", 7),
    ("13:45", 825),
    ("23:59", 1439),
]


@pytest.mark.parametrize(("text", "minute"), MINUTES)
def test_minute_of_day(text: str, minute: int) -> None:
    assert minute_of_day(text) == minute


@pytest.mark.parametrize("text", ["0:00 AM", "13:00 PM", "24:00", "12:60", "noon", "1200", "1:5"])
def test_minute_of_day_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="not a time of day"):
        minute_of_day(text)


WINDOWS: list[tuple[str, str, list[tuple[int, int, bool]]]] = [
    (
        "9:00 AM",
        "5:00 PM",
        [(8, 59, False), (9, 0, True), (16, 59, True), (17, 0, False), (0, 0, False)],
    ),
    (
        "22:00",
        "06:00",
        [
            (21, 59, False),
            (22, 0, True),
            (23, 59, True),
            (0, 0, True),
            (5, 59, True),
            (6, 0, False),
            (12, 0, False),
        ],
    ),
    ("12:00 AM", "12:00 PM", [(0, 0, True), (11, 59, True), (12, 0, False), (23, 59, False)]),
    ("12:00 PM", "12:00 AM", [(0, 0, False), (11, 59, False), (12, 0, True), (23, 59, True)]),
    (
        "11:30 PM",
        "12:30 AM",
        [(23, 29, False), (23, 30, True), (0, 0, True), (0, 29, True), (0, 30, False)],
    ),
]


@pytest.mark.parametrize(("start", "end", "checks"), WINDOWS)
def test_time_of_day_windows(start: str, end: str, checks: list[tuple[int, int, bool]]) -> None:
    condition = {"type": "timeOfDay", "start": start, "end": end}
    action = definition({**REQUEST, "event": "motion", "conditions": [condition]}, "motion", KINDS)
    for hour, minute, fires in checks:
        local = dt.datetime(2024, 1, 1, hour, minute, 30)
        assert evaluate(action, {}, report("motion"), context(local))[0] is fires, (hour, minute)


def test_day_of_week_with_omitted_days() -> None:
    condition = {"type": "dayOfWeek", "sunday": "true", "wednesday": True, "friday": "false"}
    action = definition({**REQUEST, "event": "opened", "conditions": [condition]}, "door", KINDS)
    fires = [
        evaluate(action, {}, report("opened"), context(dt.datetime(2024, 1, day, 23, 59)))[0]
        for day in range(7, 14)  # Sunday 7 January 2024 to Saturday 13th
    ]
    assert fires == [True, False, False, True, False, False, False]


def test_all_conditions_must_hold() -> None:
    conditions = [
        {"type": "dayOfWeek", "monday": True},
        {"type": "timeOfDay", "start": "11:00", "end": "13:00"},
    ]
    action = definition({**REQUEST, "event": "wet", "conditions": conditions}, "leak", KINDS)
    assert evaluate(action, {}, report("wet"), context(MONDAY_NOON))[0]
    assert not evaluate(action, {}, report("wet"), context(MONDAY_NOON.replace(hour=14)))[0]
    assert not evaluate(action, {}, report("wet"), context(MONDAY_NOON.replace(day=2)))[0]


STATUS_CASES: list[tuple[Json, tuple[str, Json] | None, bool]] = [
    ({}, ("Active", {"level": 0}), True),
    ({}, None, False),
    ({"state": "Active"}, ("Active", {}), True),
    ({"state": "Active"}, ("Unavailable", {}), False),
    ({"info": {"level": "100"}}, ("Active", {"level": 100}), True),
    ({"info": {"level": "100"}}, ("Active", {"level": 100.0}), True),
    ({"info": {"level": "100"}}, ("Active", {"level": 75}), False),
    ({"info": {"level": 0}}, ("Active", {}), False),
    ({"info": {"level": "0"}}, ("Active", {"level": "0"}), True),
    ({"info": {"opened": "true"}}, ("Active", {"opened": True}), True),
    ({"info": {"opened": "true"}}, ("Active", {"opened": False}), False),
    ({"info": {"opened": "1"}}, ("Active", {"opened": True}), False),
    ({"info": {"mode": "heat"}}, ("Active", {"mode": "heat"}), True),
    ({"info": {"mode": "heat"}}, ("Active", {"mode": "cool"}), False),
    ({"state": "unavailable", "info": {"level": 0}}, ("Unavailable", {"level": 0}), True),
]


@pytest.mark.parametrize(("fields", "status", "holds"), STATUS_CASES)
def test_device_status_conditions(
    fields: Json, status: tuple[str, Json] | None, holds: bool
) -> None:
    condition = {"type": "deviceStatus", "device": "d00r5ensor", **fields}
    action = definition({**REQUEST, "event": "turnOn", "conditions": [condition]}, "switch", KINDS)
    states = {} if status is None else {"d00r5ensor": status}
    assert evaluate(action, {}, report("turnOn"), context(states=states))[0] is holds


def test_device_status_asks_only_for_the_conditions_device() -> None:
    asked: list[str] = []

    def state(device: str) -> tuple[str, Json] | None:
        asked.append(device)
        return "Active", {}

    condition = {"type": "deviceStatus", "device": "qWeRtYuIoP"}
    action = definition({**REQUEST, "event": "turnOn", "conditions": [condition]}, "switch", KINDS)
    assert evaluate(action, {}, report("turnOn"), Context(MONDAY_NOON, state))[0]
    assert asked == ["qWeRtYuIoP"]


# --------------------------------------------------------------------------------- disabled


def test_disabled_actions_never_fire_but_keep_their_memory() -> None:
    action = definition(
        {**REQUEST, "event": "temp", "threshold": {"goesAbove": 80}}, "temperature", KINDS
    )
    off = {**action, "disabled": True}
    armed: Json = {}
    for value in [70.0, 85.0, 90.0]:
        fires, armed = evaluate(off, armed, report("temp", value), context())
        assert not fires
    assert armed == {"value": 90.0}
    # enabled again above the threshold: the crossing was spent while disabled
    assert _fired(action, [91.0, 79.0, 81.0], armed) == [2]
    assert _fired({**action, "disabled": False}, [81.0]) == [0]
    no_threshold = definition({**REQUEST, "event": "turnOn", "disabled": "true"}, "switch", KINDS)
    assert evaluate(no_threshold, {}, report("turnOn"), context()) == (False, {})


def test_a_crossing_outside_the_conditions_is_spent() -> None:
    action = definition(
        {
            **REQUEST,
            "event": "temp",
            "threshold": {"goesAbove": 80},
            "conditions": [{"type": "dayOfWeek", "monday": True}],
        },
        "temperature",
        KINDS,
    )
    tuesday = context(MONDAY_NOON.replace(day=2))
    fires, armed = evaluate(action, {"value": 70.0}, report("temp", 85.0), tuesday)
    assert not fires
    assert not evaluate(action, armed, report("temp", 86.0), context())[0]


# ---------------------------------------------------------------------------------- request

STATUS: Json = {
    "date": 1436312185098,
    "deviceId": "bksxGL4wMx",
    "id": "-13SKLb9fg",
    "info": {"level": 0},
    "state": "Active",
}
STATUS_JSON = json.dumps(STATUS, separators=(",", ":"))

REQUEST_CASES: list[tuple[Json, tuple[str, str, str | None]]] = [
    ({"url": IFTTT}, ("GET", IFTTT, None)),
    ({"url": IFTTT, "method": "POST"}, ("POST", IFTTT, None)),
    ({"url": IFTTT, "injectDeviceId": True}, ("GET", IFTTT + "?deviceId=bksxGL4wMx", None)),
    (
        {"url": "https://x.example/h?a=1#top", "injectDeviceId": True},
        ("GET", "https://x.example/h?a=1&deviceId=bksxGL4wMx#top", None),
    ),
    (
        {"url": "https://x.example/h?", "injectDeviceId": True},
        ("GET", "https://x.example/h?deviceId=bksxGL4wMx", None),
    ),
    (
        {"url": IFTTT, "method": "DELETE", "injectStatus": True},
        ("DELETE", IFTTT + "?status=" + urllib.parse.quote_plus(STATUS_JSON), None),
    ),
    (
        {"url": IFTTT, "injectStatus": True, "injectDeviceId": True},
        (
            "GET",
            IFTTT + "?deviceId=bksxGL4wMx&status=" + urllib.parse.quote_plus(STATUS_JSON),
            None,
        ),
    ),
    (
        {"url": IFTTT, "method": "POST", "injectDeviceId": True},
        ("POST", IFTTT, '{"deviceId":"bksxGL4wMx"}'),
    ),
    (
        {"url": IFTTT, "method": "PUT", "injectStatus": True},
        ("PUT", IFTTT, '{"status":' + STATUS_JSON + "}"),
    ),
    (
        {"url": IFTTT, "method": "patch", "injectStatus": "true", "injectDeviceId": "true"},
        ("PATCH", IFTTT, '{"deviceId":"bksxGL4wMx","status":' + STATUS_JSON + "}"),
    ),
    ({"url": IFTTT, "method": "POST", "injectStatus": False}, ("POST", IFTTT, None)),
]


@pytest.mark.parametrize(("fields", "expected"), REQUEST_CASES)
def test_request_building(fields: Json, expected: tuple[str, str, str | None]) -> None:
    options = {key: fields[key] for key in ("url", "method") if key in fields}
    flags = {key: value for key, value in fields.items() if key.startswith("inject")}
    action = definition(
        {"type": "request", "event": "turnOn", "options": options, **flags}, "switch", KINDS
    )
    assert request(action, "bksxGL4wMx", STATUS) == expected


def test_injected_query_round_trips() -> None:
    action = definition({**REQUEST, "event": "turnOn", "injectStatus": True}, "switch", KINDS)
    _, url, _ = request(action, "bksxGL4wMx", {**STATUS, "info": {"name": "Küche & Bad"}})
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert json.loads(query["status"][0])["info"] == {"name": "Küche & Bad"}


def test_command_gives_the_device_and_the_command() -> None:
    action = definition(
        form(
            "type=command&event=turnOn&options[command][name]=level&options[command][level]=75&deviceToControlId=qWeRtYuIoP"
        ),
        "switch",
        KINDS,
    )
    target, sent = command(action)
    assert (target, sent) == ("qWeRtYuIoP", {"name": "level", "level": "75"})
    sent["level"] = "0"
    assert command(action)[1]["level"] == "75"  # a copy
