"""Raw client connections to the front, for tests that show its HTTP/1.1 byte for byte."""

import asyncio

READ_TIMEOUT_S = 5.0


class Wire:
    """One raw client connection to the gateway."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def head(self) -> bytes:
        async with asyncio.timeout(READ_TIMEOUT_S):
            return await self.reader.readuntil(b"\r\n\r\n")

    async def exactly(self, size: int) -> bytes:
        async with asyncio.timeout(READ_TIMEOUT_S):
            return await self.reader.readexactly(size)

    async def rest(self) -> bytes:
        """Everything until the gateway closes the connection."""
        async with asyncio.timeout(READ_TIMEOUT_S):
            return await self.reader.read()

    async def chunked_body(self) -> bytes:
        body = b""
        async with asyncio.timeout(READ_TIMEOUT_S):
            while size := int((await self.reader.readuntil(b"\r\n")).strip(), 16):
                body += await self.reader.readexactly(size)
                assert await self.reader.readexactly(2) == b"\r\n"
            assert await self.reader.readexactly(2) == b"\r\n"
        return body


def header_lines(head: bytes) -> list[bytes]:
    return head.split(b"\r\n")[1:-2]


class FakeTransport(asyncio.Transport):
    """Enough of a transport to feed a ClientConnection bytes exactly as one read would."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.buffered = 0  # bytes the client has not read yet
        self.closed = self.aborted = self.write_eof_called = False
        self.was_aborted = asyncio.Event()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += bytes(data)

    def get_extra_info(self, name: str, default: object = None) -> object:
        return ("127.0.0.1", 50000) if name == "peername" else default

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return self.buffered

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.write_eof_called = True

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True
        self.was_aborted.set()
