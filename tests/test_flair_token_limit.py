"""Flair's daily token limit through HTTP: an application may create 50 new tokens a day for an
account (the real service's rule); the 51st gets 429 with Retry-After on the account's clock;
refreshing still works and does not count; the limit is per application and account, counts
the implicit grant, and `--flair-token-limit 0` turns it off.

The world's runtime and live server run without the limit (the rest of the suite issues many
tokens on frozen clocks); the `limited` client talks to a runtime or a live server opened with
the default, on the same database.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from authlib.integrations.httpx_client import OAuth2Client
from starlette.testclient import TestClient

from ductwork.app import create_app
from ductwork.runtime import Runtime
from ductwork.vendors.flair import schema
from ductwork.vendors.flair.oauth import TOKEN_LIMIT
from tests.conftest import FLAIR, T0, World, flair, serve
from tests.test_flair_authorize import sign_in

DAY = 86_400
REDIRECT = "http://localhost:9090/flair/callback"


@dataclass(frozen=True)
class Partner:
    """A fresh account (clock frozen at T0) and an application it owns."""

    email: str
    password: str
    account_id: int
    application_id: int
    client_id: str
    client_secret: str


def partner(world: World, owner: Partner | None = None) -> Partner:
    """A new account with an application, or (with `owner`) a second application of it."""
    runtime = world.runtime
    if owner is None:
        email, password = f"limit-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(12)
        account = runtime.accounts.create(email, password)
        runtime.clocks.change(account.id, set_to=T0, freeze=True)
    else:
        email, password = owner.email, owner.password
        found = runtime.accounts.by_id(owner.account_id)
        assert found is not None
        account = found
    application, secret = flair(runtime).applications.create(
        account, f"limit {secrets.token_hex(3)}", redirect_uris=(REDIRECT,)
    )
    return Partner(email, password, account.id, application.id, application.client_id, secret)


@pytest.fixture(scope="module")
def limited_live(world: World) -> Iterator[str]:
    """A live server on the world's database with the default token limit (no option)."""
    with serve(world) as base:
        yield base


@pytest.fixture(scope="module", params=["inprocess", "live"])
def limited(request: pytest.FixtureRequest, world: World) -> Iterator[httpx.Client]:
    """A client of a server with the default limit: in-process (a second runtime on the
    world's database, opened without the option) or live."""
    if request.param == "inprocess":
        runtime = Runtime.open(world.data_dir, world.database_url)
        try:
            with TestClient(create_app(runtime, background=False)) as test_client:
                yield test_client
        finally:
            runtime.close()
    else:
        base = request.getfixturevalue("limited_live")
        with httpx.Client(base_url=base, timeout=30) as http:
            yield http


def new_token(
    client: httpx.Client, p: Partner, path: str = "/flair/oauth2/token", **extra: str
) -> httpx.Response:
    """Ask for a new client-credentials token (or another grant, through `extra`)."""
    params = {
        "grant_type": "client_credentials",
        "client_id": p.client_id,
        "client_secret": p.client_secret,
        "scope": "users.view structures.view",
        **extra,
    }
    return client.post(path, data=params)


def issue(client: httpx.Client, p: Partner, count: int) -> list[dict[str, str]]:
    """`count` new tokens, all of which must be given."""
    bodies = []
    for i in range(count):
        response = new_token(client, p, "/flair/oauth/token" if i % 2 else "/flair/oauth2/token")
        assert response.status_code == 200, f"token {i + 1}: {response.text}"
        bodies.append(response.json())
    return bodies


def assert_limited(response: httpx.Response, retry_after: int) -> None:
    """429 with the RFC 6749 error JSON, no-store caching and Retry-After."""
    assert response.status_code == 429, response.text
    body = response.json()
    assert set(body) == {"error", "error_description"}
    assert body["error"] == "invalid_request"
    assert f"{TOKEN_LIMIT} tokens a day" in body["error_description"]
    assert "refreshing does not count" in body["error_description"].lower()
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["pragma"] == "no-cache"
    assert response.headers["retry-after"] == str(retry_after)


def stored(world: World, p: Partner) -> list[tuple[bool, float]]:
    """(refreshed, issued_at) of the application's stored tokens."""
    tokens = schema.tokens.c
    with world.runtime.engine.connect() as connection:
        rows = connection.execute(
            sa.select(tokens.refreshed, tokens.issued_at)
            .where(tokens.application_id == p.application_id)
            .order_by(tokens.id)
        ).all()
    return [(bool(r.refreshed), float(r.issued_at)) for r in rows]


def move_clock(client: httpx.Client, p: Partner, seconds: int) -> None:
    """Advance the partner account's clock through the control plane."""
    moved = client.post("/_ductwork/clock", json={"account": p.email, "advance_seconds": seconds})
    assert moved.status_code == 200, moved.text


