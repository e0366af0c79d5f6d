"""Fixtures: a world per database (SQLite, PostgreSQL) and a client per mode (in-process, live).

Every API test runs four times: {SQLite, PostgreSQL} x {in-process ASGI, real `ductwork serve`}.
The world holds two accounts with a demo barn each, their clocks frozen on a summer afternoon,
so every reading is reproducible.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from starlette.testclient import TestClient

from ductwork.app import create_app
from ductwork.registry import VENDORS
from ductwork.runtime import Runtime
from ductwork.vendors.flair.backend import FlairBackend
from ductwork.vendors.flair.service import FlairService
from ductwork.vendors.phason import KEY_VENDOR
from ductwork.vendors.phason.backend import PhasonBackend

POSTGRES_ENV = "DUCTWORK_TEST_POSTGRES_URL"
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
ZONE = ZoneInfo("America/Chicago")
# A hot July afternoon in the barn's time zone: misting weather, fans running.
T0 = dt.datetime(2024, 7, 23, 16, 30, tzinfo=ZONE).timestamp()
HISTORY_HOURS = 6
PREFIX = "/phason/v1.0.3"


def phason(runtime: Runtime) -> PhasonBackend:
    """The runtime's Phason backend (services, OAuth server, simulator)."""
    return runtime.backend(PhasonBackend)


def flair(runtime: Runtime) -> FlairService:
    """The runtime's Flair service (applications, demo homes, simulator)."""
    return runtime.backend(FlairBackend).service


@dataclass(frozen=True)
class Tenant:
    """One account of the test world."""

    email: str
    password: str
    key: str
    device_ids: tuple[str, ...]

    @property
    def headers(self) -> dict[str, str]:
        """The Phasonkey header of this tenant."""
        return {"Phasonkey": self.key}

    @property
    def device(self) -> str:
        """The tenant's (first) device id."""
        return self.device_ids[0]


@dataclass(frozen=True)
class World:
    """A database with two tenants, and the runtime that opened it."""

    backend: str
    data_dir: Path
    database_url: str
    runtime: Runtime
    a: Tenant
    b: Tenant


def _tenant(runtime: Runtime, name: str) -> Tenant:
    email = f"{name}@example.com"
    password = secrets.token_urlsafe(12)
    account = runtime.accounts.create(email, password, seed=sum(map(ord, name)))
    runtime.clocks.change(account.id, set_to=T0, freeze=True)
    ids = runtime.add_demo_world(account, history_days=HISTORY_HOURS / 24)["phason"]["device_ids"]
    key = runtime.accounts.issue_key(account, KEY_VENDOR)
    return Tenant(email, password, key, tuple(str(i) for i in ids))


def _postgres_database() -> tuple[str, str]:
    admin = os.environ.get(POSTGRES_ENV, POSTGRES_DEFAULT)
    name = f"ductwork_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {admin} ({exc}). Start it, or point {POSTGRES_ENV} "
            "at a server where this user may create databases."
        )
    base = admin.rsplit("/", 1)[0]
    return admin, f"{base}/{name}"


