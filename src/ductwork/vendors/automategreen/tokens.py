"""Sign-in tokens as Automate Green issues them: HS256 JWTs whose payload holds the token's own
short `id`, `iat` and `exp` (`exp - iat` is the requested lifetime), signed with a secret of
this installation (made on first use, kept in the database so every process shares it).

Each token is also a row (its id, the SHA-256 of the whole token, description, lifetime on the
account's clock) so it can be listed and revoked. A token is good when its signature checks,
its row exists with the same digest, it is not revoked, and the account's clock has not passed
its `exp`. The signature is made and checked by PyJWT; expiry is ours (the account's clock,
which may run fast or be set back, is not the wall clock PyJWT would use).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import threading
from dataclasses import dataclass

import jwt
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.db import storable
from ductwork.core.oauth.tokens import TokenCache, digest
from ductwork.vendors.automategreen import schema
from ductwork.vendors.automategreen.ids import short_id

DEFAULT_EXPIRES = 14 * 86_400  # two weeks, as the document says
MAX_EXPIRES = 100 * 365 * 86_400  # chosen: a century; longer is refused
ALGORITHM = "HS256"


def iso(at: float) -> str:
    """An instant as the vendor writes dates: `2015-07-17T23:50:45.666Z` (UTC, milliseconds)."""
    moment = dt.datetime.fromtimestamp(at, dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What `GET /tokens` shows of a token."""

    id: str
    expires: float
    description: str

    def wire(self) -> dict[str, str]:
        """`{"id", "expires", "desc"}` (expires as an ISO date)."""
        return {"id": self.id, "expires": iso(self.expires), "desc": self.description}


class Tokens:
    """Issue, check, list and revoke an account's sign-in tokens."""

    def __init__(self, engine: Engine, clocks: Clocks, accounts: Accounts) -> None:
        self._engine = engine
        self._clocks = clocks
        self._accounts = accounts
        self._secret: str | None = None
        self._guard = threading.Lock()
        self.cache: TokenCache[Account] = TokenCache(clocks)

    def _key(self) -> str:
        if self._secret is None:
            with self._guard, self._engine.begin() as connection:
                found = connection.execute(
                    sa.select(schema.installation.c.token_secret).where(
                        schema.installation.c.id == 1
                    )
                ).scalar()
                if found is None:
                    found = secrets.token_urlsafe(48)
                    # Two processes may race to make it: the first insert wins, both read it.
                    try:
                        with connection.begin_nested():
                            connection.execute(
                                sa.insert(schema.installation).values(id=1, token_secret=found)
                            )
                    except sa.exc.IntegrityError:
                        found = connection.execute(
                            sa.select(schema.installation.c.token_secret)
                        ).scalar_one()
                self._secret = str(found)
        return self._secret

    def issue(self, account: Account, expires: int, description: str) -> str:
        """A new token for the account, good for `expires` seconds of its clock."""
        issued = math.floor(self._clocks.now(account.id))
        token_id = short_id()
        token = jwt.encode(
            {"id": token_id, "iat": issued, "exp": issued + expires},
            self._key(),
            algorithm=ALGORITHM,
        )
        with self._engine.begin() as connection:
            connection.execute(
                sa.insert(schema.tokens).values(
                    id=token_id,
                    account_id=account.id,
                    digest=digest(token),
                    description=description,
                    issued_at=float(issued),
                    expires_at=float(issued + expires),
                )
            )
        return token

    def lookup(self, token: str) -> Account | None:
        """The account a token signs in, or None (forged, unknown, revoked or expired)."""
        if not storable(token) or len(token) > 4096:
            return None
        try:
            claims = jwt.decode(
                token,
                self._key(),
                algorithms=[ALGORITHM],
                options={"verify_exp": False, "verify_iat": False, "require": ["id", "exp"]},
            )
        except jwt.InvalidTokenError:
            return None
        if not isinstance(claims.get("id"), str):
            return None
        with self._engine.connect() as connection:
            row = connection.execute(
                sa.select(schema.tokens).where(schema.tokens.c.id == claims["id"])
            ).first()
        if row is None or row.revoked_at is not None or row.digest != digest(token):
            return None
        if self._clocks.now(row.account_id) >= row.expires_at:
            return None
        account = self._accounts.by_id(row.account_id)
        if account is not None:
            self.cache.put(token, account, account.id, row.expires_at)
        return account

    def listing(self, account: Account) -> list[TokenInfo]:
        """The account's tokens not revoked and not expired, oldest first."""
        now = self._clocks.now(account.id)
        t = schema.tokens.c
        with self._engine.connect() as connection:
            rows = connection.execute(
                sa.select(t.id, t.expires_at, t.description)
                .where(t.account_id == account.id, t.revoked_at.is_(None), t.expires_at > now)
                .order_by(t.issued_at, t.id)
            ).all()
        return [TokenInfo(r.id, r.expires_at, r.description) for r in rows]

    def revoke(self, account: Account, token_id: str) -> bool:
        """Revoke one of the account's tokens; False when it has no such (live) token."""
        if not storable(token_id):
            return False
        t = schema.tokens.c
        with self._engine.begin() as connection:
            done = connection.execute(
                sa.update(schema.tokens)
                .where(t.id == token_id, t.account_id == account.id, t.revoked_at.is_(None))
                .values(revoked_at=self._clocks.now(account.id))
            ).rowcount
        self.cache.clear()
        return done == 1
