"""One client connection to the front: parses its requests in order and has each one answered."""

import asyncio
import enum
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import cast

import httptools

from gateway.errors import BadRequest, GatewayError
from gateway.front.heads import HeadTooLarge, parse_refusal, request_from_head
from gateway.front.limits import CLIENT_IDLE_TIMEOUT_S, MAX_HEAD_BYTES, MAX_QUEUED_REQUESTS
from gateway.front.lingering import LingeringClose
from gateway.front.open_connections import OpenConnections
from gateway.front.reading import ReadingPauses
from gateway.front.request import ClientGone, IncomingRequest, RequestBody
from gateway.front.request_line import RequestLineWatch

log = logging.getLogger(__name__)


Responder = Callable[[IncomingRequest, "ClientConnection"], Awaitable[bool]]
Refuser = Callable[[GatewayError, "ClientConnection"], None]


class Phase(enum.Enum):
    OPEN = enum.auto()
    LINGERING = enum.auto()  # answered and shut for writing; late request bytes are dropped
    CLOSED = enum.auto()


class ClientConnection(asyncio.Protocol):
    """Parses with httptools (llhttp) and answers requests one at a time, in arrival order.

    `respond` writes one answer through `write`/`drain` and says whether the connection may carry
    another; `refuse` answers a request that could not even be parsed.
    """

    def __init__(
        self,
        respond: Responder,
        refuse: Refuser,
        connections: OpenConnections,
        idle_timeout_s: float = CLIENT_IDLE_TIMEOUT_S,
    ) -> None:
        self._respond = respond
        self._refuse = refuse
        self._connections = connections
        self._idle_timeout_s = idle_timeout_s
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._queue: deque[IncomingRequest | GatewayError] = deque()
        self._queue_waiter: asyncio.Future[None] | None = None
        self._drain_waiter: asyncio.Future[None] | None = None
        self._reading = ReadingPauses()
        self._current: IncomingRequest | None = None
        self._target: list[bytes] = []
        self._headers: list[tuple[bytes, bytes]] = []
        self._head_bytes = 0
        self._is_in_head = True
        self._is_mid_message = False
        self._is_busy = False
        self._is_paused_writing = False
        self._has_input_ended = False  # the client half-closed: it sends nothing more
        self._phase = Phase.OPEN
        self._lingering: LingeringClose | None = None
        self._request_line = RequestLineWatch()
        self.is_closing = False  # shutdown: finish the answer in hand, then close
        self._is_done_reading = False  # end of input or unreadable bytes: answer the queue, close
        self._messages_begun = 0
        self.peer = ""

    # ------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._reading.attach(self._transport)
        peer = transport.get_extra_info("peername")
        self.peer = str(peer[0]) if isinstance(peer, tuple) else ""
        self._connections.add(self)
        self._connections.keep(self._loop.create_task(self._serve()))

    @property
    def is_closed(self) -> bool:
        return self._phase is Phase.CLOSED

    def data_received(self, data: bytes) -> None:
        if self._lingering is not None:
            self._lingering.drop(len(data))
            return
        was_in_head, begun = self._is_in_head, self._messages_begun
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # CONNECT, or a protocol switch the gateway does not make: what follows the head
            # is not HTTP, so the connection closes once the request is answered.
            self._stop_parsing(None)
            return
        except httptools.HttpParserError as exc:
            self._stop_parsing(parse_refusal(exc))
            return
        if was_in_head and self._is_in_head and begun == self._messages_begun:
            # Still the same head, and no end of it in sight.
            self._head_bytes += len(data)
            if self._head_bytes > MAX_HEAD_BYTES:
                self._stop_parsing(parse_refusal(HeadTooLarge()))
                return
        if (
            self._is_in_head
            and self._is_mid_message
            and self._request_line.is_versionless(
                data, self._parser.get_method(), b"".join(self._target)
            )
        ):
            self._stop_parsing(BadRequest("The request line carries no HTTP version."))

    def eof_received(self) -> bool:
        self._has_input_ended = True
        if self._lingering is not None:
            self._lingering.finish()
            return True
        # The client has sent all it will (a half-close): what it asked for is still answered.
        if self._current is not None and self._current.body is not None:
            self._current.body.fail(ClientGone())
        self._reading.pause("stopped")
        self._is_done_reading = True
        self._wake(self._queue_waiter)
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._phase = Phase.CLOSED
        self._reading.detach()
        if self._lingering is not None:
            self._lingering.finish()
        self._connections.discard(self)
        if self._current is not None and self._current.body is not None:
            self._current.body.fail(ClientGone())
        self._wake(self._queue_waiter)
        if self._drain_waiter is not None and not self._drain_waiter.done():
            self._drain_waiter.set_exception(ClientGone())

    def pause_writing(self) -> None:
        self._is_paused_writing = True

    def resume_writing(self) -> None:
        self._is_paused_writing = False
        self._wake(self._drain_waiter)

    # ------------------------------------------------------------ httptools callbacks

    def on_message_begin(self) -> None:
        self._messages_begun += 1
        self._is_mid_message = True
        self._target = []
        self._headers = []
        self._request_line.begin()

    def on_url(self, part: bytes) -> None:
        self._target.append(part)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.append((name, value))

    def on_headers_complete(self) -> None:
        headers = self._headers
        self._headers = []  # trailers, if any, arrive through on_header too: they are dropped
        request = request_from_head(
            self._parser,
            b"".join(self._target),
            headers,
            lambda: RequestBody(self._on_body_backlog, self._idle_timeout_s),
            self._loop.time(),
        )
        self._current = request
        self._is_in_head = False
        self._enqueue(request)

    def on_body(self, chunk: bytes) -> None:
        if self._current is not None and self._current.body is not None:
            self._current.body.feed(chunk)

    def on_message_complete(self) -> None:
        if self._current is not None and self._current.body is not None:
            self._current.body.finish()
        self._current = None
        self._is_in_head = True
        self._is_mid_message = False
        self._head_bytes = 0

    # ------------------------------------------------------------ writing answers

    def write(self, data: bytes) -> None:
        if self.is_closed or self._transport is None:
            raise ClientGone()
        self._transport.write(data)

    async def drain(self) -> None:
        """Waits while the client's socket buffer is full; a client that reads nothing for
        CLIENT_IDLE_TIMEOUT_S is cut off."""
        if self._is_paused_writing and not self.is_closed:
            self._drain_waiter = self._loop.create_future()
            timer = self._loop.call_later(self._idle_timeout_s, self.abort)
            try:
                await self._drain_waiter
            finally:
                timer.cancel()

    def abort(self) -> None:
        """Cuts the connection: the only signal left once an answer's head is out."""
        if self._transport is not None and not self.is_closed:
            self._transport.abort()

    def close_when_idle(self) -> None:
        """For shutdown: closes now if no request is being answered, else after the answer."""
        self.is_closing = True
        if not self._is_busy and not self._queue:
            self._close()

    # ------------------------------------------------------------ internals

    async def _serve(self) -> None:
        try:
            while (item := await self._next()) is not None:
                self._is_busy = True
                if isinstance(item, GatewayError):
                    self._refuse(item, self)
                    break
                keeps_alive = await self._respond(item, self)
                if item.body is not None:
                    item.body.discard()
                self._is_busy = False
                if not keeps_alive or self.is_closing:
                    break
        except ClientGone:
            pass
        except Exception:
            log.exception("unexpected error while answering peer=%s", self.peer)
            self.abort()
        self._close()

    async def _next(self) -> IncomingRequest | GatewayError | None:
        idle_timer = None
        while not self._queue:
            if self.is_closed or self.is_closing or self._is_done_reading:
                return None
            if idle_timer is None:
                idle_timer = self._loop.call_later(self._idle_timeout_s, self._close)
            self._queue_waiter = self._loop.create_future()
            await self._queue_waiter
        if idle_timer is not None:
            idle_timer.cancel()
        item = self._queue.popleft()
        if len(self._queue) < MAX_QUEUED_REQUESTS:
            self._reading.resume("queue")
        return item

    def _enqueue(self, item: IncomingRequest | GatewayError) -> None:
        self._queue.append(item)
        if len(self._queue) >= MAX_QUEUED_REQUESTS:
            self._reading.pause("queue")
        self._wake(self._queue_waiter)

    def _stop_parsing(self, error: GatewayError | None) -> None:
        """Reads nothing more; answers `error` after the requests already queued."""
        self._reading.pause("stopped")
        if error is not None and self._current is not None and self._current.body is not None:
            self._current.body.fail(error)  # a body cut short by garbage
        elif error is not None:
            self._enqueue(error)
        self._is_done_reading = True
        self._wake(self._queue_waiter)

    def _on_body_backlog(self, is_backlogged: bool) -> None:
        if is_backlogged:
            self._reading.pause("body")
        else:
            self._reading.resume("body")

    def _close(self) -> None:
        transport = self._transport
        if transport is None or self._phase is not Phase.OPEN:
            return
        if self._may_have_unread_input() and transport.can_write_eof():
            self._phase = Phase.LINGERING
            self._reading.clear()
            self._lingering = LingeringClose(transport, self._end)
            self._lingering.start()
        else:
            self._end()

    def _may_have_unread_input(self) -> bool:
        """Whether the client may still be sending: closing now could reset the connection."""
        if self._has_input_ended:
            return False
        is_reading_stopped = self._is_done_reading or bool(self._reading)
        return self._is_mid_message or is_reading_stopped or bool(self._queue)

    def _end(self) -> None:
        transport = self._transport
        if transport is None or self.is_closed:
            return
        transport.close()
        if transport.get_write_buffer_size():
            # A close waits for the buffer to drain: a client that never reads would keep the
            # connection forever.
            self._loop.call_later(self._idle_timeout_s, self.abort)

    @property
    def is_last_answer(self) -> bool:
        """Whether the connection closes after the answer being written."""
        return self.is_closing or (self._is_done_reading and not self._queue)

    @staticmethod
    def _wake(waiter: asyncio.Future[None] | None) -> None:
        if waiter is not None and not waiter.done():
            waiter.set_result(None)
