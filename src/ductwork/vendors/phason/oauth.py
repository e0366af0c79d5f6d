"""OAuth2 for the Phason v1.0.2 API: authorization code (+ PKCE), refresh, and /refresh.

Authlib's framework-independent core runs the grants on the shared store (`core.oauth`).
Phason's rules: access tokens live 24 hours and refresh tokens 7 days on the account's clock
(so a clock jump expires them), every token reads, and the client secret travels in the form
body (client_secret_post), as the document says. Phason's own POST /refresh answers with its
codes 0 to 3.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from typing import Any

from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy.engine import Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.oauth.grants import StoredCodes, StoredRefresh
from ductwork.core.oauth.logins import LoginTickets
from ductwork.core.oauth.records import ClientRecord, HashedSecretClient
from ductwork.core.oauth.server import OAuthServer, ParamsRequest
from ductwork.core.oauth.store import Clients, OAuthStore, OAuthTables
from ductwork.core.oauth.tokens import new_token
from ductwork.vendors.phason import schema

ACCESS_SECONDS = 24 * 3600
REFRESH_SECONDS = 7 * 24 * 3600
SCOPE = "read"
AUTH_METHODS = ["client_secret_post"]
TABLES = OAuthTables(schema.oauth_clients, schema.oauth_codes, schema.oauth_tokens, "client_pk")

OAuthClient = ClientRecord  # a registered client application (never its secret)


class Client(HashedSecretClient[OAuthClient]):
    """Authlib's view of a client: confidential, secret in the POST body, reads only."""

    def get_allowed_scope(self, scope: str) -> str:
        """Phason grants read access, whatever is asked."""
        return SCOPE

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """client_secret_post, as Phason documents."""
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        """The authorization code flow only."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Authorization code and refresh token."""
        return grant_type in ("authorization_code", "refresh_token")


class PhasonRequest(ParamsRequest):
    """An OAuth2 request of the v1.0.2 API."""


