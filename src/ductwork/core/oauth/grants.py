"""What the vendors' Authlib grants share: authorization codes and refresh tokens kept in the
server's `OAuthStore`. A vendor's grant class mixes these in before Authlib's grant and adds
its own rules (auth methods, scopes, what a code records)."""

from __future__ import annotations

from typing import Any

from ductwork.core.accounts import Account
from ductwork.core.oauth.records import CodeRecord, HashedSecretClient, TokenRecord
from ductwork.core.oauth.server import OAuthServer, ParamsRequest


class StoredCodes:
    """The authorization code grant's storage: codes saved hashed, found for their client,
    deleted once used; the user is the account that consented."""

    server: OAuthServer[Any]

    def code_columns(self, request: ParamsRequest) -> dict[str, Any]:
        """What the vendor records with a code besides its client and account (redirect_uri,
        scope, ...)."""
        raise NotImplementedError

    def save_authorization_code(self, code: str, request: ParamsRequest) -> None:
        """Store the code's digest with what it was issued for."""
        client: HashedSecretClient[Any] = request.client
        account: Account = request.user
        self.server.store.save_code(
            code, client.record.id, account.id, **self.code_columns(request)
        )

    def query_authorization_code(
        self, code: str, client: HashedSecretClient[Any]
    ) -> CodeRecord | None:
        """A live code of this client."""
        return self.server.store.find_code(code, client.record.id)

    def delete_authorization_code(self, authorization_code: CodeRecord) -> None:
        """Codes are single-use."""
        self.server.store.delete_code(authorization_code.id)

    def authenticate_user(self, authorization_code: CodeRecord) -> Account | None:
        """The account that consented."""
        return self.server.accounts.by_id(authorization_code.account_id)


class StoredRefresh:
    """The refresh token grant's storage: a live refresh token gives a new pair for the same
    account, and the old pair stops working."""

    INCLUDE_NEW_REFRESH_TOKEN = True
    server: OAuthServer[Any]

    def authenticate_refresh_token(self, refresh_token: str) -> TokenRecord | None:
        """A live refresh token: not revoked, and not expired where refresh tokens expire."""
        record = self.server.store.find_by_refresh(refresh_token)
        return None if record is None or record.is_revoked() else record

    def authenticate_user(self, refresh_token: TokenRecord) -> Account | None:
        """The account the pair was issued for."""
        return self.server.accounts.by_id(refresh_token.account_id)

    def revoke_old_credential(self, refresh_token: TokenRecord) -> None:
        """Refresh tokens are single-use: the old access and refresh tokens stop working."""
        self.server.store.revoke(refresh_token.id)
