"""Flair resources beyond the home's rooms and devices, through HTTP: partner applications,
puck apps, thermostats and their states, remote sensors, schedules, vent states, weather
readings, beacon sightings and devices."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from ductwork.vendors.flair.models import TYPES
from tests.conftest import FLAIR, FlairWorld
from tests.test_flair_api import EVERY_SCOPE, bearer, first, token

ALL = EVERY_SCOPE


def _headers(client: httpx.Client, flair_world: FlairWorld, scope: str = ALL) -> dict[str, str]:
    return bearer(token(client, flair_world.a, scope))


def _create(
    client: httpx.Client,
    headers: dict[str, str],
    type_name: str,
    attributes: dict[str, Any],
    relationships: dict[str, Any] | None = None,
) -> httpx.Response:
    data: dict[str, Any] = {"type": type_name, "attributes": attributes}
    if relationships is not None:
        data["relationships"] = relationships
    return client.post(f"{FLAIR}/api/{type_name}", headers=headers, json={"data": data})


def _link(type_name: str, resource_id: str) -> dict[str, Any]:
    return {"data": {"type": type_name, "id": resource_id}}


# ------------------------------------------------------------------ applications
def test_applications_lifecycle(client: httpx.Client, flair_world: FlairWorld) -> None:
    """A partner registers an application through the API: the secret is shown once, the new
    client gets tokens limited to its scopes, edits apply, deleting it ends its tokens."""
    headers = _headers(client, flair_world)
    created = _create(
        client,
        headers,
        "applications",
        {
            "name": "Thermostat bridge",
            "description": "Keeps rooms in sync",
            "redirect_uris": ["https://bridge.example.com/callback"],
            "scopes": ["structures.view", "vents.view", "vents.edit"],
        },
    )
    assert created.status_code == 201, created.text
    app = created.json()["data"]
    attributes = app["attributes"]
    assert len(attributes["client_secret"]) >= 32
    assert attributes["client_id"]
    assert app["relationships"]["user"]["data"] == {
        "type": "users",
        "id": first(client, headers, "users")["id"],
    }
    url = f"{FLAIR}/api/applications/{app['id']}"
    shown = client.get(url, headers=headers).json()["data"]["attributes"]
    assert shown["client_secret"] is None
    assert shown["scopes"] == ["structures.view", "vents.view", "vents.edit"]
    grant = {
        "grant_type": "client_credentials",
        "client_id": attributes["client_id"],
        "client_secret": attributes["client_secret"],
    }
    issued = client.post("/flair/oauth2/token", data={**grant, "scope": "vents.view"})
    assert issued.status_code == 200, issued.text
    own_token = bearer(issued.json()["access_token"])
    assert client.get(f"{FLAIR}/api/vents", headers=own_token).status_code == 200
    too_much = client.post("/flair/oauth2/token", data={**grant, "scope": "users.edit"})
    assert too_much.status_code == 400
    edited = client.patch(
        url,
        headers=headers,
        json={"data": {"type": "applications", "attributes": {"scopes": ["users.view"]}}},
    )
    assert edited.status_code == 200, edited.text
    assert edited.json()["data"]["attributes"]["scopes"] == ["users.view"]
    assert client.post("/flair/oauth2/token", data={**grant, "scope": "users.view"}).is_success
    listed = client.get(f"{FLAIR}/api/applications", headers=headers).json()["data"]
    assert app["id"] in {a["id"] for a in listed}
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404
    assert client.get(f"{FLAIR}/api/vents", headers=own_token).status_code == 401
    assert client.post("/flair/oauth2/token", data=grant).status_code == 401


@pytest.mark.parametrize(
    ("attributes", "named"),
    [
        ({"description": "no name"}, "name"),
        ({"name": "x", "scopes": ["vents.view", "everything.edit"]}, "everything.edit"),
        ({"name": "x", "scopes": "vents.view"}, "scopes"),
        ({"name": "x", "redirect_uris": ["/relative/path"]}, "/relative/path"),
        ({"name": "x", "redirect_uris": ["https://a.example/#frag"]}, "fragment"),
        ({"name": "x", "client_id": "mine"}, "client_id"),
        ({"name": "x", "client_secret": "mine"}, "client_secret"),
    ],
)
def test_invalid_applications_are_422(
    client: httpx.Client, flair_world: FlairWorld, attributes: dict[str, Any], named: str
) -> None:
    """Bad application writes name what is wrong and create nothing."""
    headers = _headers(client, flair_world)
    before = client.get(f"{FLAIR}/api/applications", headers=headers).json()["meta"]
    refused = _create(client, headers, "applications", attributes)
    assert refused.status_code == 422, refused.text
    assert named in refused.json()["errors"][0]["detail"]
    after = client.get(f"{FLAIR}/api/applications", headers=headers).json()["meta"]
    assert after == before


def test_applications_need_their_scope_and_stay_in_their_account(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """applications.view reads, only applications.edit writes; another account's
    applications are not found."""
    view = _headers(client, flair_world, "applications.view")
    mine = first(client, view, "applications")
    refused = _create(client, view, "applications", {"name": "nope"})
    assert refused.status_code == 403
    assert (
        client.get(
            f"{FLAIR}/api/applications", headers=_headers(client, flair_world, "vents.view")
        ).status_code
        == 403
    )
    bob = bearer(token(client, flair_world.b, "applications.edit"))
    assert client.get(f"{FLAIR}/api/applications/{mine['id']}", headers=bob).status_code == 404
    assert client.delete(f"{FLAIR}/api/applications/{mine['id']}", headers=bob).status_code == 404
    theirs = {a["id"] for a in client.get(f"{FLAIR}/api/applications", headers=bob).json()["data"]}
    assert mine["id"] not in theirs


# ------------------------------------------------------------------ puck apps
def test_puck_apps(client: httpx.Client, flair_world: FlairWorld) -> None:
    """A puck app is created on a puck with its type; its state is editable, its type is not;
    it is listed under its puck and the puck's room."""
    headers = _headers(client, flair_world)
    puck = first(client, headers, "pucks")
    room = puck["relationships"]["room"]["data"]["id"]
    created = _create(
        client,
        headers,
        "puck-apps",
        {"app-type": "tv-remote", "app-state": {"channel": 7}},
        {"puck": _link("pucks", puck["id"])},
    )
    assert created.status_code == 201, created.text
    app = created.json()["data"]
    url = f"{FLAIR}/api/puck-apps/{app['id']}"
    assert app["attributes"]["app-type"] == "tv-remote"
    assert app["relationships"]["puck"]["data"] == {"type": "pucks", "id": puck["id"]}
    changed = client.patch(
        url,
        headers=headers,
        json={"data": {"type": "puck-apps", "attributes": {"app-state": {"channel": 9}}}},
    )
    assert changed.status_code == 200
    assert changed.json()["data"]["attributes"]["app-state"] == {"channel": 9}
    retyped = client.patch(
        url,
        headers=headers,
        json={"data": {"type": "puck-apps", "attributes": {"app-type": "occupancy"}}},
    )
    assert retyped.status_code == 422
    assert "app-type" in retyped.text
    for path in (f"pucks/{puck['id']}/puck-apps", f"rooms/{room}/puck-apps"):
        listed = client.get(f"{FLAIR}/api/{path}", headers=headers)
        assert listed.status_code == 200, listed.text
        assert app["id"] in {a["id"] for a in listed.json()["data"]}
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


