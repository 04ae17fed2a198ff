"""A recording upstream for the fuzz suite: it parses what the gateway sends with llhttp, as a
strict server would, records each request whole, and answers each one with scripted bytes."""

import asyncio
import socket
import struct
from collections import deque
from dataclasses import dataclass, field

import httptools


@dataclass(frozen=True)
class Received:
    method: bytes
    target: bytes
    body: bytes


@dataclass(frozen=True)
class Scripted:
    """An answer's bytes, sent when the request's head has arrived (an early answer) or when it
    is complete; then the connection goes on, closes, or is reset."""

    data: bytes
    early: bool = False
    then: str = "keep"  # "keep", "close" or "reset"


def marker_answer(target: bytes) -> bytes:
    body = b"for " + target
    return b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%b" % (len(body), body)


@dataclass
class RecordingUpstream:
    """Answers a request with the script for its target, or with `marker_answer`."""

    requests: list[Received] = field(default_factory=list)
    script: dict[bytes, Scripted] = field(default_factory=dict)
    accepted: int = 0
    unparseable: int = 0
    open_connections: set["RecordingConnection"] = field(default_factory=set)
    _server: asyncio.Server | None = None
    _closed: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0

    async def all_closed(self) -> None:
        while self.open_connections:
            self._closed.clear()
            await self._closed.wait()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: RecordingConnection(self), "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def closed_one(self) -> None:
        self._closed.set()

    def reset(self) -> None:
        self.requests.clear()
        self.script.clear()


class RecordingConnection(asyncio.Protocol):
    def __init__(self, upstream: RecordingUpstream) -> None:
        self._upstream = upstream
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._target = b""
        self._body: deque[bytes] = deque()
        self._answered = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._upstream.accepted += 1
        self._upstream.open_connections.add(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._upstream.open_connections.discard(self)
        self._upstream.closed_one()

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self._upstream.unparseable += 1
            self._finish("close")

    def on_message_begin(self) -> None:
        self._target = b""
        self._body.clear()
        self._answered = False

    def on_url(self, part: bytes) -> None:
        self._target += part

    def on_headers_complete(self) -> None:
        scripted = self._upstream.script.get(self._target)
        if scripted is not None and scripted.early:
            self._answer(scripted)

    def on_body(self, chunk: bytes) -> None:
        self._body.append(chunk)

    def on_message_complete(self) -> None:
        self._upstream.requests.append(
            Received(self._parser.get_method(), self._target, b"".join(self._body))
        )
        if not self._answered:
            scripted = self._upstream.script.get(
                self._target, Scripted(marker_answer(self._target))
            )
            self._answer(scripted)

    def _answer(self, scripted: Scripted) -> None:
        self._answered = True
        if self._transport is None or self._transport.is_closing():
            return
        self._transport.write(scripted.data)
        self._finish(scripted.then)

    def _finish(self, then: str) -> None:
        if self._transport is None or then == "keep":
            return
        if then == "reset":
            # Linger 0: the close sends a reset rather than a clean end.
            sock = self._transport.get_extra_info("socket")
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self._transport.abort()
        else:
            self._transport.close()
