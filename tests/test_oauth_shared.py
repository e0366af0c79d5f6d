"""What the shared OAuth store and credential extraction promise both vendors, through HTTP:
a refresh token past its life is refused at the standard token endpoint as at Phason's own
/refresh, and each API keeps its own bearer header tolerance."""

from __future__ import annotations

import httpx

from tests.conftest import FlairWorld, World
from tests.test_flair_api import token
from tests.test_phason_v1_0_2 import BASE, owner


def _refresh_at_token(
    client: httpx.Client, client_id: str, secret: str, refresh: str
) -> httpx.Response:
    return client.post(
        f"{BASE}/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh, "client_id": client_id,
              "client_secret": secret},
    )  # fmt: skip


def test_phason_token_endpoint_refuses_refresh_tokens_past_seven_days(
    client: httpx.Client, world: World
) -> None:
    """/token refreshes a live pair, and answers invalid_grant once 7 days of account time
    have passed since the pair was issued."""
    live = owner(world)
    fresh = _refresh_at_token(client, live.client_id, live.client_secret, live.refresh)
    assert fresh.status_code == 200, fresh.text
    old = owner(world)
    moved = client.post(
        "/_ductwork/clock", json={"account": old.email, "advance_seconds": 7 * 86_400 + 60}
    )
    assert moved.status_code == 200
    expired = _refresh_at_token(client, old.client_id, old.client_secret, old.refresh)
    assert expired.status_code == 400, expired.text
    assert expired.json()["error"] == "invalid_grant"


def test_bearer_with_a_colon_is_phason_only(
    client: httpx.Client, world: World, flair_world: FlairWorld
) -> None:
    """`Authorization: Bearer: <token>` works on Phason v1.0.2, as scripts send it; Flair
    answers it with its 401."""
    phason = owner(world)
    answer = client.get(f"{BASE}/devices", headers={"Authorization": f"Bearer: {phason.access}"})
    assert answer.status_code == 200, answer.text
    flair = token(client, flair_world.a)
    refused = client.get("/flair/api/me", headers={"Authorization": f"Bearer: {flair}"})
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
