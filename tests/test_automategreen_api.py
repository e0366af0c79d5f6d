"""Automate Green API v1 through HTTP, on both databases, in-process and against a live server:
sign-in and every token placement, gateways, devices and their commands, statuses, actions
(request actions delivered to a local receiver, command actions switching a second device),
Power Controllers, the control plane's device faults, and tenant isolation on every route."""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from starlette.testclient import TestClient

from ductwork.runtime import Runtime
from tests.conftest import T0, World, _free_port

AG = "/automategreen/v1"


# ------------------------------------------------------------------ helpers
@dataclass(frozen=True)
class AgTenant:
    """An account with the Automate Green demo house and a token."""

    email: str
    password: str
    token: str
    devices: dict[str, list[str]]
    gateway: str

    @property
    def headers(self) -> dict[str, str]:
        """`Authorization: Bearer <token>`."""
        return {"Authorization": f"Bearer {self.token}"}

    def device(self, kind: str) -> str:
        """The first demo device of a kind."""
        return self.devices[kind][0]


def sign_in(client: httpx.Client, email: str, password: str, **extra: str) -> str:
    """A token from POST /signin (form)."""
    response = client.post(f"{AG}/signin", data={"user[email]": email,
                                                 "user[password]": password, **extra})  # fmt: skip
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def _tenant(runtime: Runtime, email: str, seed: int, clock: float) -> tuple[str, str, Any]:
    password = secrets.token_urlsafe(12)
    account = runtime.accounts.create(email, password, seed=seed)
    runtime.clocks.change(account.id, set_to=clock, freeze=True)
    from ductwork.vendors.automategreen.backend import AutomateGreenBackend

    demo = runtime.backend(AutomateGreenBackend).add_demo(account, clock - 6 * 3600)
    return email, password, demo


@pytest.fixture(scope="session")
def ag_world(world: World) -> dict[str, tuple[str, str, Any]]:
    """Accounts with only the Automate Green demo house, clocks frozen at T0: `dana` (read and
    commanded by the tests) and `erin` (the other tenant)."""
    runtime = world.runtime
    return {
        "dana": _tenant(runtime, "dana@example.com", 11, T0),
        "erin": _tenant(runtime, "erin@example.com", 12, T0),
    }


def tenant(client: httpx.Client, ag_world: dict[str, tuple[str, str, Any]], name: str) -> AgTenant:
    """The tenant with a fresh token signed in over HTTP."""
    email, password, demo = ag_world[name]
    token = sign_in(client, email, password)
    return AgTenant(email, password, token, demo["devices"], demo["gateway"])


@pytest.fixture
def dana(client: httpx.Client, ag_world: dict[str, tuple[str, str, Any]]) -> AgTenant:
    """Tenant dana, signed in."""
    return tenant(client, ag_world, "dana")


@pytest.fixture
def erin(client: httpx.Client, ag_world: dict[str, tuple[str, str, Any]]) -> AgTenant:
    """Tenant erin, signed in."""
    return tenant(client, ag_world, "erin")


@pytest.fixture
def fresh(client: httpx.Client, world: World) -> AgTenant:
    """A new account of its own (its clock frozen at T0, free to move): for tests that
    change the world in ways others would see."""
    email = f"ag-{secrets.token_hex(4)}@example.com"
    _, password, demo = _tenant(world.runtime, email, 21, T0)
    token = sign_in(client, email, password)
    return AgTenant(email, password, token, demo["devices"], demo["gateway"])


def advance(client: httpx.Client, email: str, seconds: float) -> None:
    """Move an account's clock forward (it stays frozen there)."""
    response = client.post("/_ductwork/clock", json={"account": email,
                                                     "advance_seconds": seconds})  # fmt: skip
    assert response.status_code == 200, response.text


def claims(token: str) -> dict[str, Any]:
    """A JWT's payload, unverified."""
    payload = token.split(".")[1]
    decoded: dict[str, Any] = json.loads(
        base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    )
    return decoded


# ------------------------------------------------------------------ sign-in and tokens
def test_sign_in_form_and_json(client: httpx.Client, ag_world: Any) -> None:
    email, password, _ = ag_world["dana"]
    form = client.post(f"{AG}/signin", data={"user[email]": email, "user[password]": password,
                                             "expires": "31536000", "desc": "form"})  # fmt: skip
    as_json = client.post(f"{AG}/signin", json={"user": {"email": email, "password": password}})
    for response in (form, as_json):
        assert response.status_code == 200
        body = response.json()
        assert list(body) == ["message", "token", "user"]
        assert body["message"] == "Sign in successful"
        assert body["user"] == {"email": email, "name": "Dana"}
        header = json.loads(base64.urlsafe_b64decode(body["token"].split(".")[0] + "=="))
        assert header["alg"] == "HS256"
    assert claims(form.json()["token"])["exp"] - claims(form.json()["token"])["iat"] == 31536000
    default = claims(as_json.json()["token"])
    assert default["exp"] - default["iat"] == 14 * 86400
    assert default["iat"] == int(T0)  # the account's clock, not the wall clock
    assert isinstance(default["id"], str)
    assert 7 <= len(default["id"]) <= 14


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"user[email]": "dana@example.com", "user[password]": "wrong"}, 401),
        ({"user[email]": "nobody@example.com", "user[password]": "x"}, 401),
        ({"user[email]": "dana@example.com"}, 400),
        ({}, 400),
        ({"user[email]": "dana@example.com", "user[password]": "x", "expires": "soon"}, 400),
        ({"user[email]": "dana@example.com", "user[password]": "x", "expires": "0"}, 400),
    ],
)
def test_sign_in_refused(client: httpx.Client, ag_world: Any, body: dict[str, str],
                         status: int) -> None:  # fmt: skip
    response = client.post(f"{AG}/signin", data=body)
    assert response.status_code == status
    if status == 401:
        assert response.text == "Unauthorized"
        assert response.headers["content-type"].startswith("text/plain")
    else:
        assert "message" in response.json()


