"""Hostile input found by fuzzing answers 4xx, never a 500 (and, on the live server, no
traceback in its log: the session's server fixture fails on one): multipart bodies with no or
a broken boundary, JSON nested past Python's recursion limit, values of the wrong JSON type,
numbers past the database's integer range. Before and after authentication, on every vendor."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import T0, FlairWorld, World
from tests.test_flair_api import bearer, first, token
from tests.test_phason_v1_0_2 import owner

DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 3000 + b"1" + b"}" * 3000
BODIES = [
    ("multipart/form-data", b"--x\r\ncontent-disposition: form-data; name=a\r\n\r\n1\r\n"),
    ("multipart/form-data; boundary=", b"garbage"),
    ("multipart/form-data; boundary=x", b"--x\r\nno headers at all"),
    ("multipart/form-data; boundary=x", b"--y\r\n\r\n--y--"),
    ("application/json", DEEP_JSON),
    ("application/json", DEEP_OBJECT),
    ("application/json", b'{"grant_type": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("application/x-www-form-urlencoded", b"\xff\xfe=\xff"),
]
IDS = ["no-boundary", "empty-boundary", "no-part-headers", "wrong-boundary", "deep-list",
       "deep-object", "deep-value", "not-utf8"]  # fmt: skip

# Endpoints read before any authentication.
OPEN = [
    "/phason/token",
    "/phason/refresh",
    "/phason/auth",
    "/phason/auth/consent",
    "/flair/oauth/token",
    "/flair/oauth2/token",
    "/flair/oauth/authorize",
    "/flair/oauth/authorize/consent",
    "/automategreen/v1/signin",
]


@pytest.mark.parametrize("path", OPEN)
@pytest.mark.parametrize(("content_type", "body"), BODIES, ids=IDS)
def test_bodies_before_authentication(
    client: httpx.Client, path: str, content_type: str, body: bytes
) -> None:
    response = client.post(path, content=body, headers={"content-type": content_type})
    assert 400 <= response.status_code < 500, (path, response.status_code, response.text[:200])


@pytest.mark.parametrize(("content_type", "body"), BODIES, ids=IDS)
def test_phason_writes(client: httpx.Client, world: World, content_type: str, body: bytes) -> None:
    me = owner(world)
    for path in ("outputs/settings", "equipment_groups/settings", "event_single"):
        response = client.post(
            f"/phason/devices/{me.device}/{path}", content=body,
            headers={**me.headers, "content-type": content_type},
        )  # fmt: skip
        assert 400 <= response.status_code < 500, (path, response.status_code, response.text)


@pytest.mark.parametrize(("content_type", "body"), BODIES, ids=IDS)
def test_flair_writes(
    client: httpx.Client, flair_world: FlairWorld, content_type: str, body: bytes
) -> None:
    headers = bearer(token(client, flair_world.a))
    vent = first(client, headers, "vents")["id"]
    response = client.patch(f"/flair/api/vents/{vent}", content=body,
                            headers={**headers, "content-type": content_type})  # fmt: skip
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])


WRONG_TYPES: list[tuple[str, Any]] = [
    ("hvac-units", {"mode": ["Cool"]}),
    ("hvac-units", {"mode": {"Cool": 1}}),
    ("hvac-units", {"power": [1]}),
    ("vents", {"percent-open": [50]}),
    ("vents", {"percent-open": 10**30}),
    ("rooms", {"set-point-c": {"c": 21}}),
    ("rooms", {"set-point-c": "1e999"}),  # sent as the bare JSON number, decoded as inf
    ("structures", {"mode": ["auto"]}),
]


@pytest.mark.parametrize(("type_name", "attributes"), WRONG_TYPES)
def test_flair_values_of_the_wrong_type(
    client: httpx.Client, flair_world: FlairWorld, type_name: str, attributes: dict[str, Any]
) -> None:
    headers = bearer(token(client, flair_world.a))
    target = first(client, headers, type_name)["id"]
    body = {"data": {"type": type_name, "id": target, "attributes": attributes}}
    content = json.dumps(body).replace('"1e999"', "1e999")
    response = client.patch(f"/flair/api/{type_name}/{target}", content=content,
                            headers={**headers, "content-type": "application/json"})  # fmt: skip
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])


@pytest.mark.parametrize(
    "attributes",
    [
        {"name": "x", "redirect_uris": [1, {"a": 2}], "scopes": ["vents.view"]},
        {"name": "x", "redirect_uris": ["https://e.com/cb"], "scopes": [None, 3]},
        {"name": ["x"], "redirect_uris": "https://e.com/cb"},
    ],
)
def test_flair_applications_with_non_strings(
    client: httpx.Client, flair_world: FlairWorld, attributes: dict[str, Any]
) -> None:
    headers = bearer(token(client, flair_world.a))
    body = {"data": {"type": "applications", "attributes": attributes}}
    response = client.post("/flair/api/applications", headers=headers, json=body)
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:200])


@pytest.mark.parametrize(
    "query",
    [
        {"page[page]": str(10**18)},
        {"page[page]": str(10**40)},
        {"page[size]": str(10**40)},
        {"page[page]": "-1"},
        {"page[page]": "1e3"},
    ],
)
def test_flair_pages_past_the_integer_range(
    client: httpx.Client, flair_world: FlairWorld, query: dict[str, str]
) -> None:
    headers = bearer(token(client, flair_world.a))
    response = client.get("/flair/api/vents", headers=headers, params=query)
    assert response.status_code < 500, (response.status_code, response.text[:200])


@pytest.mark.parametrize(
    "query",
    [
        {"start": "99999999-01-01", "end": "99999999-01-02"},
        {"start": str(10**40), "end": str(10**40)},
        {"start": "2024-07-23", "end": "2024-07-23", "group_id": str(10**40)},
    ],
)
def test_phason_numbers_past_the_range(
    client: httpx.Client, world: World, query: dict[str, str]
) -> None:
    tenant = world.a
    for path in ("equipment_groups/history", "outputs/history", "inputs"):
        response = client.get(f"/phason/v1.0.3/devices/{tenant.device}/{path}",
                              headers=tenant.headers, params=query)  # fmt: skip
        assert response.status_code < 500, (path, response.status_code, response.text[:200])
    big = client.get(f"/phason/v1.0.3/devices/{10**40}/time", headers=tenant.headers)
    assert 400 <= big.status_code < 500


AG_WRONG: list[tuple[str, str, str, str]] = [
    # (method, path under the device, kind of device, JSON body with bare numbers allowed)
    ("POST", "command", "dimmer", '{"command": {"name": "instant_on", "level": 1e999}}'),
    ("POST", "command", "dimmer", '{"command": {"name": "instant_on", "level": [75]}}'),
    ("POST", "command", "dimmer", '{"command": {"name": ["on"]}}'),
    ("POST", "command", "dimmer", '{"command": "on"}'),
    ("POST", "command", "thermostat", '{"command": {"name": "set_heat_to", "temp": 1e999}}'),
    ("POST", "command", "thermostat", '{"command": {"name": "set_heat_to", "temp": {"f": 70}}}'),
    ("POST", "command", "power_controller", '{"command": {"name": "on_for", "delay": 1e999}}'),
    ("POST", "command", "power_controller",
     '{"command": {"name": "on_at", "time": 100000000000000000000000000000}}'),
    ("POST", "command", "power_controller",
     '{"command": {"name": "limit_power", "power": 1e999, "time": 60}}'),
    ("PUT", "", "power_controller", '{"info": {"samplePeriod": 1e999}}'),
    ("PUT", "", "power_controller", '{"info": {"ffr": [1, 2]}}'),
    ("PUT", "", "power_controller", '{"schedule": [{"name": "on", "when": 1e999}]}'),
    ("PUT", "", "power_controller", '{"schedule": {"name": "on"}}'),
    ("PUT", "", "dimmer", '{"info": {"rampRate": 1e999}}'),
    ("PUT", "", "dimmer", '{"name": {"first": "x"}}'),
]  # fmt: skip


def _ag_account(world: World, email: str, seed: int) -> tuple[str, list[dict[str, Any]]]:
    """An account with the Automate Green demo house (made once), a token, and its devices."""
    from ductwork.vendors.automategreen.backend import AutomateGreenBackend
    from tests.test_automategreen_api import _tenant

    if world.runtime.accounts.by_email(email) is None:
        _tenant(world.runtime, email, seed, T0)
    account = world.runtime.accounts.by_email(email)
    assert account is not None
    service = world.runtime.backend(AutomateGreenBackend).service
    token = service.tokens.issue(account, 3600, "hostile")
    return token, [d.get("device", d) for d in service.devices(account)["devices"]]


@pytest.mark.parametrize(("method", "path", "kind", "body"), AG_WRONG)
def test_automategreen_values_of_the_wrong_type(
    client: httpx.Client, world: World, method: str, path: str, kind: str, body: str
) -> None:
    token, devices = _ag_account(world, "hostile-devices@example.com", 31)
    profiles = {kind, kind.replace("_", "-")}
    target = next(d["id"] for d in devices
                  if {d["type"].get("name"), d["type"].get("profile")} & profiles)  # fmt: skip
    url = f"/automategreen/v1/devices/{target}" + (f"/{path}" if path else "")
    response = client.request(method, url, content=body, headers={
        "Authorization": f"Bearer {token}", "content-type": "application/json"})  # fmt: skip
    assert response.status_code < 500, (response.status_code, response.text[:300])


@pytest.mark.parametrize(
    "body",
    [
        '{"device": "D", "type": "request", "event": "temp", "threshold": {"goesAbove": 1e999},'
        ' "options": {"url": "https://e.com"}}',
        '{"device": "D", "type": "request", "event": "temp", "threshold": {"goesAbove": [1]},'
        ' "options": {"url": "https://e.com"}}',
        '{"device": "D", "type": "request", "event": "temp", "options": ["https://e.com"]}',
        '{"device": "D", "type": "request", "event": "temp", "options": {"url": 5}}',
        '{"device": "D", "type": "request", "event": "temp", "options": {"url": "https://e.com"},'
        ' "conditions": {"type": "timeOfDay"}}',
        '{"device": "D", "type": "request", "event": "temp", "options": {"url": "https://e.com"},'
        ' "conditions": [{"type": "timeOfDay", "start": 5, "end": [1]}]}',
        '{"device": ["D"], "type": "request", "event": "temp"}',
    ],
)
def test_automategreen_actions_of_the_wrong_type(
    client: httpx.Client, world: World, body: str
) -> None:
    token, devices = _ag_account(world, "hostile-actions@example.com", 32)
    sensor = next(d["id"] for d in devices if d["type"].get("name") == "temperature")
    headers = {"Authorization": f"Bearer {token}", "content-type": "application/json"}
    response = client.post("/automategreen/v1/actions", headers=headers,
                           content=body.replace('"D"', f'"{sensor}"'))  # fmt: skip
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    statuses = client.get("/automategreen/v1/statuses", headers=headers,
                          params={"date": "9" * 40})  # fmt: skip
    assert statuses.status_code == 400


BIG = 2 * 1024 * 1024


def _chunks(total: int) -> Iterator[bytes]:
    sent = 0
    while sent < total:
        yield b"a" * 65536
        sent += 65536


@pytest.mark.parametrize(
    "path", ["/automategreen/v1/signin", "/flair/oauth2/token", "/phason/token",
             "/phason/v1.0.3/generate_key", "/_ductwork/clock"],
)  # fmt: skip
def test_bodies_past_the_limit_are_413(client: httpx.Client, path: str) -> None:
    """Past a mebibyte: refused by its declared length before it is read, and counted as it
    streams in when it declares none (chunked)."""
    form = {"content-type": "application/x-www-form-urlencoded"}
    declared = client.post(path, content=b"a" * BIG, headers=form)
    assert declared.status_code == 413
    if path.endswith("generate_key"):
        return  # it reads no body at all (Basic authentication): nothing to count
    try:
        chunked = client.post(path, content=_chunks(BIG), headers=form)
    except httpx.TransportError:
        return  # the server answered and closed while the client was still sending: refused
    assert chunked.status_code == 413
    small = client.post(path, content=b"a=1", headers=form)
    assert small.status_code != 413
