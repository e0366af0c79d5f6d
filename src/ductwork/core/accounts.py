"""Accounts (tenants), argon2id passwords and hashed API keys."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from ductwork.core.clock import Clocks
from ductwork.core.db import storable
from ductwork.core.oauth.tokens import TokenCache, digest
from ductwork.core.schema import accounts, api_keys

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters


class AccountError(Exception):
    """A request about accounts that cannot be carried out (duplicate email, bad input)."""


@dataclass(frozen=True, slots=True)
class Account:
    """A tenant: every vendor object belongs to exactly one."""

    id: int
    email: str
    seed: int


@dataclass(frozen=True, slots=True)
class ApiKeyInfo:
    """What may be shown about a key after creation: never the key itself."""

    id: int
    account_email: str
    vendor: str
    prefix: str
    created_at: float
    revoked_at: float | None


def normalise_email(email: str) -> str:
    """Emails compare case-insensitively and without surrounding blanks."""
    return email.strip().lower()


class Accounts:
    """Account and key operations; authentication of keys is cached for hot paths."""

    def __init__(self, engine: Engine, clocks: Clocks) -> None:
        self._engine = engine
        self._clocks = clocks
        self._keys: TokenCache[Account] = TokenCache(clocks)

    def create(self, email: str, password: str, *, seed: int | None = None) -> Account:
        """Add an account with its own clock; the email must be new."""
        email = normalise_email(email)
        if "@" not in email or len(email) > 320 or not storable(email):
            raise AccountError(f"not an email address: {email!r}")
        if len(password) < 8:
            raise AccountError("the password must have at least 8 characters")
        seed = secrets.randbits(48) if seed is None else seed
        with self._engine.begin() as connection:
            exists = connection.execute(
                sa.select(accounts.c.id).where(accounts.c.email == email)
            ).first()
            if exists is not None:
                raise AccountError(f"an account with email {email} exists already")
            account_id = connection.execute(
                sa.insert(accounts)
                .values(
                    email=email,
                    password_hash=_hasher.hash(password),
                    seed=seed,
                    created_at=self._clocks.real(),
                )
                .returning(accounts.c.id)
            ).scalar_one()
            self._clocks.create(connection, account_id)
        return Account(id=account_id, email=email, seed=seed)

    def by_email(self, email: str) -> Account | None:
        """Look an account up by email."""
        if not storable(email):
            return None
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(accounts.c.id, accounts.c.email, accounts.c.seed).where(
                    accounts.c.email == normalise_email(email)
                )
            ).first()
        return None if row is None else Account(id=row.id, email=row.email, seed=row.seed)

    def by_id(self, account_id: int) -> Account | None:
        """Look an account up by id."""
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(accounts.c.id, accounts.c.email, accounts.c.seed).where(
                    accounts.c.id == account_id
                )
            ).first()
        return None if row is None else Account(id=row.id, email=row.email, seed=row.seed)

    def all(self) -> list[Account]:
        """Every account, oldest first."""
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(accounts.c.id, accounts.c.email, accounts.c.seed).order_by(accounts.c.id)
            ).all()
        return [Account(id=r.id, email=r.email, seed=r.seed) for r in rows]

    def check_password(self, email: str, password: str) -> Account | bool | None:
        """None if no such account, False if the password is wrong, else the account."""
        row = None
        if storable(email):
            with self._engine.connect() as connection:
                row = connection.execute(
                    sa.select(accounts).where(accounts.c.email == normalise_email(email))
                ).first()
        if row is None:
            # Spend the same work as a real check so timing does not reveal unknown emails.
            _hasher.hash(password)
            return None
        try:
            _hasher.verify(row.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        return Account(id=row.id, email=row.email, seed=row.seed)

    def issue_key(self, account: Account, vendor: str) -> str:
        """Create a random key, store only its hash, and return the key this once."""
        key = secrets.token_hex(16)
        with self._engine.begin() as connection:
            self._insert_key(connection, account.id, vendor, key)
        return key

    def _insert_key(self, connection: Connection, account_id: int, vendor: str, key: str) -> None:
        connection.execute(
            sa.insert(api_keys).values(
                account_id=account_id,
                vendor=vendor,
                prefix=key[:6],
                key_hash=digest(key),
                created_at=self._clocks.real(),
            )
        )

    def cached_key(self, key: str, vendor: str) -> Account | None:
        """The account of a key authenticated less than two seconds ago (no I/O), else None."""
        return self._keys.get((vendor, digest(key)))

    def authenticate_key(self, key: str, vendor: str) -> Account | None:
        """The account a live key belongs to; cached for two seconds per process."""
        hashed = digest(key)
        cached = self._keys.get((vendor, hashed))
        if cached is not None:
            return cached
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(accounts.c.id, accounts.c.email, accounts.c.seed)
                .join(api_keys, api_keys.c.account_id == accounts.c.id)
                .where(
                    api_keys.c.key_hash == hashed,
                    api_keys.c.vendor == vendor,
                    api_keys.c.revoked_at.is_(None),
                )
            ).first()
        if row is None:
            self._keys.drop((vendor, hashed))
            return None
        account = Account(id=row.id, email=row.email, seed=row.seed)
        self._keys.put((vendor, hashed), account, account.id)
        return account

    def list_keys(self, email: str | None = None) -> list[ApiKeyInfo]:
        """Keys (never their values), optionally of one account."""
        query = (
            sa.select(api_keys, accounts.c.email)
            .join(accounts, accounts.c.id == api_keys.c.account_id)
            .order_by(api_keys.c.id)
        )
        if email is not None:
            if not storable(email):
                return []
            query = query.where(accounts.c.email == normalise_email(email))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return [
            ApiKeyInfo(
                id=r.id,
                account_email=r.email,
                vendor=r.vendor,
                prefix=r.prefix,
                created_at=r.created_at,
                revoked_at=r.revoked_at,
            )
            for r in rows
        ]

    def revoke_key(self, key_id: int) -> bool:
        """Revoke a key by id; False if there is no live key with that id."""
        with self._engine.begin() as connection:
            result = connection.execute(
                sa.update(api_keys)
                .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
                .values(revoked_at=self._clocks.real())
            )
        self._keys.clear()
        return result.rowcount == 1
