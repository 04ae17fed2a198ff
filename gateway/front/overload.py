"""The answer to a connection beyond GATEWAY_MAX_CLIENT_CONNECTIONS: a 503, then close."""

import asyncio
import json

from gateway.errors import RETRY_AFTER_S, error_document

BODY = json.dumps(
    error_document(
        "SERVICE_UNAVAILABLE", "The gateway has too many open connections; try again.", {}
    )
).encode()
ANSWER = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json; charset=utf-8\r\n"
    b"Retry-After: %d\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%b"
    % (RETRY_AFTER_S, len(BODY), BODY)
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