def test_token_placements(client: httpx.Client, dana: AgTenant) -> None:
    token = dana.token
    device = dana.device("switch")
    accepted = [
        client.get(f"{AG}/devices", headers={"Authorization": f"Bearer {token}"}),
        client.get(f"{AG}/devices", headers={"Authorization": f"Bearer: {token}"}),
        client.get(f"{AG}/devices", params={"access_token": token}),
        client.post(f"{AG}/devices/{device}/command",
                    data={"access_token": token, "command[name]": "get_status"}),
        client.post(f"{AG}/devices/{device}/command",
                    data={"token": token, "command[name]": "get_status"}),
        client.put(f"{AG}/gateways/{dana.gateway}", data={"access_token": token,
                                                          "name": "Home Hub"}),
    ]  # fmt: skip
    assert [r.status_code for r in accepted] == [200] * len(accepted)
    refused = [
        # the query string only on GET
        client.post(f"{AG}/devices/{device}/command", params={"access_token": token},
                    data={"command[name]": "get_status"}),
        # the body only on POST and PUT, and only URL-encoded
        client.request("GET", f"{AG}/devices", content=f"access_token={token}",
                       headers={"content-type": "application/x-www-form-urlencoded"}),
        client.request("DELETE", f"{AG}/actions/nope", content=f"access_token={token}",
                       headers={"content-type": "application/x-www-form-urlencoded"}),
        client.post(f"{AG}/devices/{device}/command",
                    json={"access_token": token, "command": {"name": "get_status"}}),
        client.get(f"{AG}/devices"),
        client.get(f"{AG}/devices", headers={"Authorization": f"Basic {token}"}),
    ]  # fmt: skip
    for response in refused:
        assert response.status_code == 401
        assert response.text == "Unauthorized"


def test_tokens_list_and_revoke(client: httpx.Client, dana: AgTenant) -> None:
    token = sign_in(client, dana.email, dana.password, desc="to revoke", expires="3600")
    own = claims(token)["id"]
    listed = client.get(f"{AG}/tokens", headers=dana.headers)
    assert listed.status_code == 200
    entry = next(t for t in listed.json()["tokens"] if t["id"] == own)
    assert entry == {"id": own, "expires": time.strftime("%Y-%m-%dT%H:%M:%S.000Z",
                                                         time.gmtime(int(T0) + 3600)),
                     "desc": "to revoke"}  # fmt: skip
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{AG}/gateways", headers=headers).status_code == 200
    assert client.delete(f"{AG}/tokens/{own}", headers=dana.headers).status_code == 204
    revoked = client.get(f"{AG}/gateways", headers=headers)
    assert (revoked.status_code, revoked.text) == (401, "Unauthorized")
    assert own not in [
        t["id"] for t in client.get(f"{AG}/tokens", headers=dana.headers).json()["tokens"]
    ]
    assert client.delete(f"{AG}/tokens/{own}", headers=dana.headers).status_code == 404


def test_forged_and_expired_tokens(client: httpx.Client, fresh: AgTenant) -> None:
    payload = {"id": claims(fresh.token)["id"], "iat": int(T0), "exp": int(T0) + 99}
    forged = jwt.encode(payload, "not the secret of this installation at all", algorithm="HS256")
    tampered = fresh.token[:-2] + ("AA" if not fresh.token.endswith("AA") else "BB")
    for token in (forged, tampered, "not.a.jwt", "x" * 5000):
        response = client.get(f"{AG}/devices", headers={"Authorization": f"Bearer {token}"})
        assert (response.status_code, response.text) == (401, "Unauthorized")
    short = sign_in(client, fresh.email, fresh.password, expires="600")
    headers = {"Authorization": f"Bearer {short}"}
    assert client.get(f"{AG}/gateways", headers=headers).status_code == 200
    advance(client, fresh.email, 601)  # the account's clock passes `exp`
    time.sleep(2.1)  # past the two-second cache of checked tokens
    assert client.get(f"{AG}/gateways", headers=headers).status_code == 401
    assert client.get(f"{AG}/gateways", headers=fresh.headers).status_code == 200


# ------------------------------------------------------------------ gateways
def test_gateways(client: httpx.Client, dana: AgTenant) -> None:
    listed = client.get(f"{AG}/gateways", headers=dana.headers).json()["gateways"]
    assert [g["id"] for g in listed] == [dana.gateway]
    one = client.get(f"{AG}/gateways/{dana.gateway}", headers=dana.headers).json()["gateway"]
    assert one == listed[0]
    assert set(one) == {"address", "id", "info", "lastUpdate", "name", "type"}
    renamed = client.put(f"{AG}/gateways/{dana.gateway}", headers=dana.headers,
                         json={"name": "Basement Hub"})  # fmt: skip
    assert renamed.status_code == 200
    assert renamed.json()["gateway"]["name"] == "Basement Hub"
    assert client.put(f"{AG}/gateways/{dana.gateway}", headers=dana.headers,
                      json={"name": ""}).status_code == 400  # fmt: skip
    client.put(f"{AG}/gateways/{dana.gateway}", headers=dana.headers, json={"name": "Home Hub"})


def test_reload_lists_a_device_linked_on_the_twin_side(
    client: httpx.Client, fresh: AgTenant
) -> None:
    linked = client.post(f"/_ductwork/automategreen/gateways/{fresh.gateway}/link",
                         json={"kind": "outlet", "name": "Garage Outlet"})  # fmt: skip
    assert linked.status_code == 201, linked.text
    new_id = linked.json()["id"]
    before = client.get(f"{AG}/devices", headers=fresh.headers).json()["devices"]
    assert new_id not in [d.get("id") for d in before]
    reloaded = client.get(f"{AG}/gateways/{fresh.gateway}/reload", headers=fresh.headers)
    assert reloaded.status_code == 200
    assert new_id in [d["id"] for d in reloaded.json()["devices"]]
    got = client.get(f"{AG}/devices/{new_id}", headers=fresh.headers).json()["device"]
    assert got["name"] == "Garage Outlet"
    assert got["gateway"] == fresh.gateway
    # A device deleted from the cloud is still linked to the hub: a reload brings it back.
    assert client.delete(f"{AG}/devices/{new_id}", headers=fresh.headers).status_code == 204
    assert client.get(f"{AG}/devices/{new_id}", headers=fresh.headers).status_code == 404
    client.get(f"{AG}/gateways/{fresh.gateway}/reload", headers=fresh.headers)
    assert client.get(f"{AG}/devices/{new_id}", headers=fresh.headers).status_code == 200


