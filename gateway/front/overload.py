"""The answer to a connection beyond GATEWAY_MAX_CLIENT_CONNECTIONS: a 503, then close."""

import asyncio

from gateway.errors import TooManyConnections
from gateway.proxy.answers import error_parts

ANSWER = b"".join(
    error_parts(
        TooManyConnections("The gateway has too many open connections; try again."),
        keeps_alive=False,
    )
)


class OverloadAnswer(asyncio.Protocol):
    """Holds nothing: it answers at once, ends its side and drops what the client sends, so the
    503 is read rather than lost to a reset."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.WriteTransport)
        transport.write(ANSWER)
        if transport.can_write_eof():
            transport.write_eof()
        else:
            transport.close()

    def data_received(self, data: bytes) -> None:
        """The request it did not wait for is dropped."""

    def eof_received(self) -> bool:
        return False  # the client is done too: close
