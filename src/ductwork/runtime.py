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
from ductwork.core.webhooks import Outbox
from ductwork.vendors.flair.oauth import TOKEN_LIMIT
from ductwork.vendors.flair.service import FlairService
from ductwork.vendors.flair.store import HomeSimulator
from ductwork.vendors.phason.demo import create_demo_barn
from ductwork.vendors.phason.oauth import PhasonAuthorizationServer
from ductwork.vendors.phason.service import PhasonService
from ductwork.vendors.phason.settings import PhasonSettings
from ductwork.vendors.phason.store import Simulator
from ductwork.vendors.phason.timed import TimedEvents

DEMO_EMAIL = "demo@ductwork.local"
DEMO_HISTORY_DAYS = 3.0
CREDENTIALS_FILE = "credentials.json"
PHASON_KEY_VENDOR = "phason"
PHASON_DEMO_CLIENT = "ductwork demo integration"
PHASON_DEMO_REDIRECT = "http://localhost:8080/callback"
FLAIR_DEMO_APP = "ductwork demo"
FLAIR_TOKEN_LIMIT = TOKEN_LIMIT  # new Flair tokens a day per application and account


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
    phason_settings: PhasonSettings
    phason_timed: TimedEvents
    phason_oauth: PhasonAuthorizationServer
    flair: FlairService
    outbox: Outbox

    @classmethod
    def open(
        cls,
        data_dir: Path,
        database_url: str | None = None,
        *,
        flair_token_limit: int = FLAIR_TOKEN_LIMIT,
    ) -> Runtime:
        """Open (and migrate) the database for a data directory; `flair_token_limit`: new Flair
        tokens a day per application and account (0: no limit)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        url = resolve_url(data_dir, database_url)
        engine = create_engine(url)
        migrate(engine)
        clocks = Clocks(engine)
        simulator = Simulator(engine)
        phason = PhasonService(engine, clocks, simulator)
        accounts = Accounts(engine, clocks)
        outbox = Outbox(engine)
        flair = FlairService(
            engine, clocks, accounts, HomeSimulator(engine), outbox, token_limit=flair_token_limit
        )
        return cls(
            data_dir=data_dir,
            database_url=url,
            engine=engine,
            clocks=clocks,
            accounts=accounts,
            simulator=simulator,
            phason=phason,
            phason_settings=PhasonSettings(engine, phason),
            phason_timed=TimedEvents(engine, phason),
            phason_oauth=PhasonAuthorizationServer(engine, clocks, accounts),
            flair=flair,
            outbox=outbox,
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
        structure_id = self.flair.add_demo_home(account, start)
        self.flair.simulator.catch_up(structure_id, int(now // 60))
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
        application, secret = self.flair.applications.create(
            account, FLAIR_DEMO_APP, description="The demo world's confidential application."
        )
        client, client_secret = self.phason_oauth.create_client(
            account, PHASON_DEMO_CLIENT, (PHASON_DEMO_REDIRECT,)
        )
        stored = {
            "database_url": self.database_url,
            "email": account.email,
            "password": password,
            "phason": {
                "api_key": api_key,
                "device_ids": [str(i) for i in device_ids],
                "client_id": client.client_id,
                "client_secret": client_secret,
                "redirect_uri": PHASON_DEMO_REDIRECT,
            },
            "flair": {"client_id": application.client_id, "client_secret": secret},
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
            "client_id": stored["phason"]["client_id"],
            "client_secret": stored["phason"]["client_secret"],
            "redirect_uri": stored["phason"]["redirect_uri"],
        },
        **(
            {"flair": {"base_url": f"{base}/flair", **stored["flair"]}} if "flair" in stored else {}
        ),
    }