def test_the_51st_token_of_a_day_is_429_until_the_day_moves_on(
    limited: httpx.Client, world: World
) -> None:
    """50 new tokens (on both token paths) are given; the 51st is refused with Retry-After on
    the account's clock, and stored nowhere; a day later on that clock tokens come again."""
    p = partner(world)
    issue(limited, p, TOKEN_LIMIT)
    assert_limited(new_token(limited, p), DAY)
    assert_limited(new_token(limited, p, "/flair/oauth/token"), DAY)
    assert len(stored(world, p)) == TOKEN_LIMIT
    move_clock(limited, p, 3600)
    assert_limited(new_token(limited, p), DAY - 3600)
    move_clock(limited, p, DAY - 3600 - 1)
    assert_limited(new_token(limited, p), 1)
    move_clock(limited, p, 1)
    again = new_token(limited, p)
    assert again.status_code == 200, again.text
    assert limited.get(f"{FLAIR}/api/me", headers={
        "Authorization": f"Bearer {again.json()['access_token']}"}).status_code == 200  # fmt: skip
    # The day holds one token now: 49 more, then the limit again, until the new one ages.
    issue(limited, p, TOKEN_LIMIT - 1)
    assert_limited(new_token(limited, p), DAY)


def test_refresh_works_at_the_limit_and_does_not_count(limited: httpx.Client, world: World) -> None:
    """A refresh does not use up the day's tokens (49 new + 1 refresh leave room for a 50th),
    works when the limit is reached, and its token is stored as refreshed."""
    p = partner(world)
    first, *_ = issue(limited, p, TOKEN_LIMIT - 1)
    refreshed = limited.post(
        "/flair/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(p.client_id, p.client_secret),
    )
    assert refreshed.status_code == 200, refreshed.text
    last = new_token(limited, p)
    assert last.status_code == 200, last.text
    assert_limited(new_token(limited, p), DAY)
    again = limited.post(
        "/flair/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": last.json()["refresh_token"]},
        auth=(p.client_id, p.client_secret),
    )
    assert again.status_code == 200, again.text
    headers = {"Authorization": f"Bearer {again.json()['access_token']}"}
    assert limited.get(f"{FLAIR}/api/me", headers=headers).status_code == 200
    flags = [refreshed_flag for refreshed_flag, _ in stored(world, p)]
    assert flags.count(False) == TOKEN_LIMIT
    assert flags.count(True) == 2
    assert_limited(new_token(limited, p), DAY)


def test_the_limit_is_per_application_and_account(limited: httpx.Client, world: World) -> None:
    """A second application of the same account, and the same application signing in another
    account (password grant), still get tokens when the first pair is at its limit."""
    p = partner(world)
    other_application = partner(world, owner=p)
    other_account = partner(world)
    issue(limited, p, TOKEN_LIMIT)
    assert_limited(new_token(limited, p), DAY)
    assert new_token(limited, other_application).status_code == 200
    signed_in = new_token(
        limited,
        p,
        grant_type="password",
        username=other_account.email,
        password=other_account.password,
    )
    assert signed_in.status_code == 200, signed_in.text
    # The password grant counts too: it is the owner's 51st new token of this application.
    owner = new_token(limited, p, grant_type="password", username=p.email, password=p.password)
    assert_limited(owner, DAY)


def test_limit_zero_disables_it(client: httpx.Client, world: World) -> None:
    """The world's runtime and live server run with --flair-token-limit 0: no limit at all."""
    p = partner(world)
    issue(client, p, TOKEN_LIMIT + 10)
    assert len(stored(world, p)) == TOKEN_LIMIT + 10


def test_implicit_grant_counts_and_is_refused_in_the_fragment(
    world: World, limited_live: str
) -> None:
    """Tokens of the implicit grant count toward the limit; over it, the user is sent back to
    the client with error=invalid_request in the fragment (no token)."""
    p = partner(world)
    client = OAuth2Client(p.client_id, redirect_uri=REDIRECT, scope="structures.view")
    with httpx.Client(base_url=limited_live, timeout=30) as http:
        issue(http, p, TOKEN_LIMIT - 1)
        url, state = client.create_authorization_url(
            f"{limited_live}{FLAIR}/oauth/authorize", response_type="token"
        )
        answer = sign_in(url, p.email, p.password)
        assert answer.status_code == 302
        assert "access_token" in client.token_from_fragment(answer.headers["location"])
        assert_limited(new_token(http, p), DAY)
        url, state = client.create_authorization_url(
            f"{limited_live}{FLAIR}/oauth/authorize", response_type="token"
        )
        refused = sign_in(url, p.email, p.password)
    assert refused.status_code == 302
    location = urlsplit(refused.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    fragment = parse_qs(location.fragment)
    assert fragment["error"] == ["invalid_request"]
    assert "refreshing does not count" in fragment["error_description"][0]
    assert fragment["state"] == [state]
    assert "access_token" not in fragment
    assert len(stored(world, p)) == TOKEN_LIMIT
    client.close()
