"""Flair's authorization endpoint against a live server, driven by Authlib's OAuth2 client:
the authorization code grant and the implicit grant (view scopes only), sign-in and consent
pages, exact redirect URIs, and tokens that act for the user who signed in."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from authlib.integrations.httpx_client import OAuth2Client

from tests.conftest import FLAIR, World, flair
from tests.test_phason_v1_0_2 import form_of

REDIRECT = "http://localhost:9090/flair/callback"


@dataclass(frozen=True)
class Partner:
    """An application of tenant a with a registered redirect URI."""

    client_id: str
    client_secret: str


@pytest.fixture
def live(world: World, live_server: str) -> str:
    """The live server's base URL (authorization flows run against a real process)."""
    return live_server


@pytest.fixture
def partner(world: World) -> Partner:
    """A fresh application owned by tenant a, redirecting to REDIRECT."""
    account = world.runtime.accounts.by_email(world.a.email)
    assert account is not None
    application, secret = flair(world.runtime).applications.create(
        account, f"partner {secrets.token_hex(3)}", redirect_uris=(REDIRECT,)
    )
    return Partner(application.client_id, secret)


def sign_in(url: str, email: str, password: str, decision: str = "allow") -> httpx.Response:
    """A person in a browser: open the URL, sign in, answer the consent page."""
    with httpx.Client() as browser:
        login = browser.get(url)
        assert login.status_code == 200, login.text
        assert "Flair" in login.text
        action, fields = form_of(login.text)
        consent = browser.post(
            login.url.join(action), data={**fields, "email": email, "password": password}
        )
        assert consent.status_code == 200, consent.text
        action, fields = form_of(consent.text)
        assert str(consent.url.join(action)).endswith(f"{FLAIR}/oauth/authorize/consent")
        return browser.post(
            consent.url.join(action), data={**fields, "decision": decision}, follow_redirects=False
        )


def test_authorization_code_grant_with_a_real_client(
    world: World, live: str, partner: Partner
) -> None:
    """Authlib's client: authorize (tenant b signs in to tenant a's application), exchange the
    code, call the API as b, refresh; the code works once."""
    client = OAuth2Client(
        partner.client_id,
        partner.client_secret,
        redirect_uri=REDIRECT,
        scope="users.view structures.view vents.view",
    )
    url, state = client.create_authorization_url(f"{live}{FLAIR}/oauth/authorize")
    answer = sign_in(url, world.b.email, world.b.password)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(location).query)["state"] == [state]
    token = client.fetch_token(f"{live}{FLAIR}/oauth2/token", authorization_response=location)
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600
    assert token["scope"] == "users.view structures.view vents.view"
    assert token["refresh_token"]
    me = client.get(f"{live}{FLAIR}/api/me")
    assert me.status_code == 200
    assert me.json()["data"]["attributes"]["email"] == world.b.email
    assert client.get(f"{live}{FLAIR}/api/vents").status_code == 200
    assert client.get(f"{live}{FLAIR}/api/callbacks").status_code == 403
    refreshed = client.refresh_token(f"{live}{FLAIR}/oauth2/token")
    assert refreshed["access_token"] != token["access_token"]
    assert client.get(f"{live}{FLAIR}/api/me").status_code == 200
    code = parse_qs(urlsplit(location).query)["code"][0]
    again = httpx.post(
        f"{live}{FLAIR}/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        auth=(partner.client_id, partner.client_secret),
    )
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    client.close()


def test_implicit_grant_gives_view_scopes_only(world: World, live: str, partner: Partner) -> None:
    """response_type=token: the token comes in the fragment, without a refresh token; it can
    read but not write; asking for an edit scope is refused."""
    client = OAuth2Client(
        partner.client_id, redirect_uri=REDIRECT, scope="structures.view vents.view"
    )
    url, state = client.create_authorization_url(
        f"{live}{FLAIR}/oauth/authorize", response_type="token"
    )
    answer = sign_in(url, world.a.email, world.a.password)
    assert answer.status_code == 302
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "#")
    token = client.token_from_fragment(location)
    assert token["state"] == state
    assert token["scope"] == "structures.view vents.view"
    assert "refresh_token" not in token
    vents = client.get(f"{live}{FLAIR}/api/vents")
    assert vents.status_code == 200
    vent = vents.json()["data"][0]["id"]
    write = client.patch(
        f"{live}{FLAIR}/api/vents/{vent}", json={"data": {"attributes": {"percent-open": 50}}}
    )
    assert write.status_code == 403
    url, _ = client.create_authorization_url(
        f"{live}{FLAIR}/oauth/authorize", response_type="token", scope="vents.edit"
    )
    refused = httpx.get(url)
    assert refused.status_code == 400
    assert "view scopes" in refused.text
    client.close()


@pytest.mark.parametrize(
    "redirect",
    [REDIRECT + "/", REDIRECT + "?x=1", "https://evil.example/flair/callback"],
)
def test_redirect_uri_must_match_exactly(live: str, partner: Partner, redirect: str) -> None:
    """An unregistered redirect URI gets an error page, never a redirect."""
    for response_type in ("code", "token"):
        answer = httpx.get(
            f"{live}{FLAIR}/oauth/authorize",
            params={"response_type": response_type, "client_id": partner.client_id,
                    "redirect_uri": redirect},
        )  # fmt: skip
        assert answer.status_code == 400
        assert "location" not in answer.headers


def test_denied_consent_and_wrong_password(world: World, live: str, partner: Partner) -> None:
    """Deny redirects with access_denied; a wrong password shows the sign-in page again;
    an unknown client gets an error page."""
    client = OAuth2Client(partner.client_id, partner.client_secret, redirect_uri=REDIRECT)
    url, state = client.create_authorization_url(f"{live}{FLAIR}/oauth/authorize")
    denied = sign_in(url, world.a.email, world.a.password, "deny")
    assert denied.status_code == 302
    query = parse_qs(urlsplit(denied.headers["location"]).query)
    assert query["error"] == ["access_denied"]
    assert query["state"] == [state]
    with httpx.Client() as browser:
        login = browser.get(url)
        action, fields = form_of(login.text)
        wrong = browser.post(
            login.url.join(action), data={**fields, "email": world.a.email, "password": "nope"}
        )
    assert wrong.status_code == 401
    assert "not correct" in wrong.text
    unknown = httpx.get(
        f"{live}{FLAIR}/oauth/authorize", params={"response_type": "code", "client_id": "nobody"}
    )
    assert unknown.status_code == 400
