"""A day of Home Assistant's Flair polling, as flairaio 0.2.0 does it, against a live server
with the default daily token limit (50 new tokens per application and account).

flairaio asks for a new client-credentials token (`/oauth2/token`) before any call that finds
less than 3600 s left on its token (`FlairClient.check_token`, run by every `_get`), and it
measures that on `datetime.now()`. The test runs flairaio unchanged, with its base URL set to
the server's Flair root and its `datetime` replaced by one that reads the simulated time, so
its renewal decisions are made on the same clock as the server's token lifetimes (the
account's, advanced through the control plane) plus the real time that passes between calls.

Steps of 5 minutes instead of Home Assistant's 30 s: flairaio decides at each call whether
the token has less than 3600 s left, so with tokens of L seconds it renews at the first call
after L - 3600 s; 5-minute steps move each renewal by less than 5 minutes and the day's
count by at most one, and a 3600-s token is renewed at every call whatever the step. A full
`get_flair_data()` (about two dozen calls, each with its token check) runs every three hours
and at the end of the day; the other steps make one light call (`get_users()`).

See docs/flair.md ("Token lifetimes and flairaio"): `/oauth2/token` client-credentials tokens
live a day, so flairaio renews about once a day instead of before every call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import aiohttp
import httpx
import pytest
import sqlalchemy as sa
from flairaio import FlairClient, flair_client
from flairaio.constants import Endpoint

from ductwork.vendors.flair import schema
from ductwork.vendors.flair.oauth import TOKEN_LIMIT
from tests.conftest import World, _free_port, flair_home_tenant, serve

DAY = 86_400
STEP = 300  # seconds of the account's clock between polls
FULL_EVERY = 36  # steps: a whole get_flair_data() every three hours


def _tokens_issued(world: World, email: str, since: float) -> int:
    """New (not refreshed) tokens of the account's applications issued since `since`."""
    account = world.runtime.accounts.by_email(email)
    assert account is not None
    tokens = schema.tokens.c
    with world.runtime.engine.connect() as connection:
        count = connection.execute(
            sa.select(sa.func.count())
            .select_from(schema.tokens)
            .where(
                tokens.account_id == account.id,
                tokens.refreshed.is_(False),
                tokens.issued_at >= since,
            )
        ).scalar_one()
    return int(count)


def test_a_day_of_flairaio_polling_stays_under_the_token_limit(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant = flair_home_tenant(world.runtime, "flairaio-day@example.com")
    account = world.runtime.accounts.by_email(tenant.email)
    assert account is not None
    start = world.runtime.clocks.now(account.id)
    elapsed = [0.0]
    real_now = dt.datetime.now

    class SimulatedDatetime(dt.datetime):
        """flairaio's `datetime`: now() is the real time plus the clock's advances (the time
        that really passes between its calls counts too, as it does for Home Assistant)."""

        @classmethod
        def now(cls, tz: dt.tzinfo | None = None) -> Any:
            return real_now(tz) + dt.timedelta(seconds=elapsed[0])

    port = _free_port()
    with serve(world, "--vendor-ports", f"flair={port}") as base:  # the default token limit
        root = f"http://127.0.0.1:{port}"
        monkeypatch.setattr(Endpoint.BASE_URL, "_value_", root)
        monkeypatch.setattr(flair_client, "datetime", SimulatedDatetime)

        async def day(control: httpx.Client) -> list[int]:
            failed: list[int] = []
            async with aiohttp.ClientSession() as session:
                client = FlairClient(tenant.client_id, tenant.client_secret, session=session)
                for step in range(DAY // STEP + 1):
                    try:
                        if step % FULL_EVERY == 0 or step == DAY // STEP:
                            data = await client.get_flair_data()
                            assert data.structures
                        else:
                            assert (await client.get_users()).users
                    except Exception:  # a failed poll is what is counted
                        failed.append(step)
                        if len(failed) > 3:
                            break
                    moved = control.post(
                        "/_ductwork/clock",
                        json={"account": tenant.email, "advance_seconds": STEP},
                    )
                    assert moved.status_code == 200, moved.text
                    elapsed[0] += STEP
            return failed

        with httpx.Client(base_url=base, timeout=30) as control:
            failed = asyncio.run(day(control))
    issued = _tokens_issued(world, tenant.email, start)
    assert failed == [], f"polls failed at steps {failed}; {issued} tokens issued"
    assert issued < TOKEN_LIMIT, issued
