"""Authlib's view of what a vendor stores: clients with hashed secrets, codes and token pairs."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, fields
from typing import Any, Generic, Self, TypeVar

from authlib.oauth2.rfc6749 import ClientMixin, TokenMixin

from ductwork.core.oauth.tokens import digest


@dataclass(frozen=True)
class ClientRecord:
    """A registered client (what may be shown: never its secret); vendors add columns."""

    id: int
    account_id: int
    name: str
    client_id: str
    redirect_uris: tuple[str, ...]
    created_at: float

    @classmethod
    def of(cls, row: Any) -> Self:
        """The record of a database row (JSON lists become tuples)."""
        values: dict[str, Any] = {}
        for field in fields(cls):
            value = getattr(row, field.name)
            values[field.name] = tuple(value) if isinstance(value, list) else value
        return cls(**values)


R = TypeVar("R", bound=ClientRecord)


class HashedSecretClient(ClientMixin, Generic[R]):  # type: ignore[misc]
    """A confidential client whose secret is stored as its digest, with exact redirect URIs.
    Vendors add their rules: auth methods, response and grant types, allowed scopes."""

    def __init__(self, record: R, secret_hash: str) -> None:
        self.record = record
        self._secret_hash = secret_hash

    def get_client_id(self) -> str:
        """The public client id."""
        return self.record.client_id

    def get_default_redirect_uri(self) -> str | None:
        """The first registered redirect URI."""
        uris = self.record.redirect_uris
        return uris[0] if uris else None

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Exact match against the registered URIs."""
        return redirect_uri in self.record.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Compare the secret's digest in constant time."""
        return hmac.compare_digest(digest(client_secret), self._secret_hash)


@dataclass(frozen=True)
class CodeRecord:
    """A stored authorization code, as Authlib's grant and the PKCE extension read it."""

    id: int
    account_id: int
    redirect_uri: str | None
    scope: str
    code_challenge: str | None = None
    code_challenge_method: str | None = None

    def get_redirect_uri(self) -> str | None:
        """The redirect URI the code was issued for (None: the request named none)."""
        return self.redirect_uri

    def get_scope(self) -> str:
        """The granted scopes."""
        return self.scope


@dataclass(frozen=True)
class TokenRecord(TokenMixin):  # type: ignore[misc]
    """A stored token pair; times are on the account's clock."""

    id: int
    account_id: int
    client_pk: int
    scope: str
    issued_at: float
    expires_in: int
    revoked: bool
    refresh_expired: bool = False

    @property
    def expires_at(self) -> float:
        """When the access token stops working (account clock)."""
        return self.issued_at + self.expires_in

    def check_client(self, client: HashedSecretClient[Any]) -> bool:
        """A refresh token works only for the client it was issued to."""
        return self.client_pk == int(client.record.id)

    def get_scope(self) -> str:
        """The granted scopes, space-separated."""
        return self.scope

    def get_expires_in(self) -> int:
        """Seconds the access token lives."""
        return self.expires_in

    def is_revoked(self) -> bool:
        """Revoked (e.g. refreshed) pairs and expired refresh tokens do nothing."""
        return self.revoked or self.refresh_expired
