"""Automate Green API v1: an Insteon home-automation cloud and Automate Green's own Power
Controllers and Sensor Hubs, with status history and actions."""

from __future__ import annotations

from ductwork.vendors.contract import ApiInfo, Json, Vendor


def _credentials(stored: Json, _base_url: str) -> Json:
    return {key: stored[key] for key in ("token", "email", "devices") if key in stored}


VENDOR = Vendor(
    name="automategreen",
    title="Automate Green",
    apis=(ApiInfo("Automate Green API v1", "/automategreen/v1", "base_url"),),
    root="/automategreen",
    hosts={"api.automategreen.com": "/automategreen"},
    schema="ductwork.vendors.automategreen.schema",
    backend="ductwork.vendors.automategreen.backend:AutomateGreenBackend",
    cli="ductwork.vendors.automategreen.cli",
    credentials=_credentials,
)
