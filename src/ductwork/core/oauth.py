"""What every vendor's OAuth2 server shares: Authlib's core adapted to ductwork's HTTP layer.

Vendors subclass `Server` and register their own grants; requests reach Authlib as
`ParamsRequest`s built from parameters the HTTP layer already merged (query, form, JSON),
and answers come back as (status, body, headers) for the vendor's route to send.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, OAuth2Request
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload


def digest(secret: str) -> str:
    """Client secrets, codes and tokens are at least 192-bit random: one SHA-256 is a sound
    stored form (no salt or stretching needed, unlike passwords)."""
    return hashlib.sha256(secret.encode()).hexdigest()


class ParamsRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth2 request whose parameters were collected by the HTTP layer."""

    def __init__(
        self, method: str, uri: str, params: dict[str, str], headers: Mapping[str, str]
    ) -> None:
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
