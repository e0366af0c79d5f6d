"""Flair API through HTTP: OAuth2 grants, scopes, JSON:API documents checked against the real
service's recorded traffic, paging, writes, relationships and tenant isolation."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

import httpx
import pytest

from ductwork.vendors.flair.models import TYPES
from tests.conftest import FLAIR, FlairTenant, FlairWorld, World, flair, flair_home_tenant

RECORDED = Path(__file__).parent / "data" / "flair_recorded"
EVERY_SCOPE = " ".join(
    f"{r}.{level}"
    for r in (
        "users",
        "structures",
        "vents",
        "pucks",
        "sensors",
        "applications",
        "puck-apps",
        "thermostats",
    )
    for level in ("view", "edit")
)
JSON_UTF8 = "application/json; charset=utf-8"


def token(
    client: httpx.Client,
    tenant: FlairTenant,
    scope: str = EVERY_SCOPE,
    path: str = "/flair/oauth2/token",
) -> str:
    """A client-credentials access token for the tenant's application."""
    response = client.post(
        path,
        data={
            "grant_type": "client_credentials",
            "scope": scope,
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(access_token: str) -> dict[str, str]:
    """The Authorization header for a token."""
    return {"Authorization": f"Bearer {access_token}"}


def first(client: httpx.Client, headers: dict[str, str], type_name: str) -> dict[str, Any]:
    """The first resource of a collection."""
    response = client.get(f"{FLAIR}/api/{type_name}", headers=headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    assert data, f"no {type_name}"
    return data[0]


# ------------------------------------------------------------------ OAuth2
def _send(
    client: httpx.Client, path: str, placement: str, params: dict[str, str]
) -> httpx.Response:
    if placement == "form":
        return client.post(path, data=params)
    if placement == "query":
        return client.post(path, params=params, content=b"")
    return client.post(path, json=params)


@pytest.mark.parametrize("placement", ["form", "query", "json"])
@pytest.mark.parametrize("path", ["/flair/oauth/token", "/flair/oauth2/token"])
@pytest.mark.parametrize("grant", ["client_credentials", "password"])
def test_token_grants_in_every_placement(
    client: httpx.Client, flair_world: FlairWorld, placement: str, path: str, grant: str
) -> None:
    """Both grants, on both paths, with parameters in a form, the query string or JSON; the
    token works on the API; refresh tokens as docs/flair.md decides."""
    tenant = flair_world.a
    params = {
        "grant_type": grant,
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        "scope": "structures.view,vents.edit+pucks.view",
    }
    if grant == "password":
        params.update(username=tenant.email, password=tenant.password)
    response = _send(client, path, placement, params)
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["token_type"] == "Bearer"
    # The newer credentials' client-credentials tokens live a day (docs/flair.md: flairaio).
    day = path.endswith("oauth2/token") and grant == "client_credentials"
    assert body["expires_in"] == (86_400 if day else 3600)
    assert body["scope"] == "structures.view vents.edit pucks.view"
    refresh = path.endswith("oauth2/token") or grant == "password"
    assert ("refresh_token" in body) is refresh
    assert list(body)[:4] == ["access_token", "expires_in", "token_type", "scope"]
    rooms = client.get(f"{FLAIR}/api/rooms", headers=bearer(body["access_token"]))
    assert rooms.status_code == 200


def test_document_spelling_of_parameters(client: httpx.Client, flair_world: FlairWorld) -> None:
    """The document's `scopes` and `client credentials` are accepted too."""
    tenant = flair_world.a
    response = client.post(
        "/flair/oauth/token",
        json={
            "grant_type": "client credentials",
            "client_id": tenant.client_id,
            "client_secret": tenant.client_secret,
            "scopes": "users.view structures.view",
        },
    )
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "users.view structures.view"


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client"),
        ({"client_id": "nobody"}, 401, "invalid_client"),
        ({"grant_type": "telepathy"}, 400, "unsupported_grant_type"),
        ({"scope": "vents.view nonsense.view"}, 400, "invalid_scope"),
        (
            {"grant_type": "password", "username": "x@example.com", "password": "bad"},
            400,
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "refresh_token": "forged"}, 400, "invalid_grant"),
    ],
)
def test_token_errors_are_rfc6749_json(
    client: httpx.Client, flair_world: FlairWorld, change: dict[str, str], status: int, error: str
) -> None:
    """Bad requests get RFC 6749 error JSON with no-store caching."""
    tenant = flair_world.a
    params = {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_secret": tenant.client_secret,
        **change,
    }
    response = client.post("/flair/oauth2/token", data=params)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert response.headers["cache-control"] == "no-store"


def test_client_secret_in_basic_auth(client: httpx.Client, flair_world: FlairWorld) -> None:
    """client_secret_basic works as well as the secret in the parameters."""
    tenant = flair_world.a
    response = client.post(
        "/flair/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(tenant.client_id, tenant.client_secret),
    )
    assert response.status_code == 200, response.text
    assert "users.edit" in response.json()["scope"].split()


