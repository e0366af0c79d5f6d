"""The running system: one database, its clocks and accounts, and every registered vendor's
backend on them. Knows no vendor by name: it iterates over the registry."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.datadir import CREDENTIALS_FILE, read_json, resolve_url, write_private
from ductwork.core.db import create_engine, migrate
from ductwork.core.egress import Egress
from ductwork.core.webhooks import Outbox
from ductwork.registry import VENDORS
from ductwork.vendors.contract import Backend, Core, Json

DEMO_EMAIL = "demo@ductwork.local"
DEMO_HISTORY_DAYS = 3.0
B = TypeVar("B", bound=Backend)
Progress = Callable[[int], None]


@dataclass
class Runtime:
    """Everything a request handler, a CLI command or a background task needs."""

    data_dir: Path
    database_url: str
    engine: Engine
    clocks: Clocks
    accounts: Accounts
    outbox: Outbox
    backends: dict[str, Backend]

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None, **options: Any) -> Runtime:
        """Open (and migrate) the database for a data directory and build every vendor's
        backend on it; `options` are vendor options such as `flair_token_limit`, and `egress`,
        where ductwork's own requests (webhooks, actions) may go (default: loopback and the
        public internet)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        url = resolve_url(data_dir, database_url)
        engine = create_engine(url)
        migrate(engine)
        clocks = Clocks(engine)
        accounts = Accounts(engine, clocks)
        egress = options.pop("egress", None) or Egress()
        outbox = Outbox(engine, egress=egress)
        core = Core(data_dir, engine, clocks, accounts, outbox, options, egress)
        backends = {v.name: v.load_backend()(core) for v in VENDORS}
        return cls(data_dir, url, engine, clocks, accounts, outbox, backends)

    def backend(self, kind: type[B]) -> B:
        """The running backend of a vendor, by its class."""
        found = self.backends[kind.vendor.name]
        assert isinstance(found, kind)
        return found

    def close(self) -> None:
        """Stop the backends and release database connections."""
        for backend in self.backends.values():
            backend.close()
        self.engine.dispose()

    # ------------------------------------------------------------ worlds
    def catch_up(self, account: Account) -> None:
        """Simulate every twin of the account up to its clock, vendor by vendor."""
        for backend in self.backends.values():
            backend.catch_up(account)

    def demo_minutes(self, account: Account, history_days: float) -> int:
        """The progress `add_demo_world` reports for `history_days` of history."""
        start = self.clocks.now(account.id) - history_days * 86_400.0
        return sum(b.demo_minutes(account, start) for b in self.backends.values())

    def add_demo_world(
        self, account: Account, history_days: float = DEMO_HISTORY_DAYS,
        progress: Progress | None = None,
    ) -> dict[str, Json]:  # fmt: skip
        """Give an account every vendor's demo world with `history_days` of history behind
        it; returns each vendor's device ids."""
        start = self.clocks.now(account.id) - history_days * 86_400.0
        return {name: b.add_demo(account, start, progress) for name, b in self.backends.items()}

    def backfill_minutes(self, account: Account, days: float) -> int:
        """The progress `backfill` reports."""
        return sum(b.backfill_minutes(account, days) for b in self.backends.values())

    def backfill(
        self, account: Account, days: float, progress: Progress | None = None
    ) -> dict[str, Json]:
        """Simulate every device of the account, of every vendor, afresh over `days` days."""
        return {name: b.backfill(account, days, progress) for name, b in self.backends.items()}

    def reset(
        self, account: Account, history_days: float = DEMO_HISTORY_DAYS,
        progress: Progress | None = None,
    ) -> dict[str, Json]:  # fmt: skip
        """Put the account's world back to every vendor's demo state at its now (its keys,
        clients and tokens stay); the demo credentials follow the new device ids."""
        start = self.clocks.now(account.id) - history_days * 86_400.0
        worlds = {name: b.reset(account, start, progress) for name, b in self.backends.items()}
        stored = self.load_credentials()
        if stored is not None and stored["email"] == account.email:
            for name, world in worlds.items():
                stored.setdefault(name, {}).update(world)
            write_private(self.credentials_path, stored)
        return worlds

    # ------------------------------------------------------------ demo credentials
    @property
    def credentials_path(self) -> Path:
        """Where the demo credentials live: the data dir, readable by its owner only."""
        return self.data_dir / CREDENTIALS_FILE

    def load_credentials(self) -> dict[str, Any] | None:
        """The stored demo credentials, if the demo world exists in this database."""
        stored = read_json(self.credentials_path)
        if stored is None or stored.get("database_url") != self.database_url:
            return None
        if self.accounts.by_email(stored["email"]) is None:
            return None
        return stored

    def ensure_demo(
        self, history_days: float = DEMO_HISTORY_DAYS, progress: Progress | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Create the demo account, its credentials and world once; returns (credentials,
        created now)."""
        stored = self.load_credentials()
        if stored is not None:
            return stored, False
        password = secrets.token_urlsafe(12)
        if self.accounts.by_email(DEMO_EMAIL) is not None:
            raise RuntimeError(
                f"{DEMO_EMAIL} exists in this database but {self.credentials_path} does not "
                "describe it; use the data dir that created it, or start with --no-demo"
            )
        account = self.accounts.create(DEMO_EMAIL, password)
        worlds = self.add_demo_world(account, history_days, progress)
        stored = {"database_url": self.database_url, "email": account.email,
                  "password": password}  # fmt: skip
        for name, backend in self.backends.items():
            stored[name] = {**backend.create_credentials(account), **worlds[name]}
        write_private(self.credentials_path, stored)
        return stored, True