def test_delete_gateway_removes_its_devices(client: httpx.Client, fresh: AgTenant) -> None:
    switch = fresh.device("switch")
    assert client.delete(f"{AG}/gateways/{fresh.gateway}", headers=fresh.headers).status_code == 204
    assert client.get(f"{AG}/gateways/{fresh.gateway}", headers=fresh.headers).status_code == 404
    assert client.get(f"{AG}/devices/{switch}", headers=fresh.headers).status_code == 404
    left = client.get(f"{AG}/devices", headers=fresh.headers).json()["devices"]
    assert left
    assert all("gateway" not in d for d in left)


# ------------------------------------------------------------------ devices
INSTEON_KEYS = ["address", "gateway", "id", "info", "lastUpdate", "name", "status", "type"]
POWER_KEYS = ["id", "address", "name", "sn", "country", "type", "status", "info"]


def test_device_shapes(client: httpx.Client, dana: AgTenant) -> None:
    listed = client.get(f"{AG}/devices", headers=dana.headers).json()["devices"]
    kinds = {kind for kind in dana.devices}
    assert len(listed) == sum(len(ids) for ids in dana.devices.values())
    for entry in listed:
        if "device" in entry:  # a Power Controller, as its document lists it
            device = entry["device"]
            assert list(device) == POWER_KEYS
            assert device["type"] == {"id": "power-controller-v10", "profile": "power-controller",
                                      "desc": "Power Controller"}  # fmt: skip
            assert set(device["status"]) == {"state", "info", "date"}
            assert device["status"]["date"].endswith("Z")
            assert set(device["info"]) >= {"ffr", "capacity", "flowmeter", "powerLimit"}
            continue
        if "gateway" in entry:
            assert list(entry) == INSTEON_KEYS
            assert entry["gateway"] == dana.gateway
            assert len(entry["address"]) == 6
        assert list(entry["status"]) == ["date", "deviceId", "id", "info", "state"]
        assert isinstance(entry["status"]["date"], int)
        assert entry["status"]["deviceId"] == entry["id"]
        assert set(entry["type"]) == {"description", "name", "profile"}
    assert {
        "switch",
        "outlet",
        "dimmer",
        "thermostat",
        "motion",
        "door",
        "leak",
        "temperature",
        "temp_humidity",
        "flow",
        "current",
        "photocell",
        "power_controller",
    } <= kinds
    only_hub = client.get(f"{AG}/devices", headers=dana.headers,
                          params={"gateway": dana.gateway}).json()["devices"]  # fmt: skip
    assert only_hub
    assert all(d.get("gateway") == dana.gateway for d in only_hub)
    one = client.get(f"{AG}/devices/{dana.device('dimmer')}", headers=dana.headers)
    assert one.status_code == 200
    assert list(one.json()) == ["device"]
    assert set(one.json()["device"]["info"]) >= {"ledBrightness", "links", "onLevel", "rampRate"}


def test_switch_commands_change_status_and_history(client: httpx.Client, fresh: AgTenant) -> None:
    switch = fresh.device("switch")
    for name, level in (("on", 100), ("off", 0), ("fast_on", 100), ("fast_off", 0)):
        answer = client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                             data={"command[name]": name})  # fmt: skip
        assert answer.status_code == 200, answer.text
        assert answer.json()["device"]["status"]["info"]["level"] == level
        got = client.get(f"{AG}/devices/{switch}", headers=fresh.headers).json()["device"]
        assert got["status"]["info"]["level"] == level
    statuses = client.get(f"{AG}/statuses", headers=fresh.headers,
                          params={"device": switch}).json()["statuses"]  # fmt: skip
    levels = [s["info"].get("level") for s in statuses if s["date"].startswith(
        time.strftime("%Y-%m-%dT%H:%M", time.gmtime(int(T0))))]  # fmt: skip
    assert levels[-4:] == [100, 0, 100, 0]


def test_dimmer_levels_json_and_form(client: httpx.Client, fresh: AgTenant) -> None:
    dimmer = fresh.device("dimmer")
    form = client.post(f"{AG}/devices/{dimmer}/command", headers=fresh.headers,
                       data={"command[name]": "instant_on", "command[level]": "75"})  # fmt: skip
    assert form.status_code == 200, form.text
    assert form.json()["device"]["status"]["info"]["level"] == 75
    as_json = client.post(f"{AG}/devices/{dimmer}/command", headers=fresh.headers,
                          json={"command": {"name": "instant_on", "level": 30}})  # fmt: skip
    assert as_json.json()["device"]["status"]["info"]["level"] == 30
    for bad in ({"name": "instant_on", "level": 101}, {"name": "instant_on", "level": "lots"},
                {"name": "self_destruct"}):  # fmt: skip
        refused = client.post(f"{AG}/devices/{dimmer}/command", headers=fresh.headers,
                              json={"command": bad})  # fmt: skip
        assert refused.status_code == 400, bad
        assert "message" in refused.json()
    after = client.get(f"{AG}/devices/{dimmer}", headers=fresh.headers).json()["device"]
    assert after["status"]["info"]["level"] == 30  # nothing half-applied


def test_async_command_answers_202_and_lands_in_statuses(
    client: httpx.Client, fresh: AgTenant
) -> None:
    outlet = fresh.device("outlet")
    answer = client.post(f"{AG}/devices/{outlet}/command", headers=fresh.headers,
                         params={"async": "true"}, json={"command": {"name": "on"}})  # fmt: skip
    assert answer.status_code == 202
    assert answer.content == b""
    statuses = client.get(f"{AG}/statuses", headers=fresh.headers,
                          params={"device": outlet}).json()["statuses"]  # fmt: skip
    assert statuses[-1]["info"]["level"] == 100


def test_sensors_refuse_commands(client: httpx.Client, dana: AgTenant) -> None:
    for kind in ("motion", "door", "leak", "temperature", "photocell"):
        refused = client.post(f"{AG}/devices/{dana.device(kind)}/command", headers=dana.headers,
                              json={"command": {"name": "on"}})  # fmt: skip
        assert refused.status_code == 400, kind
    missing = client.post(f"{AG}/devices/{dana.device('switch')}/command", headers=dana.headers,
                          json={"nothing": 1})  # fmt: skip
    assert missing.status_code == 400


