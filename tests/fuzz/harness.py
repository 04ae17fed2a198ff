"""The real front and relay (`serving`, as `timer-gateway serve` runs them) in front of the
recording upstream, on an event loop of their own, so hypothesis can drive examples from plain
test functions; and a client that reads answers as a strict HTTP/1.1 client would."""

import asyncio
import contextlib
import dataclasses
import logging
import socket
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

import httptools
from fakeredis import FakeAsyncRedis

from gateway.app import create_app
from gateway.front.server import serving
from gateway.limits import edge_limits
from gateway.settings import Settings
from tests.fuzz.upstream import RecordingUpstream

T = TypeVar("T")
READ_TIMEOUT_S = 5.0
SHUTDOWN_TIMEOUT_S = 5.0


@dataclass
class ClientAnswer:
    status: int
    body: bytes


class Tracebacks(logging.Handler):
    """Every log record that carries an exception, from any logger."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or "Traceback" in record.getMessage():
            self.records.append(record)


class EdgeHarness:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.upstream = RecordingUpstream()
        self.tracebacks = Tracebacks()
        self.port = 0
        self._stack = contextlib.AsyncExitStack()

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(coroutine)

    def __enter__(self) -> "EdgeHarness":
        logging.getLogger().addHandler(self.tracebacks)
        self.run(self._start())
        return self

    def __exit__(self, *exc: object) -> None:
        try:
            self.run(self._stack.aclose())
            self.run(self._until_upstream_connections_close())
            self.run(self.upstream.close())
        finally:
            self.loop.close()
            logging.getLogger().removeHandler(self.tracebacks)

    async def _until_upstream_connections_close(self) -> None:
        """Every connection the gateway opened is closed once it has shut down."""
        async with asyncio.timeout(SHUTDOWN_TIMEOUT_S):
            await self.upstream.all_closed()

    async def _start(self) -> None:
        await self.upstream.start()
        settings = Settings(
            redmine_url=f"http://127.0.0.1:{self.upstream.port}/",
            upstream_timeout_s=2.0,
            client_head_timeout_s=2.0,
            client_body_timeout_s=2.0,
            client_send_timeout_s=2.0,
        )
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        app = create_app(settings, redis=FakeAsyncRedis(decode_responses=True))
        limits = dataclasses.replace(edge_limits(settings), shutdown_timeout_s=SHUTDOWN_TIMEOUT_S)
        front = await self._stack.enter_async_context(
            serving(settings, app, sock=sock, limits=limits)
        )
        self.port = front.port

    async def connect(self) -> "Client":
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        return Client(reader, writer)


class Client:
    """A strict HTTP/1.1 client on one connection: answers are read with llhttp, in order; every
    byte that ever arrived is kept, so a test can look for bytes that must never reach it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.received = b""
        self._answers = AnswerStream()

    async def send(self, data: bytes, *, end: bool = False) -> None:
        with contextlib.suppress(ConnectionError):
            self.writer.write(data)
            if end:
                self.writer.write_eof()  # a half-close: every answer still comes, then the close
            await self.writer.drain()

    async def answer(self) -> ClientAnswer | None:
        """The next whole answer, or None if the connection ends (or breaks) before one does."""
        async with asyncio.timeout(READ_TIMEOUT_S):
            while not self._answers.complete:
                if not await self._read():
                    return None
        return self._answers.complete.pop(0)

    async def head_answer(self) -> int | None:
        """The status of an answer to HEAD, which ends with its head (llhttp cannot know that
        by itself); what follows is read as the next answer."""
        async with asyncio.timeout(READ_TIMEOUT_S):
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                return None
        self.received += head
        return int(head.split(b" ", 2)[1])

    async def all_answers(self) -> list[ClientAnswer]:
        """Every whole answer until the connection ends."""
        async with asyncio.timeout(READ_TIMEOUT_S):
            while await self._read():
                pass
        answers, self._answers.complete = self._answers.complete, []
        return answers

    async def _read(self) -> bool:
        try:
            data = await self.reader.read(65536)
        except ConnectionError:
            return False
        self.received += data
        self._answers.feed(data)
        return bool(data)

    def close(self) -> None:
        self.writer.transport.abort()


class AnswerStream:
    """Answers as llhttp reads them from one connection; unparseable bytes end the stream."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._body: list[bytes] = []
        self.complete: list[ClientAnswer] = []
        self.is_broken = False

    def feed(self, data: bytes) -> None:
        if self.is_broken:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError:
            self.is_broken = True

    def on_message_begin(self) -> None:
        self._body = []

    def on_body(self, chunk: bytes) -> None:
        self._body.append(chunk)

    def on_message_complete(self) -> None:
        status = self._parser.get_status_code()
        if status >= 200:  # a 100 Continue is not the answer
            self.complete.append(ClientAnswer(status, b"".join(self._body)))


@contextlib.contextmanager
def edge() -> Iterator[EdgeHarness]:
    with EdgeHarness() as harness:
        yield harness