def test_application_may_not_exceed_its_scopes(client: httpx.Client, world: Any) -> None:
    """An application registered for some scopes cannot request others."""
    account = world.runtime.accounts.by_email(world.a.email)
    application, secret = flair(world.runtime).applications.create(
        account, "narrow", scopes=("vents.view",)
    )
    params = {
        "grant_type": "client_credentials",
        "client_id": application.client_id,
        "client_secret": secret,
    }
    narrow = client.post("/flair/oauth2/token", data={**params, "scope": "vents.edit"})
    assert narrow.status_code == 400
    assert narrow.json()["error"] == "invalid_scope"
    default = client.post("/flair/oauth2/token", data=params)
    assert default.json()["scope"] == "vents.view"


def test_refresh_token_rotates_and_revokes(client: httpx.Client, flair_world: FlairWorld) -> None:
    """A refresh gives a new pair with the same scopes; the old pair stops working."""
    tenant = flair_world.a
    base = {"client_id": tenant.client_id, "client_secret": tenant.client_secret}
    first_pair = client.post(
        "/flair/oauth2/token",
        data={
            **base,
            "grant_type": "password",
            "username": tenant.email,
            "password": tenant.password,
            "scope": "vents.view",
        },
    ).json()
    refreshed = client.post(
        "/flair/oauth2/token",
        data={**base, "grant_type": "refresh_token", "refresh_token": first_pair["refresh_token"]},
    )
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()
    assert second["scope"] == "vents.view"
    assert second["access_token"] != first_pair["access_token"]
    assert (
        client.get(f"{FLAIR}/api/vents", headers=bearer(second["access_token"])).status_code == 200
    )
    old = client.get(f"{FLAIR}/api/vents", headers=bearer(first_pair["access_token"]))
    assert old.status_code == 401
    again = client.post(
        "/flair/oauth2/token",
        data={**base, "grant_type": "refresh_token", "refresh_token": first_pair["refresh_token"]},
    )
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(("path", "lifetime"), [("/flair/oauth/token", 3600),
                                                ("/flair/oauth2/token", 86_400)])  # fmt: skip
def test_token_expires_on_the_account_clock(
    client: httpx.Client, world: World, path: str, lifetime: int
) -> None:
    """Client-credentials tokens live an hour (legacy path) or a day (/oauth2/token) of the
    account's own time (an account of its own: its clock moves a day)."""
    tenant = flair_home_tenant(world.runtime, f"expiry-{secrets.token_hex(4)}@example.com")
    access = token(client, tenant, path=path)
    assert client.get(f"{FLAIR}/api/me", headers=bearer(access)).status_code == 200
    clock = {"account": tenant.email, "advance_seconds": lifetime - 2}
    assert client.post("/_ductwork/clock", json=clock).status_code == 200
    assert client.get(f"{FLAIR}/api/me", headers=bearer(access)).status_code == 200
    clock["advance_seconds"] = 3
    assert client.post("/_ductwork/clock", json=clock).status_code == 200
    expired = client.get(f"{FLAIR}/api/me", headers=bearer(access))
    assert expired.status_code == 401
    assert expired.json()["errors"][0]["status"] == "401"


