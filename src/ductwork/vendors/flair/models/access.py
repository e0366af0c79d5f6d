"""Who may reach what: the OAuth scopes of the Flair API and the caller they describe."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ductwork.vendors.flair.models.resource import ResourceType

VIEW, EDIT = "view", "edit"

# Every scope resource a token may name (the document's resources and those real clients use).
SCOPE_RESOURCES = (
    "applications",
    "users",
    "structures",
    "vents",
    "pucks",
    "puck-apps",
    "thermostats",
    "sensors",
    "events",
)
ALL_SCOPES = tuple(f"{r}.{level}" for r in SCOPE_RESOURCES for level in (VIEW, EDIT))


@dataclass(frozen=True, slots=True)
class Principal:
    """Who calls: the account (tenant), the granted scopes and the application."""

    account_id: int
    scopes: frozenset[str]
    application_id: int

    def may(self, resource_type: ResourceType, method: str) -> bool:
        """View scopes allow GET (and HEAD); edit scopes allow every method (GET included)."""
        reading = method in ("GET", "HEAD")
        for resource in resource_type.scopes:
            if f"{resource}.{EDIT}" in self.scopes:
                return True
            if reading and f"{resource}.{VIEW}" in self.scopes:
                return True
        return False