@pytest.mark.parametrize(
    ("attributes", "with_puck", "status", "named"),
    [
        ({"app-state": {}}, True, 422, "app-type"),
        ({"app-type": "toaster"}, True, 422, "app-type"),
        ({"app-type": "tv-remote"}, False, 422, "puck"),
        ({"app-type": "tv-remote", "app-state": [1, 2]}, True, 422, "app-state"),
    ],
)
def test_invalid_puck_apps(
    client: httpx.Client,
    flair_world: FlairWorld,
    attributes: dict[str, Any],
    with_puck: bool,
    status: int,
    named: str,
) -> None:
    """A puck app needs a known type, an object state and a puck."""
    headers = _headers(client, flair_world)
    puck = first(client, headers, "pucks")
    links = {"puck": _link("pucks", puck["id"])} if with_puck else None
    refused = _create(client, headers, "puck-apps", attributes, links)
    assert refused.status_code == status, refused.text
    assert named in refused.json()["errors"][0]["detail"]


def test_puck_apps_on_another_accounts_puck_are_not_found(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """Naming another account's puck is a 404, and nothing is created."""
    headers = _headers(client, flair_world)
    bobs = first(client, bearer(token(client, flair_world.b)), "pucks")
    refused = _create(
        client,
        headers,
        "puck-apps",
        {"app-type": "tv-remote"},
        {"puck": _link("pucks", bobs["id"])},
    )
    assert refused.status_code == 404


# ------------------------------------------------------------------ thermostats
def test_thermostats_created_in_a_room(client: httpx.Client, flair_world: FlairWorld) -> None:
    """make and model are set on creation only; the room links back to its thermostat and a
    room without one says so with a typed null, as the real service does."""
    headers = _headers(client, flair_world)
    rooms = client.get(f"{FLAIR}/api/rooms", headers=headers).json()["data"]
    bare = next(r for r in rooms if r["relationships"]["thermostat"]["data"]["id"] is None)
    assert bare["relationships"]["thermostat"]["data"] == {"type": "thermostats", "id": None}
    structure = bare["relationships"]["structure"]["data"]["id"]
    created = _create(
        client,
        headers,
        "thermostats",
        {"name": "Den", "make": "Honeywell", "model": "T6 Pro"},
        {"structure": _link("structures", structure), "room": _link("rooms", bare["id"])},
    )
    assert created.status_code == 201, created.text
    thermostat = created.json()["data"]
    url = f"{FLAIR}/api/thermostats/{thermostat['id']}"
    assert thermostat["attributes"]["make"] == "Honeywell"
    room = client.get(f"{FLAIR}/api/rooms/{bare['id']}", headers=headers).json()["data"]
    assert room["relationships"]["thermostat"]["data"] == {
        "type": "thermostats",
        "id": thermostat["id"],
    }
    linked = client.get(f"{FLAIR}/api/rooms/{bare['id']}/relationships/thermostat", headers=headers)
    assert linked.json()["data"] == {"type": "thermostats", "id": thermostat["id"]}
    related = client.get(f"{FLAIR}/api/rooms/{bare['id']}/thermostat", headers=headers)
    assert related.json()["data"]["id"] == thermostat["id"]
    remade = client.patch(
        url,
        headers=headers,
        json={"data": {"type": "thermostats", "attributes": {"make": "ecobee"}}},
    )
    assert remade.status_code == 422
    assert "make" in remade.text
    renamed = client.patch(
        url,
        headers=headers,
        json={"data": {"type": "thermostats", "attributes": {"name": "Den 2"}}},
    )
    assert renamed.status_code == 200
    assert renamed.json()["data"]["attributes"]["name"] == "Den 2"
    assert client.delete(url, headers=headers).status_code == 204
    room = client.get(f"{FLAIR}/api/rooms/{bare['id']}", headers=headers).json()["data"]
    assert room["relationships"]["thermostat"]["data"] == {"type": "thermostats", "id": None}


# ------------------------------------------------------------------ schedules
def test_schedules_and_the_active_schedule(client: httpx.Client, flair_world: FlairWorld) -> None:
    """A structure's active-schedule-id names one of its schedules (or none); deleting the
    active schedule clears it."""
    headers = _headers(client, flair_world)
    structure = first(client, headers, "structures")
    url = f"{FLAIR}/api/structures/{structure['id']}"
    created = _create(
        client,
        headers,
        "schedules",
        {"name": "Night shift"},
        {"structure": _link("structures", structure["id"])},
    )
    assert created.status_code == 201, created.text
    schedule = created.json()["data"]["id"]

    def activate(value: Any) -> httpx.Response:
        return client.patch(
            url,
            headers=headers,
            json={"data": {"type": "structures", "attributes": {"active-schedule-id": value}}},
        )

    assert activate(schedule).status_code == 200
    assert (
        client.get(url, headers=headers).json()["data"]["attributes"]["active-schedule-id"]
        == schedule
    )
    bobs = first(client, bearer(token(client, flair_world.b)), "structures")["id"]
    bobs_schedule = _create(
        client,
        bearer(token(client, flair_world.b)),
        "schedules",
        {"name": "Bob's"},
        {"structure": _link("structures", bobs)},
    ).json()["data"]["id"]
    for wrong in (bobs_schedule, "999999", "abc"):
        refused = activate(wrong)
        assert refused.status_code == 422, wrong
        assert "active-schedule-id" in refused.text
    assert (
        client.get(url, headers=headers).json()["data"]["attributes"]["active-schedule-id"]
        == schedule
    )
    listed = client.get(f"{url}/schedules", headers=headers).json()["data"]
    assert schedule in {s["id"] for s in listed}
    assert client.delete(f"{FLAIR}/api/schedules/{schedule}", headers=headers).status_code == 204
    assert (
        client.get(url, headers=headers).json()["data"]["attributes"]["active-schedule-id"] is None
    )
    assert activate(None).status_code == 200


# ------------------------------------------------------------------ vent states
def test_vent_states_move_vents(client: httpx.Client, flair_world: FlairWorld) -> None:
    """POST /api/vent-states with a vent relationship moves the vent at once; the new state is
    the vent's current state and heads its history; a PATCH of percent-open records one too."""
    headers = _headers(client, flair_world)
    vent = first(client, headers, "vents")
    target = 0 if vent["attributes"]["percent-open"] != 0 else 100
    created = _create(
        client,
        headers,
        "vent-states",
        {"percent-open": target},
        {"vent": _link("vents", vent["id"])},
    )
    assert created.status_code == 201, created.text
    state = created.json()["data"]
    assert state["type"] == "vent-states"
    assert state["attributes"]["percent-open"] == target
    assert state["attributes"]["set-by"] == "User"
    assert state["relationships"]["vent"]["data"] == {"type": "vents", "id": vent["id"]}
    moved = client.get(f"{FLAIR}/api/vents/{vent['id']}", headers=headers).json()["data"]
    assert moved["attributes"]["percent-open"] == target
    current = client.get(f"{FLAIR}/api/vents/{vent['id']}/current-state", headers=headers)
    assert current.status_code == 200, current.text
    assert current.json()["data"]["id"] == state["id"]
    patched = client.patch(
        f"{FLAIR}/api/vents/{vent['id']}",
        headers=headers,
        json={"data": {"type": "vents", "attributes": {"percent-open": 50}}},
    )
    assert patched.status_code == 200
    history = client.get(f"{FLAIR}/api/vents/{vent['id']}/vent-states", headers=headers).json()
    assert [s["attributes"]["percent-open"] for s in history["data"][:2]] == [50, target]
    one = client.get(f"{FLAIR}/api/vent-states/{state['id']}", headers=headers)
    assert one.status_code == 200
    assert one.json()["data"] == state


@pytest.mark.parametrize(
    ("attributes", "with_vent", "named"),
    [
        ({"percent-open": 101}, True, "percent-open"),
        ({"percent-open": "50"}, True, "percent-open"),
        ({}, True, "percent-open"),
        ({"percent-open": 50}, False, "vent"),
        ({"percent-open": 50, "set-by": "System"}, True, "set-by"),
    ],
)
def test_invalid_vent_states_change_nothing(
    client: httpx.Client,
    flair_world: FlairWorld,
    attributes: dict[str, Any],
    with_vent: bool,
    named: str,
) -> None:
    """A bad vent state is 422 naming the attribute and leaves the vent where it was."""
    headers = _headers(client, flair_world)
    vent = first(client, headers, "vents")
    links = {"vent": _link("vents", vent["id"])} if with_vent else None
    refused = _create(client, headers, "vent-states", attributes, links)
    assert refused.status_code == 422, refused.text
    assert named in refused.json()["errors"][0]["detail"]
    after = client.get(f"{FLAIR}/api/vents/{vent['id']}", headers=headers).json()["data"]
    assert after["attributes"]["percent-open"] == vent["attributes"]["percent-open"]


def test_vent_states_need_vent_scopes_and_own_vents(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """vents.view cannot move a vent; another account's vent is not found."""
    vent = first(client, _headers(client, flair_world), "vents")
    view = _headers(client, flair_world, "vents.view")
    refused = _create(
        client, view, "vent-states", {"percent-open": 0}, {"vent": _link("vents", vent["id"])}
    )
    assert refused.status_code == 403
    bob = bearer(token(client, flair_world.b))
    stolen = _create(
        client, bob, "vent-states", {"percent-open": 0}, {"vent": _link("vents", vent["id"])}
    )
    assert stolen.status_code == 404
    after = client.get(f"{FLAIR}/api/vents/{vent['id']}", headers=view).json()["data"]
    assert after["attributes"]["percent-open"] == vent["attributes"]["percent-open"]


# ------------------------------------------------------------------ what the twin records
READS = [
    ("thermostats", "/flair/api/thermostats", "/flair/api/thermostats/{id}"),
    ("thermostat-states", "/flair/api/thermostat-states", "/flair/api/thermostat-states/{id}"),
    ("remote-sensors", "/flair/api/remote-sensors", "/flair/api/remote-sensors/{id}"),
    ("schedules", "/flair/api/schedules", "/flair/api/schedules/{id}"),
    ("puck-apps", "/flair/api/puck-apps", "/flair/api/puck-apps/{id}"),
    ("vent-states", "/flair/api/vent-states", "/flair/api/vent-states/{id}"),
    ("beacon-sightings", "/flair/api/beacon-sightings", "/flair/api/beacon-sightings/{id}"),
    ("weather-readings", "/flair/api/weather-readings", "/flair/api/weather-readings/{id}"),
    ("devices", "/flair/api/devices", "/flair/api/devices/{id}"),
    ("applications", "/flair/api/applications", "/flair/api/applications/{id}"),
]


@pytest.mark.parametrize(("type_name", "collection", "item"), READS, ids=[r[0] for r in READS])
def test_the_demo_home_has_every_resource(
    client: httpx.Client, flair_world: FlairWorld, type_name: str, collection: str, item: str
) -> None:
    """Each resource type has resources in the demo home, served as collection and single
    documents with exactly the type's attributes."""
    headers = _headers(client, flair_world)
    listed = client.get(collection, headers=headers)
    assert listed.status_code == 200, listed.text
    data = listed.json()["data"]
    assert data, f"the demo home has no {type_name}"
    one = client.get(item.format(id=data[0]["id"]), headers=headers)
    assert one.status_code == 200
    assert one.json()["data"] == data[0]
    assert one.json()["meta"] == {"self": item.format(id=data[0]["id"]).removeprefix(FLAIR)}
    assert data[0]["type"] == type_name
    created = [r["attributes"]["created-at"] for r in data]
    if type_name in ("thermostat-states", "vent-states", "beacon-sightings", "weather-readings"):
        assert created == sorted(created, reverse=True), "history comes newest first"


# ------------------------------------------------------------------ the document's spellings
@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ({"current-state": {"power": True, "mode": 1, "temperature": 24}}, {"power": "On"}),
        ({"current-state": {"power": False}}, {"power": "Off"}),
        ({"current-state": {"mode": 0}}, {"mode": "Cool"}),
        ({"make": "Mitsubishi", "model": "MSZ-FH"}, {"make-name": "Mitsubishi"}),
    ],
)
def test_hvac_units_accept_the_documents_current_state(
    client: httpx.Client, flair_world: FlairWorld, written: dict[str, Any], expected: dict[str, Any]
) -> None:
    """The document's `current-state` object (boolean power, mode 0/1) and `make`/`model`
    write the real flat attributes."""
    headers = _headers(client, flair_world)
    unit = first(client, headers, "hvac-units")
    url = f"{FLAIR}/api/hvac-units/{unit['id']}"
    changed = client.patch(
        url, headers=headers, json={"data": {"type": "hvac-units", "attributes": written}}
    )
    assert changed.status_code == 200, changed.text
    attributes = changed.json()["data"]["attributes"]
    for name, value in expected.items():
        assert attributes[name] == value
    if "mode" in written.get("current-state", {}) and written["current-state"]["mode"] == 1:
        assert attributes["mode"] == "Heat"
        assert attributes["temperature"] == 24
    restored = client.patch(
        url,
        headers=headers,
        json={"data": {"type": "hvac-units", "attributes": {"power": unit["attributes"]["power"]}}},
    )
    assert restored.status_code == 200


