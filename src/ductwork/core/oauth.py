"""What every vendor's OAuth2 server shares: Authlib's core adapted to ductwork's HTTP layer.

Vendors subclass `Server` and register their own grants; requests reach Authlib as
`ParamsRequest`s built from parameters the HTTP layer already merged (query, form, JSON),
and answers come back as (status, body, headers) for the vendor's route to send.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import time
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.db import storable

# ductwork is a local sandbox served over plain HTTP (TLS, where wanted, is a proxy's job);
# Authlib refuses authorization requests on http:// URLs unless this is set.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")


def digest(secret: str) -> str:
    """Client secrets, codes and tokens are at least 192-bit random: one SHA-256 is a sound
    stored form (no salt or stretching needed, unlike passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ParamsRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth2 request whose parameters were collected by the HTTP layer.

    A parameter with a NUL character can match nothing ductwork stores: it is dropped, so the
    grant answers as if it were missing (invalid_request, invalid_client, ...).
    """

    def __init__(
        self, method: str, uri: str, params: dict[str, str], headers: Mapping[str, str]
    ) -> None:
        params = {k: v for k, v in params.items() if storable(k) and storable(v)}
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(params)
        self._params = params

    @property
    def form(self) -> dict[str, str]:
        """Every parameter, wherever it was sent."""
        return self._params

    @property
    def args(self) -> dict[str, str]:
        """Every parameter, wherever it was sent."""
        return self._params


class Server(AuthorizationServer):  # type: ignore[misc]
    """Authlib's server without a web framework: requests in, (status, body, headers) out."""

    def create_oauth2_request(self, request: ParamsRequest) -> ParamsRequest:
        """Requests arrive already built by the HTTP layer."""
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> tuple[int, Any, list[tuple[str, str]]]:
        """Hand (status, body, headers) back to the HTTP layer."""
        return status, body, headers

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signal listeners."""


LOGIN_SECONDS = 600.0


class LoginTickets:
    """Proof of a fresh sign-in, carried from the login page to the consent page: random,
    stored hashed in the vendor's table (ticket_hash, account_id, expires_at), valid ten
    minutes of real time, and good for one consent."""

    def __init__(self, engine: Engine, table: sa.Table, accounts: Accounts) -> None:
        self._engine = engine
        self._table = table
        self._accounts = accounts

    def issue(self, account: Account, user_agent: str | None = None) -> str:
        """A new ticket for the account (expired ones are swept on the way); `user_agent` is
        the sign-in's User-Agent header, for vendors that record it (see `signed_in`)."""
        ticket = secrets.token_urlsafe(24)
        table = self._table
        with self._engine.begin() as connection:
            connection.execute(sa.delete(table).where(table.c.expires_at < time.time()))
            connection.execute(
                sa.insert(table).values(
                    ticket_hash=digest(ticket),
                    account_id=account.id,
                    expires_at=time.time() + LOGIN_SECONDS,
                )
            )
            self.signed_in(connection, account, user_agent)
        return ticket

    def signed_in(self, connection: Connection, account: Account, user_agent: str | None) -> None:
        """A hook for vendors: record the sign-in in the ticket's transaction (nothing here)."""

    def redeem(self, ticket: str) -> Account | None:
        """The account of a live ticket; a ticket works once."""
        table = self._table
        with self._engine.begin() as connection:
            row = connection.execute(
                sa.delete(table)
                .where(table.c.ticket_hash == digest(ticket), table.c.expires_at > time.time())
                .returning(table.c.account_id)
            ).first()
        return None if row is None else self._accounts.by_id(row.account_id)
