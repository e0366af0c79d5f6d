"""Single-use login tickets: proof of a fresh sign-in, from the sign-in page to consent."""

from __future__ import annotations

import secrets
import time

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.oauth.tokens import digest

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