def _drop_postgres(admin: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    """A migrated database holding tenants `a` and `b`, each with a simulated barn."""
    backend = str(request.param)
    data_dir = tmp_path_factory.mktemp(f"data-{backend}")
    admin = url = ""
    if backend == "postgresql":
        admin, url = _postgres_database()
    # No Flair token limit: the suite issues far more than 50 tokens a day on frozen clocks
    # (tests/test_flair_token_limit.py runs its own servers with the default limit).
    runtime = Runtime.open(data_dir, url or None, flair_token_limit=0)
    try:
        yield World(backend, data_dir, runtime.database_url, runtime, _tenant(runtime, "alice"),
                    _tenant(runtime, "bob"))  # fmt: skip
    finally:
        runtime.close()
        if backend == "postgresql":
            _drop_postgres(admin, url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serve(world: World, *options: str) -> Iterator[str]:
    """A real `ductwork serve` process on the world's database, with extra options; yields
    its base URL."""
    port = _free_port()
    # The server's output goes to a file (a pipe nobody reads would fill and stall it); the
    # file is shown when the server fails to start and kept beside the data for inspection.
    log_path = world.data_dir / f"serve-{port}.log"
    log = log_path.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "ductwork", "serve", "--port", str(port), "--data-dir",
         str(world.data_dir), "--database-url", world.database_url, "--no-demo",
         "--log-level", "warning",
         *(() if "--vendor-ports" in options else ("--vendor-ports", "none")), *options],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            if process.poll() is not None:
                output = log_path.read_text(errors="replace")
                pytest.fail(f"ductwork serve exited with {process.returncode}:\n{output}")
            try:
                if httpx.get(f"{base}/_ductwork/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("ductwork serve did not become healthy within 60 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        output = log_path.read_text(errors="replace")
        errors = [line for line in output.splitlines()
                  if "Traceback" in line or line.startswith("ERROR")]  # fmt: skip
        # The whole log goes into the message: CI keeps no files, only what pytest prints.
        assert not errors, f"the live server logged errors ({log_path}):\n{output[-20000:]}"


@dataclass(frozen=True)
class LiveServer:
    """A real `ductwork serve` on the world's database: its main URL and each vendor's root
    URL (the vendor at its real root paths on a port of its own)."""

    base: str
    roots: dict[str, str]


@pytest.fixture(scope="session")
def live_process(world: World) -> Iterator[LiveServer]:
    """The session's real `ductwork serve` process on the world's database (no Flair token
    limit, like the world's runtime), with every vendor on a port of its own too."""
    ports = {vendor.name: _free_port() for vendor in VENDORS}
    option = ",".join(f"{name}={port}" for name, port in ports.items())
    with serve(world, "--flair-token-limit", "0", "--vendor-ports", option) as base:
        yield LiveServer(base, {name: f"http://127.0.0.1:{port}" for name, port in ports.items()})


@pytest.fixture(scope="session")
def live_server(live_process: LiveServer) -> str:
    """The base URL of the session's real `ductwork serve` process."""
    return live_process.base


@pytest.fixture(scope="session", params=["inprocess", "live"])
def client(request: pytest.FixtureRequest, world: World) -> Iterator[httpx.Client]:
    """An HTTP client on the world: over ASGI in-process, or over TCP to a live server."""
    if request.param == "inprocess":
        with TestClient(create_app(world.runtime, background=False)) as test_client:
            yield test_client
    else:
        base = request.getfixturevalue("live_server")
        with httpx.Client(base_url=base, timeout=30) as http:
            yield http


# ------------------------------------------------------------------ Flair
FLAIR = "/flair"


@dataclass(frozen=True)
class FlairTenant:
    """A tenant's Flair partner application (every scope) and its login."""

    email: str
    password: str
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class FlairWorld:
    """Tenants a and b of the world (clocks frozen at T0) and c, whose clock tests may move."""

    a: FlairTenant
    b: FlairTenant
    c: FlairTenant


def _flair_tenant(runtime: Runtime, tenant: Tenant) -> FlairTenant:
    account = runtime.accounts.by_email(tenant.email)
    assert account is not None
    application, secret = flair(runtime).applications.create(account, "tests")
    return FlairTenant(tenant.email, tenant.password, application.client_id, secret)


@pytest.fixture(scope="session")
def flair_world(world: World) -> FlairWorld:
    """Flair applications for tenants a and b, and tenant c with only a Flair home."""
    runtime = world.runtime
    carol = flair_home_tenant(runtime, "carol@example.com")
    return FlairWorld(_flair_tenant(runtime, world.a), _flair_tenant(runtime, world.b), carol)


def flair_home_tenant(runtime: Runtime, email: str) -> FlairTenant:
    """A new account with only the Flair demo home (always the same home: the seed is
    fixed), simulated up to an hour before T0 with its clock frozen there, and an
    application with every scope."""
    password = secrets.token_urlsafe(12)
    account = runtime.accounts.create(email, password, seed=sum(map(ord, "carol")))
    runtime.clocks.change(account.id, set_to=T0 - 3600, freeze=True)
    structure = flair(runtime).add_demo_home(account, T0 - 3600)
    flair(runtime).simulator.catch_up(structure, int((T0 - 3600) // 60))
    application, secret = flair(runtime).applications.create(account, "tests")
    return FlairTenant(account.email, password, application.client_id, secret)
