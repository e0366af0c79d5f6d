"""Resetting an account's world: every vendor's devices back to the demo state, credentials kept."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
from starlette.testclient import TestClient

from tests.conftest import FLAIR, PREFIX, T0, FlairTenant, World, flair
from tests.test_cli import ductwork
from tests.test_flair_api import bearer, first, token


def _tenant(world: World) -> tuple[FlairTenant, dict[str, str]]:
    """A fresh account with the demo world (clock frozen at T0), a Phason key and a Flair app."""
    runtime = world.runtime
    email, password = f"reset-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(12)
    account = runtime.accounts.create(email, password, seed=7)
    runtime.clocks.change(account.id, set_to=T0, freeze=True)
    runtime.add_demo_world(account, history_days=1 / 24)
    application, secret = flair(runtime).applications.create(account, "reset")
    key = runtime.accounts.issue_key(account, "phason")
    return FlairTenant(email, password, application.client_id, secret), {"Phasonkey": key}


def test_reset_restores_every_vendor_and_keeps_credentials(
    client: httpx.Client, world: World
) -> None:
    """A renamed Flair room and older Phason history go; the key and the application stay."""
    tenant, phason_headers = _tenant(world)
    headers = bearer(token(client, tenant))
    room = first(client, headers, "rooms")
    renamed = client.patch(
        f"{FLAIR}/api/rooms/{room['id']}",
        json={"data": {"type": "rooms", "id": room["id"], "attributes": {"name": "Renamed"}}},
        headers=headers,
    )
    assert renamed.status_code == 200, renamed.text
    moved = client.post(
        "/_ductwork/clock", json={"account": tenant.email, "advance_seconds": 2 * 86_400}
    )
    assert moved.status_code == 200
    (device,) = client.get(f"{PREFIX}/devices", headers=phason_headers).json()
    assert device["last_reported_on"] == "2024-07-25 16:30:00"

    signed_in = client.post("/automategreen/v1/signin", json={
        "user": {"email": tenant.email, "password": tenant.password}})  # fmt: skip
    ag = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    house_before = client.get("/automategreen/v1/devices", headers=ag).json()["devices"]

    # Rebuilding three days of every vendor's world takes a few seconds (more on a busy CI
    # machine): a longer wait than the client's default.
    params = {"account": tenant.email}
    if isinstance(client, TestClient):  # (in-process: no timeout to wait out)
        reset = client.post("/_ductwork/reset", params=params)
    else:
        reset = client.post("/_ductwork/reset", params=params, timeout=180.0)
    assert reset.status_code == 200, reset.text
    body = reset.json()
    assert body["account"] == tenant.email
    assert set(body) == {"account", "phason", "flair", "automategreen"}

    # Automate Green: a new house (new ids) behind the same token.
    house_after = client.get("/automategreen/v1/devices", headers=ag).json()["devices"]
    ids = sorted(d.get("device", d)["id"] for d in house_after)
    assert ids == sorted(i for kind in body["automategreen"]["devices"].values() for i in kind)
    assert not set(ids) & {d.get("device", d)["id"] for d in house_before}

    headers = bearer(token(client, tenant))  # the application survives (the old token expired)
    names = {r["attributes"]["name"] for r in client.get(f"{FLAIR}/api/rooms", headers=headers)
             .json()["data"]}  # fmt: skip
    assert "Renamed" not in names
    assert room["attributes"]["name"] in names
    (after,) = client.get(f"{PREFIX}/devices", headers=phason_headers).json()
    assert [after["device_id"]] == body["phason"]["device_ids"]
    assert after["last_reported_on"] == "2024-07-25 16:30:00", "the world is rebuilt at now"
    # The new world has three days behind it: its first day starts at 16:30 (the old world
    # began an hour before T0, so 2024-07-22 had no minutes at all).
    rows = client.get(
        f"{PREFIX}/devices/{after['device_id']}/equipment_groups/history",
        params={"start": "2024-07-22", "end": "2024-07-22"},
        headers=phason_headers,
    ).json()
    assert 0 < len(rows) < 1440 * 5
    assert min(r["reading_time"] for r in rows) >= "2024-07-22 16:30:00"


def test_reset_refuses_unknown_or_missing_accounts(client: httpx.Client) -> None:
    """422 without an account, 404 for one that does not exist; nothing changes."""
    missing = client.post("/_ductwork/reset")
    assert missing.status_code == 422
    assert "account" in missing.json()["error"]
    unknown = client.post("/_ductwork/reset", params={"account": "nobody@example.com"})
    assert unknown.status_code == 404


def test_cli_reset_and_simulate_act_on_every_vendor(tmp_path: Path) -> None:
    """`ductwork simulate` backfills the barn and the home; `ductwork reset` rebuilds both."""
    email = "farm@example.com"
    created = ductwork("users", "create", "--email", email, "--password", "correct-horse",
                       "--demo", "--history-days", "0.02", data_dir=tmp_path)  # fmt: skip
    assert created.returncode == 0, created.stderr
    made = json.loads(created.stdout)
    assert made["phason"]["device_ids"]
    assert made["flair"]["structure_ids"]
    simulated = ductwork("simulate", "--days", "0.1", "--account", email, data_dir=tmp_path)
    assert simulated.returncode == 0, simulated.stderr
    result = json.loads(simulated.stdout)
    assert result["phason"] == made["phason"]
    assert result["flair"] == made["flair"]
    assert set(result["automategreen"]["devices"]) == set(made["automategreen"]["devices"])
    reset = ductwork("reset", "--account", email, "--history-days", "0.02", data_dir=tmp_path)
    assert reset.returncode == 0, reset.stderr
    assert set(json.loads(reset.stdout)) == {"account", "phason", "flair", "automategreen"}