def test_update_device_name_and_settings(client: httpx.Client, fresh: AgTenant) -> None:
    dimmer = fresh.device("dimmer")
    answer = client.put(f"{AG}/devices/{dimmer}", headers=fresh.headers,
                        json={"name": "Reading Lamp", "info": {"onLevel": 60}})  # fmt: skip
    assert answer.status_code == 200, answer.text
    device = answer.json()["device"]
    assert device["name"] == "Reading Lamp"
    assert device["info"]["onLevel"] == 60
    refused = client.put(f"{AG}/devices/{dimmer}", headers=fresh.headers,
                         json={"name": "Other", "info": {"onLevel": 500}})  # fmt: skip
    assert refused.status_code == 400
    after = client.get(f"{AG}/devices/{dimmer}", headers=fresh.headers).json()["device"]
    assert after["name"] == "Reading Lamp"
    assert after["info"]["onLevel"] == 60


def test_command_to_an_offline_device_is_503(client: httpx.Client, fresh: AgTenant) -> None:
    switch = fresh.device("switch")
    off = client.put(f"/_ductwork/automategreen/devices/{switch}/online", json={"online": False})
    assert off.status_code == 200, off.text
    down = client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                       json={"command": {"name": "on"}})  # fmt: skip
    assert down.status_code == 503
    assert "message" in down.json()
    client.put(f"/_ductwork/automategreen/devices/{switch}/online", json={"online": True})
    up = client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                     json={"command": {"name": "on"}})  # fmt: skip
    assert up.status_code == 200


# ------------------------------------------------------------------ statuses
def test_statuses_ranges(client: httpx.Client, dana: AgTenant) -> None:
    motion = dana.device("motion")
    day = client.get(f"{AG}/statuses", headers=dana.headers, params={"device": motion})
    assert day.status_code == 200
    records = day.json()["statuses"]
    assert records, "six hours of history hold motion sensor statuses"
    for record in records:
        assert list(record) == ["id", "device", "deviceId", "date", "state", "type", "reason",
                                "info"]  # fmt: skip
        assert record["device"] == motion
        assert len(record["date"]) == 24
        assert record["date"].endswith("Z")
    assert [r["date"] for r in records] == sorted(r["date"] for r in records)
    start = time.strftime("%Y-%m-%dT%H:%M", time.gmtime(int(T0) - 3 * 3600))
    since = client.get(f"{AG}/statuses", headers=dana.headers,
                       params={"device": motion, "date": start}).json()["statuses"]  # fmt: skip
    assert since
    assert all(r["date"] >= start for r in since)
    assert len(since) <= len(records)
    tomorrow = time.strftime("%Y-%m-%d", time.gmtime(int(T0) + 86400))
    bounds = {"device": motion, "date[start]": start, "date[end]": tomorrow}
    window = client.get(f"{AG}/statuses", headers=dana.headers, params=bounds)
    assert window.status_code == 200
    everything = client.get(f"{AG}/statuses", headers=dana.headers).json()["statuses"]
    assert {r["device"] for r in everything} > {motion}
    raw = client.get(f"{AG}/statuses", headers=dana.headers,
                     params={"device": motion, "raw": "true"}).json()["statuses"]  # fmt: skip
    assert raw
    assert "_id" in raw[0]
    for params in ({"date[start]": "2024-01-01", "date[end]": "2024-01-12"},
                   {"date": "yesterday"}, {"date[end]": "2024-13-45"},
                   {"date[start]": "2024-07-20", "date[end]": "2024-07-19"}):  # fmt: skip
        assert client.get(f"{AG}/statuses", headers=dana.headers,
                          params=params).status_code == 400, params  # fmt: skip


