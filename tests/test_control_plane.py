"""The control plane: readiness, and account clocks that move the twins' history."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

import httpx
import pytest

from tests.conftest import PREFIX, T0, World


def _account(world: World, demo: bool = False) -> tuple[str, dict[str, str]]:
    """A fresh account with a frozen clock at T0 (and a barn with an hour behind it)."""
    email = f"clock-{secrets.token_hex(4)}@example.com"
    account = world.runtime.accounts.create(email, secrets.token_urlsafe(12))
    world.runtime.clocks.change(account.id, set_to=T0, freeze=True)
    headers: dict[str, str] = {}
    if demo:
        world.runtime.add_demo_world(account, history_days=1 / 24)
        headers = {"Phasonkey": world.runtime.accounts.issue_key(account, "phason")}
    return email, headers


def test_health(client: httpx.Client, world: World) -> None:
    """200 with JSON once the server is ready, naming the database in use."""
    response = client.get("/_ductwork/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == world.backend


def test_clock_read_and_change(client: httpx.Client, world: World) -> None:
    """GET shows the frozen clock; POST moves it forward, changes speed, unfreezes."""
    email, _ = _account(world)
    start = dt.datetime.fromtimestamp(T0, dt.UTC)
    body = client.get("/_ductwork/clock", params={"account": email}).json()
    assert body == {"now": start.isoformat(), "speed": 1.0, "frozen": True}
    moved = client.post("/_ductwork/clock", json={"account": email, "advance_seconds": 5400})
    assert moved.status_code == 200
    assert moved.json()["now"] == (start + dt.timedelta(seconds=5400)).isoformat()
    fast = client.post("/_ductwork/clock", json={"account": email, "speed": 60, "freeze": False})
    assert fast.json()["speed"] == 60.0
    assert fast.json()["frozen"] is False
    later = dt.datetime.fromisoformat(
        client.get("/_ductwork/clock", params={"account": email}).json()["now"]
    )
    assert later >= start + dt.timedelta(seconds=5400)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"account": "nobody@example.com", "advance_seconds": 1}, 404),
        ({"advance_seconds": 1}, 422),
        ({"account": "{email}", "advance_seconds": -5}, 422),
        ({"account": "{email}", "advance_seconds": "soon"}, 422),
        ({"account": "{email}", "advance_seconds": True}, 422),
        ({"account": "{email}", "speed": 0}, 422),
        ({"account": "{email}", "freeze": "yes"}, 422),
        ([], 422),
    ],
)
def test_clock_refuses_bad_changes(
    client: httpx.Client, world: World, body: Any, status: int
) -> None:
    """Bad clock changes are refused and leave the clock as it was."""
    email, _ = _account(world)
    if isinstance(body, dict) and body.get("account") == "{email}":
        body = {**body, "account": email}
    before = client.get("/_ductwork/clock", params={"account": email}).json()
    assert client.post("/_ductwork/clock", json=body).status_code == status
    assert client.get("/_ductwork/clock", params={"account": email}).json() == before


def test_clock_bad_json_and_missing_account(client: httpx.Client) -> None:
    """A body that is not JSON is a 400; GET without an account is a 422."""
    response = client.post("/_ductwork/clock", content=b"{not json")
    assert response.status_code == 400
    assert client.get("/_ductwork/clock").status_code == 422


def test_moving_the_clock_simulates_the_minutes_in_between(
    client: httpx.Client, world: World
) -> None:
    """Jumping 45 minutes yields 45 new one-minute records, and the device reports the new time."""
    email, headers = _account(world, demo=True)
    device = client.get(f"{PREFIX}/devices", headers=headers).json()[0]
    assert device["last_reported_on"] == "2024-07-23 16:30:00"
    client.post("/_ductwork/clock", json={"account": email, "advance_seconds": 45 * 60})
    device = client.get(f"{PREFIX}/devices", headers=headers).json()[0]
    assert device["last_reported_on"] == "2024-07-23 17:15:00"
    rows = client.get(
        f"{PREFIX}/devices/{device['device_id']}/equipment_groups/history",
        params={"start": "2024-07-23 16:31:00", "end": "2024-07-23 17:15:00"},
        headers=headers,
    ).json()
    assert len(rows) == 45 * 5
    assert rows[-1]["reading_time"] == "2024-07-23 17:15:00"


def test_dashboard(client: httpx.Client) -> None:
    """The dashboard lists the APIs with their documentation links."""
    page = client.get("/")
    assert page.status_code == 200
    assert "Phason API v1.0.3" in page.text
    assert 'href="/phason/v1.0.3/docs"' in page.text


def test_a_month_forward_yields_a_month_of_history(client: httpx.Client, world: World) -> None:
    """Moving a clock 30 days forward gives 30 days of one-minute history, seen through the API."""
    email, headers = _account(world, demo=True)
    client.post("/_ductwork/clock", json={"account": email, "advance_seconds": 30 * 86_400})
    device = client.get(f"{PREFIX}/devices", headers=headers).json()[0]
    assert device["last_reported_on"] == "2024-08-22 16:30:00"
    url = f"{PREFIX}/devices/{device['device_id']}/equipment_groups/history"
    targets = []
    for day in ("2024-07-24", "2024-08-07", "2024-08-21"):
        rows = client.get(url, params={"start": day, "end": day}, headers=headers).json()
        assert len(rows) == 1440 * 5, day
        targets.append(
            {r["target_value"] for r in rows if r["group_name"] == "Finisher Temperature"}
        )
    assert all(len(t) == 1 for t in targets), "a target holds for the whole day"
    assert float(targets[0].pop()) > float(targets[2].pop()), "the growth curve steps down"
