"""uvicorn's HTTP protocol with deadlines for slow clients (imported by `serve` only).

uvicorn times out an idle keep-alive connection, but nothing else: a client that opens a
connection and sends its request head a byte at a time (slowloris), trickles a body, or stops
reading a response holds a connection, a task and its buffers for as long as it likes. Here:

- the request head (request line and headers) must be complete within `timeout` seconds of
  the connection opening or of the request's first byte; else the server answers 408 and
  closes the connection;
- while a request body is arriving, no gap between two pieces may exceed `timeout`; else the
  connection closes (the handler sees the client gone, as after a disconnect);
- a response the client stops reading (the socket's buffers full) may stall for at most
  `3 x timeout`; then the connection is reset.
"""

from __future__ import annotations

import asyncio
import socket
import struct
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

_TOO_SLOW = b"Request head too slow"
REQUEST_TIMEOUT = (
    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\nconnection: close\r\n\r\n%s" % (len(_TOO_SLOW), _TOO_SLOW)
)


def protocol(timeout: float) -> type[HttpToolsProtocol]:
    """The protocol class for uvicorn's `http` setting, with these deadlines."""

    class SlowClientProtocol(HttpToolsProtocol):
        """HttpToolsProtocol with the head, body and write deadlines of this module."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._reading: asyncio.TimerHandle | None = None
            self._writing: asyncio.TimerHandle | None = None
            self._in_head = False
            self._in_body = False
            self._cycles: list[Any] = []  # requests whose responses are not complete

        def _arm(self, delay: float, handler: Any) -> asyncio.TimerHandle:
            return self.loop.call_later(delay, handler)

        def _disarm_reading(self) -> None:
            if self._reading is not None:
                self._reading.cancel()
                self._reading = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._in_head = True
            self._reading = self._arm(timeout, self._head_too_slow)

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_reading()
            if self._writing is not None:
                self._writing.cancel()
                self._writing = None
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            if self._in_body and not self.transport.is_closing():
                self._disarm_reading()
                self._reading = self._arm(timeout, self._body_too_slow)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if not self._in_head:  # a later request on a kept-alive connection
                self._in_head = True
                self._disarm_reading()
                self._reading = self._arm(timeout, self._head_too_slow)

        def on_headers_complete(self) -> None:
            self._in_head = False
            self._disarm_reading()
            self._in_body = True
            super().on_headers_complete()
            self._cycles = [c for c in self._cycles if not c.response_complete] + [self.cycle]

        def on_message_complete(self) -> None:
            self._in_body = False
            self._disarm_reading()
            super().on_message_complete()

        def _head_too_slow(self) -> None:
            self._reading = None
            if self._in_head and not self.transport.is_closing():
                self.transport.write(REQUEST_TIMEOUT)
                self.transport.close()

        def _body_too_slow(self) -> None:
            self._reading = None
            if self._in_body and not self.transport.is_closing():
                self.transport.close()

        def pause_writing(self) -> None:
            super().pause_writing()
            if self._writing is None:
                self._writing = self._arm(3 * timeout, self._write_stalled)

        def resume_writing(self) -> None:
            if self._writing is not None:
                self._writing.cancel()
                self._writing = None
            super().resume_writing()

        def _write_stalled(self) -> None:
            self._writing = None
            if not self.transport.is_closing():
                # uvicorn marks only the newest request disconnected when a connection is
                # lost; a pipelined earlier one still sending would write to the closed
                # transport (an error): every unfinished one is marked first.
                for cycle in self._cycles:
                    cycle.disconnected = True
                # A reset, not a FIN: the kernel drops the unsent megabytes at once instead of
                # keeping them for a peer that does not read.
                sock = self.transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.transport.abort()

    return SlowClientProtocol
