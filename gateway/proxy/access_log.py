"""The access log: one redacted line for each request the front answered."""

import asyncio
import logging

from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest
from gateway.logs import redact_query
from gateway.proxy.answers import Answer

# Logged for a request whose client left before its answer was written (as nginx does).
CLIENT_GONE_STATUS = 499


class AccessLog:
    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def record(self, request: IncomingRequest, client: ClientConnection, answer: Answer) -> None:
        elapsed_ms = (asyncio.get_running_loop().time() - request.started) * 1000
        self._logger.info(
            "request method=%s target=%s status=%s bytes=%s ms=%.1f remote=%s",
            request.method,
            redact_query(request.target.decode("latin-1")),
            answer.status,
            answer.body_bytes,
            elapsed_ms,
            client.peer,
        )

    def record_client_gone(self, request: IncomingRequest, client: ClientConnection) -> None:
        self.record(request, client, Answer(CLIENT_GONE_STATUS, 0, False))
