"""Crash durability: acknowledged writes and pending webhooks across a SIGKILL of the server.

Each trial starts a real `ductwork serve` (demo world, `--history-days 0.02`, its own data dir,
`--vendor-ports none`, a free port) on SQLite or on a PostgreSQL database made for the trial,
reads the demo credentials (`ductwork credentials --json`), registers a Flair `vent` callback
and an Automate Green `request` action (on a switch turning on) pointing at a local receiver,
then one client thread writes as fast as it can: Phason v1.0.2 master set points (a token from
the authorization code flow), Flair vent `percent-open` and room `set-point-c` PATCHes, Automate
Green switch commands and action creates. At a random moment (0.5-3 s into the writes) the
server is SIGKILLed and started again on the same data dir and database; the bench times how
long until `/_ductwork/health` answers, then reads every object back. A value that is neither
the last acknowledged (2xx) one nor one sent after it without an answer is a lost write.

Webhooks: after the restart the bench waits until every message of the outbox
(`webhook_deliveries`, read directly from the database) has reached the receiver, at most
`LEASE_SECONDS + 30` s (a message claimed by the killed process is leased for LEASE_SECONDS).
Messages pending at the kill (made before it, not recorded delivered before it) must arrive;
a message received more than once (same `webhook-id`, or the same request-action body: one
firing) is a duplicate. Each trial's restarted server stays up while its webhooks drain, in a
background thread, so the next trial may start meanwhile (at most `--drainers` at once).

Chosen: webhook retries are shortened (DUCTWORK_WEBHOOK_RETRY_SECONDS=1, at most 5 s) so a
failed attempt does not stall a trial; the receiver answers 204 after `--receiver-delay`
seconds (default 0.005), slower than the writes so some deliveries are pending at the kill.

Run: .venv/bin/python bench/crash.py [--trials 50] [--database sqlite|postgresql|both]
Times are seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import psycopg
import sqlalchemy as sa

from ductwork.core.webhooks import LEASE_SECONDS, RETRY_ENV, RETRY_MAX_ENV

REPO = Path(__file__).resolve().parents[1]
POSTGRES_DEFAULT = "postgresql://postgres@127.0.0.1:5432/postgres"
HISTORY_DAYS = "0.02"
KILL_WINDOW = (0.5, 3.0)
STARTUP_TIMEOUT = 120.0
DRAIN_SECONDS = LEASE_SECONDS + 30.0
REQUEST_TIMEOUT = 10.0
# Reading back after a restart may wait for twins to catch up on a loaded machine: a slow
# read is not a lost write.
READ_BACK_TIMEOUT = 120.0
FLAIR_SCOPES = (
    "structures.view structures.edit vents.view vents.edit applications.view applications.edit"
)
AG = "/automategreen/v1"
# Phason v1.0.2 equipment groups of the demo barn whose master set point takes writes, with
# the range written: the finisher's THI group (°F) and the nursery's manual temperature (°C).
PHASON_GROUPS = {"3": (60.0, 90.0), "4": (18.0, 30.0)}


class BenchError(Exception):
    """A failure of the bench itself (a server that does not start, a refused set-up call)."""


# ------------------------------------------------------------------ the receiver
@dataclass(frozen=True)
class Hit:
    """One request the receiver got: its trial tag, webhook-id (signed webhooks) and body."""

    tag: str
    webhook_id: str | None
    body: str
    at: float


class Receiver:
    """A webhook receiver on 127.0.0.1 in threads; a request's first path segment names the
    trial it belongs to. Answers 204 after `delay` seconds."""

    def __init__(self, delay: float = 0.005) -> None:
        self.delay = delay
        self._lock = threading.Lock()
        self._hits: dict[str, list[Hit]] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                tag = self.path.lstrip("/").split("/", 1)[0]
                hit = Hit(tag, self.headers.get("webhook-id"), body.decode(), time.time())
                with receiver._lock:
                    receiver._hits.setdefault(tag, []).append(hit)
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_GET = do_PUT = do_PATCH = do_DELETE = _record

            def log_message(self, *_args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def url(self, tag: str, what: str) -> str:
        """Where a trial's webhooks of one kind go."""
        return f"http://127.0.0.1:{self.port}/{tag}/{what}"

    def hits(self, tag: str) -> list[Hit]:
        """What a trial received so far."""
        with self._lock:
            return list(self._hits.get(tag, ()))

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


