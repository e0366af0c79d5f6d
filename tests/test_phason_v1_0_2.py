"""Phason AutoFlex Connect API v1.0.2 through HTTP: OAuth2 login, tokens, reads and writes."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from ductwork.vendors.phason import KEY_VENDOR
from tests.conftest import T0, World, phason

BASE = "/phason"
REDIRECT = "http://localhost:8080/callback"
UNAUTHORIZED = {"message": "Access token is missing, invalid or expired."}


@dataclass(frozen=True)
class Owner:
    """A fresh account with a barn, a frozen clock, an OAuth client and a token pair."""

    email: str
    password: str
    device: str
    client_id: str
    client_secret: str
    access: str
    refresh: str
    v103_key: str

    @property
    def headers(self) -> dict[str, str]:
        """Bearer authorization."""
        return {"Authorization": f"Bearer {self.access}"}


def owner(world: World) -> Owner:
    """Set up an account the test may change freely."""
    runtime = world.runtime
    email, password = f"owner-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(12)
    account = runtime.accounts.create(email, password, seed=99)
    runtime.clocks.change(account.id, set_to=T0, freeze=True)
    (device,) = runtime.add_demo_world(account, history_days=2 / 24)["phason"]["device_ids"]
    client, secret = phason(runtime).oauth.create_client(account, "test app", (REDIRECT,))
    pair = {"access_token": secrets.token_urlsafe(24), "refresh_token": secrets.token_urlsafe(24)}
    phason(runtime).oauth.store_pair(account.id, client.id, pair)
    key = runtime.accounts.issue_key(account, KEY_VENDOR)
    return Owner(
        email,
        password,
        str(device),
        client.client_id,
        secret,
        pair["access_token"],
        pair["refresh_token"],
        key,
    )


class _Forms(HTMLParser):
    """The forms of a page: action and inputs (hidden values included)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1][1][values["name"]] = values.get("value", "")


def form_of(page: str) -> tuple[str, dict[str, str]]:
    """The page's only form."""
    parser = _Forms()
    parser.feed(page)
    (form,) = parser.forms
    return form


def sign_in(
    http: httpx.Client, url: str, email: str, password: str, decision: str
) -> httpx.Response:
    """A person in a browser: open the authorization URL, sign in, answer the consent page."""
    login = http.get(url)
    assert login.status_code == 200
    assert "Phason Webservices" in login.text
    action, fields = form_of(login.text)
    consent = http.post(
        login.url.join(action), data={**fields, "email": email, "password": password}
    )
    assert consent.status_code == 200, consent.text
    action, fields = form_of(consent.text)
    assert action == f"{BASE}/auth/consent"
    return http.post(
        consent.url.join(action), data={**fields, "decision": decision}, follow_redirects=False
    )


# ------------------------------------------------------------------ the OAuth2 flow
@pytest.fixture
def live(world: World, live_server: str) -> str:
    """The live server's base URL (OAuth flows run against a real server process)."""
    return live_server


