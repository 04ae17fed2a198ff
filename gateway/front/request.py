"""A request as the front parsed it: its head, and a body that streams in as the client sends it."""

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gateway.errors import RequestTimeout
from gateway.limits import FrontLimits
from gateway.relay.headers import Fields


class ClientGone(Exception):
    """The client closed its connection before its request body had all arrived."""


class RequestBody:
    """Chunks the parser hands over, read by the relay; `on_backlog(True)` asks the connection to
    stop reading the socket while too much is waiting, `on_backlog(False)` to go on."""

    def __init__(self, on_backlog: Callable[[bool], None], limits: FrontLimits) -> None:
        self._on_backlog = on_backlog
        self._limits = limits
        self._chunks: deque[bytes] = deque()
        self._waiting_bytes = 0
        self._waiter: asyncio.Future[None] | None = None
        self._is_complete = False
        self._error: BaseException | None = None
        self._is_backlogged = False
        self.bytes_read = 0

    def feed(self, chunk: bytes) -> None:
        self._chunks.append(chunk)
        self._waiting_bytes += len(chunk)
        if self._waiting_bytes > self._limits.body_high_water_bytes and not self._is_backlogged:
            self._is_backlogged = True
            self._on_backlog(True)
        self._wake()

    def finish(self) -> None:
        self._is_complete = True
        self._wake()

    def fail(self, error: BaseException) -> None:
        if not self._is_complete:
            self._error = error
            self._wake()

    @property
    def is_complete(self) -> bool:
        return self._is_complete

    async def read(self) -> bytes:
        """The next chunk; b"" once the body has all been read."""
        while not self._chunks:
            if self._is_complete:
                return b""
            if self._error is not None:
                raise self._error
            loop = asyncio.get_running_loop()
            self._waiter = loop.create_future()
            timer = loop.call_later(self._limits.body_timeout_s, self._expire)
            try:
                await self._waiter
            finally:
                self._waiter = None
                timer.cancel()
        chunk = self._chunks.popleft()
        self._waiting_bytes -= len(chunk)
        self.bytes_read += len(chunk)
        if self._is_backlogged and self._waiting_bytes < self._limits.body_low_water_bytes:
            self._is_backlogged = False
            self._on_backlog(False)
        return chunk

    def discard(self) -> None:
        """Drops what nobody will read (the answer went out without it), so reading resumes."""
        self._chunks.clear()
        self._waiting_bytes = 0
        if self._is_backlogged:
            self._is_backlogged = False
            self._on_backlog(False)

    def _expire(self) -> None:
        self.fail(RequestTimeout("The request body stopped arriving."))

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)


@dataclass(slots=True)
class IncomingRequest:
    method: str
    target: bytes
    raw_headers: Fields
    http_version: str  # "1.1" or "1.0"
    keeps_alive: bool  # what the client asked for (its version and Connection header)
    body: RequestBody | None  # None: the request has no body
    is_chunked: bool  # the client framed its body in chunks (no Content-Length)
    expects_continue: bool
    started: float = field(default=0.0)  # the loop's clock when its head was complete
    # The id its log lines carry (the client's X-Request-Id if plain, else one of ours), and
    # whether the client sent an X-Request-Id at all (if not, ours is sent on with the request).
    request_id: str = ""
    has_client_request_id: bool = False
