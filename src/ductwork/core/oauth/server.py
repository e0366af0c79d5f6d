"""Authlib's framework-independent core adapted to ductwork's HTTP layer and storage.

Requests reach Authlib as `ParamsRequest`s built from parameters the HTTP layer already merged
(query, form, JSON), and answers come back as (status, body, headers) for the vendor's route
to send. `OAuthServer` runs on a vendor's `OAuthStore`; vendors register their own grants.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload

from ductwork.core.accounts import Accounts
from ductwork.core.db import storable
from ductwork.core.oauth.logins import LoginTickets
from ductwork.core.oauth.records import HashedSecretClient
from ductwork.core.oauth.store import OAuthStore

# ductwork is a local sandbox served over plain HTTP (TLS, where wanted, is a proxy's job);
# Authlib refuses authorization requests on http:// URLs unless this is set.
os.environ.setdefault("AUTHLIB_INSECURE_TRANSPORT", "1")

P = TypeVar("P")
Answer = tuple[int, dict[str, Any], list[tuple[str, str]]]


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


class OAuthServer(Server, Generic[P]):
    """Authlib's server on a vendor's `OAuthStore`, accounts, clocks and login tickets. A
    vendor says how a client row becomes its Authlib client (`client_of`) and registers its
    grants."""

    # The WWW-Authenticate challenge of a failed client authentication (None: no header).
    CLIENT_CHALLENGE: str | None = None

    def __init__(
        self, store: OAuthStore[P], accounts: Accounts, logins: LoginTickets, scopes: Iterable[str]
    ) -> None:
        super().__init__(scopes_supported=list(scopes))
        self.store = store
        self.engine = store.engine
        self.clocks = store.clocks
        self.accounts = accounts
        self.logins = logins
        self.register_token_generator("default", self._generate)

    def client_of(self, row: Any) -> HashedSecretClient[Any]:
        """The vendor's Authlib client for a row of its clients table."""
        raise NotImplementedError

    def token_body(
        self, client: HashedSecretClient[Any], scope: str | None, refresh: bool
    ) -> dict[str, Any]:
        """A new token as the token endpoint answers it (access_token, token_type, expires_in,
        scope, and refresh_token where `refresh` asks for one): the vendor's shape."""
        raise NotImplementedError

    def _generate(
        self,
        grant_type: str,
        client: HashedSecretClient[Any],
        user: Any = None,
        scope: str | None = None,
        expires_in: int | None = None,
        include_refresh_token: bool = True,
    ) -> dict[str, Any]:
        """Authlib's token generator: the vendor's `token_body`."""
        return self.token_body(client, scope, include_refresh_token)

    def query_client(self, client_id: str) -> HashedSecretClient[Any] | None:
        """The client with this client id (Authlib's hook)."""
        row = self.store.client_row(client_id)
        return None if row is None else self.client_of(row)

    def answer_token_request(self, request: ParamsRequest) -> Answer:
        """Run the token endpoint. A failed client authentication is a 401, as RFC 6749
        section 5.2 allows (Authlib answers 400 unless the client tried HTTP Basic): an unknown
        client id fails like a wrong secret does."""
        status, body, headers = self.create_token_response(request)
        if body.get("error") == "invalid_client" and status == 400:
            status = 401
            if self.CLIENT_CHALLENGE is not None:
                headers = [*headers, ("WWW-Authenticate", self.CLIENT_CHALLENGE)]
        return int(status), dict(body), list(headers)
