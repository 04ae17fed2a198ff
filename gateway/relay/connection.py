"""One keep-alive HTTP/1.1 connection upstream: sends a request, parses the answer as it comes."""

import asyncio
import logging
from collections.abc import Callable
from typing import cast

import httptools

from gateway.limits import RelayLimits
from gateway.relay.answer import InvalidAnswer, ResponseHead, UpstreamClosed
from gateway.relay.backlog import Backlog
from gateway.relay.heads import AnswerRefused, HeadInProgress, announces_body
from gateway.relay.states import EXCHANGE_MOVES, LINK_MOVES, Exchange, Link
from gateway.relay.wakeup import Wakeup
from gateway.transitions import moved

log = logging.getLogger(__name__)


class UpstreamConnection(asyncio.Protocol):
    """Carries one exchange at a time; `begin` starts it, `head` and `read` follow the answer.

    The parser is httptools (llhttp), fed from `data_received` with no copies or extra tasks: the
    per-request cost of a general client library was most of the gateway's pass-through CPU.
    """

    def __init__(
        self, on_lost: Callable[["UpstreamConnection"], None], limits: RelayLimits
    ) -> None:
        self._on_lost = on_lost
        self._limits = limits
        self._transport: asyncio.Transport | None = None
        self._parser: httptools.HttpResponseParser | None = None
        # One task at a time waits on a connection (for room to send, a head or a body piece);
        # every event that could end its wait wakes it, and the task looks again.
        self._wakeup = Wakeup(self._expire)
        self._body = Backlog(limits)
        self._error: BaseException | None = None
        self._incoming = HeadInProgress(limits)
        self._head: ResponseHead | None = None
        self._exchange = Exchange.NONE
        self._link = Link.OPEN
        # Facts of the exchange under way, not steps of it: whether its answer may have a body
        # (not to HEAD), may leave the connection open, has begun to arrive, and whether the
        # request's body has all gone out (early answers make the two sides independent).
        self._expects_body = True
        self._keep_alive = False
        self._has_received = False
        self._is_request_sent = True
        # The transport's flow control, independent of both states.
        self._is_paused_writing = False
        self.idle_since = 0.0  # the loop's clock when it last went back to the pool

    # ------------------------------------------------------------ asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def data_received(self, data: bytes) -> None:
        if self._parser is None:
            # Nothing was asked, or the answer has ended: the connection is out of step.
            self._refuse("bytes nobody asked for, or after the end of an answer")
            return
        self._has_received = True
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._refuse("a protocol switch nobody asked for")
        except httptools.HttpParserError as exc:
            cause = exc.__context__  # what a callback raised, if one did
            self._refuse(str(cause) if isinstance(cause, AnswerRefused) else f"unparseable: {exc}")
        else:
            if self._head is None and (refusal := self._incoming.read(len(data))) is not None:
                self._refuse(refusal)

    def eof_received(self) -> bool:
        return False

    @property
    def is_closed(self) -> bool:
        return self._link is not Link.OPEN

    def connection_lost(self, exc: Exception | None) -> None:
        closed_by_us = self._link is Link.CLOSED_BY_GATEWAY
        self._link = moved(self._link, Link.CLOSED, LINK_MOVES)
        self._wakeup.close()
        is_clean_eof = exc is None and not closed_by_us
        if (
            is_clean_eof
            and self._exchange is Exchange.BODY
            and self._head is not None
            and not self._head.is_framed
        ):
            self._finish_message()  # a body delimited by the end of the connection
        elif self._exchange is not Exchange.NONE:
            self._fail(
                UpstreamClosed(
                    "the connection to Redmine closed",
                    answer_started=self._has_received,
                    by_gateway=closed_by_us,
                )
            )
        self._wake()
        self._on_lost(self)

    def pause_writing(self) -> None:
        self._is_paused_writing = True

    def resume_writing(self) -> None:
        self._is_paused_writing = False
        self._wake()

    # ------------------------------------------------------------ httptools callbacks

    def on_message_begin(self) -> None:
        if self._head is not None:
            # A second answer to one request (or bytes after the end of the first).
            raise AnswerRefused("a second answer to one request")
        self._incoming.begin_message()

    def on_status(self, reason: bytes) -> None:
        self._incoming.reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        self._incoming.field(name, value)

    def on_headers_complete(self) -> None:
        assert self._parser is not None
        head = self._incoming.complete(
            self._parser.get_http_version(), self._parser.get_status_code()
        )
        if head.status < 200:
            self._move(Exchange.INTERIM)
            return
        has_body = self._expects_body and head.status not in (204, 304)
        # Where Redmine says a body follows that the answer cannot have, its idea of where the
        # answer ends is not the gateway's: bytes may still come, read as the next answer.
        self._keep_alive = self._parser.should_keep_alive() and (
            has_body or not announces_body(head.raw_headers)
        )
        self._move(Exchange.BODY)
        self._head = head
        self._wake()
        if not self._expects_body:
            self._finish_message()

    def on_body(self, body: bytes) -> None:
        if self._exchange is not Exchange.BODY:
            # llhttp cannot know the request was HEAD: it reads a body the headers announce.
            raise AnswerRefused("a body after an answer to HEAD")
        assert self._transport is not None
        self._body.push(body, self._transport)
        self._wake()

    def on_message_complete(self) -> None:
        if self._exchange is Exchange.INTERIM:
            self._move(Exchange.AWAITING_HEAD)
        elif self._exchange is not Exchange.NONE:
            self._finish_message()

    # ------------------------------------------------------------ exchange

    def begin(
        self,
        head: bytes,
        *,
        expects_body: bool,
        has_request_body: bool = False,
        timeout_s: float | None = None,
    ) -> None:
        """Sends a request head; `expects_body=False` (HEAD) means the answer has no body.

        `timeout_s` bounds the time spent waiting on the other end over the whole exchange
        (TimeoutError, and the connection closes); time the caller spends elsewhere (on its own
        client, say) does not count.
        """
        assert self._transport is not None
        self._parser = httptools.HttpResponseParser(self)
        self._wakeup.start(timeout_s)
        self._head = None
        self._incoming.begin_exchange()
        self._body.clear()
        self._error = None
        self._expects_body = expects_body
        self._move(Exchange.AWAITING_HEAD)
        self._has_received = False
        self._is_request_sent = not has_request_body
        self._transport.write(head)

    def request_sent(self) -> None:
        """The request body has been written whole (a connection is reusable only then)."""
        self._is_request_sent = True

    async def send(self, data: bytes) -> bool:
        """Writes part of a request body, waiting while the socket's buffer is full; False, and
        nothing written, once the final answer has come (Redmine answered before taking it all:
        the rest goes nowhere, and the connection is not reused)."""
        # One turn of the loop first, so what has arrived is read before more is written: a
        # write after Redmine's early answer and reset would close the socket unread, and the
        # client would get a 502 instead of that answer.
        await asyncio.sleep(0)
        if self._head is not None:
            return False
        self._raise_if_lost()
        assert self._transport is not None
        self._transport.write(data)
        while self._is_paused_writing:
            await self._wait()
            self._raise_if_lost()
        return True

    async def head(self) -> ResponseHead:
        while self._head is None:
            if self._error is not None:
                raise self._error
            await self._wait()
        return self._head

    async def read(self) -> bytes:
        """The next piece of the answer's body; b"" once it has all arrived."""
        while not self._body:
            if self._error is not None:
                raise self._error
            if self._exchange is Exchange.NONE:
                return b""
            await self._wait()
        assert self._transport is not None
        return self._body.pop(self._transport)

    @property
    def is_reusable(self) -> bool:
        """Whether the last exchange ended cleanly and the connection may carry another."""
        return (
            self._exchange is Exchange.NONE
            and self._is_request_sent
            and self._error is None
            and self._keep_alive
            and self.is_usable
            and not self._body
        )

    @property
    def is_usable(self) -> bool:
        """Open, and not on its way to closing (Redmine may have ended an idle keep-alive)."""
        return (
            not self.is_closed and self._transport is not None and not self._transport.is_closing()
        )

    @property
    def answer_head(self) -> ResponseHead | None:
        """The answer's head if it has arrived (Redmine may answer before taking the whole body)."""
        return self._head

    def abort(self, error: BaseException) -> None:
        """Ends the exchange with `error` (a deadline, say) and drops the connection."""
        self._fail(error)
        self.close()

    def close(self) -> None:
        if self._transport is not None and not self.is_closed:
            self._link = moved(self._link, Link.CLOSED_BY_GATEWAY, LINK_MOVES)
            self._transport.abort()

    # ------------------------------------------------------------ internals

    async def _wait(self) -> None:
        """Until something happens on the connection, or the exchange's time runs out."""
        await self._wakeup.wait()
        if isinstance(self._error, TimeoutError):
            raise self._error

    def _expire(self) -> None:
        self.abort(TimeoutError("the other end did not answer in time"))

    def _raise_if_lost(self) -> None:
        if self.is_closed or self._transport is None:
            raise UpstreamClosed("connection lost while sending", answer_started=self._has_received)

    def _refuse(self, reason: str) -> None:
        """Ends the exchange on bytes that break HTTP/1.1 or a limit, and drops the connection;
        after an answer has ended, only the connection goes (its bytes go nowhere)."""
        log.warning("upstream answer invalid reason=%s", reason)
        self._fail(InvalidAnswer(reason))
        self.close()

    def _move(self, exchange: Exchange) -> None:
        self._exchange = moved(self._exchange, exchange, EXCHANGE_MOVES)

    def _finish_message(self) -> None:
        self._move(Exchange.NONE)
        self._parser = None
        self._wake()

    def _fail(self, error: BaseException) -> None:
        if self._exchange is Exchange.NONE or self._error is not None:
            return
        self._error = error
        self._move(Exchange.NONE)
        self._parser = None
        self._wake()

    def _wake(self) -> None:
        self._wakeup.wake()
