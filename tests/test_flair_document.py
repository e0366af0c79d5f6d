"""The Flair OpenAPI document tells the truth: write bodies have their type's schema (what the
recorded clients send validates; what the server refuses does not), and the server refuses
what the document says it does (found by bench/fuzz.py)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import jsonschema_rs
import pytest

from tests.conftest import FLAIR, FlairWorld
from tests.test_flair_api import bearer, first, token

RECORDED = Path(__file__).parent / "data" / "flair_recorded"


def _body_schema(spec: dict[str, Any], method: str, path: str) -> Any:
    body = spec["paths"][path][method]["requestBody"]["content"]
    assert set(body) == {"application/vnd.api+json", "application/json"}
    schema = dict(body["application/vnd.api+json"]["schema"])
    return jsonschema_rs.validator_for({**schema, "components": spec["components"]})


def test_recorded_writes_validate(client: httpx.Client) -> None:
    """Every write in the recorded traffic of the real service is valid by the document."""
    spec = client.get(f"{FLAIR}/openapi.json").json()
    found = 0
    for path in sorted(RECORDED.glob("*.json")):
        for exchange in json.loads(path.read_text()):
            if exchange["method"] in ("PATCH", "POST") and exchange["path"].startswith("/api/"):
                type_name = exchange["path"].split("/")[2]
                template = f"/api/{type_name}" + ("/{id}" if exchange["method"] == "PATCH" else "")
                validator = _body_schema(spec, exchange["method"].lower(), template)
                assert validator.is_valid(exchange["body"]), exchange["body"]
                found += 1
    assert found


@pytest.mark.parametrize(
    ("method", "path", "body", "valid"),
    [
        ("patch", "/api/vents/{id}", {"data": {"attributes": {"percent-open": 50}}}, True),
        ("patch", "/api/vents/{id}", {"data": {"attributes": {"percent-open": 101}}}, False),
        ("patch", "/api/vents/{id}", {"data": {"attributes": {"voltage": 3.0}}}, False),
        ("patch", "/api/vents/{id}", {"data": {"attributes": False}}, False),
        ("post", "/api/vents", {"data": {"attributes": {"name": "V"}}}, False),  # structure
        ("post", "/api/callbacks",
         {"data": {"attributes": {"webhookurl": "https://example.com/h", "event_type": "vent"},
                   "relationships": {"structure": {"data": {"type": "structures", "id": "1"}}}}},
         True),
        ("post", "/api/callbacks",
         {"data": {"attributes": {"webhookurl": "http://[", "event_type": "vent"},
                   "relationships": {"structure": {"data": {"type": "structures", "id": "1"}}}}},
         False),
        ("patch", "/api/hvac-units/{id}",
         {"data": {"attributes": {"current-state": {"mode": 1, "power": True}}}}, True),
        ("patch", "/api/hvac-units/{id}",
         {"data": {"attributes": {"current-state": {"mode": {}}}}}, False),
        ("patch", "/api/rooms/{id}/relationships/structure", {"data": None}, False),
        ("patch", "/api/vents/{id}/relationships/room", {"data": None}, True),
        ("post", "/api/rooms/{id}/relationships/vents", {"data": [{"id": "x"}]}, True),
    ],
)  # fmt: skip
def test_write_schemas(
    client: httpx.Client, method: str, path: str, body: Any, valid: bool
) -> None:
    """The write bodies' schemas say what the server accepts and what it refuses."""
    spec = client.get(f"{FLAIR}/openapi.json").json()
    assert _body_schema(spec, method, path).is_valid(body) is valid


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        # current-state.mode as an object was a 500 (a dict is not hashable).
        ("PATCH", "hvac-units", {"current-state": {"mode": {}}}, 422),
        ("PATCH", "hvac-units", {"current-state": {"mode": 1.0}}, 200),
        # JSON Schema's integer: 50.0 is 50.
        ("PATCH", "vents", {"percent-open": 50.0}, 200),
        ("PATCH", "vents", {"percent-open": 50.5}, 422),
        # attributes must be an object (false was taken for none).
        ("PATCH", "vents", False, 400),
        ("PATCH", "vents", None, 200),
        # An IPv6 literal that does not parse was a 500; any other form is the pattern's 422.
        ("POST", "callbacks", {"webhookurl": "http://[", "event_type": "vent"}, 422),
        ("POST", "callbacks", {"webhookurl": "ftp://example.com/", "event_type": "vent"}, 422),
        ("POST", "callbacks", {"webhookurl": "https://example.com/", "event_type": "vent"}, 201),
        ("POST", "applications", {"name": "A", "redirect_uris": ["https://a/#x"]}, 422),
        ("POST", "applications", {"name": "A", "redirect_uris": ["a:?x"]}, 422),
        ("POST", "applications", {"name": "A", "scopes": ["vents.edit", "nope"]}, 422),
        ("POST", "applications", {"name": "A", "redirect_uris": ["app:/cb"]}, 201),
    ],
)
def test_writes_the_document_describes(
    client: httpx.Client,
    flair_world: FlairWorld,
    method: str,
    path: str,
    body: Any,
    status: int,
) -> None:
    """Writes at the edges of their schemas: the vendor's error shape, never a 500."""
    headers = bearer(token(client, flair_world.a))
    structure = first(client, headers, "structures")
    document: dict[str, Any] = {"data": {"type": path, "attributes": body}}
    url = f"{FLAIR}/api/{path}"
    if method == "PATCH":
        url += f"/{first(client, headers, path)['id']}"
    elif path == "callbacks":
        linked = {"data": {"type": "structures", "id": structure["id"]}}
        document["data"]["relationships"] = {"structure": linked}
    response = client.request(method, url, headers=headers, json=document)
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.json()["errors"][0]["status"] == str(status)


def test_a_missing_linked_structure_is_404(client: httpx.Client, flair_world: FlairWorld) -> None:
    """POST naming a structure that is not the account's: 404 before anything is made."""
    headers = bearer(token(client, flair_world.a))
    before = len(client.get(f"{FLAIR}/api/rooms", headers=headers).json()["data"])
    response = client.post(
        f"{FLAIR}/api/rooms",
        headers=headers,
        json={
            "data": {
                "type": "rooms",
                "attributes": {"name": "Nowhere"},
                "relationships": {"structure": {"data": {"type": "structures", "id": "999999"}}},
            }
        },
    )
    assert response.status_code == 404, response.text
    assert len(client.get(f"{FLAIR}/api/rooms", headers=headers).json()["data"]) == before


@pytest.mark.parametrize(
    ("value", "status"),
    [("3", 200), ("", 200), ("+3", 400), (" 3", 400), ("٣", 400), ("3_0", 400), ("0", 400),
     ("1001", 400), ("x", 400)],
)  # fmt: skip
def test_page_size_is_ascii_digits(
    client: httpx.Client, flair_world: FlairWorld, value: str, status: int
) -> None:
    """page[size] is an integer from 1 to 1000 written in digits (empty: the default)."""
    headers = bearer(token(client, flair_world.a))
    response = client.get(f"{FLAIR}/api/vents", params={"page[size]": value}, headers=headers)
    assert response.status_code == status, response.text


def test_an_application_does_not_delete_itself(
    client: httpx.Client, flair_world: FlairWorld
) -> None:
    """DELETE of the application whose token asks: 403, and the token still works."""
    headers = bearer(token(client, flair_world.a))
    own = first(client, headers, "applications")
    response = client.delete(f"{FLAIR}/api/applications/{own['id']}", headers=headers)
    assert response.status_code == 403, response.text
    assert client.get(f"{FLAIR}/api/applications", headers=headers).status_code == 200