class AuthorizationCodeGrant(StoredCodes, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The document's flow: login, consent, a code, then tokens at /token."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def code_columns(self, request: ParamsRequest) -> dict[str, Any]:
        """The redirect URI (the default one when the request named none), the read scope
        and the PKCE challenge, if any."""
        payload = request.payload
        return {
            "redirect_uri": payload.redirect_uri or request.client.get_default_redirect_uri(),
            "scope": SCOPE,
            "code_challenge": payload.data.get("code_challenge"),
            "code_challenge_method": payload.data.get("code_challenge_method"),
        }


class RefreshTokenGrant(StoredRefresh, grants.RefreshTokenGrant):  # type: ignore[misc]
    """grant_type=refresh_token at /token, for standard OAuth2 client libraries."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS


class PhasonAuthorizationServer(OAuthServer[Account]):
    """Authlib's server on ductwork's storage, accounts and clocks."""

    def __init__(self, engine: Engine, clocks: Clocks, accounts: Accounts) -> None:
        store = OAuthStore(
            engine,
            clocks,
            TABLES,
            lambda token: accounts.by_id(token.account_id),
            access_seconds=ACCESS_SECONDS,
            refresh_seconds=REFRESH_SECONDS,
        )
        super().__init__(
            store, accounts, LoginTickets(engine, schema.oauth_logins, accounts), [SCOPE]
        )
        self.clients = Clients(store, OAuthClient)
        self.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=False)])
        self.register_grant(RefreshTokenGrant)

    # ------------------------------------------------------------ Authlib hooks
    def client_of(self, row: Any) -> Client:
        """The Authlib client of a row."""
        return Client(OAuthClient.of(row), row.secret_hash)

    def token_body(self, client: Client, scope: str | None, refresh: bool) -> dict[str, Any]:
        """A read-only pair for 24 hours, always with a refresh token."""
        return {
            "access_token": new_token(),
            "token_type": "Bearer",
            "expires_in": ACCESS_SECONDS,
            "refresh_token": new_token(),
            "scope": SCOPE,
        }

    def save_token(self, token: dict[str, Any], request: PhasonRequest) -> None:
        """Store the pair's hashes, issued at the account's now."""
        account: Account = request.user
        self.store_pair(account.id, request.client.record.id, token)

    def store_pair(self, account_id: int, client_pk: int, token: dict[str, Any]) -> float:
        """Store a new token pair; returns when it was issued (account clock)."""
        issued = self.clocks.now(account_id)
        with self.engine.begin() as connection:
            self.store.insert_pair(connection, account_id, client_pk, token, SCOPE, issued)
        return issued

    # ------------------------------------------------------------ bearer authentication
    def cached_bearer(self, access_token: str) -> Account | None:
        """The account of a token checked less than two seconds ago, if still unexpired."""
        return self.store.cached(access_token)

    def authenticate_bearer(self, access_token: str) -> Account | None:
        """The account of a live, unexpired access token."""
        return self.store.authenticate(access_token)

    # ------------------------------------------------------------ login tickets
    def issue_login(self, account: Account) -> str:
        """A ticket proving a fresh login, for the consent step (hashed, ten minutes)."""
        return self.logins.issue(account)

    def redeem_login(self, ticket: str) -> Account | None:
        """The account of a live ticket; a ticket works once."""
        return self.logins.redeem(ticket)

    # ------------------------------------------------------------ Phason's own /refresh
    def phason_refresh(
        self, bearer: str | None, params: Mapping[str, str]
    ) -> tuple[int, dict[str, str]]:
        """POST /refresh: codes 0 (new key), 1 (still valid), 2 (missing data), 3 (an access
        token where the refresh token belongs)."""
        client_id, secret = params.get("client_id", ""), params.get("secret", "")
        refresh_token = params.get("refresh_token", "")
        if not (client_id and secret and refresh_token and bearer):
            return 422, {"message": "Missing post data", "code": "2"}  # the document's 422
        client = self.query_client(client_id)
        if client is None or not client.check_client_secret(secret):
            return 401, {"message": "Invalid client credentials."}
        if self.store.find_by_access(refresh_token) is not None:
            return 400, {"message": "Access token recieved instead of refresh token",
                         "code": "3"}  # fmt: skip
        token = self.store.find_by_refresh(refresh_token)
        if token is None or not token.check_client(client) or token.is_revoked():
            return 401, {"message": "Invalid or expired refresh token."}
        current = self.store.find_by_access(bearer)
        if current is None or current.id != token.id:
            return 401, {"message": "The access token does not belong to this refresh token."}
        if not self.store.expired(token):
            return 200, {"message": "Key Still Valid", "code": "1",
                         "expiry": str(int(token.expires_at)),
                         "access_key": bearer, "refresh_token": refresh_token}  # fmt: skip
        self.store.revoke(token.id)
        pair = self.token_body(client, SCOPE, True)
        issued = self.store_pair(token.account_id, client.record.id, pair)
        return 200, {"message": "New key issued", "code": "0",
                     "expiry": str(int(issued + ACCESS_SECONDS)),
                     "access_key": pair["access_token"],
                     "refresh_token": pair["refresh_token"]}  # fmt: skip

    # ------------------------------------------------------------ clients
    def create_client(
        self, account: Account, name: str, redirect_uris: tuple[str, ...]
    ) -> tuple[OAuthClient, str]:
        """Register a client; returns it and its secret (shown once)."""
        if not redirect_uris:
            raise ValueError("a client needs at least one redirect URI")
        for uri in redirect_uris:
            if not uri.startswith(("http://", "https://")):
                raise ValueError(f"not an http(s) URL: {uri}")
        return self.clients.register(
            secrets.token_hex(16), account_id=account.id, name=name,
            redirect_uris=list(redirect_uris), created_at=time.time(),
        )  # fmt: skip

    def list_clients(self, account_id: int | None = None) -> list[OAuthClient]:
        """Registered clients, oldest first."""
        return self.clients.list(account_id)

    def delete_client(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens."""
        return self.clients.delete(client_id)


__all__ = ["PhasonAuthorizationServer", "PhasonRequest"]
