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

import math
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc6749.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.oauth.grants import StoredCodes, StoredRefresh
from ductwork.core.oauth.logins import LoginTickets
from ductwork.core.oauth.records import ClientRecord, HashedSecretClient, TokenRecord
from ductwork.core.oauth.server import OAuthServer, ParamsRequest
from ductwork.core.oauth.store import Clients, OAuthStore, OAuthTables, insert_client
from ductwork.core.oauth.tokens import new_token
from ductwork.vendors.flair import schema
from ductwork.vendors.flair.models import ALL_SCOPES, VIEW, Principal

EXPIRES_IN = 3600
# Client-credentials tokens of the newer /oauth2/token credentials live a day: Home Assistant's
# flairaio asks for a new token whenever less than an hour is left, so with hour-long tokens
# it would need one per call and hit the daily limit within minutes (docs/flair.md).
OAUTH2_CLIENT_EXPIRES_IN = 86_400
_SCOPE_SEPARATORS = re.compile(r"[\s,+]+")
TOKEN_LIMIT = 50  # new tokens a day per application and account (0: no limit)
TOKEN_LIMIT_WINDOW = 86_400.0  # seconds of the account's clock
USER_AGENT_LENGTH = 500
AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
TABLES = OAuthTables(schema.applications, schema.codes, schema.tokens, "application_id")


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
class Application(ClientRecord):
    """A registered OAuth client (what may be shown: never the secret)."""

    description: str
    scopes: tuple[str, ...]


class Client(HashedSecretClient[Application]):
    """Authlib's view of an application: a confidential client with a hashed secret."""

    def get_allowed_scope(self, scope: str) -> str:
        """The requested scopes the application may have."""
        allowed = set(self.record.scopes)
        return " ".join(s for s in split_scopes(scope) if s in allowed)

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
            refused = set(split_scopes(scope)) - set(client.record.scopes)
            if refused:
                raise InvalidScopeError(
                    description=f"The application may not request: {' '.join(sorted(refused))}"
                )


class ClientCredentialsGrant(_ScopedGrant, grants.ClientCredentialsGrant):  # type: ignore[misc]
    """client_credentials: a token for the application's owner."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def create_token_response(self) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Issue the token; a refresh token only on /oauth2/token (see docs/flair.md)."""
        token = self.generate_token(
            scope=self.request.payload.scope, include_refresh_token=self.request.issues_refresh
        )
        if self.request.issues_refresh:
            token["expires_in"] = OAUTH2_CLIENT_EXPIRES_IN
        self.save_token(token)
        return 200, token, self.TOKEN_RESPONSE_HEADER


class PasswordGrant(_ScopedGrant, grants.ResourceOwnerPasswordCredentialsGrant):  # type: ignore[misc]
    """password: a token for the account whose email and password are given."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

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


class AuthorizationCodeGrant(_ScopedGrant, StoredCodes, grants.AuthorizationCodeGrant):  # type: ignore[misc]
    """authorization_code: sign-in and consent at /oauth/authorize, then the code at the token
    endpoint with the application's secret."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def code_columns(self, request: ParamsRequest) -> dict[str, Any]:
        """The redirect URI as the request gave it (None: the default) and the scopes."""
        return {"redirect_uri": request.payload.redirect_uri, "scope": request.scope or ""}


class ImplicitGrant(_ScopedGrant, grants.ImplicitGrant):  # type: ignore[misc]
    """The implicit grant: a token in the redirect's fragment, for `.view` scopes only (the
    document's rule); with no `scope`, the application's view scopes."""

    def validate_authorization_request(self) -> str:
        """Default to the application's view scopes; refuse edit scopes."""
        if not self.request.payload.scope:
            client = self.server.query_client(self.request.payload.client_id)
            if client is not None:
                views = [s for s in client.record.scopes if s.endswith(f".{VIEW}")]
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


class RefreshTokenGrant(StoredRefresh, grants.RefreshTokenGrant):  # type: ignore[misc]
    """refresh_token: a new pair for the same account and scopes; the old pair is revoked."""

    TOKEN_ENDPOINT_AUTH_METHODS = AUTH_METHODS

    def save_token(self, token: dict[str, Any]) -> None:
        """Refreshed tokens live as long as the pair they replace and are marked: they do
        not count toward the daily limit."""
        server: FlairAuthorizationServer = self.server
        token["expires_in"] = self.request.refresh_token.get_expires_in()
        server.save_token(token, self.request, refreshed=True)


