"""NUL characters and odd digits in ids, parameters and bodies get the vendor's own 4xx, never
a 500: PostgreSQL text cannot hold a NUL, so nothing carrying one may reach the driver, and
`str.isdigit` accepts digits `int` refuses. Every case runs on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import FLAIR, FlairWorld
from tests.test_flair_api import EVERY_SCOPE, bearer, first, token

NUL = "a\x00b"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/flair/api/vents/%00", 404),
        ("/flair/api/vents/%00/room", 404),
        ("/flair/api/thermostat-states/a%00b", 404),
        ("/flair/api/rooms/%C2%B2", 404),  # "²": isdigit() yet not an int
        ("/flair/api/rooms/%D9%A1", 404),  # "١" (Arabic-Indic one)
        ("/flair/api/structures/%00/relationships/rooms", 404),
    ],
)
def test_odd_ids_are_not_found(
    client: httpx.Client, flair_world: FlairWorld, path: str, status: int
) -> None:
    """An id no resource can have is a 404, like any unknown id."""
    response = client.get(path, headers=bearer(token(client, flair_world.a, EVERY_SCOPE)))
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["status"] == str(status)


@pytest.mark.parametrize(
    ("type_name", "attributes", "named"),
    [
        ("applications", {"name": NUL}, "name"),
        ("applications", {"name": "ok", "description": NUL}, "description"),
        ("applications", {"name": "ok", "redirect_uris": [f"https://x.example/{NUL}"]}, "redirect"),
        ("callbacks", {"webhookurl": f"http://{NUL}/", "event_type": "vent"}, "webhookurl"),
        ("zones", {"name": NUL}, "name"),
    ],
)
def test_nul_in_written_strings_is_422(
    client: httpx.Client,
    flair_world: FlairWorld,
    type_name: str,
    attributes: dict[str, Any],
    named: str,
) -> None:
    """A written string with a NUL character is a 422 naming the attribute."""
    headers = bearer(token(client, flair_world.a, EVERY_SCOPE))
    structure = first(client, headers, "structures")["id"]
    data: dict[str, Any] = {"type": type_name, "attributes": attributes}
    if type_name in ("callbacks", "zones"):
        data["relationships"] = {"structure": {"data": {"type": "structures", "id": structure}}}
    response = client.post(f"{FLAIR}/api/{type_name}", headers=headers, json={"data": data})
    assert response.status_code == 422, response.text
    assert named in response.json()["errors"][0]["detail"]


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/flair/oauth2/token", {"grant_type": "client_credentials", "client_id": NUL}),
        ("/flair/oauth/token", {"grant_type": "password", "username": NUL, "password": NUL}),
        ("/phason/token", {"grant_type": "authorization_code", "client_id": NUL, "code": NUL}),
        ("/phason/token", {"grant_type": "refresh_token", "client_id": NUL}),
    ],
)
def test_nul_in_token_parameters_is_an_oauth_error(
    client: httpx.Client, flair_world: FlairWorld, path: str, params: dict[str, str]
) -> None:
    """A token request whose parameters carry a NUL fails like one missing them: an RFC 6749
    error (400 or 401), not a server error."""
    response = client.post(path, data={**params, "client_secret": NUL})
    assert response.status_code in (400, 401), response.text
    assert response.json()["error"] in ("invalid_request", "invalid_client", "invalid_grant")


def test_nul_in_control_plane_and_sign_in(client: httpx.Client, flair_world: FlairWorld) -> None:
    """The control plane and the sign-in page look a NUL email up as no account."""
    assert client.get("/_ductwork/clock", params={"account": NUL}).status_code == 404
    webhooks = client.get("/_ductwork/webhooks", params={"account": NUL})
    assert webhooks.status_code == 200
    assert webhooks.json() == []
    authorize = client.get(
        "/flair/oauth/authorize", params={"response_type": "code", "client_id": NUL}
    )
    assert authorize.status_code == 400
