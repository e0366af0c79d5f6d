"""Where ductwork's own requests may go (issue 14, item 5): webhook deliveries to link-local,
metadata and private addresses are refused unless allowed, loopback receivers keep working on a
loopback-bound server, and a delivery goes to the address that was checked (no DNS rebinding).
The registration side (Flair callbacks, Automate Green actions) is tested with their APIs."""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from ductwork.core.egress import Egress, Refused
from ductwork.core.webhooks import Outbox
from ductwork.runtime import Runtime

REFUSED = [
    ("http://169.254.169.254/latest/meta-data/", "metadata"),
    ("http://[fd00:ec2::254]/latest/", "metadata"),
    ("http://100.100.100.200/", "metadata"),
    ("http://169.254.10.1/", "link-local"),
    ("http://[fe80::1]/", "link-local"),
    ("http://10.1.2.3:8080/hook", "private"),
    ("http://172.16.0.9/", "private"),
    ("http://192.168.1.20/", "private"),
    ("http://[fc00::5]/", "private"),
    ("http://100.64.0.1/", "private"),  # shared address space (carrier-grade NAT)
    ("http://0.0.0.0:9/", "unspecified"),
    ("http://224.0.0.1/", "multicast"),
    ("http://[::ffff:10.0.0.1]/", "private"),  # an IPv4-mapped private address
]
PUBLIC = ["http://93.184.216.34/hook", "https://[2606:4700::1111]/", "http://8.8.8.8:8080/x?y=1"]
LOOPBACK = ["http://127.0.0.1:9000/hook", "http://[::1]/", "http://localhost:8080/cb",
            "http://127.9.9.9/"]  # fmt: skip


@pytest.mark.parametrize(("url", "kind"), REFUSED)
def test_non_public_addresses_are_refused_unless_the_network_is_allowed(
    url: str, kind: str
) -> None:
    """Refused by default and on a server bound elsewhere; the reason names the kind of
    address and the option; `--allow-webhook-network` lets it through."""
    for policy in (Egress(), Egress(allow_loopback=False)):
        with pytest.raises(Refused, match=kind) as refused:
            policy.check(url)
        assert "--allow-webhook-network" in str(refused.value)
    Egress(allow_network=True).check(url)


@pytest.mark.parametrize("url", PUBLIC)
def test_public_addresses_pass(url: str) -> None:
    Egress(allow_loopback=False).check(url)


@pytest.mark.parametrize("url", LOOPBACK)
def test_loopback_passes_only_on_a_loopback_bound_server(url: str) -> None:
    Egress(allow_loopback=True).check(url)
    with pytest.raises(Refused, match="loopback"):
        Egress(allow_loopback=False).check(url)
    Egress(allow_network=True, allow_loopback=False).check(url)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "/relative",
                                 "http://", "http://[::1/"])  # fmt: skip
def test_only_absolute_http_urls_pass(url: str) -> None:
    with pytest.raises(Refused):
        Egress(allow_network=True).check(url)


def test_a_name_is_refused_when_any_of_its_addresses_is() -> None:
    """A name resolving to a public and a private address is refused (one of them would be
    reached); a name that does not resolve passes registration."""
    mixed = Egress(resolver=lambda _h, _p: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(Refused, match=r"hooks\.example \(10\.0\.0\.7\) is a private"):
        mixed.check("https://hooks.example/in")

    def nowhere(_host: str, _port: int) -> list[str]:
        raise OSError("no such name")

    Egress(resolver=nowhere).check("https://nowhere.invalid/")


def test_the_reason_leaves_the_url_out() -> None:
    """The message is logged: a secret in the URL's query must not be in it."""
    with pytest.raises(Refused) as refused:
        Egress().check("http://10.0.0.1/hook?token=s3cret-value")
    assert "s3cret-value" not in str(refused.value)


# ------------------------------------------------------------------ deliveries
class _Receiver(BaseHTTPRequestHandler):
    seen: ClassVar[list[tuple[str, str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        self.seen.append((self.path, self.headers["host"], body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[int, list[tuple[str, str, bytes]]]]:
    """A webhook receiver on loopback: its port and what it received."""
    seen: list[tuple[str, str, bytes]] = []
    handler = type("Handler", (_Receiver,), {"seen": seen})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], seen
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    opened = Runtime.open(tmp_path)
    try:
        yield opened
    finally:
        opened.close()


PAYLOAD = json.dumps({"n": 1})


def _deliver(runtime: Runtime, egress: Egress, url: str) -> dict[str, object]:
    """Enqueue one message to `url`, run one delivery pass with `egress`, return its record."""
    outbox = Outbox(runtime.engine, egress=egress)
    account = runtime.accounts.create(f"e-{secrets.token_hex(3)}@example.com", "pw-" * 4).id
    with runtime.engine.begin() as connection:
        message = outbox.enqueue(connection, account_id=account, vendor="test", source="t:1",
                                 event_type="e", url=url, secret="", payload=PAYLOAD)  # fmt: skip
    outbox.deliver_due()
    (record,) = [d for d in outbox.listing() if d["id"] == message]
    return record


def test_a_delivery_to_a_metadata_address_fails_at_once_without_a_request(
    runtime: Runtime,
) -> None:
    """Refused, marked failed after one attempt (no retries), the reason recorded."""
    record = _deliver(runtime, Egress(), "http://169.254.169.254/latest/meta-data/iam")
    assert record["status"] == "failed"
    assert record["attempts"] == 1
    assert record["last_status_code"] is None
    assert "metadata" in str(record["last_error"])


def test_loopback_receivers_work_on_a_loopback_server_only(
    runtime: Runtime, receiver: tuple[int, list[tuple[str, str, bytes]]]
) -> None:
    port, seen = receiver
    url = f"http://127.0.0.1:{port}/hook"
    assert _deliver(runtime, Egress(allow_loopback=True), url)["status"] == "delivered"
    assert len(seen) == 1
    refused = _deliver(runtime, Egress(allow_loopback=False), url)
    assert refused["status"] == "failed"
    assert "loopback" in str(refused["last_error"])
    assert len(seen) == 1
    allowed = Egress(allow_network=True, allow_loopback=False)
    assert _deliver(runtime, allowed, url)["status"] == "delivered"
    assert len(seen) == 2


def test_a_delivery_goes_to_the_address_that_was_checked(
    runtime: Runtime, receiver: tuple[int, list[tuple[str, str, bytes]]]
) -> None:
    """The name is resolved once by the policy; the request reaches that address with the
    name in its Host header. A resolver answering a private address refuses the delivery
    (a name rebound to the inside between registration and delivery)."""
    port, seen = receiver
    names = {"hooks.test": "127.0.0.1"}
    policy = Egress(resolver=lambda host, _port: [names[host]])
    record = _deliver(runtime, policy, f"http://hooks.test:{port}/in?x=1")
    assert record["status"] == "delivered", record["last_error"]
    assert seen == [("/in?x=1", f"hooks.test:{port}", PAYLOAD.encode())]
    names["hooks.test"] = "10.9.8.7"
    rebound = _deliver(runtime, policy, f"http://hooks.test:{port}/in")
    assert rebound["status"] == "failed"
    assert "hooks.test (10.9.8.7) is a private" in str(rebound["last_error"])
    assert len(seen) == 1
