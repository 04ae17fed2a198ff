"""A Redmine stand-in that answers scripted bytes, to show exactly what crosses the gateway."""

import asyncio
import socket
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

CLOSE_TIMEOUT_S = 5.0
WAIT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class RawAnswer:
    data: bytes
    close_after: bool = False  # ends its connection once written (a close-delimited body)
    delay_s: float = 0.0  # between the head (up to the blank line) and the rest; 0: one write
    trickle: tuple[bytes, ...] = ()  # more pieces after `data`, each `delay_s` after the last
    reset_after: bool = False  # ends its connection with a reset instead of a clean close
    before_body: bool = False  # answers after the request head, without reading its body


class RawUpstream:
    """Reads each request head (and a Content-Length body), records the raw bytes, and answers
    the next scripted bytes, or a small 200 once the script is used up."""

    DEFAULT = RawAnswer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def __init__(self) -> None:
        self.answers: deque[RawAnswer] = deque()
        self.received: list[bytes] = []
        self.heads: list[bytes] = []  # each request head as soon as it arrived
        self._head_arrived = asyncio.Condition()
        self.connections = 0
        self.cut_short = 0  # answers the gateway stopped taking before they were all written
        self.url = ""
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._changed = asyncio.Event()

    @property
    def open_connections(self) -> int:
        return len(self._writers)

    async def wait_until(self, condition: Callable[[], bool]) -> None:
        """Until `condition` holds (it is looked at again whenever a connection changes)."""
        async with asyncio.timeout(WAIT_TIMEOUT_S):
            while not condition():
                await self._changed.wait()

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}/"

    async def wait_for_heads(self, count: int) -> None:
        """Returns once `count` request heads have arrived, their bodies perhaps still coming."""
        async with asyncio.timeout(CLOSE_TIMEOUT_S), self._head_arrived:
            await self._head_arrived.wait_for(lambda: len(self.heads) >= count)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                # Abort, not close: a close waits for a peer that may never read again.
                writer.transport.abort()
            async with asyncio.timeout(CLOSE_TIMEOUT_S):
                await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self._writers.add(writer)
        self._notify()
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                async with self._head_arrived:
                    self.heads.append(head)
                    self._head_arrived.notify_all()
                answer = self.answers.popleft() if self.answers else self.DEFAULT
                length = 0 if answer.before_body else content_length(head)
                self.received.append(head + (await reader.readexactly(length) if length else b""))
                try:
                    await self._answer(writer, answer)
                except ConnectionError:
                    self.cut_short += 1
                    raise
                if answer.reset_after:
                    # Linger 0: the close sends a reset instead of a clean end.
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    writer.transport.abort()
                    return
                if answer.before_body:
                    writer.write_eof()  # then reads the body it never looks at, as nginx would
                    while await reader.read(65536):
                        pass
                    return
                if answer.close_after:
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            self._writers.discard(writer)
            writer.close()
            self._notify()

    @staticmethod
    async def _answer(writer: asyncio.StreamWriter, answer: RawAnswer) -> None:
        split = answer.data.find(b"\r\n\r\n") + 4
        # Without a delay the whole answer goes in one write, so the gateway reads it at once.
        first = [answer.data[:split], answer.data[split:]] if answer.delay_s else [answer.data]
        pieces = [*first, *answer.trickle]
        for index, piece in enumerate(pieces):
            if index and answer.delay_s:
                await asyncio.sleep(answer.delay_s)
            writer.write(piece)
            await writer.drain()


def content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    return 0
