"""Vendor host names: a request for a vendor's real host is served at the vendor's paths."""

from __future__ import annotations

# Real host → the ductwork path prefix its paths live under. `<host>.localhost` works too.
VENDOR_HOSTS: dict[str, str] = {
    "api.phasoncontrols.com": "/phason",
    "api.phason.ca": "/phason",
    "api.flair.co": "/flair",
}
