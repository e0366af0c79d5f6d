"""Flair's OAuth2 authorization server on Authlib's framework-independent core.

Partner applications (clients) and tokens live in the database with their secrets hashed;
each grant is one registered Authlib class. A token belongs to a ductwork account (the
tenant): the application's owner for client credentials, the signed-in user otherwise.
Token lifetimes run on the account's clock, so expiry can be tested by moving the clock.

Like the real service, an application gets at most `token_limit` new tokens a day for each
account (refreshing does not count; the day is the account clock's last 86,400 seconds), and
every sign-in (the password grant, the authorization page's form) records the user agent as
one of the account's devices.
"""

from __future__ import annotations

import hmac
import math
import re
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import (
    ClientMixin,
    TokenMixin,
    grants,
)
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.db import storable
from ductwork.core.oauth import LoginTickets, ParamsRequest, Server, digest
from ductwork.vendors.flair import schema
from ductwork.vendors.flair.models import ALL_SCOPES, VIEW, Principal

EXPIRES_IN = 3600
CODE_SECONDS = 600.0
_SCOPE_SEPARATORS = re.compile(r"[\s,+]+")
_TOKEN_CACHE_SECONDS = 2.0
TOKEN_LIMIT = 50  # new tokens a day per application and account (0: no limit)
TOKEN_LIMIT_WINDOW = 86_400.0  # seconds of the account's clock
USER_AGENT_LENGTH = 500


def split_scopes(text: str | None) -> list[str]:
    """Scopes as clients send them: separated by spaces, commas or literal plus signs."""
    return [s for s in _SCOPE_SEPARATORS.split(text or "") if s]


def normalise_parameters(params: Mapping[str, str]) -> dict[str, str]:
    """Accept what real clients send: `scopes` (the document) for `scope`, any separators,
    and `client credentials` (the document) for `client_credentials`."""
    result = dict(params)
    if "scope" not in result and "scopes" in result:
        result["scope"] = result.pop("scopes")
    if "scope" in result:
        result["scope"] = " ".join(split_scopes(result["scope"]))
    if "grant_type" in result:
        result["grant_type"] = result["grant_type"].strip().replace(" ", "_")
    return result


def user_agent(headers: Mapping[str, str]) -> str | None:
    """The request's User-Agent header, if it has one."""
    return next((v for k, v in headers.items() if k.lower() == "user-agent"), None)


def device_agent(agent: str | None) -> str | None:
    """A User-Agent as a device is recorded: None (nothing recorded) when missing or blank,
    NULs dropped (PostgreSQL text cannot hold them), cut to the column's 500 characters."""
    if agent is None or not agent.strip():
        return None
    return agent.replace("\x00", "")[:USER_AGENT_LENGTH]


def record_device(connection: Connection, account_id: int, agent: str, now: float) -> None:
    """Insert the account's device for this user agent, or bump its updated_at (one upsert,
    so concurrent sign-ins with the same agent never collide on the unique constraint)."""
    values = {"account_id": account_id, "user_agent": agent, "created_at": now, "updated_at": now}
    dialect = connection.dialect.name
    if dialect not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"no upsert for {dialect}")
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(schema.devices)
    connection.execute(
        insert.values(**values).on_conflict_do_update(
            index_elements=[schema.devices.c.account_id, schema.devices.c.user_agent],
            set_={"updated_at": insert.excluded.updated_at},
        )
    )


class TokenLimitError(InvalidRequestError):  # type: ignore[misc]
    """429: the application already has its day's new tokens for this account; Retry-After
    says when the oldest of them leaves the 24-hour window (on the account's clock)."""

    status_code = 429

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(
            description=(
                f"Token limit reached: an application may create {limit} tokens a day for an "
                "account. Refresh an existing token instead (refreshing does not count toward "
                f"the limit), or retry in {retry_after} seconds."
            )
        )
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        """The JSON content type and Retry-After (the token endpoint adds no-store)."""
        headers: list[tuple[str, str]] = super().get_headers()
        return [*headers, ("Retry-After", str(self.retry_after))]


