"""The running system: one database, its clocks, accounts and vendor services, wired together."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from ductwork.core.accounts import Account, Accounts
from ductwork.core.clock import Clocks
from ductwork.core.db import create_engine, migrate, resolve_url
from ductwork.vendors.phason.demo import create_demo_barn
from ductwork.vendors.phason.service import PhasonService
from ductwork.vendors.phason.store import Simulator

DEMO_EMAIL = "demo@ductwork.local"
DEMO_HISTORY_DAYS = 3.0
CREDENTIALS_FILE = "credentials.json"
PHASON_KEY_VENDOR = "phason"


@dataclass
class Runtime:
    """Everything a request handler, a CLI command or a background task needs."""

    data_dir: Path
    database_url: str
    engine: Engine
    clocks: Clocks
    accounts: Accounts
    simulator: Simulator
    phason: PhasonService

    @classmethod
    def open(cls, data_dir: Path, database_url: str | None = None) -> Runtime:
        """Open (and migrate) the database for a data directory."""
        data_dir.mkdir(parents=True, exist_ok=True)
        url = resolve_url(data_dir, database_url)
        engine = create_engine(url)
        migrate(engine)
        clocks = Clocks(engine)
        simulator = Simulator(engine)
        return cls(
            data_dir=data_dir,
            database_url=url,
            engine=engine,
            clocks=clocks,
            accounts=Accounts(engine, clocks),
            simulator=simulator,
            phason=PhasonService(engine, clocks, simulator),
        )

    def close(self) -> None:
        """Release database connections."""
        self.engine.dispose()

    def add_demo_world(
        self,
        account: Account,
        history_days: float = DEMO_HISTORY_DAYS,
        progress: Callable[[int], None] | None = None,
    ) -> list[int]:
        """Give an account the demo barn with `history_days` of simulated history behind it."""
        now = self.clocks.now(account.id)
        start = now - history_days * 86_400.0
        with self.engine.begin() as connection:
            device_id = create_demo_barn(connection, account.id, account.seed, start)
        self.simulator.catch_up(device_id, int(now // 60), progress=progress)
        return [device_id]

    # ------------------------------------------------------------ demo credentials
    @property
    def credentials_path(self) -> Path:
        """Where the demo credentials live: the data dir, readable by its owner only."""
        return self.data_dir / CREDENTIALS_FILE

    def load_credentials(self) -> dict[str, Any] | None:
        """The stored demo credentials, if the demo world exists in this database."""
        if not self.credentials_path.exists():
            return None
        stored: dict[str, Any] = json.loads(self.credentials_path.read_text())
        if stored.get("database_url") != self.database_url:
            return None
        if self.accounts.by_email(stored["email"]) is None:
            return None
        return stored

    def ensure_demo(
        self, history_days: float = DEMO_HISTORY_DAYS, progress: Callable[[int], None] | None = None
    ) -> tuple[dict[str, Any], bool]:
        """Create the demo account, key and world once; returns (credentials, created now)."""
        stored = self.load_credentials()
        if stored is not None:
            return stored, False
        password = secrets.token_urlsafe(12)
        account = self.accounts.by_email(DEMO_EMAIL)
        if account is not None:
            raise RuntimeError(
                f"{DEMO_EMAIL} exists in this database but {self.credentials_path} does not "
                "describe it; use the data dir that created it, or start with --no-demo"
            )
        account = self.accounts.create(DEMO_EMAIL, password)
        api_key = self.accounts.issue_key(account, PHASON_KEY_VENDOR)
        device_ids = self.add_demo_world(account, history_days, progress)
        stored = {
            "database_url": self.database_url,
            "email": account.email,
            "password": password,
            "phason": {"api_key": api_key, "device_ids": [str(i) for i in device_ids]},
        }
        self.credentials_path.write_text(json.dumps(stored, indent=2))
        os.chmod(self.credentials_path, 0o600)
        return stored, True


def public_credentials(stored: dict[str, Any], base_url: str) -> dict[str, Any]:
    """The credentials document users see, with the base URLs of each API."""
    base = base_url.rstrip("/")
    return {
        "email": stored["email"],
        "password": stored["password"],
        "phason": {
            "base_url": f"{base}/phason",
            "base_url_v1_0_3": f"{base}/phason/v1.0.3",
            "api_key": stored["phason"]["api_key"],
            "device_ids": stored["phason"]["device_ids"],
        },
    }
