"""The OAuth2 authorization endpoint every vendor shares: a sign-in page, a consent page and
the redirect back to the client, over an Authlib server.

Each vendor gives its look and words (`Brand`) and how to build its Authlib request; the
flow is the same: Authlib checks the request (client, exact redirect URI, response type,
scopes) before anything is shown, the password is checked with argon2id, a single-use login
ticket carries the sign-in to the consent page, and the decision goes back to Authlib, which
answers with the redirect (a code in the query, or a token in the fragment).
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from authlib.oauth2.rfc6749.errors import OAuth2Error
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ductwork.core.accounts import Account
from ductwork.core.oauth.server import OAuthServer, ParamsRequest

Handler = Callable[[Request], Awaitable[Response]]
EXPIRED_LOGIN = "The sign-in has expired or was already used; sign in again."

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body{{font-family:system-ui,sans-serif;background:#eef2f5;margin:0}}
main{{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:6px;
box-shadow:0 1px 4px #0002}}
h1{{color:{colour};font-size:1.4rem}} label{{display:block;margin:.8rem 0 .2rem}}
input[type=email],input[type=password]{{width:100%;padding:.5rem;box-sizing:border-box}}
button{{margin-top:1rem;padding:.55rem 1.2rem;background:{colour};color:#fff;border:0;
border-radius:4px}} button.secondary{{background:#888}} .error{{color:#b3261e}}
</style></head><body><main>{body}</main></body></html>"""


@dataclass(frozen=True)
class Brand:
    """A vendor's sign-in look: names, colour, form actions, and what it asks consent for."""

    name: str  # the sign-in heading, e.g. "Phason Webservices"
    colour: str
    login_action: str
    consent_action: str
    sign_in_title: str
    consent_title: str
    invitation: Callable[[str], str]  # client name (escaped) -> the sign-in page's sentence
    request: Callable[[str, str, Any], str]  # client, email (escaped), grant -> consent text


def page(brand: Brand, title: str, body: str, status: int = 200) -> HTMLResponse:
    """One page in the vendor's look."""
    document = PAGE.format(title=title, colour=brand.colour, body=body)
    return HTMLResponse(document, status_code=status)


def hidden(params: dict[str, str]) -> str:
    """The authorization request carried through a form."""
    return "".join(
        f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
        for k, v in params.items()
    )


def login_page(brand: Brand, params: dict[str, str], client: str, error: str = "") -> HTMLResponse:
    """The sign-in form, carrying the authorization request along."""
    problem = f'<p class="error">{html.escape(error)}</p>' if error else ""
    body = (
        f"<h1>{html.escape(brand.name)}</h1>"
        f"<p>{brand.invitation(html.escape(client))}</p>{problem}"
        f'<form method="post" action="{brand.login_action}">{hidden(params)}'
        '<label for="email">Email</label><input id="email" type="email" name="email" required>'
        '<label for="password">Password</label>'
        '<input id="password" type="password" name="password" required>'
        "<button>Sign in</button></form>"
    )
    return page(brand, brand.sign_in_title, body, 401 if error else 200)


def consent_page(
    brand: Brand, params: dict[str, str], client: str, email: str, ticket: str, grant: Any
) -> HTMLResponse:
    """Ask the signed-in user to allow or deny the request."""
    body = (
        "<h1>Allow access?</h1>"
        f"<p>{brand.request(html.escape(client), html.escape(email), grant)}</p>"
        f'<form method="post" action="{brand.consent_action}">'
        f"{hidden({**params, 'ticket': ticket})}"
        '<button name="decision" value="allow">Allow</button> '
        '<button class="secondary" name="decision" value="deny">Deny</button></form>'
    )
    return page(brand, brand.consent_title, body)


def error_page(brand: Brand, message: str, status: int = 400) -> HTMLResponse:
    """A request that cannot go back to the client (unknown client, unregistered redirect)."""
    body = f"<h1>Cannot continue</h1><p class='error'>{html.escape(message)}</p>"
    return page(brand, brand.sign_in_title, body, status)


@dataclass(frozen=True)
class Authorization:
    """The vendor's pieces of the flow (its server brings the accounts and login tickets)."""

    server: OAuthServer[Any]
    brand: Brand
    oauth_params: tuple[str, ...]  # the parameters that belong to the authorization request
    read_params: Callable[[Request], Awaitable[dict[str, str]]]
    make_request: Callable[[Request, dict[str, str]], ParamsRequest]


def endpoints(flow: Authorization) -> tuple[Handler, Handler]:
    """The handlers of the sign-in page (GET shows it, POST checks the password) and of the
    consent form."""
    brand = flow.brand

    def validate(request: Request, oauth: dict[str, str]) -> Any:
        """Authlib's grant for a valid request, or an error page."""
        try:
            return flow.server.get_consent_grant(
                request=flow.make_request(request, oauth), end_user=None
            )
        except OAuth2Error as exc:
            return error_page(brand, exc.description or exc.error)
        except ValueError:  # Authlib will not describe a value outside RFC 6749's characters
            return error_page(brand, "The authorization request is malformed.")

    async def checked(request: Request) -> tuple[dict[str, str], dict[str, str], Any]:
        params = await flow.read_params(request)
        oauth = {k: v for k, v in params.items() if k in flow.oauth_params}
        return params, oauth, await anyio.to_thread.run_sync(validate, request, oauth)

    async def authorize(request: Request) -> Response:
        params, oauth, grant = await checked(request)
        if isinstance(grant, HTMLResponse):
            return grant
        name = str(grant.client.record.name)
        if request.method == "GET":
            return login_page(brand, oauth, name)
        found = await anyio.to_thread.run_sync(
            flow.server.accounts.check_password, params.get("email", ""), params.get("password", "")
        )
        if not isinstance(found, Account):
            return login_page(brand, oauth, name, "The email or password is not correct.")
        agent = request.headers.get("user-agent")
        ticket = await anyio.to_thread.run_sync(flow.server.logins.issue, found, agent)
        return consent_page(brand, oauth, name, found.email, ticket, grant)

    async def consent(request: Request) -> Response:
        params, oauth, grant = await checked(request)
        if isinstance(grant, HTMLResponse):
            return grant
        account = await anyio.to_thread.run_sync(
            flow.server.logins.redeem, params.get("ticket", "")
        )
        if account is None:
            return error_page(brand, EXPIRED_LOGIN, 401)
        user = account if params.get("decision") == "allow" else None

        def respond() -> tuple[int, Any, list[tuple[str, str]]]:
            result: tuple[int, Any, list[tuple[str, str]]] = (
                flow.server.create_authorization_response(
                    request=flow.make_request(request, oauth), grant_user=user, grant=grant
                )
            )
            return result

        status, _, headers = await anyio.to_thread.run_sync(respond)
        location = dict(headers).get("Location", "")
        return RedirectResponse(location, status_code=302 if status == 302 else status)

    return authorize, consent