def test_authorization_code_flow_with_a_real_oauth2_client(world: World, live: str) -> None:
    """Authlib's OAuth2 client: PKCE authorization, code exchange, Bearer calls, refresh."""
    me = owner(world)
    client = OAuth2Client(
        me.client_id,
        me.client_secret,
        redirect_uri=REDIRECT,
        token_endpoint_auth_method="client_secret_post",
        code_challenge_method="S256",
    )
    verifier = generate_token(48)
    url, state = client.create_authorization_url(f"{live}{BASE}/auth", code_verifier=verifier)
    with httpx.Client() as browser:
        answer = sign_in(browser, url, me.email, me.password, "allow")
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    token = client.fetch_token(
        f"{live}{BASE}/token", authorization_response=location, code_verifier=verifier
    )
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 86_400
    devices = client.get(f"{live}{BASE}/devices")
    assert devices.status_code == 200
    assert [d["device_id"] for d in devices.json()] == [me.device]
    refreshed = client.refresh_token(f"{live}{BASE}/token")
    assert refreshed["access_token"] != token["access_token"]
    assert client.get(f"{live}{BASE}/devices").status_code == 200
    old = httpx.get(
        f"{live}{BASE}/devices", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert old.status_code == 401, "a refreshed pair's access token stops working"
    client.close()


def test_code_is_single_use_and_bound_to_the_secret(world: World, live: str) -> None:
    """A reused code and a wrong secret are refused; PKCE verifiers are checked."""
    me = owner(world)
    client = OAuth2Client(
        me.client_id,
        me.client_secret,
        redirect_uri=REDIRECT,
        token_endpoint_auth_method="client_secret_post",
    )
    url, _ = client.create_authorization_url(f"{live}{BASE}/auth")
    with httpx.Client() as browser:
        location = sign_in(browser, url, me.email, me.password, "allow").headers["location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT,
        "client_id": me.client_id,
    }
    wrong = httpx.post(f"{live}{BASE}/token", data={**form, "client_secret": "nope"})
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    first = httpx.post(f"{live}{BASE}/token", data={**form, "client_secret": me.client_secret})
    assert first.status_code == 200
    again = httpx.post(f"{live}{BASE}/token", data={**form, "client_secret": me.client_secret})
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect",
    [REDIRECT + "/", "http://localhost:8080/callback?x=1", "https://evil.example/callback"],
)
def test_redirect_uri_must_match_exactly(world: World, live: str, redirect: str) -> None:
    """An unregistered redirect URI gets an error page, never a redirect."""
    me = owner(world)
    answer = httpx.get(
        f"{live}{BASE}/auth",
        params={"response_type": "code", "client_id": me.client_id, "redirect_uri": redirect},
    )
    assert answer.status_code == 400
    assert "location" not in answer.headers


def test_denied_consent_and_wrong_password(world: World, live: str) -> None:
    """Denying redirects with access_denied; a wrong password shows the login page again."""
    me = owner(world)
    client = OAuth2Client(me.client_id, me.client_secret, redirect_uri=REDIRECT)
    url, _state = client.create_authorization_url(f"{live}{BASE}/auth")
    with httpx.Client() as browser:
        denied = sign_in(browser, url, me.email, me.password, "deny")
        assert denied.status_code == 302
        query = parse_qs(urlsplit(denied.headers["location"]).query)
        assert query["error"] == ["access_denied"]
        login = browser.get(url)
        action, fields = form_of(login.text)
        again = browser.post(
            login.url.join(action), data={**fields, "email": me.email, "password": "wrong-pass"}
        )
        assert again.status_code == 401
        assert "not correct" in again.text


# ------------------------------------------------------------------ tokens and /refresh
def _advance(client: httpx.Client, email: str, seconds: float) -> None:
    assert (
        client.post(
            "/_ductwork/clock", json={"account": email, "advance_seconds": seconds}
        ).status_code
        == 200
    )


def test_access_tokens_expire_after_24_hours_of_account_time(
    client: httpx.Client, world: World
) -> None:
    """A clock jump of 24 h expires the access token; /refresh issues a new pair (code 0)."""
    me = owner(world)
    assert client.get(f"{BASE}/devices", headers=me.headers).status_code == 200
    early = client.post(
        f"{BASE}/refresh",
        headers=me.headers,
        data={"client_id": me.client_id, "secret": me.client_secret, "refresh_token": me.refresh},
    )
    assert early.status_code == 200
    assert early.json()["code"] == "1"
    assert early.json()["message"] == "Key Still Valid"
    assert early.json()["access_key"] == me.access
    _advance(client, me.email, 24 * 3600 + 60)
    expired = client.get(f"{BASE}/devices", headers=me.headers)
    assert expired.status_code == 401
    assert expired.json() == UNAUTHORIZED
    fresh = client.post(
        f"{BASE}/refresh",
        headers=me.headers,
        data={"client_id": me.client_id, "secret": me.client_secret, "refresh_token": me.refresh},
    )
    body = fresh.json()
    assert fresh.status_code == 200
    assert list(body) == ["message", "code", "expiry", "access_key", "refresh_token"]
    assert (body["message"], body["code"]) == ("New key issued", "0")
    assert re.fullmatch(r"\d+", body["expiry"])
    ok = client.get(f"{BASE}/devices", headers={"Authorization": f"Bearer {body['access_key']}"})
    assert ok.status_code == 200


