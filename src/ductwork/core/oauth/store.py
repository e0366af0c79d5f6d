"""One vendor's OAuth2 clients, authorization codes and token pairs, in that vendor's tables.

Secrets are stored as their digests only. Codes live ten minutes of real time; token pairs are
issued on the account's clock, so a clock jump expires them. Bearer authentication answers a
token checked in the last two seconds from `TokenCache` (no I/O).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from ductwork.core.clock import Clocks
from ductwork.core.db import storable
from ductwork.core.oauth.records import ClientRecord, CodeRecord, TokenRecord
from ductwork.core.oauth.tokens import TokenCache, digest

CODE_SECONDS = 600.0
P = TypeVar("P")
R = TypeVar("R", bound=ClientRecord)


@dataclass(frozen=True)
class OAuthTables:
    """A vendor's tables. Clients: id, account_id, name, client_id, secret_hash,
    redirect_uris, created_at (and the vendor's own). Codes: code_hash, the client, account_id,
    redirect_uri, scope, expires_at (real time). Tokens: the client, account_id, access_hash,
    refresh_hash, scope, issued_at (account clock), revoked; an `expires_in` column where
    lifetimes vary. Codes and tokens name their client's row id in `client_column`."""

    clients: sa.Table
    codes: sa.Table
    tokens: sa.Table
    client_column: str


def insert_client(
    connection: Connection, clients: sa.Table, client_id: str, **columns: Any
) -> tuple[Row[Any], str]:
    """Store a new client with a random secret (its digest only); returns the row and the
    secret, to be shown this once."""
    secret = secrets.token_urlsafe(32)
    row = connection.execute(
        sa.insert(clients)
        .values(client_id=client_id, secret_hash=digest(secret), **columns)
        .returning(clients)
    ).one()
    return row, secret


class OAuthStore(Generic[P]):
    """Clients, codes and token pairs of one vendor; `principal` says what an access token
    stands for (an account, or the vendor's principal), or None if nothing any more."""

    def __init__(
        self,
        engine: Engine,
        clocks: Clocks,
        tables: OAuthTables,
        principal: Callable[[TokenRecord], P | None],
        *,
        access_seconds: int,
        refresh_seconds: float | None = None,
    ) -> None:
        self.engine = engine
        self.clocks = clocks
        self.tables = tables
        self.cache: TokenCache[P] = TokenCache(clocks)
        self._principal = principal
        self._access_seconds = access_seconds  # where the tokens table has no expires_in
        self._refresh_seconds = refresh_seconds  # None: refresh tokens do not expire
        self._codes_client = tables.codes.c[tables.client_column]

    # ------------------------------------------------------------ clients
    def client_row(self, client_id: str) -> Row[Any] | None:
        """The client with this client id."""
        if not storable(client_id):
            return None
        clients = self.tables.clients
        with self.engine.connect() as connection:
            return connection.execute(
                sa.select(clients).where(clients.c.client_id == client_id)
            ).first()

    # ------------------------------------------------------------ authorization codes
    def save_code(self, code: str, client_pk: int, account_id: int, **columns: Any) -> None:
        """Store a code's digest with what it was issued for (expired codes are swept)."""
        codes = self.tables.codes
        with self.engine.begin() as connection:
            connection.execute(sa.delete(codes).where(codes.c.expires_at < time.time()))
            connection.execute(
                sa.insert(codes).values(
                    code_hash=digest(code),
                    account_id=account_id,
                    expires_at=time.time() + CODE_SECONDS,
                    **{self.tables.client_column: client_pk},
                    **columns,
                )
            )

    def find_code(self, code: str, client_pk: int) -> CodeRecord | None:
        """A live code of this client."""
        codes = self.tables.codes
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(codes).where(
                    codes.c.code_hash == digest(code),
                    self._codes_client == client_pk,
                    codes.c.expires_at > time.time(),
                )
            ).first()
        if row is None:
            return None
        values = row._mapping
        return CodeRecord(row.id, row.account_id, row.redirect_uri, row.scope,
                          values.get("code_challenge"),
                          values.get("code_challenge_method"))  # fmt: skip

    def delete_code(self, code_id: int) -> None:
        """Codes are single-use."""
        codes = self.tables.codes
        with self.engine.begin() as connection:
            connection.execute(sa.delete(codes).where(codes.c.id == code_id))

    # ------------------------------------------------------------ token pairs
    def insert_pair(
        self,
        connection: Connection,
        account_id: int,
        client_pk: int,
        token: Mapping[str, Any],
        scope: str,
        issued_at: float,
        **columns: Any,
    ) -> None:
        """Store a token's digests (its refresh token's too, if it has one) in the caller's
        transaction; `issued_at` is on the account's clock."""
        refresh = token.get("refresh_token")
        connection.execute(
            sa.insert(self.tables.tokens).values(
                account_id=account_id,
                access_hash=digest(token["access_token"]),
                refresh_hash=digest(refresh) if refresh else None,
                scope=scope,
                issued_at=issued_at,
                revoked=False,
                **{self.tables.client_column: client_pk},
                **columns,
            )
        )

    def find_by_access(self, access_token: str) -> TokenRecord | None:
        """The unrevoked pair of an access token, expired or not."""
        return self._unrevoked("access_hash", digest(access_token))

    def find_by_refresh(self, refresh_token: str) -> TokenRecord | None:
        """The unrevoked pair of a refresh token (see `TokenRecord.is_revoked` for expiry)."""
        return self._unrevoked("refresh_hash", digest(refresh_token))

    def _unrevoked(self, column: str, hashed: str) -> TokenRecord | None:
        tokens = self.tables.tokens
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(tokens).where(tokens.c[column] == hashed, tokens.c.revoked.is_(False))
            ).first()
        return None if row is None else self._record(row)

    def _record(self, row: Row[Any]) -> TokenRecord:
        expires_in = int(row._mapping.get("expires_in", self._access_seconds))
        refresh_expired = self._refresh_seconds is not None and (
            self.clocks.now(row.account_id) >= row.issued_at + self._refresh_seconds
        )
        client_pk = row._mapping[self.tables.client_column]
        return TokenRecord(row.id, row.account_id, client_pk, row.scope, row.issued_at,
                           expires_in, bool(row.revoked), refresh_expired)  # fmt: skip

    def expired(self, record: TokenRecord) -> bool:
        """Whether the pair's access token has expired on its account's clock."""
        return self.clocks.now(record.account_id) >= record.expires_at

    def revoke(self, token_id: int) -> None:
        """Revoke a pair; every cached check is forgotten."""
        tokens = self.tables.tokens
        with self.engine.begin() as connection:
            connection.execute(
                sa.update(tokens).where(tokens.c.id == token_id).values(revoked=True)
            )
        self.cache.clear()

    # ------------------------------------------------------------ bearer authentication
    def cached(self, access_token: str) -> P | None:
        """The principal of a token checked less than two seconds ago and still unexpired (no
        I/O beyond the account clock's cache)."""
        return self.cache.get(digest(access_token))

    def authenticate(self, access_token: str) -> P | None:
        """The principal of a live, unexpired access token."""
        hashed = digest(access_token)
        cached = self.cache.get(hashed)
        if cached is not None:
            return cached
        record = self._unrevoked("access_hash", hashed)
        if record is None or self.expired(record):
            return None
        principal = self._principal(record)
        if principal is None:
            return None
        self.cache.put(hashed, principal, record.account_id, record.expires_at)
        return principal


