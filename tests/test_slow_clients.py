"""Slow clients are timed out (issue 14, item 5): a real `ductwork serve` with
`--client-timeout 1`, driven over raw sockets. A request head sent too slowly gets 408 and the
connection closes; a body that stops arriving closes the connection; a client that stops
reading a large response is dropped; a client in time is served as always."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator

import pytest

from tests.conftest import World, serve

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def slow_server(world: World) -> Iterator[tuple[str, int]]:
    """(host, port) of a server whose client timeout is one second."""
    with serve(world, "--client-timeout", str(TIMEOUT)) as base:
        host, port = base.removeprefix("http://").split(":")
        yield host, int(port)


def _connect(address: tuple[str, int], receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.connect(address)
    sock.settimeout(10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything until the server closes the connection."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def _one_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length, read off a kept-alive connection."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += sock.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _closed_after(sock: socket.socket) -> tuple[bytes, float]:
    started = time.monotonic()
    data = _read_all(sock)
    return data, time.monotonic() - started


HEAD = b"GET /_ductwork/health HTTP/1.1\r\nHost: localhost\r\n"


@pytest.mark.parametrize(
    ("name", "sent"),
    [("no byte at all", b""), ("half a request line", b"GET /_duct"),
     ("a head without its blank line", HEAD)],
)  # fmt: skip
def test_a_request_head_too_slow_gets_408_and_the_connection_closes(
    slow_server: tuple[str, int], name: str, sent: bytes
) -> None:
    """Within the timeout nothing happens; after it, 408 and the end of the connection."""
    with _connect(slow_server) as sock:
        sock.sendall(sent)
        sock.settimeout(TIMEOUT / 2)
        with pytest.raises(TimeoutError):
            sock.recv(1)  # still open, nothing answered yet
        sock.settimeout(10)
        data, waited = _closed_after(sock)
    assert data.startswith(b"HTTP/1.1 408 "), (name, data)
    assert waited < 5 * TIMEOUT, name


def test_a_head_sent_in_pieces_within_the_timeout_is_served(slow_server: tuple[str, int]) -> None:
    """Pieces a little apart, the whole head within the timeout: answered 200."""
    with _connect(slow_server) as sock:
        for piece in (HEAD[:10], HEAD[10:30], HEAD[30:] + b"Connection: close\r\n\r\n"):
            sock.sendall(piece)
            time.sleep(TIMEOUT / 5)
        data = _read_all(sock)
    assert data.startswith(b"HTTP/1.1 200 "), data[:200]


def test_a_slow_second_request_on_a_kept_alive_connection_gets_408(
    slow_server: tuple[str, int],
) -> None:
    """The first request is served; the second's head stops half-way and times out."""
    with _connect(slow_server) as sock:
        sock.sendall(HEAD + b"\r\n")
        first = _one_response(sock)
        assert first.startswith(b"HTTP/1.1 200 "), first
        sock.sendall(b"GET /_ductwork/hea")
        data, waited = _closed_after(sock)
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert waited < 5 * TIMEOUT


def test_a_body_that_stops_arriving_closes_the_connection(slow_server: tuple[str, int]) -> None:
    """A form body trickles in pieces less than the timeout apart, then stops: the connection
    closes without an answer (and the server logs no error: the fixture checks its log)."""
    head = (b"POST /phason/token HTTP/1.1\r\nHost: localhost\r\nContent-Length: 200\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n\r\n")  # fmt: skip
    with _connect(slow_server) as sock:
        sock.sendall(head)
        for _ in range(4):  # 2 s of trickle, each gap half the timeout: still open
            sock.sendall(b"grant_type=x&")
            time.sleep(TIMEOUT / 2)
        sock.settimeout(TIMEOUT / 4)
        with pytest.raises(TimeoutError):
            sock.recv(1)
        sock.settimeout(10)
        data, waited = _closed_after(sock)
    assert data == b"", data[:200]
    assert waited < 5 * TIMEOUT


def test_a_client_that_stops_reading_is_dropped(slow_server: tuple[str, int]) -> None:
    """Twelve pipelined requests for Swagger UI's bundle (1.4 MB each, more than the kernel's
    socket buffers hold) from a client with a tiny receive buffer that then reads nothing:
    the server resets the connection after about 3x the timeout, so the client, reading at
    last, finds the responses cut short (a server waiting for ever would send them whole)."""
    request = b"GET /_ductwork/swagger-ui/swagger-ui-bundle.js HTTP/1.1\r\nHost: localhost\r\n\r\n"
    with _connect(slow_server, receive_buffer=4096) as sock:
        sock.sendall(request * PIPELINED)
        time.sleep(3 * TIMEOUT + 2)
        received = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                received += chunk
    head, _, _body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))  # fmt: skip
    assert len(received) < PIPELINED * length, "every response arrived whole"


PIPELINED = 12