def _principal(token: TokenRecord) -> Principal:
    return Principal(token.account_id, frozenset(split_scopes(token.scope)), token.client_pk)


def token_store(engine: Engine, clocks: Clocks) -> OAuthStore[Principal]:
    """Flair's applications, codes and tokens; a token stands for a `Principal`."""
    return OAuthStore(engine, clocks, TABLES, _principal, access_seconds=EXPIRES_IN)


class FlairAuthorizationServer(OAuthServer[Principal]):
    """Authlib's server with ductwork's storage, clocks and accounts."""

    CLIENT_CHALLENGE = 'Basic realm="flair"'

    def __init__(
        self, engine: Engine, clocks: Clocks, accounts: Accounts, token_limit: int = TOKEN_LIMIT
    ) -> None:
        logins = FlairLoginTickets(engine, schema.logins, accounts, clocks)
        super().__init__(token_store(engine, clocks), accounts, logins, ALL_SCOPES)
        self.token_limit = token_limit  # new tokens a day per application and account; 0: none
        self.register_grant(ClientCredentialsGrant)
        self.register_grant(PasswordGrant)
        self.register_grant(RefreshTokenGrant)
        self.register_grant(AuthorizationCodeGrant)
        self.register_grant(ImplicitGrant)

    # ------------------------------------------------------------ Authlib hooks
    def client_of(self, row: Any) -> Client:
        """The Authlib client of an application's row."""
        return Client(Application.of(row), row.secret_hash)

    def token_body(self, client: Client, scope: str | None, refresh: bool) -> dict[str, Any]:
        """An hour's token with the granted scopes (the application's, if none were asked),
        in the order the real service answers."""
        granted = split_scopes(scope) or list(client.record.scopes)
        token: dict[str, Any] = {
            "access_token": new_token(),
            "expires_in": EXPIRES_IN,
            "token_type": "Bearer",
            "scope": " ".join(granted),
        }
        if refresh:
            token["refresh_token"] = new_token()
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
        account_id = user.id if user is not None else client.record.account_id
        application_id = client.record.id
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
            self.store.insert_pair(
                connection,
                account_id,
                application_id,
                token,
                token["scope"],
                now,
                expires_in=token["expires_in"],
                refreshed=refreshed,
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

    # ------------------------------------------------------------ token endpoint and bearers
    def token_response(
        self, uri: str, params: dict[str, str], headers: Mapping[str, str], refresh: bool
    ) -> tuple[int, dict[str, Any], list[tuple[str, str]]]:
        """Run the token endpoint on merged parameters; returns (status, body, headers)."""
        return self.answer_token_request(
            FlairRequest(uri, normalise_parameters(params), headers, refresh)
        )

    def forget_cached(self) -> None:
        """Drop this process's cache of checked tokens (after tokens were revoked or deleted)."""
        self.store.cache.clear()

    def cached_principal(self, access_token: str) -> Principal | None:
        """The principal of a token checked less than two seconds ago, if still live (no I/O
        beyond the account clock's cache)."""
        return self.store.cached(access_token)

    def authenticate(self, access_token: str) -> Principal | None:
        """The principal of a live, unexpired access token."""
        return self.store.authenticate(access_token)


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
    row, secret = insert_client(
        connection, schema.applications, secrets.token_urlsafe(24), account_id=account_id,
        name=name, description=description, redirect_uris=redirect_uris, scopes=scopes,
        created_at=created_at,
    )  # fmt: skip
    return int(row.id), secret


class Applications(Clients[Application]):
    """Partner applications: created with a secret shown once, listed, deleted."""

    def __init__(self, engine: Engine, clocks: Clocks) -> None:
        super().__init__(token_store(engine, clocks), Application)
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
        return self.register(
            secrets.token_urlsafe(24), account_id=account.id, name=name, description=description,
            redirect_uris=list(redirect_uris), scopes=list(scopes), created_at=self._clocks.real(),
        )  # fmt: skip