@pytest.mark.parametrize(
    "state", [{"power": "yes"}, {"mode": 2}, {"mode": True}, {"fan-speed": 2.0}, "on"]
)
def test_bad_hvac_current_state_is_422(
    client: httpx.Client, flair_world: FlairWorld, state: Any
) -> None:
    """A current-state the document does not allow names what is wrong."""
    headers = _headers(client, flair_world)
    unit = first(client, headers, "hvac-units")
    refused = client.patch(
        f"{FLAIR}/api/hvac-units/{unit['id']}",
        headers=headers,
        json={"data": {"type": "hvac-units", "attributes": {"current-state": state}}},
    )
    assert refused.status_code == 422, refused.text
    assert "current-state" in refused.json()["errors"][0]["detail"]


def test_the_demo_thermostat_reports_its_newest_state(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """A thermostat's mode, operating state and set point are its newest state's; the state
    history, the current state, its room sensor and `include=` all agree."""
    headers = _headers(client, flair_world)
    listed = client.get(
        f"{FLAIR}/api/thermostats?include=current-state,remote-sensor,room", headers=headers
    )
    assert listed.status_code == 200, listed.text
    body = listed.json()
    thermostat = body["data"][0]
    included = {(r["type"], r["id"]): r for r in body["included"]}
    states = client.get(
        f"{FLAIR}/api/thermostats/{thermostat['id']}/thermostat-states", headers=headers
    ).json()["data"]
    newest = states[0]
    assert ("thermostat-states", newest["id"]) in included
    current = client.get(
        f"{FLAIR}/api/thermostats/{thermostat['id']}/current-state", headers=headers
    ).json()["data"]
    assert current == newest
    attributes = thermostat["attributes"]
    assert attributes["operating-state"] == newest["attributes"]["operating-state"]
    assert attributes["operating-state"] in ("heat", "cool", "idle")
    assert attributes["mode"] == newest["attributes"]["mode"]
    assert attributes["current-set-point"] == newest["attributes"]["target-temperature-c"]
    assert attributes["is-offline"] is False
    assert newest["relationships"]["thermostat"]["data"]["id"] == thermostat["id"]
    sensor = thermostat["relationships"]["remote-sensor"]["data"]
    assert included[("remote-sensors", sensor["id"])]["attributes"]["is-tstat"] is True
    room = thermostat["relationships"]["room"]["data"]
    assert ("rooms", room["id"]) in included
    in_room = client.get(f"{FLAIR}/api/rooms/{room['id']}", headers=headers).json()["data"]
    assert in_room["relationships"]["thermostat"]["data"] == {
        "type": "thermostats",
        "id": thermostat["id"],
    }
    sensors = in_room["relationships"]["remote-sensors"]["data"]
    assert {"type": "remote-sensors", "id": sensor["id"]} in sensors
    ambient = newest["attributes"]["ambient-temperature-c"]
    assert 10.0 < ambient < 35.0
    assert abs(ambient - in_room["attributes"]["current-temperature-c"]) < 1.5


def test_weather_and_sightings_in_the_demo_home(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """Weather readings belong to the structure, every 15 minutes, with the day's sun; the
    phone's sightings carry the iPhone's fields and link their puck and device."""
    headers = _headers(client, flair_world)
    structure = first(client, headers, "structures")["id"]
    weather = client.get(
        f"{FLAIR}/api/structures/{structure}/weather-readings?page[size]=8", headers=headers
    ).json()["data"]
    assert len(weather) == 8
    created = [w["attributes"]["created-at"] for w in weather]
    assert created == sorted(created, reverse=True)
    for reading in weather:
        attributes = reading["attributes"]
        assert attributes["sunrise"] < attributes["created-at"][:10] + "T23:59:59"
        assert attributes["sunrise"] < attributes["sunset"]
        assert attributes["condition"] in ("Clear", "Clouds", "Rain")
        assert -40 < attributes["outside-temperature-c"] < 50
        assert reading["relationships"]["structure"]["data"]["id"] == structure
    sighting = first(client, headers, "beacon-sightings")
    attributes = sighting["attributes"]
    assert attributes["distance-string"] in ("Immediate", "Near", "Far")
    assert attributes["accuracy"] > 0
    assert attributes["txpower"] is None  # Android only
    assert -100 < attributes["rssi"] < -40
    device = sighting["relationships"]["device"]["data"]["id"]
    phone = client.get(f"{FLAIR}/api/devices/{device}", headers=headers).json()["data"]
    assert "iPhone" in phone["attributes"]["user-agent"]
    puck = sighting["relationships"]["puck"]["data"]["id"]
    heard = client.get(f"{FLAIR}/api/pucks/{puck}/beacon-sightings", headers=headers).json()
    assert sighting["id"] in {s["id"] for s in heard["data"]}


# Links to readings, states and sightings: thousands a month, so `include=` refuses them.
HISTORIES = {
    "vents": ("sensor-readings", "vent-states"),
    "pucks": ("sensor-readings", "beacon-sightings"),
    "thermostats": ("thermostat-states",),
    "structures": ("weather-readings",),
    "devices": ("beacon-sightings",),
}


@pytest.mark.parametrize("type_name", sorted(TYPES))
def test_every_link_of_every_type_answers(
    client: httpx.Client, flair_world: FlairWorld, type_name: str
) -> None:
    """For a resource of each type: each relationship's related endpoint, its relationship
    endpoint (where it has one) and `include=` of it answer 200 with what the resource's own
    linkage says."""
    headers = _headers(client, flair_world)
    if type_name == "callbacks":  # the demo home has none: register one
        structure = first(client, headers, "structures")["id"]
        made = _create(
            client,
            headers,
            "callbacks",
            {"webhookurl": "http://127.0.0.1:9/hook", "event_type": "vent"},
            {"structure": _link("structures", structure)},
        )
        assert made.status_code == 201, made.text
    listed = client.get(f"{FLAIR}/api/{type_name}?page[size]=1", headers=headers)
    assert listed.status_code == 200, listed.text
    resource = listed.json()["data"][0]
    base = f"{FLAIR}/api/{type_name}/{resource['id']}"
    for name, link in resource["relationships"].items():
        related = client.get(f"{base}/{name}", headers=headers)
        assert related.status_code == 200, (name, related.text)
        data = related.json()["data"]
        if "self" in link["links"]:
            linkage = client.get(f"{base}/relationships/{name}", headers=headers)
            assert linkage.status_code == 200, (name, linkage.text)
            if "data" in link:
                assert linkage.json()["data"] == _without_typed_null(link["data"]), name
        if isinstance(data, list):
            found = [{"type": r["type"], "id": r["id"]} for r in data]
            if isinstance(link.get("data"), list):
                assert found == link["data"][: len(found)], name
        elif "data" in link:
            expected = _without_typed_null(link["data"])
            assert (None if data is None else {"type": data["type"], "id": data["id"]}) == (
                expected
            ), name
        included = client.get(f"{base}?include={name}", headers=headers)
        history = name in HISTORIES.get(type_name, ())
        assert included.status_code == (400 if history else 200), (name, included.text)
        if history:  # a history is paged through its related endpoint, never included
            assert f"/api/{type_name}/<id>/{name}" in included.json()["errors"][0]["detail"]
    if type_name == "callbacks":
        assert client.delete(base, headers=headers).status_code == 204


def _without_typed_null(data: Any) -> Any:
    """A to-one link the real service writes as {"type": ..., "id": null} is empty."""
    return None if isinstance(data, dict) and data.get("id") is None else data


def test_related_histories_page_in_the_database(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """A puck's readings under /api/pucks/<id>/sensor-readings page like a collection:
    newest first, page 2 continues page 1, and meta counts every reading."""
    headers = _headers(client, flair_world)
    puck = first(client, headers, "pucks")["id"]
    url = f"{FLAIR}/api/pucks/{puck}/sensor-readings"
    one = client.get(url, params={"page[size]": 20}, headers=headers).json()
    two = client.get(url, params={"page[size]": 10, "page[page]": 2}, headers=headers).json()
    assert [r["id"] for r in two["data"]] == [r["id"] for r in one["data"][10:20]]
    stamps = [r["attributes"]["created-at"] for r in one["data"]]
    assert stamps == sorted(stamps, reverse=True)
    total = int(one["meta"]["last"].rsplit("page%5Bpage%5D=", 1)[1])
    last = client.get(url, params={"page[size]": 20, "page[page]": total}, headers=headers).json()
    assert 1 <= len(last["data"]) <= 20
    assert last["meta"]["next"] is None
    whole = client.get(url, params={"page[size]": 1000}, headers=headers).json()["data"]
    assert len(whole) < 1000
    assert (total - 1) * 20 + len(last["data"]) == len(whole)
    assert [r["id"] for r in whole[:20]] == [r["id"] for r in one["data"]]
    assert len({r["id"] for r in whole}) == len(whole)


def test_puck_apps_follow_their_puck_between_structures(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """A puck moved into a room of another structure takes its apps (and a room moved takes
    its thermostat): deleting the structure it left leaves them alone."""
    headers = _headers(client, flair_world)

    def made(response: httpx.Response) -> str:
        assert response.status_code == 201, response.text
        return str(response.json()["data"]["id"])

    homes = [made(_create(client, headers, "structures", {"name": f"Cabin {n}"})) for n in (1, 2)]
    rooms = [
        made(
            _create(
                client, headers, "rooms", {"name": "Den"}, {"structure": _link("structures", h)}
            )
        )
        for h in homes
    ]
    puck = made(
        _create(
            client,
            headers,
            "pucks",
            {"name": "Traveller"},
            {"structure": _link("structures", homes[0]), "room": _link("rooms", rooms[0])},
        )
    )
    app = made(
        _create(
            client, headers, "puck-apps", {"app-type": "occupancy"}, {"puck": _link("pucks", puck)}
        )
    )
    thermostat = made(
        _create(
            client,
            headers,
            "thermostats",
            {"name": "Wall"},
            {"structure": _link("structures", homes[0]), "room": _link("rooms", rooms[0])},
        )
    )
    moved = client.patch(
        f"{FLAIR}/api/pucks/{puck}/relationships/room",
        headers=headers,
        json={"data": {"type": "rooms", "id": rooms[1]}},
    )
    assert moved.status_code == 200, moved.text
    carried = client.patch(
        f"{FLAIR}/api/rooms/{rooms[0]}/relationships/structure",
        headers=headers,
        json={"data": {"type": "structures", "id": homes[1]}},
    )
    assert carried.status_code == 200, carried.text
    assert client.delete(f"{FLAIR}/api/structures/{homes[0]}", headers=headers).status_code == 204
    try:
        assert client.get(f"{FLAIR}/api/puck-apps/{app}", headers=headers).status_code == 200
        kept = client.get(f"{FLAIR}/api/thermostats/{thermostat}", headers=headers)
        assert kept.status_code == 200
        assert kept.json()["data"]["relationships"]["structure"]["data"]["id"] == homes[1]
    finally:
        assert (
            client.delete(f"{FLAIR}/api/structures/{homes[1]}", headers=headers).status_code == 204
        )
    assert client.get(f"{FLAIR}/api/puck-apps/{app}", headers=headers).status_code == 404
