"""Phason: AutoFlex Connect API v1.0.2 (OAuth2) and Phason API v1.0.3 (API keys) over barns."""

from __future__ import annotations

from ductwork.vendors.contract import ApiInfo, Json, Vendor

KEY_VENDOR = "phason"  # the vendor name API keys are issued under


def _credentials(stored: Json, _base_url: str) -> Json:
    keys = ("api_key", "device_ids", "client_id", "client_secret", "redirect_uri")
    return {key: stored[key] for key in keys if key in stored}


VENDOR = Vendor(
    name="phason",
    title="Phason",
    apis=(
        ApiInfo("Phason API v1.0.3 (API keys)", "/phason/v1.0.3", "base_url_v1_0_3"),
        ApiInfo("Phason AutoFlex Connect v1.0.2 (OAuth2)", "/phason", "base_url"),
    ),
    root="/phason",
    hosts={"api.phasoncontrols.com": "/phason", "api.phason.ca": "/phason"},
    schema="ductwork.vendors.phason.schema",
    backend="ductwork.vendors.phason.backend:PhasonBackend",
    cli="ductwork.vendors.phason.cli",
    credentials=_credentials,
)