@dataclass(frozen=True)
class Application:
    """A registered OAuth client (what may be shown: never the secret)."""

    id: int
    account_id: int
    name: str
    description: str
    client_id: str
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: float


class Client(ClientMixin):  # type: ignore[misc]
    """Authlib's view of an application: a confidential client with a hashed secret."""

    def __init__(self, application: Application, secret_hash: str) -> None:
        self.application = application
        self._secret_hash = secret_hash

    def get_client_id(self) -> str:
        """The public client id."""
        return self.application.client_id

    def get_default_redirect_uri(self) -> str | None:
        """The first registered redirect URI."""
        uris = self.application.redirect_uris
        return uris[0] if uris else None

    def get_allowed_scope(self, scope: str) -> str:
        """The requested scopes the application may have."""
        allowed = set(self.application.scopes)
        return " ".join(s for s in split_scopes(scope) if s in allowed)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match against the registered URIs."""
        return redirect_uri in self.application.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare the secret's hash in constant time."""
        return hmac.compare_digest(digest(client_secret), self._secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """The secret in the body (or query) or in HTTP Basic; `none` is what the implicit
        grant asks for at the authorization endpoint (every token grant requires a secret)."""
        return method in ("client_secret_post", "client_secret_basic", "none")

    def check_response_type(self, response_type: str) -> bool:
        """`code` (authorization code) and `token` (implicit)."""
        return response_type in ("code", "token")

    def check_grant_type(self, grant_type: str) -> bool:
        """Every application may use every grant the server registers."""
        return True


@dataclass
class Token(TokenMixin):  # type: ignore[misc]
    """A stored token, as the refresh grant needs it."""

    id: int
    account_id: int
    application_id: int
    scope: str
    issued_at: float
    expires_in: int
    revoked: bool

    def check_client(self, client: Client) -> bool:
        """A refresh token works only for the application it was issued to."""
        return self.application_id == client.application.id

    def get_scope(self) -> str:
        """The granted scopes, space-separated."""
        return self.scope

    def get_expires_in(self) -> int:
        """Seconds the access token lives."""
        return self.expires_in

    def is_revoked(self) -> bool:
        """Revoked tokens (e.g. refreshed ones) do nothing."""
        return self.revoked


@dataclass
class AuthorizationCode:
    """A stored code, as Authlib's grant reads it."""

    id: int
    account_id: int
    redirect_uri: str | None
    scope: str

    def get_redirect_uri(self) -> str | None:
        """The redirect URI the authorization request named (None: the default was used)."""
        return self.redirect_uri

    def get_scope(self) -> str:
        """The granted scopes."""
        return self.scope


class FlairRequest(ParamsRequest):
    """A token or authorization request; `issues_refresh` says whether its token path gives
    refresh tokens to client credentials."""

    def __init__(
        self,
        uri: str,
        params: dict[str, str],
        headers: Mapping[str, str],
        refresh: bool,
        method: str = "POST",
    ) -> None:
        super().__init__(method, uri, params, headers)
        self.issues_refresh = refresh


class _ScopedGrant:
    """Scopes must be known to the server and registered on the application."""

    request: FlairRequest

    def validate_requested_scope(self) -> None:
        scope = self.request.payload.scope
        unknown = [s for s in split_scopes(scope) if s not in ALL_SCOPES]
        if unknown:
            raise InvalidScopeError(description=f"Unknown scope: {' '.join(unknown)}")
        client = self.request.client
        if client is not None and scope:
            refused = set(split_scopes(scope)) - set(client.application.scopes)
            if refused:
                raise InvalidScopeError(
                    description=f"The application may not request: {' '.join(sorted(refused))}"
                )


class ClientCredentialsGrant(_ScopedGrant, grants.ClientCredentialsGrant):  # type: ignore[misc]
    """client_credentials: a token for the application's owner."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Issue the token; a refresh token only on /oauth2/token (see docs/flair.md)."""
        token = self.generate_token(
            scope=self.request.payload.scope, include_refresh_token=self.request.issues_refresh
        )
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class PasswordGrant(_ScopedGrant, grants.ResourceOwnerPasswordCredentialsGrant):  # type: ignore[misc]
    """password: a token for the account whose email and password are given."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def authenticate_user(self, username: str, password: str) -> Account:
        """Check the account's argon2id password (RFC 6749: invalid_grant when wrong)."""
        server: FlairAuthorizationServer = self.server
        checked = server.accounts.check_password(username, password)
        if not isinstance(checked, Account):
            raise InvalidGrantError(description="The username or password is wrong.")
        return checked

    def save_token(self, token: dict[str, Any]) -> None:
        """A sign-in: the token and the user agent's device are stored together."""
        server: FlairAuthorizationServer = self.server
        server.save_token(
            token, self.request, device=device_agent(user_agent(self.request.headers))
        )


class AuthorizationCodeGrant(_ScopedGrant, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """authorization_code: sign-in and consent at /oauth/authorize, then the code at the token
    endpoint with the application's secret."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def save_authorization_code(self, code: str, request: FlairRequest) -> None:
        """Store the code's hash with the account, scopes and redirect URI it was issued for."""
        server: FlairAuthorizationServer = self.server
        with server.engine.begin() as connection:
            connection.execute(
                sa.delete(schema.codes).where(schema.codes.c.expires_at < time.time())
            )
            connection.execute(
                sa.insert(schema.codes).values(
                    code_hash=digest(code),
                    application_id=request.client.application.id,
                    account_id=request.user.id,
                    redirect_uri=request.payload.redirect_uri,
                    scope=request.scope or "",
                    expires_at=time.time() + CODE_SECONDS,
                )
            )

    def query_authorization_code(self, code: str, client: Client) -> AuthorizationCode | None:
        """A live code of this application."""
        server: FlairAuthorizationServer = self.server
        with server.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.codes).where(
                    schema.codes.c.code_hash == digest(code),
                    schema.codes.c.application_id == client.application.id,
                    schema.codes.c.expires_at > time.time(),
                )
            ).first()
        if row is None:
            return None
        return AuthorizationCode(row.id, row.account_id, row.redirect_uri, row.scope)

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Codes are single-use."""
        server: FlairAuthorizationServer = self.server
        with server.engine.begin() as connection:
            connection.execute(
                sa.delete(schema.codes).where(schema.codes.c.id == authorization_code.id)
            )

    def authenticate_user(self, authorization_code: AuthorizationCode) -> Account | None:
        """The account that consented."""
        server: FlairAuthorizationServer = self.server
        return server.account(authorization_code.account_id)


class ImplicitGrant(_ScopedGrant, grants.ImplicitGrant):  # type: ignore[misc]
    """The implicit grant: a token in the redirect's fragment, for `.view` scopes only (the
    document's rule); with no `scope`, the application's view scopes."""

    def validate_authorization_request(self) -> str:
        """Default to the application's view scopes; refuse edit scopes."""
        if not self.request.payload.scope:
            client = self.server.query_client(self.request.payload.client_id)
            if client is not None:
                views = [s for s in client.application.scopes if s.endswith(f".{VIEW}")]
                self.request.payload.data["scope"] = " ".join(views)
        redirect_uri: str = super().validate_authorization_request()
        return redirect_uri

    def create_authorization_response(
        self, redirect_uri: str, grant_user: Account | None
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """A token over the daily limit goes back to the client in the fragment, as every
        implicit-grant error does (a browser follows redirects, not 429s)."""
        try:
            result: tuple[int, Any, list[tuple[str, str]]] = super().create_authorization_response(
                redirect_uri, grant_user
            )
        except TokenLimitError as error:
            error.redirect_uri = redirect_uri
            error.redirect_fragment = True
            raise
        return result

    def validate_requested_scope(self) -> None:
        """Known, registered, and view-only."""
        super().validate_requested_scope()
        edits = [s for s in split_scopes(self.request.payload.scope) if not s.endswith(f".{VIEW}")]
        if edits:
            raise InvalidScopeError(
                description=f"The implicit grant may only request view scopes: {' '.join(edits)}"
            )


class RefreshTokenGrant(grants.RefreshTokenGrant):  # type: ignore[misc]
    """refresh_token: a new pair for the same account and scopes; the old pair is revoked."""

    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012
    INCLUDE_NEW_REFRESH_TOKEN = True

    def authenticate_refresh_token(self, refresh_token: str) -> Token | None:
        """A live refresh token."""
        server: FlairAuthorizationServer = self.server
        return server.find_refresh_token(refresh_token)

    def authenticate_user(self, refresh_token: Token) -> Account | None:
        """The account the token was issued for."""
        server: FlairAuthorizationServer = self.server
        return server.account(refresh_token.account_id)

    def revoke_old_credential(self, refresh_token: Token) -> None:
        """Refresh tokens are single-use: the old access and refresh tokens stop working."""
        server: FlairAuthorizationServer = self.server
        server.revoke(refresh_token.id)

    def save_token(self, token: dict[str, Any]) -> None:
        """Refreshed tokens are marked: they do not count toward the daily limit."""
        server: FlairAuthorizationServer = self.server
        server.save_token(token, self.request, refreshed=True)


class FlairAuthorizationServer(Server):
    """Authlib's server with ductwork's storage, clocks and accounts."""

    def __init__(
        self, engine: Engine, clocks: Clocks, accounts: Accounts, token_limit: int = TOKEN_LIMIT
    ) -> None:
        super().__init__(scopes_supported=list(ALL_SCOPES))
        self.engine = engine
        self.clocks = clocks
        self.accounts = accounts
        self.token_limit = token_limit  # new tokens a day per application and account; 0: none
        self._principals: dict[str, tuple[float, Principal, float, int]] = {}
        self._lock = threading.Lock()
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(PasswordGrant)
        self.register_grant(RefreshTokenGrant)
        self.register_grant(AuthorizationCodeGrant)
        self.register_grant(ImplicitGrant)
        self.register_token_generator("default", self._generate)
        self.logins = FlairLoginTickets(engine, schema.logins, accounts, clocks)

    # ------------------------------------------------------------ Authlib hooks
    def query_client(self, client_id: str) -> Client | None:
        """The application with this client id."""
        if not storable(client_id):
            return None
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.applications).where(schema.applications.c.client_id == client_id)
            ).first()
        return None if row is None else Client(_application(row), row.secret_hash)

    def _generate(
        self,
        grant_type: str,
        client: Client,
        user: Account | None = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        granted = split_scopes(scope) or list(client.application.scopes)
        token: dict[str, Any] = {
            "access_token": secrets.token_urlsafe(24),
            "expires_in": expires_in or EXPIRES_IN,
            "token_type": "Bearer",
            "scope": " ".join(granted),
        }
        if include_refresh_token:
            token["refresh_token"] = secrets.token_urlsafe(24)
        return token

    def save_token(
        self,
        token: dict[str, Any],
        request: FlairRequest,
        *,
        refreshed: bool = False,
        device: str | None = None,
    ) -> None:
        """Store the token's hashes, never the token; a new (not refreshed) token over the daily
        limit raises TokenLimitError and stores nothing. `device`: the user agent a sign-in
        came with, recorded in the same transaction."""
        client: Client = request.client
        user: Account | None = request.user
        account_id = user.id if user is not None else client.application.account_id
        application_id = client.application.id
        refresh = token.get("refresh_token")
        now = self.clocks.now(account_id)
        with self.engine.begin() as connection:
            if not refreshed and self.token_limit > 0:
                # Concurrent token requests of one application queue here (PostgreSQL; SQLite
                # has one writer anyway), so the count below sees every token before ours.
                connection.execute(
                    sa.select(schema.applications.c.id)
                    .where(schema.applications.c.id == application_id)
                    .with_for_update()
                )
            connection.execute(
                sa.insert(schema.tokens).values(
                    account_id=account_id,
                    application_id=application_id,
                    access_hash=digest(token["access_token"]),
                    refresh_hash=digest(refresh) if refresh else None,
                    scope=token["scope"],
                    issued_at=now,
                    expires_in=token["expires_in"],
                    revoked=False,
                    refreshed=refreshed,
                )
            )
            if not refreshed and self.token_limit > 0:
                self._check_limit(connection, application_id, account_id, now)
            if device is not None:
                record_device(connection, account_id, device, now)

    def _check_limit(
        self, connection: Connection, application_id: int, account_id: int, now: float
    ) -> None:
        """Raise TokenLimitError (rolling the new token back) when it is one too many: the
        window holds the new token and the earlier ones, so more than `token_limit` in all."""
        tokens = schema.tokens.c
        issued = (
            connection.execute(
                sa.select(tokens.issued_at)
                .where(
                    tokens.application_id == application_id,
                    tokens.account_id == account_id,
                    tokens.refreshed.is_(False),
                    tokens.issued_at > now - TOKEN_LIMIT_WINDOW,
                )
                .order_by(tokens.issued_at)
            )
            .scalars()
            .all()
        )
        earlier = len(issued) - 1
        if earlier < self.token_limit:
            return
        # A new token is possible again when all but limit - 1 of the earlier ones have left
        # the window: with exactly `limit` of them, when the oldest does.
        frees_a_place = float(issued[earlier - self.token_limit])
        retry_after = max(1, math.ceil(frees_a_place + TOKEN_LIMIT_WINDOW - now))
        raise TokenLimitError(self.token_limit, retry_after)

    # ------------------------------------------------------------ token storage
    def account(self, account_id: int) -> Account | None:
        """An account by id."""
        return self.accounts.by_id(account_id)

    def find_refresh_token(self, refresh_token: str) -> Token | None:
        """The live token pair a refresh token belongs to."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.tokens).where(
                    schema.tokens.c.refresh_hash == digest(refresh_token),
                    schema.tokens.c.revoked.is_(False),
                )
            ).first()
        if row is None:
            return None
        return Token(
            row.id,
            row.account_id,
            row.application_id,
            row.scope,
            row.issued_at,
            row.expires_in,
            row.revoked,
        )

    def revoke(self, token_id: int) -> None:
        """Revoke a token pair."""
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(schema.tokens).where(schema.tokens.c.id == token_id).values(revoked=True)
            )
        self.forget_cached()

    def forget_cached(self) -> None:
        """Drop this process's cache of checked tokens (after tokens were revoked or deleted)."""
        with self._lock:
            self._principals.clear()

    def token_response(
        self, uri: str, params: dict[str, str], headers: Mapping[str, str], refresh: bool
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Run the token endpoint on merged parameters; returns (status, body, headers)."""
        request = FlairRequest(uri, normalise_parameters(params), headers, refresh)
        status, body, answer_headers = self.create_token_response(request)
        if body.get("error") == "invalid_client" and status == 400:
            # An unknown client id fails authentication like a wrong secret does: 401.
            status = 401
            answer_headers = [*answer_headers, ("WWW-Authenticate", 'Basic realm="flair"')]
        return int(status), dict(body), list(answer_headers)

    def cached_principal(self, access_token: str) -> Principal | None:
        """The principal of a token checked less than two seconds ago, if still live (no I/O
        beyond the account clock's cache)."""
        cached = self._principals.get(digest(access_token))
        if cached is None or time.monotonic() - cached[0] >= _TOKEN_CACHE_SECONDS:
            return None
        _, principal, issued_at, expires_in = cached
        now = self.clocks.peek(principal.account_id)
        if now is None or now >= issued_at + expires_in:
            return None
        return principal

    def authenticate(self, access_token: str) -> Principal | None:
        """The principal of a live, unexpired access token."""
        cached = self.cached_principal(access_token)
        if cached is not None:
            return cached
        hashed = digest(access_token)
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.tokens).where(
                    schema.tokens.c.access_hash == hashed, schema.tokens.c.revoked.is_(False)
                )
            ).first()
        if row is None:
            return None
        if self.clocks.now(row.account_id) >= row.issued_at + row.expires_in:
            return None
        principal = Principal(
            row.account_id, frozenset(split_scopes(row.scope)), row.application_id
        )
        with self._lock:
            if len(self._principals) > 10_000:
                self._principals.clear()
            self._principals[hashed] = (time.monotonic(), principal, row.issued_at, row.expires_in)
        return principal


class FlairLoginTickets(LoginTickets):
    """Login tickets that record the user agent of each sign-in as one of the account's
    devices, in the ticket's transaction."""

    def __init__(self, engine: Engine, table: sa.Table, accounts: Accounts, clocks: Clocks) -> None:
        super().__init__(engine, table, accounts)
        self._clocks = clocks

    def signed_in(self, connection: Connection, account: Account, agent: str | None) -> None:
        """Record (or bump) the device of the sign-in's user agent."""
        device = device_agent(agent)
        if device is not None:
            record_device(connection, account.id, device, self._clocks.now(account.id))


def _application(row: Any) -> Application:
    return Application(
        id=row.id,
        account_id=row.account_id,
        name=row.name,
        description=row.description,
        client_id=row.client_id,
        redirect_uris=tuple(row.redirect_uris),
        scopes=tuple(row.scopes),
        created_at=row.created_at,
    )


def insert_application(
    connection: Connection,
    account_id: int,
    name: str,
    *,
    description: str,
    redirect_uris: list[str],
    scopes: list[str],
    created_at: float,
) -> tuple[int, str]:
    """Store a new application with a random client id and secret (the secret hashed); returns
    its row id and the secret, to be shown this once."""
    secret = secrets.token_urlsafe(32)
    row_id = connection.execute(
        sa.insert(schema.applications)
        .values(
            account_id=account_id,
            name=name,
            description=description,
            client_id=secrets.token_urlsafe(24),
            secret_hash=digest(secret),
            redirect_uris=redirect_uris,
            scopes=scopes,
            created_at=created_at,
        )
        .returning(schema.applications.c.id)
    ).scalar_one()
    return int(row_id), secret


class Applications:
    """Partner applications: created with a secret shown once, listed, deleted."""

    def __init__(self, engine: Engine, clocks: Clocks) -> None:
        self._engine = engine
        self._clocks = clocks

    def create(
        self,
        account: Account,
        name: str,
        *,
        description: str = "",
        redirect_uris: tuple[str, ...] = (),
        scopes: tuple[str, ...] = ALL_SCOPES,
    ) -> tuple[Application, str]:
        """Register an application; returns it and its client secret (shown this once)."""
        unknown = [s for s in scopes if s not in ALL_SCOPES]
        if unknown:
            raise ValueError(f"unknown scopes: {' '.join(unknown)}")
        with self._engine.begin() as connection:
            row_id, secret = insert_application(
                connection,
                account.id,
                name,
                description=description,
                redirect_uris=list(redirect_uris),
                scopes=list(scopes),
                created_at=self._clocks.real(),
            )
            row = connection.execute(
                sa.select(schema.applications).where(schema.applications.c.id == row_id)
            ).one()
        return _application(row), secret

    def list(self, account_id: int | None = None) -> list[Application]:
        """Applications, optionally of one account, oldest first."""
        query = sa.select(schema.applications).order_by(schema.applications.c.id)
        if account_id is not None:
            query = query.where(schema.applications.c.account_id == account_id)
        with self._engine.connect() as connection:
            return [_application(r) for r in connection.execute(query)]

    def delete(self, client_id: str) -> bool:
        """Delete an application and its tokens; False if there is none with that client id."""
        with self._engine.begin() as connection:
            deleted = connection.execute(
                sa.delete(schema.applications).where(schema.applications.c.client_id == client_id)
            ).rowcount
        return deleted == 1