class Clients(Generic[R]):
    """A vendor's registered clients, as its records (never their secrets)."""

    def __init__(self, store: OAuthStore[Any], record: type[R]) -> None:
        self._store = store
        self._record = record

    def register(self, client_id: str, **columns: Any) -> tuple[R, str]:
        """Register a client; returns it and its secret (shown this once)."""
        with self._store.engine.begin() as connection:
            row, secret = insert_client(
                connection, self._store.tables.clients, client_id, **columns
            )
        return self._record.of(row), secret

    def list(self, account_id: int | None = None) -> list[R]:
        """Clients, optionally of one account, oldest first."""
        clients = self._store.tables.clients
        query = sa.select(clients).order_by(clients.c.id)
        if account_id is not None:
            query = query.where(clients.c.account_id == account_id)
        with self._store.engine.connect() as connection:
            return [self._record.of(row) for row in connection.execute(query)]

    def delete(self, client_id: str) -> bool:
        """Delete a client with its codes and tokens (their cached checks too); False if there
        is none with that client id."""
        if not storable(client_id):
            return False
        clients = self._store.tables.clients
        with self._store.engine.begin() as connection:
            deleted = connection.execute(
                sa.delete(clients).where(clients.c.client_id == client_id)
            ).rowcount
        self._store.cache.clear()
        return deleted == 1