# ------------------------------------------------------------------ the server
def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """`ductwork serve` on one data dir and database, started, killed and started again."""

    data_dir: Path
    database_url: str | None
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        """The server's base URL."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        """Where the server's output goes (every start appends)."""
        return self.data_dir / "serve.log"

    def start(self) -> float:
        """Start the server; returns the seconds until /_ductwork/health answered 200."""
        database = ("--database-url", self.database_url) if self.database_url else ()
        env = {**os.environ, RETRY_ENV: "1", RETRY_MAX_ENV: "5"}
        started = time.monotonic()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "ductwork",
                    "serve",
                    "--port",
                    str(self.port),
                    "--data-dir",
                    str(self.data_dir),
                    *database,
                    "--history-days",
                    HISTORY_DAYS,
                    "--vendor-ports",
                    "none",
                    "--log-level",
                    "warning",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=REPO,
                env=env,
            )
        with httpx.Client(timeout=1.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise BenchError(f"ductwork serve exited:\n{self.log_tail()}")
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{self.base}/_ductwork/health").status_code == 200:
                        return time.monotonic() - started
                if time.monotonic() - started > STARTUP_TIMEOUT:
                    raise BenchError(f"ductwork serve did not start:\n{self.log_tail()}")
                time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL the server process and reap it."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        """Terminate the server, killing it if it does not exit in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output."""
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def errors(self) -> list[str]:
        """Error lines the server logged (tracebacks, ERROR)."""
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace")
            return [ln for ln in text.splitlines() if "Traceback" in ln or ln.startswith("ERROR")]
        return []


@contextlib.contextmanager
def scratch(database: str, postgres: str) -> Iterator[tuple[Path, str | None]]:
    """A temporary data dir and, on PostgreSQL, a database made for it; both go afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="ductwork-crash-"))
    url: str | None = None
    name = f"ductwork_crash_{secrets.token_hex(4)}"
    try:
        if database == "postgresql":
            with psycopg.connect(postgres, autocommit=True, connect_timeout=5) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            url = postgres.rsplit("/", 1)[0] + "/" + name
        yield directory, url
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if url is not None:
            with psycopg.connect(postgres, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def credentials(data_dir: Path) -> dict[str, Any]:
    """The demo credentials, from `ductwork credentials --json`."""
    done = subprocess.run(
        [sys.executable, "-m", "ductwork", "credentials", "--json", "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
        timeout=60,
    )
    if done.returncode != 0:
        raise BenchError(f"ductwork credentials failed:\n{done.stderr}")
    found: dict[str, Any] = json.loads(done.stdout)
    return found


# ------------------------------------------------------------------ sign-ins
class _Forms(HTMLParser):
    """The forms of a page: action and inputs (hidden values included)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append((values.get("action", ""), {}))
        elif tag == "input" and self.forms and "name" in values:
            self.forms[-1][1][values["name"]] = values.get("value", "")


def _form(page: str) -> tuple[str, dict[str, str]]:
    parser = _Forms()
    parser.feed(page)
    if len(parser.forms) != 1:
        raise BenchError(f"expected one form on the page:\n{page[:500]}")
    return parser.forms[0]


def _ok(response: httpx.Response, *codes: int) -> httpx.Response:
    if response.status_code not in (codes or (200,)):
        raise BenchError(
            f"{response.request.method} {response.request.url} answered "
            f"{response.status_code}: {response.text[:300]}"
        )
    return response


def phason_token(http: httpx.Client, creds: dict[str, Any]) -> str:
    """A Phason v1.0.2 access token through the authorization code flow: the demo client,
    the demo account signing in and allowing."""
    client = creds["phason"]
    login = _ok(
        http.get(
            "/phason/auth",
            params={
                "response_type": "code",
                "client_id": client["client_id"],
                "redirect_uri": client["redirect_uri"],
                "state": "crash",
            },
        )
    )
    action, fields = _form(login.text)
    signed = _ok(
        http.post(action, data={**fields, "email": creds["email"], "password": creds["password"]})
    )
    action, fields = _form(signed.text)
    answer = _ok(http.post(action, data={**fields, "decision": "allow"}), 302)
    code = parse_qs(urlsplit(answer.headers["location"]).query)["code"][0]
    token = _ok(
        http.post(
            "/phason/token",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": client["redirect_uri"],
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
            },
        )
    )
    return str(token.json()["access_token"])


def flair_token(http: httpx.Client, creds: dict[str, Any]) -> str:
    """A Flair client-credentials token for the demo application."""
    token = _ok(
        http.post(
            "/flair/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "scope": FLAIR_SCOPES,
                "client_id": creds["flair"]["client_id"],
                "client_secret": creds["flair"]["client_secret"],
            },
        )
    )
    return str(token.json()["access_token"])


# ------------------------------------------------------------------ the objects written
Value = str | float | int


@dataclass
class Target:
    """One object the writer changes: how to write a value and how to read it back.

    `choose(rng, last)` picks a value other than `last`; `write(http, value)` sends it and
    returns the answer; `read(http)` gives the value stored now (None: the object is gone)."""

    key: str
    choose: Callable[[random.Random, Value | None], Value]
    write: Callable[[httpx.Client, Value], httpx.Response]
    read: Callable[[httpx.Client], Value | None]
    webhook: bool = False  # each acknowledged write enqueues one signed webhook


def _json(response: httpx.Response) -> Any:
    return response.json()


def phason_target(device: str, group: str, low: float, high: float, token: str) -> Target:
    """A Phason v1.0.2 equipment group's master set point."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/phason/devices/{device}/equipment_groups/settings"

    def choose(rng: random.Random, last: Value | None) -> Value:
        while (value := round(rng.uniform(low, high), 1)) == last:
            pass
        return value

    def write(http: httpx.Client, value: Value) -> httpx.Response:
        return http.post(
            url, params={"group_id": group}, data={"master_setpoint": str(value)}, headers=headers
        )

    def read(http: httpx.Client) -> Value | None:
        return float(
            _json(_ok(http.get(url, params={"group_id": group}, headers=headers)))["settings"][0][
                "master_setpoint"
            ]
        )

    return Target(f"phason group {group} master_setpoint", choose, write, read)


def flair_target(kind: str, item: str, attribute: str, token: str) -> Target:
    """A Flair vent's `percent-open` or a room's `set-point-c`."""
    headers = {"Authorization": f"Bearer {token}"}
    url = f"/flair/api/{kind}/{item}"

    def choose(rng: random.Random, last: Value | None) -> Value:
        while True:
            value: Value = (
                rng.randrange(0, 101) if attribute == "percent-open" else rng.randrange(30, 57) / 2
            )
            if value != last:
                return value

    def write(http: httpx.Client, value: Value) -> httpx.Response:
        body = {"data": {"type": kind, "attributes": {attribute: value}}}
        return http.patch(url, json=body, headers=headers)

    def read(http: httpx.Client) -> Value | None:
        value: Value = _json(_ok(http.get(url, headers=headers)))["data"]["attributes"][attribute]
        return value

    return Target(f"flair {kind} {item[:8]} {attribute}", choose, write, read, kind == "vents")


def switch_target(device: str, token: str) -> Target:
    """An Automate Green switch or outlet, commanded on and off; its value is the level."""
    headers = {"Authorization": f"Bearer {token}"}

    def choose(_rng: random.Random, last: Value | None) -> Value:
        return 0 if last == 100 else 100

    def write(http: httpx.Client, value: Value) -> httpx.Response:
        name = "on" if value == 100 else "off"
        return http.post(
            f"{AG}/devices/{device}/command", json={"command": {"name": name}}, headers=headers
        )

    def read(http: httpx.Client) -> Value | None:
        found = _json(_ok(http.get(f"{AG}/devices/{device}", headers=headers)))
        level: Value = found["device"]["status"]["info"]["level"]
        return level

    return Target(f"automategreen {device} level", choose, write, read)


@dataclass
class ActionCreates:
    """Automate Green action creates: disabled request actions on a leak sensor (they never
    fire); the value of each is its unique URL, read back with GET /actions/{id}."""

    device: str
    token: str
    url: Callable[[int], str]
    made: int = 0

    @property
    def headers(self) -> dict[str, str]:
        """Bearer authorization."""
        return {"Authorization": f"Bearer {self.token}"}

    def write(self, http: httpx.Client) -> httpx.Response:
        """POST one new action."""
        self.made += 1
        return http.post(
            f"{AG}/actions",
            headers=self.headers,
            json={
                "device": self.device,
                "type": "request",
                "event": "wet",
                "disabled": True,
                "options": {"url": self.url(self.made), "method": "POST"},
            },
        )

    def reader(self, action: str) -> Callable[[httpx.Client], Value | None]:
        """Reads an action's URL back (None: the action is gone)."""

        def read(http: httpx.Client) -> Value | None:
            found = http.get(f"{AG}/actions/{action}", headers=self.headers)
            if found.status_code == 404:
                return None
            return str(_json(_ok(found))["action"]["options"]["url"])

        return read


@dataclass
class Ledger:
    """What the writer knows: per object the last acknowledged value and the values sent
    after it that got no answer (any of them may be stored)."""

    acked: dict[str, Value] = field(default_factory=dict)
    unanswered: dict[str, list[Value]] = field(default_factory=dict)
    readers: dict[str, Callable[[httpx.Client], Value | None]] = field(default_factory=dict)
    writes: int = 0
    webhook_writes: int = 0
    refused: list[str] = field(default_factory=list)


def write_until(
    stop: threading.Event,
    http: httpx.Client,
    targets: Sequence[Target],
    creates: ActionCreates,
    ledger: Ledger,
    rng: random.Random,
) -> None:
    """Write as fast as one client can until `stop` is set or the server is gone: a random
    target each time, one write in six an action create."""
    while not stop.is_set():
        if rng.random() < 1 / 6:
            try:
                response = creates.write(http)
            except httpx.TransportError:
                return  # the kill: this action may or may not exist; it does not count
            if response.is_success:
                ledger.writes += 1
                action = response.json()["action"]
                key = f"automategreen action {action['id']}"
                ledger.acked[key] = str(action["options"]["url"])
                ledger.readers[key] = creates.reader(str(action["id"]))
            else:
                ledger.refused.append(f"action create: {response.status_code} {response.text}")
            continue
        target = rng.choice(targets)
        value = target.choose(rng, ledger.acked.get(target.key))
        ledger.unanswered.setdefault(target.key, []).append(value)
        ledger.readers[target.key] = target.read
        try:
            response = target.write(http, value)
        except httpx.TransportError:
            return  # the kill: this write may or may not have been stored
        if not response.is_success:
            ledger.refused.append(f"{target.key}: {response.status_code} {response.text[:200]}")
            if response.status_code < 500:  # refused: not stored; a 5xx may have been
                ledger.unanswered[target.key].pop()
            continue
        ledger.writes += 1
        ledger.webhook_writes += target.webhook
        ledger.acked[target.key] = value
        ledger.unanswered[target.key] = []


def lost_writes(ledger: Ledger, http: httpx.Client) -> list[str]:
    """Read every acknowledged object back; one line per object whose stored value is neither
    its last acknowledged value nor one sent after it without an answer."""
    lost: list[str] = []
    for key, acked in ledger.acked.items():
        stored = ledger.readers[key](http)
        later = ledger.unanswered.get(key, [])
        if not any(_same(stored, value) for value in (acked, *later)):
            unanswered = f" (unanswered since: {later!r})" if later else ""
            lost.append(f"{key}: acknowledged {acked!r}, read {stored!r}{unanswered}")
    return lost


def _same(a: Value | None, b: Value | None) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(float(a) - float(b)) < 1e-6
    return a == b


# ------------------------------------------------------------------ one trial
@dataclass
class TrialResult:
    """What one trial measured. Times in seconds."""

    database: str
    number: int
    kill_after: float = 0.0
    first_start: float = 0.0
    restart: float = 0.0
    writes: int = 0
    checked: int = 0  # objects read back
    lost: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    webhooks_expected: int = 0
    pending_at_kill: int = 0
    delivered: int = 0
    duplicates: int = 0
    missing: list[str] = field(default_factory=list)
    slowest_redelivery: float | None = None
    server_errors: list[str] = field(default_factory=list)

    def line(self) -> str:
        """One line for the progress output."""
        slowest = "-" if self.slowest_redelivery is None else f"{self.slowest_redelivery:.1f}"
        return (
            f"  {self.database:<10} trial {self.number + 1:>3}  kill at {self.kill_after:4.2f} s"
            f"  writes {self.writes:>4}  objects {self.checked:>3}  lost {len(self.lost)}"
            f"  restart {self.restart:5.2f} s"
            f"  webhooks {self.delivered}/{self.webhooks_expected} (pending at kill "
            f"{self.pending_at_kill}, duplicates {self.duplicates}, slowest after restart "
            f"{slowest} s)"
            + (f"  MISSING {len(self.missing)}" if self.missing else "")
            + (f"  SERVER ERRORS {len(self.server_errors)}" if self.server_errors else "")
        )


def _engine_url(data_dir: Path, database_url: str | None) -> str:
    url = database_url or json.loads((data_dir / "server.json").read_text())["database_url"]
    text = str(url)
    if text.startswith("postgresql://"):
        text = "postgresql+psycopg://" + text.removeprefix("postgresql://")
    return text


@dataclass
class Crashed:
    """A trial after its kill, restart and read-back: its restarted server is still up, and
    `drain` waits for the webhooks, then removes the server, data dir and database."""

    result: TrialResult
    stack: contextlib.ExitStack
    server: Server
    receiver: Receiver
    tag: str
    kill_at: float
    restarted_at: float
    flair_writes: int
    ag_firings: int
    drain_seconds: float = DRAIN_SECONDS

    def drain(self) -> TrialResult:
        """Wait until every outbox message reached the receiver (or the deadline); count."""
        try:
            self._drain()
        finally:
            self.result.server_errors = self.server.errors()
            self.stack.close()
        return self.result

    def _drain(self) -> None:
        engine = sa.create_engine(_engine_url(self.server.data_dir, self.server.database_url))
        query = sa.text(
            "SELECT id, secret <> '' AS signed, payload, status, created_at, delivered_at "
            "FROM webhook_deliveries"
        )
        deadline = self.restarted_at + self.drain_seconds
        try:
            while True:
                with engine.connect() as connection:
                    rows = connection.execute(query).all()
                hits = self.receiver.hits(self.tag)
                ids = {h.webhook_id for h in hits if h.webhook_id}
                bodies = {h.body for h in hits if not h.webhook_id}
                unseen = [
                    r for r in rows if (r.id not in ids if r.signed else r.payload not in bodies)
                ]
                if (not unseen and all(r.status == "delivered" for r in rows)) or (
                    time.time() > deadline
                ):
                    break
                time.sleep(0.25)
        finally:
            engine.dispose()
        result = self.result
        result.webhooks_expected = len(rows)
        result.missing = [f"{r.id} ({r.status})" for r in unseen]
        result.delivered = len(rows) - len(unseen)
        result.pending_at_kill = sum(
            1
            for r in rows
            if r.created_at <= self.kill_at
            and (r.delivered_at is None or r.delivered_at > self.kill_at)
        )
        arrivals: dict[str, list[float]] = {}
        for hit in hits:
            arrivals.setdefault(hit.webhook_id or hit.body, []).append(hit.at)
        result.duplicates = sum(len(times) - 1 for times in arrivals.values())
        signed = sum(1 for r in rows if r.signed)
        if signed < self.flair_writes:
            result.missing.append(f"{self.flair_writes - signed} Flair vent messages never made")
        if len(rows) - signed < self.ag_firings:
            result.missing.append(
                f"{self.ag_firings - (len(rows) - signed)} request-action firings without a message"
            )
        waits: list[float] = []
        for r in rows:
            if r.created_at > self.kill_at or (
                r.delivered_at is not None and r.delivered_at <= self.kill_at
            ):
                continue
            later = [
                t
                for t in arrivals.get(r.id if r.signed else r.payload, ())
                if t >= self.restarted_at
            ]
            if later:
                waits.append(min(later) - self.restarted_at)
        result.slowest_redelivery = max(waits) if waits else None


def _register_webhooks(
    http: httpx.Client, creds: dict[str, Any], flair: dict[str, str], receiver: Receiver, tag: str
) -> str:
    """A Flair `vent` callback and an Automate Green request action (switch turning on),
    both to the receiver; returns the action's id."""
    structure = str(creds["flair"]["structure_ids"][0])
    _ok(
        http.post(
            "/flair/api/callbacks",
            headers=flair,
            json={
                "data": {
                    "type": "callbacks",
                    "attributes": {"webhookurl": receiver.url(tag, "flair"), "event_type": "vent"},
                    "relationships": {
                        "structure": {"data": {"type": "structures", "id": structure}}
                    },
                }
            },
        ),
        201,
    )
    ag = creds["automategreen"]
    switch = ag["devices"]["switch"][0]
    created = _ok(
        http.post(
            f"{AG}/actions",
            headers={"Authorization": f"Bearer {ag['token']}"},
            json={
                "device": switch,
                "type": "request",
                "event": "turnOn",
                "injectStatus": True,
                "injectDeviceId": True,
                "options": {"url": receiver.url(tag, "ag"), "method": "POST"},
            },
        )
    )
    return str(created.json()["action"]["id"])


def _targets(http: httpx.Client, creds: dict[str, Any], flair: dict[str, str]) -> list[Target]:
    phason = phason_token(http, creds)
    device = str(creds["phason"]["device_ids"][0])
    found = [
        phason_target(device, group, low, high, phason)
        for group, (low, high) in PHASON_GROUPS.items()
    ]
    token = flair["Authorization"].removeprefix("Bearer ")
    vents = _json(_ok(http.get("/flair/api/vents", headers=flair)))["data"]
    rooms = _json(_ok(http.get("/flair/api/rooms", headers=flair)))["data"]
    found += [flair_target("vents", v["id"], "percent-open", token) for v in vents[:4]]
    found += [flair_target("rooms", r["id"], "set-point-c", token) for r in rooms[:3]]
    ag = creds["automategreen"]
    for device in (*ag["devices"]["switch"], *ag["devices"]["outlet"]):
        found.append(switch_target(device, ag["token"]))
    return found


def crash_trial(
    database: str,
    number: int,
    postgres: str,
    receiver: Receiver,
    rng: random.Random,
    kill_window: tuple[float, float] = KILL_WINDOW,
) -> Crashed:
    """Start, write, kill, restart and read back; returns the trial with its server still up
    for `Crashed.drain`."""
    result = TrialResult(database, number)
    tag = f"t{number}-{secrets.token_hex(3)}"
    stack = contextlib.ExitStack()
    try:
        data_dir, url = stack.enter_context(scratch(database, postgres))
        server = Server(data_dir, url)
        stack.callback(server.stop)
        result.first_start = server.start()
        creds = credentials(data_dir)
        http = stack.enter_context(httpx.Client(base_url=server.base, timeout=REQUEST_TIMEOUT))
        flair = {"Authorization": f"Bearer {flair_token(http, creds)}"}
        targets = _targets(http, creds, flair)
        action = _register_webhooks(http, creds, flair, receiver, tag)
        ag = creds["automategreen"]
        creates = ActionCreates(
            ag["devices"]["leak"][0], ag["token"], lambda n: receiver.url(tag, f"never-{n}")
        )
        ledger, stop = Ledger(), threading.Event()
        writer = threading.Thread(
            target=write_until, args=(stop, http, targets, creates, ledger, rng), daemon=True
        )
        result.kill_after = rng.uniform(*kill_window)
        writer.start()
        time.sleep(result.kill_after)
        kill_at = time.time()
        server.kill()
        stop.set()
        writer.join(REQUEST_TIMEOUT + 5)
        result.restart = server.start()
        restarted_at = time.time()
        result.writes, result.refused = ledger.writes, ledger.refused
        with httpx.Client(base_url=server.base, timeout=READ_BACK_TIMEOUT) as reader:
            result.checked = len(ledger.acked)
            result.lost = lost_writes(ledger, reader)
            fired = _json(
                _ok(
                    reader.get(
                        f"{AG}/actions/{action}", headers={"Authorization": f"Bearer {ag['token']}"}
                    )
                )
            )
        return Crashed(
            result,
            stack,
            server,
            receiver,
            tag,
            kill_at,
            restarted_at,
            ledger.webhook_writes,
            int(fired["action"].get("count", 0)),
        )
    except BaseException:
        stack.close()
        raise


def run(
    database: str,
    trials: int,
    postgres: str = POSTGRES_DEFAULT,
    receiver: Receiver | None = None,
    seed: int = 14,
    drainers: int = 3,
    kill_window: tuple[float, float] = KILL_WINDOW,
    progress: Callable[[TrialResult], None] | None = None,
) -> list[TrialResult]:
    """Run `trials` trials on one database (`sqlite` or `postgresql`); each trial's webhooks
    drain in the background while the next trial runs (at most `drainers` at once)."""
    own = receiver is None
    hooks = receiver or Receiver()
    slots = threading.Semaphore(drainers)
    futures: list[Future[TrialResult]] = []
    try:
        with ThreadPoolExecutor(drainers) as pool:
            for number in range(trials):
                slots.acquire()
                try:
                    crashed = crash_trial(
                        database,
                        number,
                        postgres,
                        hooks,
                        random.Random(f"{seed}-{database}-{number}"),
                        kill_window,
                    )
                except BaseException:
                    slots.release()
                    raise
                future = pool.submit(crashed.drain)
                future.add_done_callback(lambda _done: slots.release())
                if progress is not None:
                    future.add_done_callback(lambda done: progress(done.result()))
                futures.append(future)
            return [future.result() for future in futures]
    finally:
        if own:
            hooks.close()


# ------------------------------------------------------------------ the report
def _rate(part: int, whole: int) -> str:
    return f"{100 * part / whole:.2f} %" if whole else "-"


def table(results: Sequence[TrialResult]) -> str:
    """The summary table, one row per database."""
    header = (
        f"{'database':<11}{'trials':>7}{'writes acked':>14}{'lost':>6}"
        f"{'restart s min/med/max':>24}{'webhooks expected':>19}{'pending@kill':>14}"
        f"{'delivered':>11}{'duplicates':>18}{'redelivery max s':>18}"
    )
    lines = [header, "-" * len(header)]
    for database in dict.fromkeys(r.database for r in results):
        mine = [r for r in results if r.database == database]
        restarts = [r.restart for r in mine]
        expected = sum(r.webhooks_expected for r in mine)
        duplicates = sum(r.duplicates for r in mine)
        slowest = [r.slowest_redelivery for r in mine if r.slowest_redelivery is not None]
        span = f"{min(restarts):.2f}/{statistics.median(restarts):.2f}/{max(restarts):.2f}"
        lines.append(
            f"{database:<11}{len(mine):>7}{sum(r.writes for r in mine):>14,}"
            f"{sum(len(r.lost) for r in mine):>6}{span:>24}{expected:>19,}"
            f"{sum(r.pending_at_kill for r in mine):>14,}"
            f"{sum(r.delivered for r in mine):>11,}"
            f"{f'{duplicates} ({_rate(duplicates, expected)})':>18}"
            f"{(f'{max(slowest):.1f}' if slowest else '-'):>18}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the bench; exit status 1 when a write was lost or a webhook never arrived."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=50, help="trials per database (50)")
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument(
        "--postgres",
        default=POSTGRES_DEFAULT,
        metavar="URL",
        help="a PostgreSQL server where a database per trial may be made",
    )
    parser.add_argument("--seed", type=int, default=14, help="seeds kill times and values")
    parser.add_argument(
        "--drainers", type=int, default=3, help="trials whose webhooks may drain at once (3)"
    )
    parser.add_argument(
        "--receiver-delay",
        type=float,
        default=0.005,
        help="seconds the receiver takes per request (0.005)",
    )
    args = parser.parse_args(argv)
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    receiver = Receiver(args.receiver_delay)
    started = time.monotonic()
    results: list[TrialResult] = []
    try:
        for database in databases:
            results += run(
                database,
                args.trials,
                args.postgres,
                receiver,
                args.seed,
                args.drainers,
                progress=lambda r: print(r.line(), flush=True),
            )
    finally:
        receiver.close()
    print()
    print(table(results))
    print(
        f"\n{len(results)} trials in {time.monotonic() - started:.0f} s; duplicate-rate goal "
        "<= 1 %, lost-write goal 0"
    )
    problems = [(r, p) for r in results for p in (*r.lost, *r.missing, *r.server_errors)]
    for result, problem in problems[:20]:
        print(f"  {result.database} trial {result.number + 1}: {problem}")
    refused = [(r, p) for r in results for p in r.refused]
    for result, problem in refused[:10]:
        print(f"  refused ({result.database} trial {result.number + 1}): {problem}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
