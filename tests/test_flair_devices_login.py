"""Flair devices: every sign-in (the password grant on both token paths, the sign-in form of
/oauth/authorize) records its User-Agent as one of the account's devices, stamped on the
account's clock; signing in again with the same agent only bumps updated_at; client
credentials and refresh record nothing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx
import pytest
import sqlalchemy as sa
from authlib.integrations.httpx_client import OAuth2Client

from ductwork.vendors.flair import schema
from tests.conftest import FLAIR, T0, World, flair
from tests.test_phason_v1_0_2 import form_of

REDIRECT = "http://localhost:9090/flair/callback"


@dataclass(frozen=True)
class Person:
    """A fresh account (clock frozen at T0) owning an application."""

    email: str
    password: str
    account_id: int
    client_id: str
    client_secret: str


@pytest.fixture
def person(world: World) -> Person:
    """A new account and its application, redirecting to REDIRECT."""
    runtime = world.runtime
    email, password = f"device-{secrets.token_hex(4)}@example.com", secrets.token_urlsafe(12)
    account = runtime.accounts.create(email, password)
    runtime.clocks.change(account.id, set_to=T0, freeze=True)
    application, secret = flair(runtime).applications.create(
        account, "devices", redirect_uris=(REDIRECT,)
    )
    return Person(email, password, account.id, application.client_id, secret)


def devices(world: World, person: Person) -> list[tuple[str, float, float]]:
    """(user_agent, created_at, updated_at) of the account's devices, read from the table."""
    table = schema.devices
    with world.runtime.engine.connect() as connection:
        rows = connection.execute(
            sa.select(table.c.user_agent, table.c.created_at, table.c.updated_at)
            .where(table.c.account_id == person.account_id)
            .order_by(table.c.id)
        ).all()
    return [(str(r.user_agent), float(r.created_at), float(r.updated_at)) for r in rows]


def password_grant(
    client: httpx.Client, person: Person, agent: str | None, path: str = "/flair/oauth2/token"
) -> httpx.Response:
    """Sign in with the password grant, sending `agent` as the User-Agent."""
    headers = {} if agent is None else {"User-Agent": agent}
    response = client.post(
        path,
        data={
            "grant_type": "password",
            "username": person.email,
            "password": person.password,
            "client_id": person.client_id,
            "client_secret": person.client_secret,
            "scope": "users.view",
        },
        headers=headers,
    )
    assert response.status_code == 200, response.text
    return response


def move_clock(client: httpx.Client, person: Person, seconds: int) -> None:
    """Advance the account's clock through the control plane."""
    moved = client.post(
        "/_ductwork/clock", json={"account": person.email, "advance_seconds": seconds}
    )
    assert moved.status_code == 200, moved.text


def test_password_grant_records_the_device(
    client: httpx.Client, world: World, person: Person
) -> None:
    """The first sign-in adds the agent at the account's now; the next with the same agent
    (on the other token path) bumps updated_at only; another agent is another device."""
    agent = f"FlairApp/4.2 (iPhone; iOS 17.5) {secrets.token_hex(3)}"
    password_grant(client, person, agent)
    assert devices(world, person) == [(agent, T0, T0)]
    move_clock(client, person, 90)
    password_grant(client, person, agent, "/flair/oauth/token")
    assert devices(world, person) == [(agent, T0, T0 + 90)]
    password_grant(client, person, "home-assistant/2024.7 flair")
    assert devices(world, person) == [
        (agent, T0, T0 + 90),
        ("home-assistant/2024.7 flair", T0 + 90, T0 + 90),
    ]


def test_agents_are_cut_and_blank_ones_skipped(
    client: httpx.Client, world: World, person: Person
) -> None:
    """A 600-character agent is stored as its first 500; a blank one records nothing."""
    password_grant(client, person, "")
    assert devices(world, person) == []
    long_agent = "Mozilla/5.0 " + "x" * 588
    password_grant(client, person, long_agent)
    assert devices(world, person) == [(long_agent[:500], T0, T0)]


def test_client_credentials_and_refresh_record_nothing(
    client: httpx.Client, world: World, person: Person
) -> None:
    """Only sign-ins are devices: an application's own token and a refresh are not."""
    issued = client.post(
        "/flair/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "users.view"},
        auth=(person.client_id, person.client_secret),
        headers={"User-Agent": "partner-backend/1.0"},
    )
    assert issued.status_code == 200, issued.text
    refreshed = client.post(
        "/flair/oauth2/token",
        data={"grant_type": "refresh_token", "refresh_token": issued.json()["refresh_token"]},
        auth=(person.client_id, person.client_secret),
        headers={"User-Agent": "partner-backend/1.0"},
    )
    assert refreshed.status_code == 200, refreshed.text
    assert devices(world, person) == []


def _sign_in_form(
    live: str, person: Person, agent: str, password: str, response_type: str = "code"
) -> httpx.Response:
    """Open the authorization page and post its sign-in form as a browser with `agent`."""
    oauth = OAuth2Client(person.client_id, redirect_uri=REDIRECT, scope="users.view")
    url, _ = oauth.create_authorization_url(
        f"{live}{FLAIR}/oauth/authorize", response_type=response_type
    )
    oauth.close()
    with httpx.Client(headers={"User-Agent": agent}) as browser:
        login = browser.get(url)
        assert login.status_code == 200, login.text
        action, fields = form_of(login.text)
        return browser.post(
            login.url.join(action), data={**fields, "email": person.email, "password": password}
        )


def test_authorize_sign_in_form_records_the_device(
    world: World, live_server: str, person: Person
) -> None:
    """Signing in on the authorization page (code or implicit flow) records the browser's
    agent; a wrong password records nothing; signing in again bumps updated_at."""
    agent = f"Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0 {secrets.token_hex(3)}"
    wrong = _sign_in_form(live_server, person, agent, "not the password")
    assert wrong.status_code == 401
    assert devices(world, person) == []
    consent = _sign_in_form(live_server, person, agent, person.password)
    assert consent.status_code == 200, consent.text
    assert "Allow access?" in consent.text
    assert devices(world, person) == [(agent, T0, T0)]
    with httpx.Client(base_url=live_server) as http:
        move_clock(http, person, 300)
    again = _sign_in_form(live_server, person, agent, person.password, response_type="token")
    assert again.status_code == 200, again.text
    assert devices(world, person) == [(agent, T0, T0 + 300)]
