"""The registry of vendors: adding a vendor is one folder under `vendors/` and one line here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ductwork.vendors.automategreen import VENDOR as AUTOMATEGREEN
from ductwork.vendors.contract import Vendor
from ductwork.vendors.flair import VENDOR as FLAIR
from ductwork.vendors.phason import VENDOR as PHASON

VENDORS: tuple[Vendor, ...] = (PHASON, FLAIR, AUTOMATEGREEN)


def vendor(name: str) -> Vendor:
    """A registered vendor by name."""
    for registered in VENDORS:
        if registered.name == name:
            return registered
    raise KeyError(name)


def hosts() -> dict[str, str]:
    """Every vendor host name and the prefix its paths live under."""
    return {host: prefix for v in VENDORS for host, prefix in v.hosts.items()}


def public_credentials(
    stored: Mapping[str, Any], base_url: str, root_urls: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The credentials document users see: the account, then each vendor's section with the
    base URLs of its APIs (and `root_url`, where the vendor is served at its real root paths)."""
    document: dict[str, Any] = {"email": stored["email"], "password": stored["password"]}
    for vendor in VENDORS:
        if vendor.name in stored:
            section = vendor.public_credentials(stored[vendor.name], base_url)
            if root_urls and vendor.name in root_urls:
                section["root_url"] = root_urls[vendor.name]
            document[vendor.name] = section
    return document
