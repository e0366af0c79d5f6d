"""The vendor contract: what a package under `vendors/` declares and what its backend answers.

A vendor is two halves, in the spirit of Home Assistant's manifest and moto's backends:

- `Vendor`, a declaration cheap to import (no database, no framework, no numba): the APIs'
  titles and prefixes, vendor hosts, the module that registers its tables, where its backend
  and CLI group live, and how its section of the demo credentials reads. The registry, the CLI
  and `ductwork credentials` read only this half, so they start fast.
- `Backend`, built once per runtime on the shared core (engine, clocks, accounts, outbox): the
  route tables, the twins' catch-up, the demo world and its credentials, the dashboard panel,
  backfills and the reset. The composition root (`ductwork.app`, `ductwork.runtime`) iterates
  over the backends and knows no vendor by name.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ductwork.core.egress import Egress

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ductwork.core.accounts import Account, Accounts
    from ductwork.core.clock import Clocks
    from ductwork.core.webhooks import Outbox
    from ductwork.http.dispatch import Api, AsgiMount

Progress = Callable[[int], None]
Json = dict[str, Any]


@dataclass(frozen=True)
class ApiInfo:
    """One API of a vendor as users see it listed: banner, dashboard and credentials."""

    title: str
    prefix: str  # the ductwork path prefix, e.g. "/phason/v1.0.3"
    credentials_key: str  # the key of its base URL in the vendor's credentials section
    docs: bool = True  # serves an interactive page at {prefix}/docs


@dataclass(frozen=True)
class Vendor:
    """What a vendor brings, declared without importing any of it."""

    name: str  # the credentials section, CLI group and registry key: "phason"
    title: str
    apis: tuple[ApiInfo, ...]
    root: str  # the ductwork prefix the vendor's real root paths live under: "/flair"
    hosts: Mapping[str, str]  # real host name -> the ductwork prefix its paths live under
    schema: str  # module that registers the vendor's tables on core.schema.metadata
    backend: str  # "module:Class" of its Backend
    # Module of its CLI: `group` (a click group) and optional `serve_options` (click options
    # of `ductwork serve`, whose values reach the backend as Core.options).
    cli: str | None = None
    # The public credentials section from the stored one (secrets kept, URLs added); pure.
    credentials: Callable[[Json, str], Json] = field(default=lambda stored, _base: dict(stored))

    def load_backend(self) -> type[Backend]:
        """Import the backend class (heavy: the vendor's services, twins and routes)."""
        loaded: type[Backend] = _load(self.backend)
        return loaded

    def public_credentials(self, stored: Json, base_url: str) -> Json:
        """The section users see: each API's base URL, then what the demo stored."""
        base = base_url.rstrip("/")
        urls = {api.credentials_key: f"{base}{api.prefix}" for api in self.apis}
        return {**urls, **self.credentials(stored, base)}


def _load(reference: str) -> Any:
    module, _, attribute = reference.partition(":")
    return getattr(importlib.import_module(module), attribute)


def load_cli(vendor: Vendor) -> Any:
    """The vendor's CLI module (None when it has none)."""
    return None if vendor.cli is None else importlib.import_module(vendor.cli)


@dataclass(frozen=True)
class Core:
    """The shared machinery a backend is built on."""

    data_dir: Path
    engine: Engine
    clocks: Clocks
    accounts: Accounts
    outbox: Outbox
    options: Mapping[str, Any]  # vendor options by name, e.g. {"flair_token_limit": 50}
    # Where ductwork's own requests may go: vendors check the webhook, callback and action URLs
    # callers register (core/egress.py).
    egress: Egress = field(default_factory=Egress)


class Backend(ABC):
    """A vendor's running half, one per runtime."""

    vendor: ClassVar[Vendor]

    def __init__(self, core: Core) -> None:
        self.core = core

    @abstractmethod
    def apis(self) -> list[Api]:
        """The vendor's APIs: prefix, route table, error shape and OpenAPI document each."""

    def mounts(self) -> list[AsgiMount]:
        """Plain ASGI apps the vendor serves (none by default)."""
        return []

    @abstractmethod
    def catch_up(self, account: Account) -> None:
        """Simulate the account's twins up to its clock (the background tick calls this)."""

    @abstractmethod
    def add_demo(self, account: Account, start: float, progress: Progress | None = None) -> Json:
        """Give an account the vendor's demo world, simulated from `start` to its now; returns
        what the credentials show of it (device ids by kind)."""

    def demo_minutes(self, account: Account, start: float) -> int:
        """Minutes of progress `add_demo` reports (0 when it reports none)."""
        return 0

    @abstractmethod
    def create_credentials(self, account: Account) -> Json:
        """Keys and clients for the demo account (secrets shown once, stored in the data dir)."""

    @abstractmethod
    def backfill(self, account: Account, days: float, progress: Progress | None = None) -> Json:
        """Simulate the account's devices afresh over the last `days` days; returns their ids."""

    def backfill_minutes(self, account: Account, days: float) -> int:
        """Minutes of progress `backfill` reports."""
        return 0

    @abstractmethod
    def clear(self, account: Account) -> None:
        """Delete the account's devices and their history (keys, clients and tokens stay)."""

    def reset(self, account: Account, start: float, progress: Progress | None = None) -> Json:
        """Put the account's world back to the demo state, simulated from `start` to its now;
        returns what `add_demo` returns."""
        self.clear(account)
        return self.add_demo(account, start, progress)

    def panel(self, account: Account, stored: Json, base_url: str) -> str:
        """The dashboard's HTML section for the account (escaped), or ''."""
        return ""

    def close(self) -> None:  # noqa: B027  (optional hook: most vendors run nothing more)
        """Stop whatever the backend runs beside the database (nothing by default)."""
