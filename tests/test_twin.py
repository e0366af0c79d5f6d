"""The barn twin: the same seed gives the same history however the clock is stepped."""

from __future__ import annotations

import secrets

import httpx

from tests.conftest import PREFIX, T0, World


def _twin_account(
    world: World, seed: int, start: float, hours: float
) -> tuple[str, dict[str, str]]:
    email = f"twin-{secrets.token_hex(4)}@example.com"
    account = world.runtime.accounts.create(email, secrets.token_urlsafe(12), seed=seed)
    world.runtime.clocks.change(account.id, set_to=start, freeze=True)
    world.runtime.add_demo_world(account, history_days=hours / 24)
    key = world.runtime.accounts.issue_key(account, "phason")
    return email, {"Phasonkey": key}


def _history(client: httpx.Client, headers: dict[str, str], start: str, end: str) -> list[str]:
    device = client.get(f"{PREFIX}/devices", headers=headers).json()[0]["device_id"]
    groups = client.get(
        f"{PREFIX}/devices/{device}/equipment_groups/history",
        params={"start": start, "end": end},
        headers=headers,
    ).json()
    outputs = client.get(
        f"{PREFIX}/devices/{device}/outputs/history",
        params={"start": start, "end": end},
        headers=headers,
    ).json()
    # Ids differ between accounts; everything the barn did must not.
    return [
        f"{g['group_name']} {g['reading_time']} {g['current_reading']} {g['alarm_code']}"
        for g in groups
    ] + [f"{o['name']} {v['time']} {v['reading']}" for o in outputs for v in o["values"]]


def test_lazy_catch_up_equals_continuous_stepping(client: httpx.Client, world: World) -> None:
    """One barn simulated in one go and its twin stepped in uneven jumps agree minute by minute."""
    seed = 4242
    _, whole = _twin_account(world, seed, T0, hours=2)
    email, stepped = _twin_account(world, seed, T0 - 2 * 3600, hours=0)
    for jump in (1, 7, 60, 13, 39):  # minutes, adding up to two hours
        client.post("/_ductwork/clock", json={"account": email, "advance_seconds": jump * 60})
        client.get(f"{PREFIX}/devices", headers=stepped)
    window = ("2024-07-23 14:31:00", "2024-07-23 16:30:00")
    expected = _history(client, whole, *window)
    assert len(expected) > 1000
    assert _history(client, stepped, *window) == expected


def test_another_seed_gives_another_barn(client: httpx.Client, world: World) -> None:
    """Seeds matter: weather and sensor noise differ between seeds."""
    _, first = _twin_account(world, 1, T0, hours=1)
    _, second = _twin_account(world, 2, T0, hours=1)
    window = ("2024-07-23 15:31:00", "2024-07-23 16:30:00")
    assert _history(client, first, *window) != _history(client, second, *window)