# ------------------------------------------------------------------ actions
@dataclass
class Receiver:
    """A local HTTP server recording what request actions send, answering `status`."""

    port: int = field(default_factory=_free_port)
    status: int = 200
    got: list[tuple[str, str, bytes]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Where the action should call."""
        return f"http://127.0.0.1:{self.port}/trigger/ductwork"

    def start(self) -> None:
        """Listen in a thread."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.got.append((self.command, self.path, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            do_GET = do_POST = do_PUT = _record

            def log_message(self, *_args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def wait(self, count: int, client: httpx.Client, runtime: Runtime, timeout: float = 30) -> None:
        """Wait for `count` calls; in-process, deliver the outbox ourselves meanwhile."""
        deadline = time.monotonic() + timeout
        while len(self.got) < count and time.monotonic() < deadline:
            if isinstance(client, TestClient):
                runtime.outbox.deliver_due()
            time.sleep(0.1)
        assert len(self.got) >= count, f"received {len(self.got)} of {count} calls"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver."""
    started = Receiver()
    started.start()
    yield started
    started.stop()


def test_actions_crud(client: httpx.Client, fresh: AgTenant) -> None:
    switch = fresh.device("switch")
    created = client.post(f"{AG}/actions", headers=fresh.headers, data={
        "device": switch, "type": "request", "event": "turnOn",
        "options[url]": "https://maker.ifttt.com/trigger/x/with/key/y"})  # fmt: skip
    assert created.status_code == 200, created.text
    action = created.json()["action"]
    assert list(action)[:2] == ["id", "device"]
    assert "last" not in action
    assert action["options"]["url"] == "https://maker.ifttt.com/trigger/x/with/key/y"
    action_id = action["id"]
    assert client.get(f"{AG}/actions/{action_id}", headers=fresh.headers).json()["action"] == action
    mine = client.get(f"{AG}/actions", headers=fresh.headers, params={"device": switch})
    assert action_id in [a["id"] for a in mine.json()["actions"]]
    other = client.get(f"{AG}/actions", headers=fresh.headers,
                       params={"device": fresh.device("outlet")})  # fmt: skip
    assert other.json()["actions"] == []
    for method in ("POST", "PUT"):
        updated = client.request(method, f"{AG}/actions/{action_id}", headers=fresh.headers,
                                 data={"device": switch, "type": "request", "event": "turnOff",
                                       "options[url]": "https://example.com/off"})  # fmt: skip
        assert updated.status_code == 200, updated.text
        assert updated.json()["action"]["event"] == "turnOff"
    for bad in ({"device": switch, "type": "request", "event": "motion",
                 "options[url]": "https://e.com"},
                {"device": switch, "type": "teleport", "event": "turnOn"},
                {"device": "nope", "type": "request", "event": "turnOn",
                 "options[url]": "https://e.com"},
                {"device": switch, "type": "request", "event": "turnOn",
                 "options[url]": "ftp://e.com"}):  # fmt: skip
        refused = client.post(f"{AG}/actions", headers=fresh.headers, data=bad)
        assert refused.status_code == 400, bad
        assert "message" in refused.json()
    assert client.delete(f"{AG}/actions/{action_id}", headers=fresh.headers).status_code == 204
    assert client.get(f"{AG}/actions/{action_id}", headers=fresh.headers).status_code == 404


@pytest.mark.parametrize(("url", "status"), [
    ("http://169.254.169.254/latest/meta-data/", 400),  # cloud metadata
    ("http://10.0.0.8:8080/hook", 400),  # private
    ("http://[fe80::1]/hook", 400),  # link-local
    ("http://127.0.0.1:9/hook", 200),  # loopback: the test servers are bound to it
    ("https://hooks.example.com/in", 200),
])  # fmt: skip
def test_request_actions_may_not_call_the_inside_of_the_network(
    client: httpx.Client, fresh: AgTenant, url: str, status: int
) -> None:
    """An action URL at a link-local, metadata or private address is refused when it is
    created and when an action is changed to it (core/egress.py; deliveries check again)."""
    switch = fresh.device("switch")
    body = {"device": switch, "type": "request", "event": "turnOn", "options[url]": url}
    created = client.post(f"{AG}/actions", headers=fresh.headers, data=body)
    assert created.status_code == status, created.text
    if status == 400:
        assert "--allow-webhook-network" in created.json()["message"]
        return
    fine = {**body, "options[url]": "https://hooks.example.com/other"}
    action_id = client.post(f"{AG}/actions", headers=fresh.headers, data=fine).json()["action"][
        "id"
    ]
    changed = client.put(f"{AG}/actions/{action_id}", headers=fresh.headers, data=body)
    assert changed.status_code == 200, changed.text
    inside = {**body, "options[url]": "http://192.168.0.10/"}
    refused = client.put(f"{AG}/actions/{action_id}", headers=fresh.headers, data=inside)
    assert refused.status_code == 400
    assert (
        client.get(f"{AG}/actions/{action_id}", headers=fresh.headers).json()["action"]["options"][
            "url"
        ]
        == url
    ), "a refused change changed nothing"


def test_request_action_is_delivered_and_retried(
    client: httpx.Client, fresh: AgTenant, receiver: Receiver, world: World
) -> None:
    switch = fresh.device("switch")
    client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                json={"command": {"name": "off"}})  # fmt: skip
    created = client.post(f"{AG}/actions", headers=fresh.headers, json={
        "device": switch, "type": "request", "event": "turnOn", "injectDeviceId": True,
        "injectStatus": True, "options": {"url": receiver.url, "method": "POST"}})  # fmt: skip
    assert created.status_code == 200, created.text
    action_id = created.json()["action"]["id"]
    receiver.status = 500  # failing first: the outbox retries
    client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                json={"command": {"name": "on"}})  # fmt: skip
    receiver.wait(1, client, world.runtime)
    receiver.status = 200
    receiver.wait(2, client, world.runtime, timeout=60)
    method, path, body = receiver.got[-1]
    assert (method, path) == ("POST", "/trigger/ductwork")
    sent = json.loads(body)
    assert json.dumps(sent).count(switch) >= 1
    fired = client.get(f"{AG}/actions/{action_id}", headers=fresh.headers).json()["action"]
    assert fired["count"] == 1
    assert fired["last"].endswith("Z")
    deliveries = client.get("/_ductwork/webhooks", params={"account": fresh.email}).json()
    mine = [d for d in deliveries if d["url"] == receiver.url]
    assert mine
    assert mine[0]["attempts"] >= 2
    assert mine[0]["status"] == "delivered"


def test_command_action_switches_a_second_device(client: httpx.Client, fresh: AgTenant) -> None:
    switch, outlet = fresh.device("switch"), fresh.device("outlet")
    for device in (switch, outlet):
        client.post(f"{AG}/devices/{device}/command", headers=fresh.headers,
                    json={"command": {"name": "off"}})  # fmt: skip
    created = client.post(f"{AG}/actions", headers=fresh.headers, data={
        "device": switch, "type": "command", "event": "turnOn", "deviceToControlId": outlet,
        "options[command][name]": "on"})  # fmt: skip
    assert created.status_code == 200, created.text
    client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                json={"command": {"name": "on"}})  # fmt: skip
    got = client.get(f"{AG}/devices/{outlet}", headers=fresh.headers).json()["device"]
    assert got["status"]["info"]["level"] == 100
    # disabled: nothing happens
    action_id = created.json()["action"]["id"]
    client.put(f"{AG}/actions/{action_id}", headers=fresh.headers, json={"disabled": True})
    for device in (switch, outlet):
        client.post(f"{AG}/devices/{device}/command", headers=fresh.headers,
                    json={"command": {"name": "off"}})  # fmt: skip
    client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                json={"command": {"name": "on"}})  # fmt: skip
    got = client.get(f"{AG}/devices/{outlet}", headers=fresh.headers).json()["device"]
    assert got["status"]["info"]["level"] == 0


def test_time_of_day_condition_across_midnight(client: httpx.Client, fresh: AgTenant) -> None:
    """T0 is 15:30 in the house's zone (UTC-6 all year, as the demo house's climate says): a
    22:00-06:00 window is closed then, a 15:00-03:00 window open."""
    switch, outlet = fresh.device("switch"), fresh.device("outlet")
    results = []
    for start, end in (("10:00 PM", "6:00 AM"), ("15:00", "03:00")):
        for device in (switch, outlet):
            client.post(f"{AG}/devices/{device}/command", headers=fresh.headers,
                        json={"command": {"name": "off"}})  # fmt: skip
        created = client.post(f"{AG}/actions", headers=fresh.headers, json={
            "device": switch, "type": "command", "event": "turnOn", "deviceToControlId": outlet,
            "options": {"command": {"name": "on"}},
            "conditions": [{"type": "timeOfDay", "start": start, "end": end}]})  # fmt: skip
        assert created.status_code == 200, created.text
        client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                    json={"command": {"name": "on"}})  # fmt: skip
        got = client.get(f"{AG}/devices/{outlet}", headers=fresh.headers).json()["device"]
        results.append(got["status"]["info"]["level"])
        client.delete(f"{AG}/actions/{created.json()['action']['id']}", headers=fresh.headers)
    assert results == [0, 100]


# ------------------------------------------------------------------ Power Controllers
def _power(entry: dict[str, Any]) -> dict[str, Any]:
    return entry.get("device", entry)  # type: ignore[no-any-return]


def test_add_power_controller_comes_online(client: httpx.Client, fresh: AgTenant) -> None:
    sn = f"PC-{secrets.token_hex(5).upper()}-001"
    added = client.post(f"{AG}/devices", headers=fresh.headers, data={"sn": sn, "country": "US"})
    assert added.status_code == 200, added.text
    device = added.json()["device"]
    assert list(device)[:4] == ["id", "address", "sn", "country"]
    assert device["status"] == {"state": "Initializing"}
    assert device["sn"] == sn
    assert len(device["address"]) == 24
    again = client.post(f"{AG}/devices", headers=fresh.headers, data={"sn": sn, "country": "US"})
    assert again.status_code == 400
    assert client.post(f"{AG}/devices", headers=fresh.headers,
                       data={"sn": "PC-X", "country": "US"}).status_code == 400  # fmt: skip
    assert client.post(f"{AG}/devices", headers=fresh.headers,
                       data={"sn": sn + "9", "country": "ZZ"}).status_code == 400  # fmt: skip
    advance(client, fresh.email, 10 * 60)
    online = client.get(f"{AG}/devices/{device['id']}", headers=fresh.headers).json()["device"]
    assert online["status"]["state"] == "Active"
    assert set(online["status"]["info"]) >= {"current", "voltage", "power", "frequency", "on"}


@pytest.mark.parametrize(
    ("sn", "country", "status"),
    [
        ("PC-{hex}-001", "US", 200),
        ("pc-{hex}-001", "DE", 200),  # any case, stored upper case
        (" PC-{hex}-001", "US", 400),  # the document's pattern: no white space around it
        ("PC-{hex}-001 ", "US", 400),
        ("PC-{hex}_001", "US", 400),  # letters, digits and dashes only
        ("PC-{hex}" + "0" * 60, "US", 400),  # 64 characters at most
        ("PC-{hex}-001", "us", 400),  # the document's enum: upper case
        ("PC-{hex}-001", " US", 400),
        ("PC-{hex}-001", ["US"], 400),
        (["PC-{hex}-001"], "US", 400),
    ],
)
def test_add_power_controller_checks_as_documented(
    client: httpx.Client, fresh: AgTenant, sn: Any, country: Any, status: int
) -> None:
    hexed = secrets.token_hex(4).upper()
    serial = [sn[0].format(hex=hexed)] if isinstance(sn, list) else sn.format(hex=hexed)
    added = client.post(f"{AG}/devices", headers=fresh.headers,
                        json={"sn": serial, "country": country})  # fmt: skip
    assert added.status_code == status, added.text
    if status == 200:
        assert added.json()["device"]["sn"] == str(serial).upper()


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("Hub " + "x" * 196, 200),
        ("  Hub  ", 200),
        (" " * 150 + "x" * 60, 400),  # 200 characters as sent, white space included
        (" \t ", 400),
        ("Hub\x00", 400),
    ],
)
def test_gateway_name_as_documented(client: httpx.Client, fresh: AgTenant, name: str,
                                    status: int) -> None:  # fmt: skip
    renamed = client.put(f"{AG}/gateways/{fresh.gateway}", headers=fresh.headers,
                         json={"name": name})  # fmt: skip
    assert renamed.status_code == status, renamed.text
    if status == 200:
        assert renamed.json()["gateway"]["name"] == name.strip()


def test_power_controller_commands_and_codes(client: httpx.Client, fresh: AgTenant) -> None:
    controller = fresh.device("power_controller")
    cases = [
        ({"name": "on"}, [102], True),
        ({"name": "off"}, [103], False),
        ({"name": "on_for", "delay": 60}, [104], True),
        ({"name": "limit_power", "power": 50, "time": 3600}, [115], True),
        ({"name": "dance"}, [-992], True),
    ]
    for command, codes, on in cases:
        answer = client.post(f"{AG}/devices/{controller}/command", headers=fresh.headers,
                             json={"command": command})  # fmt: skip
        assert answer.status_code == 200, (command, answer.text)
        assert answer.json()["responseCodes"] == codes, command
        assert answer.json()["device"]["status"]["info"]["on"] is on, command
    configured = client.put(f"{AG}/devices/{controller}", headers=fresh.headers,
                            json={"info": {"samplePeriod": 300}})  # fmt: skip
    assert configured.status_code == 200
    assert configured.json()["responseCodes"] == [120]
    refused = client.put(f"{AG}/devices/{controller}", headers=fresh.headers,
                         json={"info": {"samplePeriod": -5}})  # fmt: skip
    assert refused.json()["responseCodes"] == [-985]
    status = client.post(f"{AG}/devices/{controller}/status", headers=fresh.headers)
    assert status.status_code == 200
    assert status.json()["responseCodes"]
    function = client.get(f"{AG}/statuses", headers=fresh.headers,
                          params={"device": controller}).json()["statuses"]  # fmt: skip
    assert {"update", "relay", "function"} <= {s["type"] for s in function}


def test_offline_power_controller(client: httpx.Client, fresh: AgTenant) -> None:
    controller = fresh.device("power_controller")
    client.post(f"{AG}/devices/{controller}/command", headers=fresh.headers,
                json={"command": {"name": "off"}})  # fmt: skip
    client.put(f"/_ductwork/automategreen/devices/{controller}/online", json={"online": False})
    sync = client.post(f"{AG}/devices/{controller}/command", headers=fresh.headers,
                       json={"command": {"name": "on"}})  # fmt: skip
    assert sync.status_code == 503
    kept = client.post(f"{AG}/devices/{controller}/command", headers=fresh.headers,
                       params={"async": "true"}, json={"command": {"name": "on"}})  # fmt: skip
    assert kept.status_code == 202
    back = client.put(f"/_ductwork/automategreen/devices/{controller}/online",
                      json={"online": True})  # fmt: skip
    assert back.status_code == 200
    advance(client, fresh.email, 120)
    device = client.get(f"{AG}/devices/{controller}", headers=fresh.headers).json()["device"]
    assert device["status"]["info"]["on"] is True  # the kept command ran on its return


# ------------------------------------------------------------------ isolation and errors
def test_tenant_isolation_on_every_route(
    client: httpx.Client, dana: AgTenant, erin: AgTenant
) -> None:
    theirs_device, theirs_gateway = erin.device("switch"), erin.gateway
    action = client.post(f"{AG}/actions", headers=erin.headers, json={
        "device": theirs_device, "type": "request", "event": "turnOn",
        "options": {"url": "https://example.com/x"}}).json()["action"]["id"]  # fmt: skip
    token_id = claims(erin.token)["id"]
    attempts = [
        ("GET", f"/gateways/{theirs_gateway}", None),
        ("PUT", f"/gateways/{theirs_gateway}", {"name": "mine"}),
        ("DELETE", f"/gateways/{theirs_gateway}", None),
        ("GET", f"/gateways/{theirs_gateway}/reload", None),
        ("GET", f"/devices/{theirs_device}", None),
        ("PUT", f"/devices/{theirs_device}", {"name": "mine"}),
        ("DELETE", f"/devices/{theirs_device}", None),
        ("POST", f"/devices/{theirs_device}/command", {"command": {"name": "on"}}),
        ("POST", f"/devices/{theirs_device}/status", None),
        ("GET", f"/statuses?device={theirs_device}", None),
        ("GET", f"/actions/{action}", None),
        ("POST", f"/actions/{action}", {"event": "turnOff"}),
        ("PUT", f"/actions/{action}", {"event": "turnOff"}),
        ("DELETE", f"/actions/{action}", None),
        ("DELETE", f"/tokens/{token_id}", None),
    ]
    for method, path, body in attempts:
        response = client.request(method, f"{AG}{path}", headers=dana.headers, json=body)
        assert response.status_code == 404, (method, path, response.status_code)
    assert theirs_device not in str(client.get(f"{AG}/devices", headers=dana.headers).json())
    assert action not in str(client.get(f"{AG}/actions", headers=dana.headers).json())
    assert client.get(f"{AG}/devices", headers=dana.headers,
                      params={"gateway": theirs_gateway}).json() == {"devices": []}  # fmt: skip
    wrong_device = client.post(f"{AG}/actions", headers=dana.headers, json={
        "device": dana.device("switch"), "type": "command", "event": "turnOn",
        "deviceToControlId": theirs_device, "options": {"command": {"name": "on"}}})  # fmt: skip
    assert wrong_device.status_code == 400
    # erin's things are untouched
    assert client.get(f"{AG}/actions/{action}", headers=erin.headers).status_code == 200
    assert client.get(f"{AG}/tokens", headers=erin.headers).status_code == 200


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/json", b"{not json"),
        ("application/json", b"[1, 2]"),
        ("application/json", b"[" * 100_000),
        ("application/json", b'{"command":' * 5000 + b"1" + b"}" * 5000),
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=", b"garbage"),
        ("application/x-www-form-urlencoded", b"\xff\xfe"),
    ],
)
def test_hostile_bodies_are_400(client: httpx.Client, dana: AgTenant, content_type: str,
                                body: bytes) -> None:  # fmt: skip
    device = dana.device("switch")
    response = client.post(f"{AG}/devices/{device}/command", content=body,
                           headers={**dana.headers, "content-type": content_type})  # fmt: skip
    assert response.status_code == 400, response.text
    signin = client.post(f"{AG}/signin", content=body, headers={"content-type": content_type})
    assert signin.status_code == 400, signin.text


def test_unknown_route_and_method(client: httpx.Client, dana: AgTenant) -> None:
    assert client.get(f"{AG}/nothing", headers=dana.headers).status_code == 404
    assert client.patch(f"{AG}/devices", headers=dana.headers).status_code == 404


def test_openapi_document(client: httpx.Client) -> None:
    document = client.get(f"{AG}/openapi.json").json()
    assert document["openapi"].startswith("3.")
    paths = document["paths"]
    assert "/devices/{deviceId}/command" in paths
    assert "/signin" in paths
    assert "requestBody" in paths["/actions"]["post"]
    assert client.get(f"{AG}/docs").status_code == 200
    # JSON nests; forms carry the same fields under bracketed names, in both form encodings
    signin = paths["/signin"]["post"]["requestBody"]["content"]
    assert list(signin) == ["application/json", "application/x-www-form-urlencoded",
                            "multipart/form-data"]  # fmt: skip
    assert signin["application/json"]["schema"]["required"] == ["user"]
    for media in ("application/x-www-form-urlencoded", "multipart/form-data"):
        assert signin[media]["schema"]["required"] == ["user[email]", "user[password]"]
    command = paths["/devices/{deviceId}/command"]["post"]["requestBody"]["content"]
    assert command["multipart/form-data"]["schema"]["required"] == ["command[name]"]
    # ?access_token= is read on GET only
    header: list[dict[str, list[str]]] = [{"bearer": []}]
    for path, methods in paths.items():
        for method, operation in methods.items():
            if path != "/signin":
                expected = [*header, {"access_token": []}] if method == "get" else header
                assert operation["security"] == expected, (method, path)
    # an action that never fired has neither `last` nor `count` (the create example)
    assert "count" not in document["components"]["schemas"]["Action"]["required"]


def test_multipart_bodies_are_read_like_forms(client: httpx.Client, dana: AgTenant) -> None:
    empty_file = {"ignored": ("ignored.txt", b"")}  # a file part makes httpx send multipart
    signed = client.post(
        f"{AG}/signin",
        files=empty_file,
        data={"user[email]": dana.email, "user[password]": dana.password, "expires": "60"},
    )
    assert signed.status_code == 200, signed.text
    assert signed.request.headers["content-type"].startswith("multipart/form-data")
    device = dana.device("switch")
    commanded = client.post(
        f"{AG}/devices/{device}/command",
        headers=dana.headers,
        files=empty_file,
        data={"command[name]": "get_status"},
    )
    assert commanded.status_code == 200, commanded.text


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ({"info": {"ffr": {"enable": True, "tripThreshold": 59.7, "returnThreshold": 59.8,
                           "periods": 0, "delay": 10}}}, [-996]),
        ({"info": {"ffr": {"enable": True, "tripThreshold": 59.7, "returnThreshold": 59.8,
                           "periods": 100000, "delay": 10}}}, [-995]),
        ({"info": {"ffr": {"enable": True, "tripThreshold": 59.7, "returnThreshold": 59.8,
                           "periods": 10, "delay": -1}}}, [-994]),
        ({"info": {"ffr": {"enable": True, "tripThreshold": 61.0, "returnThreshold": 59.8,
                           "periods": 10, "delay": 10}}}, [-993]),
        ({"info": {"samplePeriod": 5}}, [-985]),
        ({"info": {"flowmeter": {"type": "garden-hose"}}}, [-999]),
        ({"info": {"flowmeter": {"type": "TUF2000M", "pipeType": "cardboard"}}}, [-991]),
        ({"info": {"flowmeter": {"type": "TUF2000M", "pipeOuterDiameter": 1}}}, [-990]),
        ({"info": {"capacity": {"enabled": True, "minCapacity": -1, "maxCapacity": 10}}}, [-988]),
        ({"info": {"capacity": {"enabled": True, "minCapacity": 5, "maxCapacity": 5}}}, [-997]),
        ({"info": {"powerLimit": {"power": -5, "time": 60}}}, [-986]),
        ({"schedule": [{"name": "explode", "when": 1900000000}]}, [-985]),
        ({"schedule": [{"name": "on", "when": 1900000000 + i} for i in range(40)]}, [-985]),
        ({"info": {"ffr": {"enable": True, "tripThreshold": 59.7, "returnThreshold": 59.8,
                           "periods": 10, "delay": 10}}}, [108]),
        ({"schedule": []}, [119]),
    ],
)  # fmt: skip
def test_power_controller_settings_codes(
    client: httpx.Client, dana: AgTenant, body: dict[str, Any], codes: list[int]
) -> None:
    """Each setting answers the document's code; an invalid one its negative code, with the
    controller's configuration unchanged."""
    controller = dana.device("power_controller")
    before = client.get(f"{AG}/devices/{controller}", headers=dana.headers).json()["device"]
    answer = client.put(f"{AG}/devices/{controller}", headers=dana.headers, json=body)
    assert answer.status_code == 200, answer.text
    assert answer.json()["responseCodes"] == codes
    if codes[0] < 0:
        after = client.get(f"{AG}/devices/{controller}", headers=dana.headers).json()["device"]
        assert after["info"] == before["info"]
    else:  # put it back as it was for the other cases
        restore: dict[str, Any] = (
            {"info": {"ffr": {"enable": False}}} if "info" in body else {"schedule": []}
        )
        client.put(f"{AG}/devices/{controller}", headers=dana.headers, json=restore)


def test_thresholds_fire_once_or_on_every_change(client: httpx.Client, fresh: AgTenant) -> None:
    """The outdoor temperature falls through the evening: `goesBelow` a little under the
    current value fires on each crossing downward only, `isBelow` on every reading below it,
    `goesAbove` never."""
    sensor = fresh.device("temperature")
    now = client.get(f"{AG}/devices/{sensor}", headers=fresh.headers).json()["device"]
    temperature = now["status"]["info"]["temp"]
    made = {}
    for kind in ("goesBelow", "isBelow", "goesAbove"):
        created = client.post(f"{AG}/actions", headers=fresh.headers, json={
            "device": sensor, "type": "request", "event": "temp",
            "threshold": {kind: temperature - 1 if kind != "goesAbove" else temperature + 40},
            "options": {"url": "http://127.0.0.1:9/nobody"}})  # fmt: skip
        assert created.status_code == 200, created.text
        made[kind] = created.json()["action"]["id"]
    advance(client, fresh.email, 8 * 3600)
    fired = {
        kind: client.get(f"{AG}/actions/{action}", headers=fresh.headers).json()["action"]
        for kind, action in made.items()
    }
    since = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(T0)))
    statuses = client.get(f"{AG}/statuses", headers=fresh.headers,
                          params={"device": sensor, "date": since})  # fmt: skip
    readings = [s["info"]["temp"] for s in statuses.json()["statuses"]
                if s["info"].get("temp") is not None and s["date"] > since]  # fmt: skip
    threshold = temperature - 1
    assert min(readings) < threshold, "the evening should cool by more than a degree"
    crossings, previous = 0, None
    for value in readings:
        crossings += value < threshold and (previous is None or previous >= threshold)
        previous = value
    assert fired["goesBelow"]["count"] == crossings
    assert crossings < sum(value < threshold for value in readings)
    assert fired["isBelow"]["count"] == sum(value < threshold for value in readings)
    assert "count" not in fired["goesAbove"]