def test_tokens_and_secrets_are_stored_hashed(client: httpx.Client, world: Any) -> None:
    """Neither the client secret nor issued tokens appear in the database."""
    account = world.runtime.accounts.by_email(world.a.email)
    application, secret = flair(world.runtime).applications.create(account, "hashing")
    issued = client.post(
        "/flair/oauth2/token",
        data={
            "grant_type": "client_credentials",
            "client_id": application.client_id,
            "client_secret": secret,
        },
    ).json()
    with world.runtime.engine.connect() as connection:
        from sqlalchemy import text

        dump = " ".join(
            str(row)
            for table in ("flair_applications", "flair_tokens")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    for value in (secret, issued["access_token"], issued["refresh_token"]):
        assert value not in dump


# ------------------------------------------------------------------ scopes and tokens
def test_api_root_needs_no_token(client: httpx.Client) -> None:
    """GET /api/ lists every type as {self, type}; no token needed."""
    for path in ("/flair/api/", "/flair/api"):
        response = client.get(path)
        assert response.status_code == 200
        links = response.json()["links"]
        assert links["vents"] == {"self": "/api/vents", "type": "vents"}
        assert {"users", "structures", "rooms", "pucks", "sensor-readings"} <= set(links)


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer nonsense", "Basic eDp5"])
def test_missing_or_bad_token_is_401(client: httpx.Client, authorization: str | None) -> None:
    """No valid bearer token: 401 as a JSON:API error array, with a Bearer challenge."""
    headers = {"Authorization": authorization} if authorization else {}
    response = client.get(f"{FLAIR}/api/vents", headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json() == {
        "errors": [
            {
                "status": "401",
                "title": "Unauthorized",
                "detail": response.json()["errors"][0]["detail"],
            }
        ]
    }


# type → (a scope that reaches it, the path of one of its resources' collection)
SCOPED = [
    ("users", "users"),
    ("structures", "structures"),
    ("zones", "structures"),
    ("rooms", "structures"),
    ("vents", "vents"),
    ("pucks", "pucks"),
    ("hvac-units", "structures"),
    ("bridges", "structures"),
    ("sensor-readings", "sensors"),
    ("vent-sensor-readings", "structures"),
    ("applications", "applications"),
    ("puck-apps", "puck-apps"),
    ("thermostats", "thermostats"),
    ("thermostat-states", "thermostats"),
    ("remote-sensors", "sensors"),
    ("schedules", "structures"),
    ("vent-states", "vents"),
    ("beacon-sightings", "sensors"),
    ("weather-readings", "sensors"),
    ("devices", "users"),
]


@pytest.mark.parametrize(("type_name", "resource"), SCOPED, ids=[s[0] for s in SCOPED])
def test_scope_enforcement(
    client: httpx.Client, flair_world: FlairWorld, type_name: str, resource: str
) -> None:
    """view allows GET only; edit allows writes; a token without the scope gets 403."""
    tenant = flair_world.a
    full = bearer(token(client, tenant))
    item = first(client, full, type_name)
    single = f"{FLAIR}/api/{type_name}/{item['id']}"
    view = bearer(token(client, tenant, f"{resource}.view"))
    other = "thermostats.view" if resource != "thermostats" else "users.view"
    none = bearer(token(client, tenant, other))
    assert client.get(f"{FLAIR}/api/{type_name}", headers=view).status_code == 200
    assert client.get(single, headers=view).status_code == 200
    for headers in (none,):
        refused = client.get(f"/flair/api/{type_name}", headers=headers)
        assert refused.status_code == 403
        error = refused.json()["errors"][0]
        assert error["status"] == "403"
        assert error["title"] == "Forbidden"
        assert resource in error["detail"]
        assert client.get(single, headers=headers).status_code == 403
    patch = {"data": {"type": type_name, "attributes": {}}}
    assert client.patch(single, json=patch, headers=view).status_code in (403, 405)
    # Every write method a type serves needs the edit scope (the view token is refused with
    # 403 before the body is looked at); a method it does not serve is 405 for everyone.
    kind = TYPES[type_name]
    for method, url, served in (
        ("POST", f"{FLAIR}/api/{type_name}", kind.creatable or type_name == "users"),
        ("DELETE", single, kind.deletable or type_name == "users"),
    ):
        refused = client.request(method, url, json={"data": {"type": type_name}}, headers=view)
        assert refused.status_code == (403 if served else 405), (method, refused.text)
    assert client.get(single, headers=view).status_code == 200  # nothing was deleted
    edit = bearer(token(client, tenant, f"{resource}.edit"))
    editable = client.patch(single, json=patch, headers=edit)
    assert editable.status_code in (200, 405), editable.text
    assert client.get(single, headers=edit).status_code == 200


# ------------------------------------------------------------------ documents vs recorded traffic
def _recorded(type_name: str) -> dict[str, Any]:
    for path in sorted(RECORDED.glob("*.json")):
        for exchange in json.loads(path.read_text()):
            data = (
                exchange["response"].get("data") if isinstance(exchange["response"], dict) else None
            )
            items = data if isinstance(data, list) else [data] if data else []
            for item in items:
                if item.get("type") == type_name:
                    return dict(item)
    raise AssertionError(f"no recorded {type_name}")


# Recorded attributes ductwork does not model (features of the real service outside the twin).
NOT_MODELLED = {
    "users": {
        "default-temperature-preference-c",
        "no-proactive",
        "contractor-validated",
        "sales-channel",
        "review-prompted",
        "betas",
        "notification-settings-prompted",
        "beta-bridge-user",
        "review-stars",
    },
    "pucks": {
        "ir-setup-enabled",
        "ir-download",
        "last-reported-as-gateway",
        "oauth-app-assigned-at",
        "temperature-offset-c",
        "demo-mode",
        "bluetooth-tx-power-mw",
        "features",
        "humidity-offset",
        "sub-ghz-radio-tx-power-mw",
        "ignore-readings-for-room",
        "beacon-interval-ms",
    },
    "vents": set(),
    "rooms": {"hold-until-schedule-event"},
    "sensor-readings": {
        "temperature",
        "rotary-encoded-clicks",
        "current-offset",
        "firmware-version-w",
        "firmware-version-b",
        "die-temperature",
    },
    "vent-sensor-readings": set(),
}


def _json_type(value: Any) -> str:
    return (
        "number"
        if isinstance(value, int | float) and not isinstance(value, bool)
        else (type(value).__name__)
    )


@pytest.mark.parametrize(
    ("type_name", "path"),
    [
        ("users", "/flair/api/users"),
        ("pucks", "/flair/api/pucks"),
        ("vents", "/flair/api/vents"),
        ("rooms", "/flair/api/rooms"),
        ("sensor-readings", "/flair/api/pucks/{puck}/current-reading"),
        ("vent-sensor-readings", "/flair/api/vents/{vent}/current-reading"),
    ],
)
def test_documents_match_recorded_traffic(
    client: httpx.Client, flair_world: FlairWorld, type_name: str, path: str
) -> None:
    """Document and resource-object shapes, attribute names and value types, and relationship
    links are the real service's for every attribute and link both have."""
    headers = bearer(token(client, flair_world.a))
    ids = {
        "puck": first(client, headers, "pucks")["id"],
        "vent": first(client, headers, "vents")["id"],
    }
    response = client.get(path.format(**ids), headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == JSON_UTF8
    body = response.json()
    data = body["data"]
    ours = data[0] if isinstance(data, list) else data
    recorded = _recorded(type_name)
    if isinstance(data, list):
        assert set(body) == {"meta", "data"}
        assert set(body["meta"]) == {"self", "first", "last", "next", "prev"}
        assert (
            body["meta"]["first"]
            == f"{path.removeprefix(FLAIR)}?include=&page%5Bsize%5D=50&page%5Bpage%5D=1"
        )
    else:
        assert body["meta"] == {"self": path.format(**ids).removeprefix(FLAIR)}
    assert set(ours) == {"type", "id", "attributes", "relationships"}
    assert isinstance(ours["id"], str)
    missing = set(recorded["attributes"]) - set(ours["attributes"]) - NOT_MODELLED[type_name]
    assert not missing, f"recorded {type_name} attributes not served: {missing}"
    for name, value in recorded["attributes"].items():
        if (
            name in ours["attributes"]
            and value is not None
            and ours["attributes"][name] is not None
        ):
            assert _json_type(ours["attributes"][name]) == _json_type(value), name
    for name, link in ours["relationships"].items():
        base = f"/api/{type_name}/{ours['id']}"
        assert link["links"]["related"] == f"{base}/{name}"
        if "self" in link["links"]:
            assert link["links"]["self"] == f"{base}/relationships/{name}"
        if name in recorded["relationships"]:
            assert set(link["links"]) == set(recorded["relationships"][name]["links"]), name
            assert ("data" in link) == ("data" in recorded["relationships"][name]), name


@pytest.mark.parametrize(
    "accept",
    [
        "application/json",
        "*/*",
        "application/vnd.api+json",
        "application/vnd.api+json; co.flair.api.version=1",
        None,
    ],
)
def test_every_observed_media_type_is_served(
    client: httpx.Client, flair_world: FlairWorld, accept: str | None
) -> None:
    """Every Accept header real clients send gets the same JSON."""
    headers = bearer(token(client, flair_world.a))
    if accept is not None:
        headers["Accept"] = accept
    response = client.get(f"{FLAIR}/api/structures", headers=headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == JSON_UTF8
    assert response.json()["data"][0]["type"] == "structures"


def test_values_are_in_real_ranges(client: httpx.Client, flair_world: FlairWorld) -> None:
    """Battery voltages, RSSI, percent-open and temperatures as the real devices report them."""
    headers = bearer(token(client, flair_world.a))
    for vent in client.get(f"{FLAIR}/api/vents", headers=headers).json()["data"]:
        attributes = vent["attributes"]
        assert attributes["percent-open"] in range(101)
        assert 2.6 <= attributes["voltage"] <= 3.45
        assert -90 <= attributes["current-rssi"] <= -45
    for puck in client.get(f"{FLAIR}/api/pucks", headers=headers).json()["data"]:
        attributes = puck["attributes"]
        assert 3.0 <= attributes["voltage"] <= 3.45
        assert 10.0 < attributes["current-temperature-c"] < 35.0
        assert 0 <= attributes["current-humidity"] <= 100
    reading = client.get(f"{FLAIR}/api/vent-sensor-readings", headers=headers).json()["data"][0]
    assert 95.0 < reading["attributes"]["duct-pressure"] < 106.0  # kPa absolute


# ------------------------------------------------------------------ paging and include
def test_paging_through_meta(client: httpx.Client, flair_world: FlairWorld) -> None:
    """page[size] and page[page] walk a collection; meta links point at the neighbours."""
    headers = bearer(token(client, flair_world.a))
    everything = client.get(f"{FLAIR}/api/vents", headers=headers).json()["data"]
    seen: list[str] = []
    page = 1
    while True:
        response = client.get(
            f"{FLAIR}/api/vents",
            params={"page[size]": "3", "page[page]": str(page)},
            headers=headers,
        )
        assert response.status_code == 200
        body = response.json()
        assert len(body["data"]) <= 3
        seen += [v["id"] for v in body["data"]]
        meta = body["meta"]
        assert meta["first"] == "/api/vents?include=&page%5Bsize%5D=3&page%5Bpage%5D=1"
        if page == 1:
            assert meta["prev"] is None
        else:
            assert meta["prev"] == f"/api/vents?include=&page%5Bsize%5D=3&page%5Bpage%5D={page - 1}"
        if meta["next"] is None:
            assert meta["last"] == f"/api/vents?include=&page%5Bsize%5D=3&page%5Bpage%5D={page}"
            break
        page += 1
    assert seen == [v["id"] for v in everything]
    assert len(everything) == 8
    beyond = client.get(
        f"{FLAIR}/api/vents", params={"page[size]": "3", "page[page]": "99"}, headers=headers
    ).json()
    assert beyond["data"] == []
    assert beyond["meta"]["prev"] == "/api/vents?include=&page%5Bsize%5D=3&page%5Bpage%5D=98"
    assert beyond["meta"]["next"] is None
    for bad in ("0", "x", "-2"):
        refused = client.get(f"{FLAIR}/api/vents", params={"page[size]": bad}, headers=headers)
        assert refused.status_code == 400


def test_include_related_resources(client: httpx.Client, flair_world: FlairWorld) -> None:
    """include= adds the linked resources once each; without it there is no `included`."""
    headers = bearer(token(client, flair_world.a))
    plain = client.get(f"{FLAIR}/api/rooms", headers=headers).json()
    assert "included" not in plain
    body = client.get(
        f"{FLAIR}/api/rooms", params={"include": "vents,structure"}, headers=headers
    ).json()
    linked = {
        (v["type"], v["id"])
        for room in body["data"]
        for v in room["relationships"]["vents"]["data"]
    }
    included = [(i["type"], i["id"]) for i in body["included"]]
    assert len(included) == len(set(included))
    assert linked | {
        ("structures", plain["data"][0]["relationships"]["structure"]["data"]["id"])
    } == set(included)
    assert body["meta"]["first"].startswith("/api/rooms?include=vents,structure&")
    assert (
        client.get(
            f"{FLAIR}/api/rooms", params={"include": "nonsense"}, headers=headers
        ).status_code
        == 400
    )


def test_related_endpoints(client: httpx.Client, flair_world: FlairWorld) -> None:
    """/api/<type>/<id>/<rel> serves the linked resources, to-one or to-many."""
    headers = bearer(token(client, flair_world.a))
    structure = first(client, headers, "structures")
    rooms = client.get(f"/flair/api/structures/{structure['id']}/rooms", headers=headers).json()
    assert [r["type"] for r in rooms["data"]] == ["rooms"] * 5
    assert rooms["meta"]["self"] == f"/api/structures/{structure['id']}/rooms"
    vent = first(client, headers, "vents")
    room = client.get(f"{FLAIR}/api/vents/{vent['id']}/room", headers=headers).json()
    assert room["data"]["id"] == vent["relationships"]["room"]["data"]["id"]
    readings = client.get(
        f"{FLAIR}/api/vents/{vent['id']}/sensor-readings",
        params={"page[size]": "5"},
        headers=headers,
    ).json()
    assert len(readings["data"]) == 5
    times = [r["attributes"]["created-at"] for r in readings["data"]]
    assert times == sorted(times, reverse=True)
    current = client.get(f"{FLAIR}/api/vents/{vent['id']}/current-reading", headers=headers)
    assert current.json()["data"]["id"] == readings["data"][0]["id"]
    puck = first(client, headers, "pucks")
    reading = client.get(f"{FLAIR}/api/pucks/{puck['id']}/current-reading", headers=headers).json()
    assert reading["data"]["relationships"]["puck"]["data"] == {"type": "pucks", "id": puck["id"]}
    assert (
        reading["data"]["attributes"]["room-temperature-c"]
        == puck["attributes"]["current-temperature-c"]
    )
    me = client.get("/flair/api/me", headers=headers).json()
    assert me["data"]["attributes"]["email"] == flair_world.a.email
    mine = client.get(f"{FLAIR}/api/users/{me['data']['id']}/structures", headers=headers).json()
    assert [s["id"] for s in mine["data"]] == [structure["id"]]


# ------------------------------------------------------------------ writes
def test_patch_vent_as_real_clients_do(client: httpx.Client, flair_world: FlairWorld) -> None:
    """PATCH with relationships {} and without data.id: 200 with the whole vent."""
    headers = bearer(token(client, flair_world.a))
    vent = first(client, headers, "vents")
    for percent in (50, 0):
        response = client.patch(
            f"{FLAIR}/api/vents/{vent['id']}",
            headers=headers,
            json={
                "data": {
                    "type": "vents",
                    "attributes": {"percent-open": percent},
                    "relationships": {},
                }
            },
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["meta"] == {"self": f"/api/vents/{vent['id']}"}
        assert body["data"]["attributes"]["percent-open"] == percent
        assert body["data"]["attributes"]["percent-open-reason"] == "Manual by User"
    alias = client.patch(
        f"{FLAIR}/api/vents/{vent['id']}",
        headers=headers,
        json={
            "data": {
                "id": vent["id"],
                "type": "vents",
                "attributes": {"current-vent-state": {"precent-open": 100}},
            }
        },
    )
    assert alias.json()["data"]["attributes"]["percent-open"] == 100


@pytest.mark.parametrize(
    ("type_name", "attributes", "named"),
    [
        ("vents", {"voltage": 3.0}, "voltage"),
        ("vents", {"percent-open": 101}, "percent-open"),
        ("vents", {"percent-open": "50"}, "percent-open"),
        ("rooms", {"set-point-c": 40}, "set-point-c"),
        ("rooms", {"current-temperature-c": 20}, "current-temperature-c"),
        ("structures", {"mode": "sometimes"}, "mode"),
        ("pucks", {"colour": "red"}, "colour"),
        ("vents", {"current-vent-state": {"battery-level": 1}}, "current-vent-state.battery-level"),
    ],
)
def test_invalid_writes_are_422_naming_the_attribute(
    client: httpx.Client,
    flair_world: FlairWorld,
    type_name: str,
    attributes: dict[str, Any],
    named: str,
) -> None:
    """A non-editable, unknown or out-of-range attribute: 422 whose detail names it."""
    headers = bearer(token(client, flair_world.a))
    item = first(client, headers, type_name)
    response = client.patch(
        f"{FLAIR}/api/{type_name}/{item['id']}",
        headers=headers,
        json={"data": {"type": type_name, "attributes": attributes}},
    )
    assert response.status_code == 422, response.text
    error = response.json()["errors"][0]
    assert error["status"] == "422"
    assert error["title"] == "Unprocessable Entity"
    assert named in error["detail"]


def test_type_mismatch_and_bad_bodies(client: httpx.Client, flair_world: FlairWorld) -> None:
    """Wrong type or id: 409; not a document: 400."""
    headers = bearer(token(client, flair_world.a))
    vent = first(client, headers, "vents")
    url = f"{FLAIR}/api/vents/{vent['id']}"
    assert client.patch(url, headers=headers, json={"data": {"type": "pucks"}}).status_code == 409
    assert client.patch(url, headers=headers, json={"data": {"id": "x"}}).status_code == 409
    assert client.patch(url, headers=headers, content=b"{").status_code == 400
    assert client.patch(url, headers=headers, json=[]).status_code == 400


def test_create_and_delete_a_room(client: httpx.Client, flair_world: FlairWorld) -> None:
    """POST answers 201 with the new room; DELETE 204; then it is gone."""
    headers = bearer(token(client, flair_world.a))
    structure = first(client, headers, "structures")
    created = client.post(
        f"{FLAIR}/api/rooms",
        headers=headers,
        json={
            "data": {
                "type": "rooms",
                "attributes": {"name": "Attic", "set-point-c": 19.5},
                "relationships": {
                    "structure": {"data": {"type": "structures", "id": structure["id"]}}
                },
            }
        },
    )
    assert created.status_code == 201, created.text
    room = created.json()["data"]
    assert room["attributes"]["name"] == "Attic"
    assert room["attributes"]["pucks-inactive"] == "NotSetup"
    assert room["attributes"]["current-temperature-c"] is None
    assert room["relationships"]["structure"]["data"]["id"] == structure["id"]
    missing = client.post(
        f"{FLAIR}/api/rooms",
        headers=headers,
        json={"data": {"type": "rooms", "attributes": {"name": "X"}}},
    )
    assert missing.status_code == 422
    deleted = client.delete(f"{FLAIR}/api/rooms/{room['id']}", headers=headers)
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert client.get(f"{FLAIR}/api/rooms/{room['id']}", headers=headers).status_code == 404


def test_relationship_endpoints(client: httpx.Client, flair_world: FlairWorld) -> None:
    """GET, POST, DELETE and PATCH on /relationships/ move a vent between rooms."""
    headers = bearer(token(client, flair_world.a))
    rooms = client.get(f"{FLAIR}/api/rooms", headers=headers).json()["data"]
    home, other = rooms[0], rooms[1]
    vent = home["relationships"]["vents"]["data"][0]
    linkage = client.get(f"/flair/api/rooms/{home['id']}/relationships/vents", headers=headers)
    assert linkage.status_code == 200
    assert vent in linkage.json()["data"]
    added = client.post(
        f"/flair/api/rooms/{other['id']}/relationships/vents",
        headers=headers,
        json={"data": [vent]},
    )
    assert added.status_code == 200, added.text
    assert vent in added.json()["data"]
    moved = client.get(f"/flair/api/vents/{vent['id']}/relationships/room", headers=headers)
    assert moved.json()["data"] == {"type": "rooms", "id": other["id"]}
    removed = client.request(
        "DELETE",
        f"/flair/api/rooms/{other['id']}/relationships/vents",
        headers=headers,
        json={"data": [vent]},
    )
    assert vent not in removed.json()["data"]
    assert (
        client.get(f"{FLAIR}/api/vents/{vent['id']}", headers=headers).json()["data"][
            "relationships"
        ]["room"]["data"]
        is None
    )
    back = client.patch(
        f"/flair/api/vents/{vent['id']}/relationships/room",
        headers=headers,
        json={"data": {"type": "rooms", "id": home["id"]}},
    )
    assert back.json()["data"] == {"type": "rooms", "id": home["id"]}
    wrong = client.patch(
        f"/flair/api/vents/{vent['id']}/relationships/room",
        headers=headers,
        json={"data": {"type": "pucks", "id": home["id"]}},
    )
    assert wrong.status_code == 409
    view = bearer(token(client, flair_world.a, "structures.view vents.view"))
    refused = client.post(
        f"/flair/api/rooms/{other['id']}/relationships/vents", headers=view, json={"data": [vent]}
    )
    assert refused.status_code == 403


# ------------------------------------------------------------------ tenant isolation
def test_tenants_never_see_each_other(client: httpx.Client, flair_world: FlairWorld) -> None:
    """Another account's resources answer exactly like missing ones, on every route shape."""
    alice = bearer(token(client, flair_world.a))
    bob = bearer(token(client, flair_world.b))
    for type_name in (
        "structures",
        "rooms",
        "vents",
        "pucks",
        "zones",
        "hvac-units",
        "bridges",
        "sensor-readings",
        "users",
        "applications",
        "puck-apps",
        "thermostats",
        "thermostat-states",
        "remote-sensors",
        "schedules",
        "vent-states",
        "beacon-sightings",
        "weather-readings",
        "devices",
    ):
        mine = {
            i["id"] for i in client.get(f"{FLAIR}/api/{type_name}", headers=alice).json()["data"]
        }
        theirs = client.get(f"{FLAIR}/api/{type_name}", headers=bob).json()["data"]
        assert mine
        assert theirs
        assert not mine & {i["id"] for i in theirs}
        target = theirs[0]["id"]
        for path in (
            f"/flair/api/{type_name}/{target}",
            f"/flair/api/{type_name}/{target}/structure",
        ):
            hidden = client.get(path, headers=alice)
            assert hidden.status_code == 404, (path, hidden.text)
    bobs_vent = first(client, bob, "vents")["id"]
    for method in ("PATCH", "DELETE"):
        response = client.request(
            method,
            f"{FLAIR}/api/vents/{bobs_vent}",
            headers=alice,
            json={"data": {"type": "vents", "attributes": {"percent-open": 0}}},
        )
        assert response.status_code == 404
    alice_room = first(client, alice, "rooms")["id"]
    stolen = client.post(
        f"/flair/api/rooms/{alice_room}/relationships/vents",
        headers=alice,
        json={"data": [{"type": "vents", "id": bobs_vent}]},
    )
    assert stolen.status_code == 404
    assert (
        client.get(f"/flair/api/vents/{bobs_vent}/current-reading", headers=alice).status_code
        == 404
    )
    assert (
        client.get(
            f"/flair/api/pucks/{first(client, bob, 'pucks')['id']}/current-reading", headers=alice
        ).status_code
        == 404
    )


def test_vendor_host_and_openapi(client: httpx.Client) -> None:
    """api.flair.co (.localhost) serves the real paths; the OpenAPI document lists them."""
    response = client.get("/api/", headers={"Host": "api.flair.co.localhost"})
    assert response.status_code == 200
    assert "vents" in response.json()["links"]
    spec = client.get("/flair/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    assert {"/oauth2/token", "/api/vents/{id}", "/api/rooms/{id}/relationships/vents"} <= set(
        spec["paths"]
    )
    assert {f"/api/{name}" for name in ("applications", "thermostat-states", "vent-states")} <= set(
        spec["paths"]
    )
    for docs, host in (("/flair/docs", None), ("/docs", "api.flair.co.localhost")):
        page = client.get(docs, headers={"Host": host} if host else None)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert 'url: "openapi.json"' in page.text  # relative: right under /flair and the host
    vendor_spec = client.get("/openapi.json", headers={"Host": "api.flair.co.localhost"})
    assert vendor_spec.json()["paths"] == spec["paths"]


# ------------------------------------------------------------------ every route, by its path
CRUD = [
    ("structures", "/flair/api/structures", "/flair/api/structures/{id}", {"mode": "manual"}),
    ("zones", "/flair/api/zones", "/flair/api/zones/{id}", {}),
    ("rooms", "/flair/api/rooms", "/flair/api/rooms/{id}", {"set-point-c": 20.0}),
    ("vents", "/flair/api/vents", "/flair/api/vents/{id}", {"percent-open": 50}),
    ("pucks", "/flair/api/pucks", "/flair/api/pucks/{id}", {"locked": True}),
    ("hvac-units", "/flair/api/hvac-units", "/flair/api/hvac-units/{id}", {"power": "On"}),
]


@pytest.mark.parametrize(
    ("type_name", "collection", "item", "extra"), CRUD, ids=[c[0] for c in CRUD]
)
def test_create_update_replace_delete(
    client: httpx.Client,
    flair_world: FlairWorld,
    type_name: str,
    collection: str,
    item: str,
    extra: dict[str, Any],
) -> None:
    """POST 201, PATCH and PUT 200 with the whole resource, GET, DELETE 204, then 404."""
    headers = bearer(token(client, flair_world.a))
    structure = first(client, headers, "structures")["id"]
    relationships = (
        {}
        if type_name == "structures"
        else {"structure": {"data": {"type": "structures", "id": structure}}}
    )
    created = client.post(
        collection,
        headers=headers,
        json={
            "data": {
                "type": type_name,
                "attributes": {"name": "Made by a test", **extra},
                "relationships": relationships,
            }
        },
    )
    assert created.status_code == 201, created.text
    new = created.json()["data"]
    url = item.format(id=new["id"])
    assert created.json()["meta"] == {"self": url.removeprefix(FLAIR)}
    for key, value in extra.items():
        assert new["attributes"][key] == value
    patched = client.patch(
        url,
        headers=headers,
        json={"data": {"type": type_name, "id": new["id"], "attributes": {"name": "Renamed"}}},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["attributes"]["name"] == "Renamed"
    replaced = client.put(
        url, headers=headers, json={"data": {"type": type_name, "attributes": {"name": "Replaced"}}}
    )
    assert replaced.status_code == 200
    assert client.get(url, headers=headers).json()["data"]["attributes"]["name"] == "Replaced"
    assert client.delete(url, headers=headers).status_code == 204
    assert client.get(url, headers=headers).status_code == 404


READ_ONLY = [
    ("users", "/flair/api/users", "/flair/api/users/{id}"),
    ("bridges", "/flair/api/bridges", "/flair/api/bridges/{id}"),
    ("sensor-readings", "/flair/api/sensor-readings", "/flair/api/sensor-readings/{id}"),
    (
        "vent-sensor-readings",
        "/flair/api/vent-sensor-readings",
        "/flair/api/vent-sensor-readings/{id}",
    ),
]


@pytest.mark.parametrize(
    ("type_name", "collection", "item"), READ_ONLY, ids=[r[0] for r in READ_ONLY]
)
def test_reads_and_refused_writes(
    client: httpx.Client, flair_world: FlairWorld, type_name: str, collection: str, item: str
) -> None:
    """Collections and single documents; writes a type does not allow are refused."""
    headers = bearer(token(client, flair_world.a))
    listed = client.get(collection, headers=headers).json()["data"]
    one = client.get(item.format(id=listed[0]["id"]), headers=headers)
    assert one.status_code == 200
    assert one.json()["data"] == listed[0]
    creating = client.post(collection, headers=headers, json={"data": {"type": type_name}})
    # Users are accounts (`ductwork users create`): refused with 403, the others have no POST.
    refused = 403 if type_name == "users" else 405
    assert creating.status_code == refused
    assert creating.json()["errors"][0]["status"] == str(refused)
    if type_name == "users":
        deleting = client.delete(item.format(id=listed[0]["id"]), headers=headers)
        assert deleting.status_code == 403
        assert client.get(item.format(id=listed[0]["id"]), headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("type_name", "item", "attributes"),
    [
        ("users", "/flair/api/users/{id}", {"temperature-scale": "C"}),
        ("bridges", "/flair/api/bridges/{id}", {"led-brightness": 80}),
    ],
)
def test_patch_and_put_of_users_and_bridges(
    client: httpx.Client,
    flair_world: FlairWorld,
    type_name: str,
    item: str,
    attributes: dict[str, Any],
) -> None:
    """Editable attributes of users and bridges change through PATCH and PUT."""
    headers = bearer(token(client, flair_world.a))
    target = first(client, headers, type_name)
    url = item.format(id=target["id"])
    for method in ("PATCH", "PUT"):
        response = client.request(
            method,
            url,
            headers=headers,
            json={"data": {"type": type_name, "attributes": attributes}},
        )
        assert response.status_code == 200, response.text
        for key, value in attributes.items():
            assert response.json()["data"]["attributes"][key] == value
    if type_name == "users":
        refused = client.patch(
            url,
            headers=headers,
            json={"data": {"type": "users", "attributes": {"email": "other@example.com"}}},
        )
        assert refused.status_code == 422
        assert "email" in refused.json()["errors"][0]["detail"]
