"""Flair: smart vents, pucks and rooms behind a JSON:API with OAuth2 scopes."""

from __future__ import annotations

from ductwork.vendors.contract import ApiInfo, Json, Vendor

TOKEN_LIMIT = 50  # new tokens a day per application and account (0: no limit)


def _credentials(stored: Json, _base_url: str) -> Json:
    return {
        key: stored[key] for key in ("client_id", "client_secret", "structure_ids") if key in stored
    }


VENDOR = Vendor(
    name="flair",
    title="Flair",
    apis=(ApiInfo("Flair (OAuth2, JSON:API)", "/flair", "base_url"),),
    root="/flair",
    hosts={"api.flair.co": "/flair"},
    schema="ductwork.vendors.flair.schema",
    backend="ductwork.vendors.flair.backend:FlairBackend",
    cli="ductwork.vendors.flair.cli",
    credentials=_credentials,
)