def test_refresh_tokens_expire_after_seven_days(client: httpx.Client, world: World) -> None:
    """After 7 days of account time the refresh token is refused: sign in again."""
    me = owner(world)
    _advance(client, me.email, 7 * 86_400 + 60)
    answer = client.post(
        f"{BASE}/refresh",
        headers=me.headers,
        data={"client_id": me.client_id, "secret": me.client_secret, "refresh_token": me.refresh},
    )
    assert answer.status_code == 401


@pytest.mark.parametrize(
    ("fields", "bearer", "status", "code"),
    [
        ({"secret": "{secret}", "refresh_token": "{refresh}"}, True, 422, "2"),
        ({"client_id": "{client}", "refresh_token": "{refresh}"}, True, 422, "2"),
        ({"client_id": "{client}", "secret": "{secret}"}, True, 422, "2"),
        ({"client_id": "{client}", "secret": "", "refresh_token": "{refresh}"}, True, 422, "2"),
        (
            {"client_id": "{client}", "secret": "{secret}", "refresh_token": "{refresh}"},
            False,
            422,
            "2",
        ),
        (
            {"client_id": "{client}", "secret": "{secret}", "refresh_token": "{access}"},
            True,
            400,
            "3",
        ),
        (
            {"client_id": "{client}", "secret": "wrong", "refresh_token": "{refresh}"},
            True,
            401,
            None,
        ),
        (
            {"client_id": "{client}", "secret": "{secret}", "refresh_token": "unknown"},
            True,
            401,
            None,
        ),
    ],
    ids=[
        "no-client",
        "no-secret",
        "no-refresh",
        "empty-secret",
        "no-bearer",
        "access-as-refresh",
        "wrong-secret",
        "unknown-refresh",
    ],
)
def test_refresh_codes(
    client: httpx.Client,
    world: World,
    fields: dict[str, str],
    bearer: bool,
    status: int,
    code: str | None,
) -> None:
    """/refresh answers missing data with 422 code 2 (the document's "422 Missing post data")
    and an access token with code 3."""
    me = owner(world)
    values = {
        "{client}": me.client_id,
        "{secret}": me.client_secret,
        "{refresh}": me.refresh,
        "{access}": me.access,
    }
    data = {k: values.get(v, v) for k, v in fields.items()}
    answer = client.post(f"{BASE}/refresh", headers=me.headers if bearer else {}, data=data)
    assert answer.status_code == status
    if code is not None:
        assert answer.json()["code"] == code
        assert answer.json()["message"] in (
            "Missing post data",
            "Access token recieved instead of refresh token",
        )


# ------------------------------------------------------------------ reads
READS = [
    ("/devices", {}),
    ("/devices/{device}/rooms", {}),
    ("/devices/{device}/equipment_groups", {}),
    ("/devices/{device}/equipment_groups", {"start": "2024-07-23", "end": "2024-07-23"}),
    ("/devices/{device}/misting_groups", {}),
    ("/devices/{device}/time", {}),
    ("/devices/{device}/configuration", {}),
    ("/devices/{device}/outputs", {"start": "2024-07-23 16:00:00", "end": "2024-07-23 16:30:00"}),
    ("/devices/{device}/outputs/settings", {"module_num": "2", "io_num": "1"}),
    ("/devices/{device}/inputs", {}),
]


@pytest.mark.parametrize(("path", "query"), READS, ids=[p + str(q) for p, q in READS])
def test_reads_need_a_bearer_token(
    client: httpx.Client, world: World, path: str, query: dict[str, str]
) -> None:
    """Every endpoint: 200 with the token, 401 without, and 404 for another account."""
    me, other = owner(world), world.a
    url = BASE + path.format(device=me.device)
    assert client.get(url, params=query, headers=me.headers).status_code == 200
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        answer = client.get(url, params=query, headers=headers)
        assert answer.status_code == 401
        assert answer.json() == UNAUTHORIZED
    if "{device}" in path:
        foreign = BASE + path.format(device=other.device)
        answer = client.get(foreign, params=query, headers=me.headers)
        assert answer.status_code == 404