@pytest.mark.parametrize(
    ("conditions", "fires"),
    [
        ([{"type": "dayOfWeek", "tuesday": True}], True),  # T0 is a Tuesday in the house
        ([{"type": "dayOfWeek", "monday": True, "wednesday": True}], False),
        ([{"type": "dayOfWeek", "tuesday": "true"}, {"type": "timeOfDay", "start": "3:00 PM",
                                                     "end": "4:00 PM"}], True),
        ([{"type": "timeOfDay", "start": "3:31 PM", "end": "4:00 PM"}], False),
        ([{"type": "deviceStatus", "device": "DIMMER", "info": {"level": 0}}], True),
        ([{"type": "deviceStatus", "device": "DIMMER", "info": {"level": 100}}], False),
    ],
)  # fmt: skip
def test_conditions(client: httpx.Client, fresh: AgTenant, conditions: list[dict[str, Any]],
                    fires: bool) -> None:  # fmt: skip
    switch, outlet, dimmer = (
        fresh.device("switch"),
        fresh.device("outlet"),
        fresh.devices["dimmer"][-1],
    )
    client.post(f"{AG}/devices/{dimmer}/command", headers=fresh.headers,
                json={"command": {"name": "fast_off"}})  # fmt: skip
    # (a copy: the parameters are shared by every world and client the test runs on)
    conditions = [{**c, "device": dimmer} if c.get("device") == "DIMMER" else c
                  for c in conditions]  # fmt: skip
    for device in (switch, outlet):
        client.post(f"{AG}/devices/{device}/command", headers=fresh.headers,
                    json={"command": {"name": "off"}})  # fmt: skip
    created = client.post(f"{AG}/actions", headers=fresh.headers, json={
        "device": switch, "type": "command", "event": "turnOn", "deviceToControlId": outlet,
        "options": {"command": {"name": "on"}}, "conditions": conditions})  # fmt: skip
    assert created.status_code == 200, created.text
    client.post(f"{AG}/devices/{switch}/command", headers=fresh.headers,
                json={"command": {"name": "on"}})  # fmt: skip
    got = client.get(f"{AG}/devices/{outlet}", headers=fresh.headers).json()["device"]
    assert got["status"]["info"]["level"] == (100 if fires else 0)
