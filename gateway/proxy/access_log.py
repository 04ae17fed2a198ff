"""The access log: one redacted line for each request the front answered."""

import asyncio
import logging

from gateway.front.connection import ClientConnection
from gateway.front.request import IncomingRequest
from gateway.logs import redact_query
from gateway.proxy.answers import Answer

# Logged for a request whose client left before its answer was written (as nginx does).
CLIENT_GONE_STATUS = 499
LINE = "request method=%s target=%s status=%s bytes=%s ms=%.1f remote=%s"


class AccessLog:
    """Makes each line's record itself: `Logger.info` would also look up the calling frame
    (`findCaller`) for every request, which no access line shows; that lookup and the record's
    thread and process fields were most of what the log cost a request."""

    def __init__(self, logger: logging.Logger) -> None:
        self._logger = logger

    def record(self, request: IncomingRequest, client: ClientConnection, answer: Answer) -> None:
        if not self._logger.isEnabledFor(logging.INFO):
            return
        elapsed_ms = (asyncio.get_running_loop().time() - request.started) * 1000
        line = LINE % (
            request.method,
            redact_query(request.target.decode("latin-1")),
            answer.status,
            answer.body_bytes,
            elapsed_ms,
            client.peer,
        )
        self._logger.handle(
            logging.LogRecord(self._logger.name, logging.INFO, __file__, 0, line, None, None)
        )

    def record_client_gone(self, request: IncomingRequest, client: ClientConnection) -> None:
        self.record(request, client, Answer(CLIENT_GONE_STATUS, 0, False))
