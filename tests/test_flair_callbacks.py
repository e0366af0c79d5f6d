"""Flair callbacks: the `/api/callbacks` resource, and webhooks delivered from a durable
outbox, signed per Standard Webhooks, retried with backoff, at least once across restarts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from ductwork.core.webhooks import RETRY_ENV, RETRY_MAX_ENV, Backoff, Outbox
from ductwork.runtime import Runtime
from tests.conftest import (
    FLAIR,
    T0,
    FlairTenant,
    FlairWorld,
    World,
    _drop_postgres,
    _free_port,
    _postgres_database,
    flair,
)
from tests.test_flair_api import bearer, first, token

SCOPES = "applications.view applications.edit structures.view structures.edit vents.edit pucks.view"


# ------------------------------------------------------------------ helpers
@dataclass
class Received:
    """One request the receiver got."""

    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver: http.server on 127.0.0.1 in a thread, answering `status`."""

    port: int = field(default_factory=_free_port)
    status: int = 204
    got: list[Received] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Where webhooks should go."""
        return f"http://127.0.0.1:{self.port}/hooks/flair"

    def start(self) -> None:
        """Listen (again) on the same port."""
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                receiver.got.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                """Quiet."""

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait(self, count: int, client: httpx.Client | None = None, runtime: Runtime | None = None,
             timeout: float = 20.0) -> list[Received]:  # fmt: skip
        """Wait for `count` requests; in-process, deliver the outbox ourselves meanwhile."""
        deadline = time.monotonic() + timeout
        while len(self.got) < count and time.monotonic() < deadline:
            if isinstance(client, TestClient) and runtime is not None:
                runtime.outbox.deliver_due()
            time.sleep(0.1)
        assert len(self.got) >= count, f"received {len(self.got)} of {count} webhooks"
        return self.got


def verify(secret: str, received: Received, tolerance: float = 300.0) -> dict[str, Any]:
    """Check a webhook as a Standard Webhooks receiver does; returns the decoded payload."""
    message_id = received.headers["webhook-id"]
    timestamp = received.headers["webhook-timestamp"]
    assert abs(time.time() - int(timestamp)) < tolerance
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{message_id}.{timestamp}.".encode() + received.body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    offered = [s.split(",", 1)[1] for s in received.headers["webhook-signature"].split()]
    assert any(hmac.compare_digest(expected, s) for s in offered), "bad webhook signature"
    payload: dict[str, Any] = json.loads(received.body)
    return payload


def register(
    client: httpx.Client, headers: dict[str, str], structure: str, url: str, event_type: str
) -> dict[str, Any]:
    """POST a callback; returns its resource object (with the secret, shown this once)."""
    response = client.post(
        f"{FLAIR}/api/callbacks",
        headers=headers,
        json={
            "data": {
                "type": "callbacks",
                "attributes": {"webhookurl": url, "event_type": event_type},
                "relationships": {"structure": {"data": {"type": "structures", "id": structure}}},
            }
        },
    )
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def move_vent(client: httpx.Client, headers: dict[str, str], vent: str, percent: int) -> None:
    """PATCH a vent's percent-open."""
    response = client.patch(
        f"{FLAIR}/api/vents/{vent}",
        headers=headers,
        json={"data": {"type": "vents", "attributes": {"percent-open": percent}}},
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A running receiver."""
    found = Receiver()
    found.start()
    yield found
    found.stop()


# ------------------------------------------------------------------ the resource
def test_callbacks_resource(client: httpx.Client, flair_world: FlairWorld) -> None:
    """Create (secret shown once), read, patch, put and delete a callback; 422 on bad writes."""
    headers = bearer(token(client, flair_world.a, SCOPES))
    structure = first(client, headers, "structures")["id"]
    created = register(client, headers, structure, "https://example.com/hooks", "vent")
    secret = created["attributes"]["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert created["attributes"]["webhookurl"] == "https://example.com/hooks"
    assert created["relationships"]["structure"]["data"] == {"type": "structures", "id": structure}
    assert created["relationships"]["application"]["data"]["type"] == "applications"
    callback = created["id"]
    try:
        read = client.get(f"{FLAIR}/api/callbacks/{callback}", headers=headers)
        assert read.status_code == 200
        assert "secret" not in read.json()["data"]["attributes"]
        assert secret not in read.text
        listed = client.get(f"{FLAIR}/api/callbacks", headers=headers).json()["data"]
        assert callback in [c["id"] for c in listed]
        assert secret not in json.dumps(listed)
        patched = client.patch(
            f"{FLAIR}/api/callbacks/{callback}",
            headers=headers,
            json={"data": {"type": "callbacks", "attributes": {"event_type": "puck"}}},
        )
        assert patched.status_code == 200
        assert patched.json()["data"]["attributes"]["event_type"] == "puck"
        replaced = client.put(
            f"{FLAIR}/api/callbacks/{callback}",
            headers=headers,
            json={"data": {"id": callback, "attributes": {"webhookurl": "http://127.0.0.1/x"}}},
        )
        assert replaced.json()["data"]["attributes"]["webhookurl"] == "http://127.0.0.1/x"
        for attributes in (
            {"webhookurl": "ftp://example.com/"},
            {"webhookurl": "not a url"},
            {"event_type": "thermostat"},
            {"secret": "whsec_AAAA"},
        ):
            bad = client.patch(
                f"{FLAIR}/api/callbacks/{callback}",
                headers=headers,
                json={"data": {"attributes": attributes}},
            )
            assert bad.status_code == 422, attributes
        missing = client.post(
            f"{FLAIR}/api/callbacks",
            headers=headers,
            json={
                "data": {
                    "attributes": {"webhookurl": "https://example.com/"},
                    "relationships": {
                        "structure": {"data": {"type": "structures", "id": structure}}
                    },
                }
            },
        )
        assert missing.status_code == 422
        assert "event_type" in missing.text
        application = client.get(f"{FLAIR}/api/callbacks/{callback}/application", headers=headers)
        assert application.status_code == 200, application.text
        registered = application.json()["data"]
        assert registered["type"] == "applications"
        assert registered["attributes"]["client_id"] == flair_world.a.client_id
        assert registered["attributes"]["client_secret"] is None
    finally:
        deleted = client.delete(f"{FLAIR}/api/callbacks/{callback}", headers=headers)
    assert deleted.status_code == 204
    assert client.get(f"{FLAIR}/api/callbacks/{callback}", headers=headers).status_code == 404


@pytest.mark.parametrize("url", ["http://169.254.169.254/latest/meta-data/",
                                 "http://10.1.2.3/hooks", "http://192.168.1.9:8080/in",
                                 "http://100.64.0.1/"])  # fmt: skip
def test_callbacks_may_not_call_the_inside_of_the_network(
    client: httpx.Client, flair_world: FlairWorld, url: str
) -> None:
    """A webhook URL at a link-local, metadata or private address is 422 when created and
    when a callback is changed to it, and the callback keeps its URL (core/egress.py; the
    test servers are bound to loopback, so a loopback receiver is fine, as the other tests
    show)."""
    headers = bearer(token(client, flair_world.a, SCOPES))
    structure = first(client, headers, "structures")["id"]
    link = {"structure": {"data": {"type": "structures", "id": structure}}}
    refused = client.post(f"{FLAIR}/api/callbacks", headers=headers, json={"data": {
        "type": "callbacks", "attributes": {"webhookurl": url, "event_type": "vent"},
        "relationships": link}})  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert "--allow-webhook-network" in refused.text
    callback = register(client, headers, structure, "https://example.com/ok", "vent")["id"]
    try:
        changed = client.patch(f"{FLAIR}/api/callbacks/{callback}", headers=headers,
                               json={"data": {"attributes": {"webhookurl": url}}})  # fmt: skip
        assert changed.status_code == 422
        kept = client.get(f"{FLAIR}/api/callbacks/{callback}", headers=headers).json()
        assert kept["data"]["attributes"]["webhookurl"] == "https://example.com/ok"
    finally:
        client.delete(f"{FLAIR}/api/callbacks/{callback}", headers=headers)


def test_callbacks_scope_and_tenants(client: httpx.Client, flair_world: FlairWorld) -> None:
    """Callbacks need the applications scope; another account's callbacks and structures are
    404, exactly like ids that do not exist."""
    a = bearer(token(client, flair_world.a, SCOPES))
    b = bearer(token(client, flair_world.b, SCOPES))
    without = bearer(token(client, flair_world.a, "structures.view vents.view"))
    assert client.get(f"{FLAIR}/api/callbacks", headers=without).status_code == 403
    structure = first(client, a, "structures")["id"]
    callback = register(client, a, structure, "https://example.com/a", "vent")["id"]
    try:
        assert client.get(f"{FLAIR}/api/callbacks/{callback}", headers=b).status_code == 404
        assert client.delete(f"{FLAIR}/api/callbacks/{callback}", headers=b).status_code == 404
        assert callback not in [
            c["id"] for c in client.get(f"{FLAIR}/api/callbacks", headers=b).json()["data"]
        ]
        on_a = client.post(
            f"{FLAIR}/api/callbacks",
            headers=b,
            json={
                "data": {
                    "attributes": {"webhookurl": "https://example.com/b", "event_type": "vent"},
                    "relationships": {
                        "structure": {"data": {"type": "structures", "id": structure}}
                    },
                }
            },
        )
        assert on_a.status_code == 404
    finally:
        client.delete(f"{FLAIR}/api/callbacks/{callback}", headers=a)


# ------------------------------------------------------------------ deliveries
def test_vent_change_is_delivered_signed(
    client: httpx.Client, flair_world: FlairWorld, world: World, receiver: Receiver
) -> None:
    """A vent moved through the API reaches the account's callback, signed with its secret,
    carrying the vent as the API serves it; the other tenant's vents do not; the control
    plane lists the delivery without the secret."""
    a = bearer(token(client, flair_world.a, SCOPES))
    b = bearer(token(client, flair_world.b, SCOPES))
    structure = first(client, a, "structures")["id"]
    vent = first(client, a, "vents")
    created = register(client, a, structure, receiver.url, "vent")
    try:
        move_vent(client, b, first(client, b, "vents")["id"], 35)
        percent = 40 if vent["attributes"]["percent-open"] != 40 else 45
        move_vent(client, a, vent["id"], percent)
        received = receiver.wait(1, client, world.runtime)
        payload = verify(created["attributes"]["secret"], received[0])
        assert received[0].headers["content-type"] == "application/json"
        assert payload["type"] == "vent"
        assert payload["callback"] == created["id"]
        assert payload["structure"] == structure
        assert payload["data"]["type"] == "vents"
        assert payload["data"]["id"] == vent["id"]
        assert payload["data"]["attributes"]["percent-open"] == percent
        assert payload["timestamp"].startswith("2024-07-23T21:30")  # the account's clock, T0
        time.sleep(0.3)
        assert len(receiver.got) == 1, "a change in another account was delivered"
        deadline = time.monotonic() + 10  # the deliverer records the answer after it
        while True:
            deliveries = client.get("/_ductwork/webhooks", params={"account": flair_world.a.email})
            assert deliveries.status_code == 200
            mine = [d for d in deliveries.json() if d["url"] == receiver.url]
            if mine[0]["status"] != "pending" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert [d["status"] for d in mine] == ["delivered"]
        assert mine[0]["id"] == received[0].headers["webhook-id"]
        assert mine[0]["attempts"] == 1
        assert created["attributes"]["secret"] not in deliveries.text
        assert "whsec_" not in client.get("/_ductwork/webhooks").text
    finally:
        client.delete(f"{FLAIR}/api/callbacks/{created['id']}", headers=a)
        move_vent(client, a, vent["id"], vent["attributes"]["percent-open"])


def test_puck_callbacks_hear_only_pucks(
    client: httpx.Client, flair_world: FlairWorld, world: World, receiver: Receiver
) -> None:
    """A `puck` callback gets puck writes and nothing of the vents beside them."""
    a = bearer(token(client, flair_world.a, SCOPES))
    structure = first(client, a, "structures")["id"]
    vent, puck = first(client, a, "vents"), first(client, a, "pucks")
    created = register(client, a, structure, receiver.url, "puck")
    try:
        move_vent(client, a, vent["id"], vent["attributes"]["percent-open"])
        renamed = client.patch(
            f"{FLAIR}/api/pucks/{puck['id']}",
            headers=a,
            json={"data": {"type": "pucks", "attributes": {"name": "Hall puck"}}},
        )
        assert renamed.status_code == 200
        (received,) = receiver.wait(1, client, world.runtime)
        payload = verify(created["attributes"]["secret"], received)
        assert payload["type"] == "puck"
        assert payload["data"]["id"] == puck["id"]
        assert payload["data"]["attributes"]["name"] == "Hall puck"
    finally:
        client.delete(f"{FLAIR}/api/callbacks/{created['id']}", headers=a)
        client.patch(
            f"{FLAIR}/api/pucks/{puck['id']}",
            headers=a,
            json={"data": {"attributes": {"name": puck["attributes"]["name"]}}},
        )


def test_twin_sends_sensor_events(
    client: httpx.Client, flair_world: FlairWorld, world: World, receiver: Receiver
) -> None:
    """With a sensor callback, moving the clock sends each puck's newest reading once."""
    tenant = flair_world.c
    headers = bearer(token(client, tenant, SCOPES + " sensors.view"))
    structure = first(client, headers, "structures")["id"]
    pucks = {p["id"] for p in client.get(f"{FLAIR}/api/pucks", headers=headers).json()["data"]}
    created = register(client, headers, structure, receiver.url, "sensor")
    try:
        moved = client.post(
            "/_ductwork/clock", json={"account": tenant.email, "advance_seconds": 600}
        )
        assert moved.status_code == 200
        assert client.get(f"{FLAIR}/api/pucks", headers=headers).status_code == 200
        received = receiver.wait(len(pucks), client, world.runtime)
        payloads = [verify(created["attributes"]["secret"], r) for r in received]
        assert {p["data"]["relationships"]["puck"]["data"]["id"] for p in payloads} == pucks
        assert all(p["type"] == "sensor" for p in payloads)
        newest = client.get(f"{FLAIR}/api/sensor-readings", headers=headers).json()["data"][0]
        assert newest["id"] in {p["data"]["id"] for p in payloads}
    finally:
        client.delete(f"{FLAIR}/api/callbacks/{created['id']}", headers=headers)


# ------------------------------------------------------------------ the outbox itself
@pytest.fixture
def fresh(world: World, tmp_path: Path) -> Iterator[tuple[str, Runtime]]:
    """A fresh database on the world's backend, with one account holding a Flair home and an
    application; yields its URL and an open runtime."""
    admin = url = ""
    if world.backend == "postgresql":
        admin, url = _postgres_database()
    runtime = Runtime.open(tmp_path, url or None)
    try:
        yield runtime.database_url, runtime
    finally:
        runtime.close()
        if world.backend == "postgresql":
            _drop_postgres(admin, url)


class FakeTime:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _account(runtime: Runtime) -> int:
    return runtime.accounts.create(f"o-{secrets.token_hex(3)}@example.com", "pw-" * 4).id


def _enqueue(outbox: Outbox, runtime: Runtime, account: int, count: int = 1) -> list[str]:
    with runtime.engine.begin() as connection:
        return [
            outbox.enqueue(
                connection,
                account_id=account,
                vendor="test",
                source="test:1",
                event_type="vent",
                url="http://receiver.invalid/hook",
                secret="whsec_" + base64.b64encode(b"k" * 32).decode(),
                payload=json.dumps({"n": n}),
            )
            for n in range(count)
        ]


def test_outbox_retries_with_exponential_backoff(fresh: tuple[str, Runtime]) -> None:
    """Failures (an error status, a refused connection) are retried after 5, 10, 20 ... s;
    a 2xx ends it; the injected transport sees signed requests."""
    _, runtime = fresh
    answers = [503, -1, 200]
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        status = answers.pop(0)
        if status < 0:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(status)

    clock = FakeTime()
    outbox = Outbox(
        runtime.engine, transport=httpx.MockTransport(handler), now=clock, backoff=Backoff(5, 3600)
    )
    (message,) = _enqueue(outbox, runtime, _account(runtime))
    listing = {d["id"]: d for d in outbox.listing()}
    assert listing[message]["status"] == "pending"
    assert listing[message]["attempts"] == 0
    assert outbox.deliver_due() == 1
    assert outbox.deliver_due() == 0, "retried before its backoff"
    clock.now += 5
    assert outbox.deliver_due() == 1
    clock.now += 9.9
    assert outbox.deliver_due() == 0
    clock.now += 0.1
    assert outbox.deliver_due() == 1
    (delivered,) = outbox.listing()
    assert delivered["status"] == "delivered"
    assert delivered["attempts"] == 3
    assert delivered["last_status_code"] == 200
    assert "secret" not in delivered
    assert len({r.headers["webhook-id"] for r in seen}) == 1
    for request in seen:
        signed = f"{message}.{request.headers['webhook-timestamp']}.".encode() + request.content
        digest = base64.b64encode(hmac.new(b"k" * 32, signed, hashlib.sha256).digest()).decode()
        assert request.headers["webhook-signature"] == f"v1,{digest}"
    assert Backoff(5, 3600).delay(1) == 5
    assert Backoff(5, 3600).delay(20) == 3600


def test_outbox_gives_up_after_the_last_attempt(fresh: tuple[str, Runtime]) -> None:
    """After twelve failed attempts a message is `failed` and no longer tried."""
    _, runtime = fresh
    clock = FakeTime()
    outbox = Outbox(
        runtime.engine,
        transport=httpx.MockTransport(lambda _r: httpx.Response(500)),
        now=clock,
        backoff=Backoff(1, 1),
    )
    _enqueue(outbox, runtime, _account(runtime))
    for _ in range(12):
        assert outbox.deliver_due() == 1
        clock.now += 1
    assert outbox.deliver_due() == 0
    (failed,) = outbox.listing()
    assert failed["status"] == "failed"
    assert failed["attempts"] == 12
    assert failed["next_attempt_at"] is None
    assert failed["last_error"] == "HTTP 500"


def test_concurrent_deliverers_never_share_a_message(fresh: tuple[str, Runtime]) -> None:
    """Four deliverers claiming at once (SKIP LOCKED on PostgreSQL, compare-and-set on SQLite)
    each get distinct messages, and together all of them."""
    _, runtime = fresh
    account = _account(runtime)
    outboxes = [Outbox(runtime.engine) for _ in range(4)]
    ids = set(_enqueue(outboxes[0], runtime, account, 40))
    claimed: list[list[str]] = [[] for _ in outboxes]
    start = threading.Barrier(len(outboxes))

    def claim(index: int) -> None:
        start.wait()
        while batch := outboxes[index].claim(limit=5):
            claimed[index].extend(m.id for m in batch)

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(len(outboxes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    every = [i for found in claimed for i in found]
    assert len(every) == len(set(every)) == len(ids)
    assert set(every) == ids


# ------------------------------------------------------------------ restart
def _serve(data_dir: Path, url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, RETRY_ENV: "0.2", RETRY_MAX_ENV: "1"}
    with log.open("ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "ductwork", "serve", "--port", str(port), "--data-dir",
             str(data_dir), "--database-url", url, "--no-demo", "--log-level", "warning"],
            stdout=out, stderr=subprocess.STDOUT, env=env,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, log.read_text(errors="replace")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_ductwork/health", timeout=1).is_success:
                return process
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "ductwork serve did not start"
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_webhook_delivered_after_the_receiver_was_down_and_the_server_restarted(
    fresh: tuple[str, Runtime], tmp_path: Path
) -> None:
    """A webhook delivered after the receiver was down and the server restarted: the vent
    change is queued and tried while nothing listens, survives a stop and start of a real
    `ductwork serve`, and arrives signed once the receiver is up."""
    url, runtime = fresh
    account = runtime.accounts.create("restart@example.com", "restart-password")
    runtime.clocks.change(account.id, set_to=T0, freeze=True)
    structure = flair(runtime).add_demo_home(account, T0 - 600)
    flair(runtime).simulator.catch_up(structure, int(T0 // 60))
    application, secret = flair(runtime).applications.create(account, "restart")
    tenant = FlairTenant(account.email, "restart-password", application.client_id, secret)
    receiver = Receiver()  # its port is chosen, nothing listens yet
    port, log = _free_port(), tmp_path / "serve.log"
    base = f"http://127.0.0.1:{port}"
    process = _serve(tmp_path, url, port, log)
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            headers = bearer(token(http, tenant, SCOPES))
            created = register(http, headers, str(structure), receiver.url, "vent")
            vent = first(http, headers, "vents")
            move_vent(http, headers, vent["id"], 55)

            def tried() -> list[dict[str, Any]]:
                listing: list[dict[str, Any]] = http.get("/_ductwork/webhooks").json()
                return [d for d in listing if d["attempts"] >= 1]

            deadline = time.monotonic() + 20
            while not tried():
                assert time.monotonic() < deadline, "the first attempt never happened"
                time.sleep(0.1)
            (down,) = tried()
            assert down["status"] == "pending"
            assert down["last_error"].startswith("ConnectError")
        _stop(process)
        process = _serve(tmp_path, url, port, log)
        receiver.start()
        try:
            (received,) = receiver.wait(1, timeout=30)
        finally:
            receiver.stop()
        payload = verify(created["attributes"]["secret"], received)
        assert received.headers["webhook-id"] == down["id"]
        assert payload["data"]["id"] == vent["id"]
        assert payload["data"]["attributes"]["percent-open"] == 55
        with httpx.Client(base_url=base, timeout=30) as http:
            deadline = time.monotonic() + 10
            while (state := http.get("/_ductwork/webhooks").json()[0])["status"] != "delivered":
                assert time.monotonic() < deadline, state
                time.sleep(0.1)
            assert state["attempts"] >= 2
    finally:
        _stop(process)
    output = log.read_text(errors="replace")
    assert "Traceback" not in output, output
    assert "ERROR" not in output, output
    assert secret not in output
    assert created["attributes"]["secret"] not in output
