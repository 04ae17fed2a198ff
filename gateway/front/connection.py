"""One client connection to the front: parses its requests in order and has each one answered."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import cast

import httptools

from gateway.errors import BadRequest, GatewayError, RequestTimeout
from gateway.front.heads import HeadInProgress, HeadTooLarge, parse_refusal
from gateway.front.lingering import LingeringClose
from gateway.front.open_connections import OpenConnections
from gateway.front.reading import ReadingPauses
from gateway.front.request import ClientGone, IncomingRequest, RequestBody
from gateway.front.request_queue import QueueItem, RequestQueue
from gateway.front.states import PHASE_MOVES, READING_MOVES, Phase, Reading
from gateway.front.write_flow import WriteFlow
from gateway.limits import FrontLimits
from gateway.transitions import moved

log = logging.getLogger(__name__)


Responder = Callable[[IncomingRequest, "ClientConnection"], Awaitable[bool]]
Refuser = Callable[[GatewayError, "ClientConnection"], None]

IN_A_HEAD = (Reading.BETWEEN_MESSAGES, Reading.IN_HEAD)


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
        limits: FrontLimits,
    ) -> None:
        self._respond = respond
        self._refuse = refuse
        self._connections = connections
        self._limits = limits
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None
        self._parser = httptools.HttpRequestParser(self)
        self._reading_pauses = ReadingPauses()
        self._queue = RequestQueue(self._reading_pauses, limits.max_queued_requests)
        self._write_flow = WriteFlow(limits.send_timeout_s, self.abort)
        self._reading = Reading.BETWEEN_MESSAGES
        self._phase = Phase.OPEN
        self._current: IncomingRequest | None = None  # the request being parsed
        self._answering: QueueItem | None = None  # the request being answered
        self._head = HeadInProgress(limits)
        self._head_began = self._loop.time()  # nginx times a connection's first head from accept
        self._messages_begun = 0
        self._lingering: LingeringClose | None = None
        self.peer = ""

    # ------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)
        self._reading_pauses.attach(self._transport)
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
        was_in_head, begun = self._reading in IN_A_HEAD, self._messages_begun
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
        if was_in_head and self._reading in IN_A_HEAD and begun == self._messages_begun:
            # Still the same head, and no end of it in sight.
            if self._head.is_over(len(data)):
                self._stop_parsing(parse_refusal(HeadTooLarge()))
                return
        if self._reading is Reading.IN_HEAD and self._head.is_versionless(
            data, self._parser.get_method()
        ):
            self._stop_parsing(BadRequest("The request line carries no HTTP version."))

    def eof_received(self) -> bool:
        if self._lingering is not None:
            self._lingering.finish()
            return True
        # The client has sent all it will (a half-close): what it asked for is still answered.
        if self._current is not None and self._current.body is not None:
            self._current.body.fail(ClientGone())
        self._read_into(Reading.ENDED)
        self._reading_pauses.pause("stopped")
        self._queue.wake()
        return True

    def connection_lost(self, exc: Exception | None) -> None:
        self._phase = moved(self._phase, Phase.CLOSED, PHASE_MOVES)
        self._reading_pauses.detach()
        if self._lingering is not None:
            self._lingering.finish()
        self._connections.discard(self)
        self._queue.close()
        if self._current is not None and self._current.body is not None:
            self._current.body.fail(ClientGone())
        self._queue.wake()
        self._write_flow.lost()

    def pause_writing(self) -> None:
        self._write_flow.pause()

    def resume_writing(self) -> None:
        self._write_flow.resume()

    # ------------------------------------------------------------ httptools callbacks

    def on_message_begin(self) -> None:
        self._messages_begun += 1
        self._read_into(Reading.IN_HEAD)
        if self._messages_begun > 1:
            self._head_began = self._loop.time()
            # The wait for a request is now the wait for its head.
            self._queue.move_deadline(self._head_began + self._limits.head_timeout_s)
        self._head.begin()

    def on_url(self, part: bytes) -> None:
        self._head.target_part(part)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head.field(name, value)

    def on_headers_complete(self) -> None:
        request = self._head.complete(
            self._parser,
            lambda: RequestBody(self._on_body_backlog, self._limits),
            self._loop.time(),
        )
        self._current = request
        self._read_into(Reading.IN_BODY)
        self._queue.put(request)

    def on_body(self, chunk: bytes) -> None:
        if self._current is not None and self._current.body is not None:
            self._current.body.feed(chunk)

    def on_message_complete(self) -> None:
        if self._current is not None and self._current.body is not None:
            self._current.body.finish()
        self._current = None
        self._read_into(Reading.BETWEEN_MESSAGES)
        self._head.ended()

    # ------------------------------------------------------------ writing answers

    def write(self, data: bytes) -> None:
        if self.is_closed or self._transport is None:
            raise ClientGone()
        self._transport.write(data)

    async def drain(self) -> None:
        """Waits while the client's socket buffer is full; a client that takes nothing of its
        answer for GATEWAY_CLIENT_SEND_TIMEOUT_S is cut off."""
        if not self.is_closed:
            await self._write_flow.drain()

    def abort(self) -> None:
        """Cuts the connection: the only signal left once an answer's head is out."""
        if self._transport is not None and not self.is_closed:
            self._transport.abort()

    def close_when_idle(self) -> None:
        """For shutdown: closes now if no request is being answered, else after the answer."""
        if self._phase is not Phase.OPEN:
            return
        self._phase = moved(self._phase, Phase.CLOSING, PHASE_MOVES)
        if self._answering is None and not self._queue:
            self._close()

    @property
    def is_last_answer(self) -> bool:
        """Whether the connection closes after the answer being written."""
        if self._phase is not Phase.OPEN:
            return True
        return self._reading in (Reading.STOPPED, Reading.ENDED) and not self._queue

    # ------------------------------------------------------------ internals

    async def _serve(self) -> None:
        try:
            while (item := await self._next()) is not None:
                self._answering = item
                if isinstance(item, GatewayError):
                    self._refuse(item, self)
                    break
                keeps_alive = await self._respond(item, self)
                if item.body is not None:
                    item.body.discard()
                self._answering = None
                if not keeps_alive or self._phase is not Phase.OPEN:
                    break
        except ClientGone:
            pass
        except Exception:
            log.exception("unexpected error while answering peer=%s", self.peer)
            self.abort()
        self._close()

    async def _next(self) -> QueueItem | None:
        """The next request to answer, or None when the connection is done; waiting for one
        takes at most the idle limit (nothing sent yet) or the head limit (a head begun)."""
        idle_since = self._loop.time()
        while not self._queue:
            if self._phase is not Phase.OPEN or self._reading in (Reading.STOPPED, Reading.ENDED):
                return None
            await self._queue.wait(self._wait_deadline(idle_since), self._wait_expired)
        return self._queue.pop()

    def _wait_deadline(self, idle_since: float) -> float:
        if self._reading is Reading.IN_HEAD or self._messages_begun == 0:
            return self._head_began + self._limits.head_timeout_s
        return idle_since + self._limits.idle_timeout_s

    def _wait_expired(self) -> None:
        if self._reading is Reading.IN_HEAD:
            self._stop_parsing(RequestTimeout("The request head did not arrive in time."))
        else:
            self._close()  # nothing was asked: a silent close, as nginx's

    def _stop_parsing(self, error: GatewayError | None) -> None:
        """Reads nothing more; answers `error` after the requests already queued."""
        self._reading_pauses.pause("stopped")
        if error is not None and self._current is not None and self._current.body is not None:
            self._current.body.fail(error)  # a body cut short by garbage
        elif error is not None:
            self._queue.put(error)
        self._read_into(Reading.STOPPED)
        self._queue.wake()

    def _read_into(self, reading: Reading) -> None:
        self._reading = moved(self._reading, reading, READING_MOVES)

    def _on_body_backlog(self, is_backlogged: bool) -> None:
        if is_backlogged:
            self._reading_pauses.pause("body")
        else:
            self._reading_pauses.resume("body")

    def _close(self) -> None:
        transport = self._transport
        if transport is None or self._phase not in (Phase.OPEN, Phase.CLOSING):
            return
        if self._may_have_unread_input() and transport.can_write_eof():
            self._phase = moved(self._phase, Phase.LINGERING, PHASE_MOVES)
            self._reading_pauses.clear()
            self._lingering = LingeringClose(transport, self._end, self._limits)
            self._lingering.start()
        else:
            self._end()

    def _may_have_unread_input(self) -> bool:
        """Whether the client may still be sending: closing now could reset the connection."""
        if self._reading is Reading.ENDED:
            return False
        is_reading_stopped = self._reading is Reading.STOPPED or bool(self._reading_pauses)
        return (
            self._reading is not Reading.BETWEEN_MESSAGES or is_reading_stopped or bool(self._queue)
        )

    def _end(self) -> None:
        transport = self._transport
        if transport is None or self.is_closed:
            return
        transport.close()
        if transport.get_write_buffer_size():
            # A close waits for the buffer to drain: a client that never reads would keep the
            # connection forever.
            self._loop.call_later(self._limits.send_timeout_s, self.abort)