def test_rooms_misting_and_configuration(client: httpx.Client, world: World) -> None:
    """Rooms, the misting group (values as strings) and every configured module position."""
    me = owner(world)
    rooms = client.get(f"{BASE}/devices/{me.device}/rooms", headers=me.headers).json()
    assert [r["room_name"] for r in rooms] == ["Finisher Room", "Nursery Room"]
    (misting,) = client.get(f"{BASE}/devices/{me.device}/misting_groups", headers=me.headers).json()
    assert misting["function_mode"] == "2"
    assert misting["low_thi"] == "76"
    assert all(isinstance(v, str) for v in misting.values())
    config = client.get(f"{BASE}/devices/{me.device}/configuration", headers=me.headers).json()
    types = {c["module_type"] for c in config}
    assert {"1", "2", "3", "4", "5"} <= types


# ------------------------------------------------------------------ writes
def test_master_setpoint_moves_the_target(client: httpx.Client, world: World) -> None:
    """POST a THI group's master setpoint: the next minutes' target is the new value, seen by
    both API versions; a curve-driven group refuses."""
    me = owner(world)
    groups = client.get(f"{BASE}/devices/{me.device}/equipment_groups", headers=me.headers).json()
    thi = next(g for g in groups if g["group_type"] == "16")
    answer = client.post(
        f"{BASE}/devices/{me.device}/equipment_groups/settings",
        params={"group_id": thi["group_id"], "master_setpoint": "70.5"},
        headers=me.headers,
    )
    assert answer.status_code == 200
    assert answer.json()["settings"][0]["master_setpoint"] == 70.5
    _advance(client, me.email, 120)
    latest = client.get(
        f"/phason/v1.0.3/devices/{me.device}/equipment_groups/history",
        headers={"Phasonkey": me.v103_key},
    ).json()
    assert next(g for g in latest if g["group_id"] == thi["group_id"])["target_value"] == "70.5"
    curve = next(g for g in groups if g["group_name"] == "Finisher Temperature")
    refused = client.post(
        f"{BASE}/devices/{me.device}/equipment_groups/settings",
        data={"group_id": curve["group_id"], "master_setpoint": "19"},
        headers=me.headers,
    )
    assert refused.status_code == 422
    assert "growth curve" in refused.json()["message"]


