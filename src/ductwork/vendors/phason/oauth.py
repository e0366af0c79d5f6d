"""OAuth2 for the Phason v1.0.2 API: authorization code (+ PKCE), refresh, and /refresh.

Authlib's framework-independent core runs the grants; ductwork stores clients, codes and
tokens with their secrets hashed. Access tokens live 24 hours and refresh tokens 7 days on
the account's clock, so a clock jump expires them. The client secret travels in the form
body (client_secret_post), as the document says.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import OAuth2Error
from authlib.oauth2.rfc7636 import CodeChallenge
from sqlalchemy.engine import Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.db import storable
from ductwork.core.oauth import LoginTickets, ParamsRequest, Server, digest
from ductwork.vendors.phason import schema

ACCESS_SECONDS = 24 * 3600
REFRESH_SECONDS = 7 * 24 * 3600
CODE_SECONDS = 600.0
SCOPE = "read"
_CACHE_SECONDS = 2.0


@dataclass(frozen=True)
class OAuthClient:
    """A registered client application (never its secret)."""

    id: int
    account_id: int
    name: str
    client_id: str
    redirect_uris: tuple[str, ...]
    created_at: float


class Client(ClientMixin):  # type: ignore[misc]
    """Authlib's view of a client: confidential, secret in the POST body."""

    def __init__(self, client: OAuthClient, secret_hash: str) -> None:
        self.client = client
        self._secret_hash = secret_hash

    def get_client_id(self) -> str:
        """The public client id."""
        return self.client.client_id

    def get_default_redirect_uri(self) -> str | None:
        """The first registered redirect URI."""
        return self.client.redirect_uris[0] if self.client.redirect_uris else None

    def get_allowed_scope(self, scope: str) -> str:
        """Phason grants read access, whatever is asked."""
        return SCOPE

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match only."""
        return redirect_uri in self.client.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare hashes in constant time."""
        return hmac.compare_digest(digest(client_secret), self._secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """client_secret_post, as Phason documents."""
        return method == "client_secret_post"

    def check_response_type(self, response_type: str) -> bool:
        """The authorization code flow only."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Authorization code and refresh token."""
        return grant_type in ("authorization_code", "refresh_token")


@dataclass
class AuthorizationCode:
    """A stored code, as Authlib's grant and the PKCE extension read it."""

    id: int
    account_id: int
    redirect_uri: str
    scope: str
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        """The redirect URI the code was issued for."""
        return self.redirect_uri

    def get_scope(self) -> str:
        """The granted scope."""
        return self.scope


@dataclass
class Token(TokenMixin):  # type: ignore[misc]
    """A stored token pair, as the refresh grant reads it."""

    id: int
    account_id: int
    client_pk: int
    scope: str
    issued_at: float
    revoked: bool
    refresh_expired: bool

    def check_client(self, client: Client) -> bool:
        """A refresh token works only for its own client."""
        return self.client_pk == client.client.id

    def get_scope(self) -> str:
        """The granted scope."""
        return self.scope

    def get_expires_in(self) -> int:
        """Seconds an access token lives."""
        return ACCESS_SECONDS

    def is_revoked(self) -> bool:
        """Refreshed and expired refresh tokens do nothing."""
        return self.revoked or self.refresh_expired


class PhasonRequest(ParamsRequest):
    """An OAuth2 request of the v1.0.2 API."""


class AuthorizationCodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """The document's flow: login, consent, a code, then tokens at /token."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]  # noqa: RUF012

    def save_authorization_code(self, code: str, request: PhasonRequest) -> None:
        """Store the code's hash with what it was issued for."""
        server: PhasonAuthorizationServer = self.server
        payload = request.payload
        with server.engine.begin() as connection:
            connection.execute(
                sa.delete(schema.oauth_codes).where(schema.oauth_codes.c.expires_at < time.time())
            )
            connection.execute(
                sa.insert(schema.oauth_codes).values(
                    code_hash=digest(code),
                    client_pk=request.client.client.id,
                    account_id=request.user.id,
                    redirect_uri=payload.redirect_uri or request.client.get_default_redirect_uri(),
                    scope=SCOPE,
                    code_challenge=payload.data.get("code_challenge"),
                    code_challenge_method=payload.data.get("code_challenge_method"),
                    expires_at=time.time() + CODE_SECONDS,
                )
            )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        """A live code of this client."""
        server: PhasonAuthorizationServer = self.server
        with server.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.oauth_codes).where(
                    schema.oauth_codes.c.code_hash == digest(code),
                    schema.oauth_codes.c.client_pk == client.client.id,
                    schema.oauth_codes.c.expires_at > time.time(),
                )
            ).first()
        if row is None:
            return None
        return AuthorizationCode(row.id, row.account_id, row.redirect_uri, row.scope,
                                 row.code_challenge, row.code_challenge_method)  # fmt: skip

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Codes are single-use."""
        server: PhasonAuthorizationServer = self.server
        with server.engine.begin() as connection:
            connection.execute(
                sa.delete(schema.oauth_codes).where(
                    schema.oauth_codes.c.id == authorization_code.id
                )
            )

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Account | None:
        """The account that consented."""
        server: PhasonAuthorizationServer = self.server
        return server.accounts.by_id(authorization_code.account_id)


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """grant_type=refresh_token at /token, for standard OAuth2 client libraries."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_post"]  # noqa: RUF012
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        """A live refresh token."""
        server: PhasonAuthorizationServer = self.server
        return server.find_by_refresh(refresh_token)

    def authenticate_user(self, refresh_token: Token) -> Account | None:
        """The token's account."""
        server: PhasonAuthorizationServer = self.server
        return server.accounts.by_id(refresh_token.account_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """The old pair stops working."""
        server: PhasonAuthorizationServer = self.server
        server.revoke(refresh_token.id)


class PhasonAuthorizationServer(Server):
    """Authlib's server on ductwork's storage, accounts and clocks."""

    def __init__(self, engine: Engine, clocks: Clocks, accounts: Accounts) -> None:
        super().__init__(scopes_supported=[SCOPE])
        self.engine = engine
        self.clocks = clocks
        self.accounts = accounts
        self._cache: dict[str, tuple[float, Account, float]] = {}
        self._lock = threading.Lock()
        self.logins = LoginTickets(engine, schema.oauth_logins, accounts)
        self.register_grant(AuthorizationCodeGrant, [CodeChallenge(required=False)])
        self.register_grant(RefreshTokenGrant)
        self.register_token_generator("default", self._generate)

    # ------------------------------------------------------------ Authlib hooks
    def query_client(self, client_id: str) -> Client | None:
        """The client with this id."""
        if not storable(client_id):
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.oauth_clients).where(schema.oauth_clients.c.client_id == client_id)
            ).first()
        return None if row is None else Client(_client(row), row.secret_hash)

    def _generate(self, grant_type: str, client: Client, user: Account | None = None,
                  scope: str | None = None, expires_in: int | None = None,
                  include_refresh_token: bool = True) -> dict[str, Any]:  # fmt: skip
        return {
            "access_token": secrets.token_urlsafe(24),
            "token_type": "Bearer",
            "expires_in": ACCESS_SECONDS,
            "refresh_token": secrets.token_urlsafe(24),
            "scope": SCOPE,
        }

    def save_token(self, token: dict[str, Any], request: PhasonRequest) -> None:
        """Store the pair's hashes, issued at the account's now."""
        account: Account = request.user
        self.store_pair(account.id, request.client.client.id, token)

    # ------------------------------------------------------------ storage
    def store_pair(self, account_id: int, client_pk: int, token: dict[str, Any]) -> float:
        """Store a new token pair; returns when it was issued (account clock)."""
        issued = self.clocks.now(account_id)
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(schema.oauth_tokens).values(
                    account_id=account_id,
                    client_pk=client_pk,
                    access_hash=digest(token["access_token"]),
                    refresh_hash=digest(token["refresh_token"]),
                    scope=SCOPE,
                    issued_at=issued,
                    revoked=False,
                )
            )
        return issued

    def _token(self, row: Any) -> Token:
        expired = self.clocks.now(row.account_id) >= row.issued_at + REFRESH_SECONDS
        return Token(row.id, row.account_id, row.client_pk, row.scope, row.issued_at,
                     bool(row.revoked), expired)  # fmt: skip

    def find_by_refresh(self, refresh_token: str) -> Token | None:
        """The live pair of a refresh token."""
        return self._unrevoked(schema.oauth_tokens.c.refresh_hash, refresh_token)

    def find_by_access(self, access_token: str) -> Token | None:
        """The pair of an access token, expired or not (but not revoked)."""
        return self._unrevoked(schema.oauth_tokens.c.access_hash, access_token)

    def _unrevoked(self, column: sa.Column[str], token: str) -> Token | None:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.oauth_tokens).where(
                    column == digest(token), schema.oauth_tokens.c.revoked.is_(False)
                )
            ).first()
        return None if row is None else self._token(row)

    def revoke(self, token_id: int) -> None:
        """Revoke a pair."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(schema.oauth_tokens)
                .where(schema.oauth_tokens.c.id == token_id)
                .values(revoked=True)
            )
        with self._lock:
            self._cache.clear()

    # ------------------------------------------------------------ bearer authentication
    def cached_bearer(self, access_token: str) -> Account | None:
        """The account of a token checked less than two seconds ago, if still unexpired."""
        cached = self._cache.get(digest(access_token))
        if cached is None or time.monotonic() - cached[0] >= _CACHE_SECONDS:
            return None
        now = self.clocks.peek(cached[1].id)
        if now is None or now >= cached[2] + ACCESS_SECONDS:
            return None
        return cached[1]

    def authenticate_bearer(self, access_token: str) -> Account | None:
        """The account of a live, unexpired access token."""
        cached = self.cached_bearer(access_token)
        if cached is not None:
            return cached
        token = self.find_by_access(access_token)
        if token is None or self.clocks.now(token.account_id) >= token.issued_at + ACCESS_SECONDS:
            return None
        account = self.accounts.by_id(token.account_id)
        if account is None:
            return None
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest(access_token)] = (time.monotonic(), account, token.issued_at)
        return account

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
            return 400, {"message": "Missing post data", "code": "2"}
        client = self.query_client(client_id)
        if client is None or not client.check_client_secret(secret):
            return 401, {"message": "Invalid client credentials."}
        if self.find_by_access(refresh_token) is not None:
            return 400, {"message": "Access token recieved instead of refresh token",
                         "code": "3"}  # fmt: skip
        token = self.find_by_refresh(refresh_token)
        if token is None or not token.check_client(client) or token.is_revoked():
            return 401, {"message": "Invalid or expired refresh token."}
        current = self.find_by_access(bearer)
        if current is None or current.id != token.id:
            return 401, {"message": "The access token does not belong to this refresh token."}
        now = self.clocks.now(token.account_id)
        if now < token.issued_at + ACCESS_SECONDS:
            return 200, {"message": "Key Still Valid", "code": "1",
                         "expiry": str(int(token.issued_at + ACCESS_SECONDS)),
                         "access_key": bearer, "refresh_token": refresh_token}  # fmt: skip
        self.revoke(token.id)
        pair = self._generate("refresh_token", client)
        issued = self.store_pair(token.account_id, client.client.id, pair)
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
        client_id, secret = secrets.token_hex(16), secrets.token_urlsafe(32)
        with self.engine.begin() as connection:
            row = connection.execute(
                sa.insert(schema.oauth_clients)
                .values(account_id=account.id, name=name, client_id=client_id,
                        secret_hash=digest(secret), redirect_uris=list(redirect_uris),
                        created_at=time.time())
                .returning(schema.oauth_clients)
            ).one()  # fmt: skip
        return _client(row), secret

    def list_clients(self, account_id: int | None = None) -> list[OAuthClient]:
        """Registered clients, oldest first."""
        query = sa.select(schema.oauth_clients).order_by(schema.oauth_clients.c.id)
        if account_id is not None:
            query = query.where(schema.oauth_clients.c.account_id == account_id)
        with self.engine.connect() as connection:
            return [_client(row) for row in connection.execute(query)]

    def delete_client(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens."""
        with self.engine.begin() as connection:
            deleted = connection.execute(
                sa.delete(schema.oauth_clients).where(schema.oauth_clients.c.client_id == client_id)
            ).rowcount
        with self._lock:
            self._cache.clear()
        return bool(deleted)


def _client(row: Any) -> OAuthClient:
    return OAuthClient(row.id, row.account_id, row.name, row.client_id,
                       tuple(row.redirect_uris), row.created_at)  # fmt: skip


__all__ = ["OAuth2Error", "PhasonAuthorizationServer", "PhasonRequest"]