def test_master_setpoint_of_a_manual_temperature_group(client: httpx.Client, world: World) -> None:
    """The demo nursery's temperature group is under manual control (its growth curve is
    off), as in real barns: the documented `master_setpoint` write applies to it and becomes
    the group's target."""
    me = owner(world)
    groups = client.get(f"{BASE}/devices/{me.device}/equipment_groups", headers=me.headers).json()
    nursery = next(g for g in groups if g["group_name"] == "Nursery Temperature")
    assert nursery["group_type"] == "1"
    url = f"{BASE}/devices/{me.device}/equipment_groups/settings"
    before = client.get(url, params={"group_id": nursery["group_id"]}, headers=me.headers).json()
    assert before["settings"][0]["master_setpoint"] != 25.5
    answer = client.post(
        url,
        params={"group_id": nursery["group_id"]},
        data={"master_setpoint": "25.5"},
        headers=me.headers,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["settings"][0]["master_setpoint"] == 25.5
    after = client.get(url, params={"group_id": nursery["group_id"]}, headers=me.headers).json()
    assert after["settings"][0]["master_setpoint"] == 25.5
    _advance(client, me.email, 120)
    latest = client.get(
        f"/phason/v1.0.3/devices/{me.device}/equipment_groups/history",
        headers={"Phasonkey": me.v103_key},
    ).json()
    target = next(g for g in latest if g["group_id"] == nursery["group_id"])["target_value"]
    assert float(target) == 25.5, target


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "Missing post data"),
        ({"master_setpoint": "abc"}, "master_setpoint must be a number."),
        ({"master_setpoint": "500"}, "master_setpoint must be between 30 and 110."),
    ],
)
def test_master_setpoint_validation(
    client: httpx.Client, world: World, data: dict[str, str], message: str
) -> None:
    """Refusals are 422 and change nothing."""
    me = owner(world)
    groups = client.get(f"{BASE}/devices/{me.device}/equipment_groups", headers=me.headers).json()
    thi = next(g for g in groups if g["group_type"] == "16")
    url = f"{BASE}/devices/{me.device}/equipment_groups/settings"
    before = client.get(url, params={"group_id": thi["group_id"]}, headers=me.headers).json()
    answer = client.post(url, params={"group_id": thi["group_id"]}, data=data, headers=me.headers)
    assert answer.status_code == 422
    assert answer.json() == {"message": message}
    assert (
        client.get(url, params={"group_id": thi["group_id"]}, headers=me.headers).json() == before
    )


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"low_temp": "25", "high_temp": "28", "max_temp": "31"}, 200, None),
        ({"cycle_dur": "30"}, 422, "cycle_dur must be between 60 and 86340."),
        ({"pump_delay": "60"}, 422, "pump_delay must be between 1 and 59."),
        ({"low_temp": "60"}, 422, "low_temp must be between -10 and 51.7."),
        (
            {"min_mist_dur": "600", "max_mist_dur": "120"},
            422,
            "min_misting_duration must not be greater than max_misting_duration.",
        ),
        ({"function_mode": "7"}, 422, "function_mode must be between 0 and 2."),
        ({}, 422, "Missing post data"),
    ],
)
def test_misting_settings_ranges(
    client: httpx.Client, world: World, data: dict[str, str], status: int, message: str | None
) -> None:
    """Misting settings are checked against the document's ranges; refusals change nothing."""
    me = owner(world)
    (group,) = client.get(f"{BASE}/devices/{me.device}/misting_groups", headers=me.headers).json()
    url = f"{BASE}/devices/{me.device}/misting_groups/settings"
    query = {"group_id": group["group_id"]}
    before = client.get(url, params=query, headers=me.headers).json()
    answer = client.post(url, params=query, data=data, headers=me.headers)
    assert answer.status_code == status
    after = client.get(url, params=query, headers=me.headers).json()
    if status == 200:
        assert answer.json()["message"] == "misting setting change success."
        assert after["settings"]["low_temp"] == 25.0
    else:
        assert answer.json() == {"message": message}
        assert after == before


def test_manual_override_acts_on_the_twin_and_expires(client: httpx.Client, world: World) -> None:
    """Hold the finisher heater on for 10 minutes: the next minutes read 1, then it returns."""
    me = owner(world)
    url = f"{BASE}/devices/{me.device}/outputs/manual_override"
    answer = client.post(
        url,
        data={"module_num": "1", "io_num": "1", "enabled": "1", "value": "1", "duration": "600"},
        headers=me.headers,
    )
    assert answer.status_code == 200
    _advance(client, me.email, 30 * 60)
    outputs = client.get(
        f"{BASE}/devices/{me.device}/outputs",
        headers=me.headers,
        params={"start": "2024-07-23 16:31:00", "end": "2024-07-23 17:00:00"},
    ).json()
    heater = next(o for o in outputs if o["name"] == "Finisher Heater")
    readings = [v["reading"] for v in heater["values"]]
    assert readings[:10] == ["1"] * 10, "held on for its ten minutes"
    assert readings[10:] == ["0"] * 20, "back under control on a July afternoon"
    bad = client.post(
        url,
        data={"module_num": "1", "io_num": "1", "enabled": "1", "value": "5"},
        headers=me.headers,
    )
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("fields", "status"),
    [
        ({"enabled": "0"}, 200),
        ({"enabled": "0", "value": "0", "duration": "0"}, 200),
        ({"enabled": "0", "duration": "315360001"}, 422),
        ({"enabled": "0", "duration": ""}, 422),
        ({"enabled": "0", "value": "abc"}, 422),
        ({"enabled": "1", "value": "1", "duration": ""}, 422),
        ({"enabled": "1", "value": "1", "duration": "1.5"}, 422),
    ],
    ids=["release", "release-with-values", "release-long", "release-empty-duration",
         "release-bad-value", "hold-empty-duration", "hold-fractional-duration"],
)  # fmt: skip
def test_manual_override_checks_every_given_field(
    client: httpx.Client, world: World, fields: dict[str, str], status: int
) -> None:
    """A value or duration that is sent must be valid, even when releasing ignores it."""
    me = owner(world)
    answer = client.post(
        f"{BASE}/devices/{me.device}/outputs/manual_override",
        data={"module_num": "1", "io_num": "1", **fields},
        headers=me.headers,
    )
    assert answer.status_code == status, answer.text
    if status == 200:
        assert answer.json() == {"message": "Manual override disabled."}


@pytest.mark.parametrize(("field", "value"), [
    ("stage5_differential_setpoint", "52.7"), ("idle_band", "0"), ("open_runtime", "0"),
    ("misting_order", "17"), ("idle_speed", "40.5"), ("minimum_position", "x"),
])  # fmt: skip
def test_output_settings_fields_of_another_section_must_still_be_valid(
    client: httpx.Client, world: World, field: str, value: str
) -> None:
    """A variable stage reads its own fields; another section's field sent out of its range
    is 422 too (the document's schema gives every field its range), and nothing changes."""
    me = owner(world)
    url = f"{BASE}/devices/{me.device}/outputs/settings"
    where = {"module_num": "2", "io_num": "1"}
    before = client.get(url, params=where, headers=me.headers).json()
    stage = before["variable output settings"][0]
    own = {name: stage[name] for name in ("setpoint", "idle_setpoint", "differential_setpoint")}
    answer = client.post(url, headers=me.headers,
                         data={**where, **own, "idle_speed": "30", field: value})  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["message"]
    assert client.get(url, params=where, headers=me.headers).json() == before


def test_output_settings_write_and_misting_order_rules(client: httpx.Client, world: World) -> None:
    """A variable stage's setpoints round-trip; misting orders follow the function's range."""
    me = owner(world)
    url = f"{BASE}/devices/{me.device}/outputs/settings"
    current = client.get(url, params={"module_num": "2", "io_num": "1"}, headers=me.headers).json()
    stage = current["variable output settings"][0]
    new = {
        "setpoint": str(float(stage["setpoint"]) + 1),
        "idle_setpoint": stage["idle_setpoint"],
        "idle_speed": "40",
        "differential_setpoint": str(float(stage["differential_setpoint"]) + 2),
    }
    answer = client.post(url, data={"module_num": "2", "io_num": "1", **new}, headers=me.headers)
    assert answer.status_code == 200
    written = answer.json()["variable output settings"][0]
    assert float(written["setpoint"]) == pytest.approx(float(new["setpoint"]))
    assert written["idle_speed"] == "40"
    for function, order, status in (
        ("1", "2", 200),
        ("1", "16", 422),
        ("2", "16", 200),
        ("0", "0", 200),
        ("3", "5", 422),
    ):
        answer = client.post(
            url,
            headers=me.headers,
            data={
                "module_num": "1",
                "io_num": "3",
                "misting_function": function,
                "misting_order": order,
            },
        )
        assert answer.status_code == status, (function, order, answer.text)


def test_openapi_document(client: httpx.Client) -> None:
    """The v1.0.2 OpenAPI document lists what is served; the docs page loads."""
    document: dict[str, Any] = client.get(f"{BASE}/openapi.json").json()
    assert document["info"]["version"] == "1.0.2"
    assert "/devices/{deviceId}/misting_groups/settings" in document["paths"]
    assert client.get(f"{BASE}/docs").status_code == 200


def test_vendor_host_serves_the_real_paths(client: httpx.Client, world: World) -> None:
    """Host: api.phason.ca serves /devices and /token at the root, as the real service does."""
    me = owner(world)
    answer = client.get("/devices", headers={"Host": "api.phason.ca", **me.headers})
    assert answer.status_code == 200
    assert [d["device_id"] for d in answer.json()] == [me.device]
    token = client.post(
        "/token",
        headers={"Host": "api.phason.ca.localhost"},
        data={
            "grant_type": "refresh_token",
            "refresh_token": me.refresh,
            "client_id": me.client_id,
            "client_secret": me.client_secret,
        },
    )
    assert token.status_code == 200
    assert token.json()["token_type"] == "Bearer"
